"""The audit trail: its tables (``models``) and the keyed hash chain that writes and verifies them
(``chain``, whose docstring tells how the trail is protected, and ``verify``).

The trail depends on nothing of ``aftersales.core`` but the permission catalogue and the current
scope, so that every model may write to it (``AuditedModel``) and every service may append to it.
"""

from aftersales.core.audit.chain import (
    ERASED,
    GENESIS,
    PERSONAL_HIDDEN,
    PERSONAL_MARKER,
    AuditChainError,
    AuditKeyring,
    UnknownAuditKey,
    audit_append,
    audit_key_id,
    audit_keyring,
    audit_masked,
    audit_personal_erase,
    audit_personal_fill,
    audit_personal_hidden,
    audit_record_change,
    audit_trail_shown,
    entry_content,
    entry_digest,
)
from aftersales.core.audit.models import ANY_ACTION, AuditChainHead, AuditEntry, AuditKey, AuditKeys, AuditPersonalData
from aftersales.core.audit.verify import (
    BrokenLink,
    Checkpoint,
    CheckpointLog,
    audit_checkpoint_write,
    audit_verify,
    checkpoint_line,
    checkpoint_log_read,
)

__all__ = [
    "ANY_ACTION",
    "ERASED",
    "GENESIS",
    "PERSONAL_HIDDEN",
    "PERSONAL_MARKER",
    "AuditChainError",
    "AuditChainHead",
    "AuditEntry",
    "AuditKey",
    "AuditKeyring",
    "AuditKeys",
    "AuditPersonalData",
    "BrokenLink",
    "Checkpoint",
    "CheckpointLog",
    "UnknownAuditKey",
    "audit_append",
    "audit_checkpoint_write",
    "audit_key_id",
    "audit_keyring",
    "audit_masked",
    "audit_personal_erase",
    "audit_personal_fill",
    "audit_personal_hidden",
    "audit_record_change",
    "audit_trail_shown",
    "audit_verify",
    "checkpoint_line",
    "checkpoint_log_read",
    "entry_content",
    "entry_digest",
]
