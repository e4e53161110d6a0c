"""Platform tables: document numbering, API tokens, sign-in throttling, job heartbeats."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.audit import AuditKey, AuditKeys


class DocumentSequence(models.Model):
    """The last number issued for one store, document type and year."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "doc_type", "year"], name="document_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.doc_type}-{self.store_id}-{self.year}: {self.last_value}"


class ApiToken(models.Model):
    """A bearer token for integrations. Only a SHA-256 digest is kept; the token is shown once.

    A token ends when it expires, when it is revoked, and for good when its user is deactivated
    (``User.save``): reactivating the account does not bring it back.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    audit_keys: ClassVar[AuditKeys] = {
        "token_revoked": {
            "reason": AuditKey(_("reason"), choices={"user_deactivated": _("the user was deactivated")}, summary=True),
        },
    }

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginThrottle(models.Model):
    """Sign-in attempts counted against one user name from one client address (an IPv6 address by its
    /64), against a user name from every address (``client_ip`` ``NAME_WIDE``), or (``username`` empty,
    ``ADDRESS_WIDE``) against a client address whatever the names.

    ``failures`` counts the attempts taken in the window that began at ``window_started_at``: an attempt
    is taken before its password is checked and given back when it succeeds (``core.services.auth_attempt``).
    At the limit, further attempts are refused without a check until ``locked_until`` (or, while the
    last attempts are still being checked, until the window ends).
    """

    ADDRESS_WIDE = ""
    # ``client_ip`` of the counter of a user name from every address.
    NAME_WIDE = "*"

    username = models.CharField(max_length=150, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)  # "" when the address is not known
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    last_failure_at = models.DateTimeField(null=True)
    locked_until = models.DateTimeField(null=True)
    # When a refusal by this counter was last audited: one audit entry per lock.
    refusal_audited_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "client_ip"], name="login_throttle_name_address"),
        ]
        indexes = [models.Index(fields=["window_started_at"], name="login_throttle_window")]

    def __str__(self) -> str:
        return f"{self.username or '*'}@{self.client_ip or '?'}: {self.failures}"


class JobHeartbeat(models.Model):
    """When a periodic job last ran; the health endpoint reports the age of ``queue``."""

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at}"
