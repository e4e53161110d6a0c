"""Writes of the platform: sign-in, API tokens, document numbers, roles, job heartbeats."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, LockedOutError
from aftersales.core.models import ApiToken, DocumentSequence, JobHeartbeat, LoginThrottle, Role, Store, User
from aftersales.core.permissions import ROLE_DEFAULTS

TOKEN_PREFIX = "as_"  # noqa: S105 - a public marker, not a secret

# Document types that receive numbers, e.g. RO-SH01-2026-000123.
DOCUMENT_TYPES: dict[str, str] = {
    "RO": "repair order",
    "APT": "appointment",
    "INV": "invoice",
    "CMP": "complaint",
    "PO": "purchase order",
    "CUS": "customer",
    "VEH": "vehicle",
}


def client_ip_of(request: HttpRequest) -> str | None:
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def auth_attempt(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Check a user name and password, counting failures and locking the name out after too many.

    Raises LockedOutError while locked out (even with the right password) and ApplicationError on
    wrong credentials. Each outcome writes an audit entry.
    """
    now = timezone.now()
    client_ip = client_ip_of(request) if request is not None else None
    throttle = LoginThrottle.objects.filter(username=username).first()
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        audit_append(action="locked_out", actor_username=username, client_ip=client_ip)
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise LockedOutError(
            _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes},
            code="locked_out",
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        _auth_record_failure(username=username, now=now)
        audit_append(action="login_failed", actor_username=username, client_ip=client_ip)
        raise ApplicationError(_("The user name or password is not correct."), code="invalid_credentials", status=401)
    LoginThrottle.objects.filter(username=username).delete()
    return cast(User, user)


def _auth_record_failure(*, username: str, now: datetime) -> None:
    with transaction.atomic():
        throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(username=username)
        if throttle.locked_until is not None and throttle.locked_until <= now:
            throttle.failures = 0
            throttle.locked_until = None
        throttle.failures += 1
        throttle.last_failure_at = now
        if throttle.failures >= settings.LOGIN_FAILURE_LIMIT:
            throttle.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        throttle.save()


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user: User, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; return the row and the raw token, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:10], digest=token_digest(raw), expires_at=expires_at
        )
        audit_append(
            action="token_created",
            actor=user,
            object_type="core.apitoken",
            object_id=str(token.pk),
            object_repr=str(token),
        )
    return token, raw


def token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens. Another user's token is reported as not found."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user, revoked_at=None).first()
        if token is None:
            raise ApplicationError(_("No such active token."), code="not_found", status=404)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_append(
            action="token_revoked",
            actor=user,
            object_type="core.apitoken",
            object_id=str(token.pk),
            object_repr=str(token),
        )
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token (with its active user) for a bearer value, or None. Marks it used at most once a minute."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def number_next(*, store: Store, doc_type: str, on: datetime | None = None) -> str:
    """Issue the next gap-free number for a store, document type and year, e.g. RO-SH01-2026-000123.

    Must run inside the caller's transaction that saves the document, so that a rolled-back save
    gives its number back. Concurrent callers queue on the sequence row's lock.
    """
    if doc_type not in DOCUMENT_TYPES:
        raise ValueError(f"Unknown document type {doc_type!r}")
    year = (on or timezone.now()).astimezone(store.zone).year
    sequence = DocumentSequence.objects.filter(store=store, doc_type=doc_type, year=year)
    with transaction.atomic():
        if not sequence.update(last_value=F("last_value") + 1):
            try:
                with transaction.atomic():
                    DocumentSequence.objects.create(store=store, doc_type=doc_type, year=year, last_value=1)
            except IntegrityError:
                sequence.update(last_value=F("last_value") + 1)
        value = sequence.values_list("last_value", flat=True).get()
    return f"{doc_type}-{store.code}-{year}-{value:06d}"


def roles_install_defaults() -> list[Role]:
    """Create the built-in roles that are missing; roles that exist keep an admin's edits."""
    created = []
    for default in ROLE_DEFAULTS:
        if not Role.objects.filter(code=default.code).exists():
            created.append(
                Role.objects.create(
                    code=default.code,
                    name=default.name,
                    name_en=default.name_en,
                    scope=default.scope,
                    landing=default.landing,
                    permissions=list(default.permissions),
                )
            )
    return created


def heartbeat_record(*, name: str = "queue") -> JobHeartbeat:
    beat, _created = JobHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
    return beat
