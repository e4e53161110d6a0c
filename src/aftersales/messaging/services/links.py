"""Customer links: pages a customer opens without an account. The token is shown once (in the message
that carries the link); only its keyed digest is kept. A link shows one version of one record, and
what the customer does binds to the hash of the canonical JSON of what was shown."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, Store, User
from aftersales.messaging.models import CustomerLink


@dataclass(frozen=True)
class LinkPurpose:
    """What links of one purpose show: the record type, the data a link shows of the record now (its
    canonical snapshot), and the page (``view(request, link, snapshot)``) the customer sees and acts on."""

    object_type: str
    snapshot: Callable[[int], dict[str, Any]]
    view: Callable[..., Any]
    # A new link replaces the open ones to the same record (a new version of a document); not for links
    # that stay valid side by side (the unsubscribe link of every marketing e-mail).
    supersede: bool = True


LINK_PURPOSES: dict[str, LinkPurpose] = {}


def link_purpose_register(name: str, purpose: LinkPurpose) -> None:
    """Declare a purpose of customer links; called from the owning app's ``ready()``."""
    LINK_PURPOSES[name] = purpose


def canonical_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``data`` (keys sorted, no spaces, UTF-8)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(token: str) -> str:
    return hmac.new(f"customer-link:{settings.SECRET_KEY}".encode(), token.encode(), hashlib.sha256).hexdigest()


def _audit(link: CustomerLink, action: str, **changes: Any) -> None:
    audit_append(
        action=action,
        actor=None,
        store_id=link.store_id,
        object_type=link.object_type,
        object_id=str(link.object_id),
        object_repr=f"{link.purpose} #{link.pk}",
        changes={"link": link.pk, "purpose": link.purpose, **changes},
    )


@transaction.atomic
def link_create(
    *,
    store: Store,
    purpose: str,
    object_id: int,
    actor: User | None,
    expires_in: timedelta = timedelta(days=7),
    max_uses: int = 1,
) -> tuple[CustomerLink, str]:
    """A new link to ``object_id`` for ``purpose``; returns it and its token (never stored). Links still
    open to the same record for the same purpose are revoked: the newest version is the one shown."""
    declared = LINK_PURPOSES.get(purpose)
    if declared is None:
        raise ApplicationError(_("Unknown link purpose."), field="purpose", status=422)
    now = timezone.now()
    if declared.supersede:
        CustomerLink.objects.filter(
            object_type=declared.object_type, object_id=object_id, purpose=purpose, revoked_at=None
        ).update(revoked_at=now, revoked_reason="superseded")
    token = secrets.token_urlsafe(24)
    link = CustomerLink.objects.create(
        store=store,
        token_digest=_digest(token),
        purpose=purpose,
        object_type=declared.object_type,
        object_id=object_id,
        snapshot_hash=canonical_hash(declared.snapshot(object_id)),
        expires_at=now + expires_in,
        max_uses=max_uses,
        created_by=actor,
    )
    audit_append(
        action=AuditEntry.Action.CREATE,
        actor=actor,
        store_id=store.pk,
        object_type=link.object_type,
        object_id=str(object_id),
        object_repr=f"{purpose} #{link.pk}",
        changes={"link": link.pk, "purpose": purpose, "expires_at": link.expires_at.isoformat()},
    )
    return link, token


def _refused(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, status=410 if code != "not_found" else 404)


def link_open(token: str, *, audit: bool = True) -> tuple[CustomerLink, dict[str, Any]]:
    """The link of ``token`` and what it shows now, audited as opened (with the client's address) when
    ``audit`` (a view; what is done through it is audited by ``link_use``); refused when unknown (404),
    or expired, revoked, used up or superseded by a change (410)."""
    link = CustomerLink.objects.select_related("store").filter(token_digest=_digest(token or "")).first()
    if link is None or link.purpose not in LINK_PURPOSES:
        raise _refused(_("This link does not exist. Check that it was copied whole."), "not_found")
    if link.revoked_at is not None:
        raise _refused(_("This link was withdrawn. Ask the store for a new one."), "revoked")
    if link.expires_at <= timezone.now():
        raise _refused(_("This link has expired. Ask the store for a new one."), "expired")
    if link.uses >= link.max_uses:
        raise _refused(_("This link has been used already."), "used_up")
    snapshot = LINK_PURPOSES[link.purpose].snapshot(link.object_id)
    if canonical_hash(snapshot) != link.snapshot_hash:
        CustomerLink.objects.filter(pk=link.pk, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_reason="superseded"
        )
        raise _refused(
            _("What this link showed has changed since it was sent. Ask the store for a new one."), "superseded"
        )
    if audit:
        _audit(link, AuditEntry.Action.LINK_OPENED)
    return link, snapshot


def link_use(link: CustomerLink, *, shown_hash: str, what: str) -> None:
    """Count one use of ``link`` for ``what`` the customer did; refused (409) when it was done on another
    version than the one the link shows, and (410) once the link is used up. Audited."""
    if not hmac.compare_digest(shown_hash or "", link.snapshot_hash):
        raise ApplicationError(
            _("This page has changed since you opened it: open the link again."), code="conflict", status=409
        )
    used = CustomerLink.objects.filter(pk=link.pk, revoked_at=None, uses__lt=F("max_uses")).update(uses=F("uses") + 1)
    if not used:
        raise _refused(_("This link has been used already."), "used_up")
    _audit(link, AuditEntry.Action.LINK_USED, what=what, snapshot=link.snapshot_hash)
