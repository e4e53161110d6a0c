"""The tables of the append-only audit trail, chained by keyed hashes (``aftersales.core.audit.chain``),
and how the keys of an entry's changes read (``AuditKey``, declared by each audited model).

They are tables of the ``core`` app (``aftersales.core.models`` lists them), kept here, below the
models they audit: ``AuditedModel`` writes its changes here, so the trail cannot depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.core.permissions import PERMISSIONS

# The key of ``audit_keys`` whose declarations hold for entries of every action.
ANY_ACTION = "*"


@dataclass(frozen=True)
class AuditKey:
    """How a key of an audit entry's changes reads to a person where the model's fields do not say it.

    A model declares these in ``audit_keys`` for the keys its entries carry that are not fields (a
    reveal's ``field``, an export's ``rows``) and for fields whose values read otherwise than their
    type says (a size in bytes). ``aftersales.core.history`` reads them; see it for the rest.
    """

    label: str | Promise | None = None  # None: the verbose name of the field of that name
    ref: str = ""  # the values are ids of this model ("app_label.model"), shown by the record's name
    choices: Mapping[str, str | Promise] | None = None  # values shown by these labels
    names: bool = False  # the values name keys or fields of the same model, shown by their labels
    unit: str = ""  # "bytes": shown as a file size; "digest": shortened
    summary: bool = False  # the value completes the action's name ("Personal data revealed: mobile numbers")


AuditKeys = Mapping[str, Mapping[str, AuditKey]]


class AppendOnlyQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit entries are append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit entries are append-only.")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOCKED_OUT = "locked_out", _("Locked out")
        PERMISSION_DENIED = "permission_denied", _("Permission denied")
        EXPORT = "export", _("Data export")
        REVEAL = "reveal", _("Personal data revealed")
        MERGE = "merge", _("Records merged")
        ANONYMISE = "anonymise", _("Personal data anonymised")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        NOT_FOUND_IN_SCOPE = "not_found_in_scope", _("Record of another store requested")
        AUDIT_KEY_CHANGED = "audit_key_changed", _("Audit signing key changed")
        LINK_OPENED = "link_opened", _("Customer link opened")
        LINK_USED = "link_used", _("Customer link used")
        STOCK_POSTED = "stock_posted", _("Stock posted")
        STOCK_RESERVED = "stock_reserved", _("Stock reserved")
        STOCK_RELEASED = "stock_released", _("Reservation released")
        STOCK_CLOSED = "stock_closed", _("Stock month closed")

    # One chain per store (0 = group-level events) so that stores do not queue behind each other.
    chain = models.BigIntegerField(_("chain"), db_index=False)
    chain_seq = models.BigIntegerField(_("sequence in chain"))
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    store = models.ForeignKey(
        "core.Store",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Which audit key signed the entry (HMAC-SHA256), by an id that reveals nothing of the key; empty on
    # entries written before the trail was keyed (plain SHA-256), which a signed entry seals.
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = AppendOnlyQuerySet.as_manager()

    # The keys of the trail's own entries: a refused sign-in or permission, a request for a record of a store
    # outside the user's (read for whatever record it names: core.history), a change of the signing key, and
    # the trail's export, whose filters are the audit page's (core.views.audit_export).
    audit_keys: ClassVar[AuditKeys] = {
        "locked_out": {
            "lock": AuditKey(
                _("lock"),
                choices={
                    "user_address": _("this user name from this address"),
                    "user": _("this user name from every address"),
                    "address": _("every user name from this address"),
                },
                summary=True,
            ),
        },
        "permission_denied": {"permission": AuditKey(_("permission"), choices=PERMISSIONS)},
        "not_found_in_scope": {"permission": AuditKey(_("permission"), choices=PERMISSIONS)},
        # Key ids; "from" is empty when the entry seals the chain's entries of before keyed hashes.
        "audit_key_changed": {"from": AuditKey(_("previous key")), "to": AuditKey(_("new key"))},
        "export": {
            "filters": AuditKey(_("filters")),
            "rows": AuditKey(_("rows")),
            "actor": AuditKey(_("user name")),
            "date_from": AuditKey(_("from")),
            "date_to": AuditKey(_("to")),
            "page": AuditKey(_("page")),
        },
    }

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["chain", "chain_seq"], name="audit_chain_seq_unique")]
        indexes = [
            models.Index(fields=["store", "created_at"], name="audit_store_time"),
            models.Index(fields=["actor_username", "created_at"], name="audit_actor_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit entries are append-only.")


class AuditChainHead(models.Model):
    """The last link of one audit chain; locked while an entry is appended.

    ``last_key_id``: the key that signed the last entry (a different signing key first appends an
    ``audit_key_changed`` entry). ``checkpoint_seq``: the last sequence written to the checkpoint file.
    """

    chain = models.BigIntegerField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    last_key_id = models.CharField(max_length=16, blank=True, default="")
    checkpoint_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"chain {self.chain} @ {self.last_seq}"


class AuditPersonalData(models.Model):
    """The personal values of one audit entry, kept beside it so that they can be erased.

    In the entry each such value is replaced by a marker ``{"$personal": digest}``, the digest a
    salted SHA-256 of the value; the entry's hash covers the markers. Verification checks the
    values here against the markers; erasing a person's data (anonymisation) deletes these rows, and
    the chain stays intact while the values are gone.
    """

    entry = models.OneToOneField(AuditEntry, on_delete=models.CASCADE, primary_key=True, related_name="personal")
    subject = models.CharField(max_length=80, db_index=True)  # whose data, e.g. "customers.customer:42"
    salt = models.CharField(max_length=32)
    values = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.subject} @ {self.entry_id}"
