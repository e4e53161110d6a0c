"""Seal every audit chain written before keyed hashes with a signed ``audit_key_changed`` entry.

The unkeyed entries keep their SHA-256 hashes (re-keying them would sign whatever the database holds
now, forged or not). The seal, from key id "" to the signing key, is HMAC-signed and covers the hash
of the chain's last unkeyed entry, hence every entry before it; from then on verification accepts only
signed entries in that chain (``aftersales.core.audit``). The logic below is a copy of that module's
as it is at this migration: the key as ``audit_keyring`` finds it, ``entry_content`` and ``_link``.
"""

import hashlib
import hmac
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone


def _signing_key() -> bytes:
    configured = [key for key in getattr(settings, "AUDIT_KEYS", []) if key]
    text = configured[0] if configured else hashlib.sha256(f"audit-key:{settings.SECRET_KEY}".encode()).hexdigest()
    return text.encode()


def _content(entry: Any) -> bytes:
    content = {
        "chain": entry.chain,
        "seq": entry.chain_seq,
        "at": entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": entry.actor_id,
        "username": entry.actor_username,
        "store": entry.store_id,
        "action": entry.action,
        "type": entry.object_type,
        "id": entry.object_id,
        "repr": entry.object_repr,
        "changes": entry.changes,
        "ip": entry.client_ip,
        "prev": entry.prev_hash,
        "key": entry.key_id,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def seal_unkeyed_chains(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    key = _signing_key()
    key_id = hmac.new(key, b"aftersales audit key id", hashlib.sha256).hexdigest()[:8]
    for head in AuditChainHead.objects.select_for_update().filter(last_seq__gt=0, last_key_id="").order_by("chain"):
        seal = AuditEntry(
            chain=head.chain,
            chain_seq=head.last_seq + 1,
            created_at=timezone.now(),
            store_id=head.chain or None,
            action="audit_key_changed",
            changes={"from": "", "to": key_id},
            prev_hash=head.last_hash,
            key_id=key_id,
        )
        seal.hash = hmac.new(key, _content(seal), hashlib.sha256).hexdigest()
        seal.save()
        AuditChainHead.objects.filter(chain=head.chain).update(
            last_seq=seal.chain_seq, last_hash=seal.hash, last_key_id=key_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_audit_keyed_chains"),
    ]

    operations = [
        migrations.RunPython(seal_unkeyed_chains, migrations.RunPython.noop, elidable=False),
    ]
