"""The findings of quality evaluations (质量评估, SPEC QC-4) and their corrective actions: what the evaluation
finds gets a corrective action, an owner (told in-app) and a due date, the action taken, and its
verification, which closes it. Also how an evaluation is found for a step on it (``audit_for``), which the
steps of ``quality.services.audits`` share.

Refusals: a missing record or one of a store the actor does not see is 404; a store where the actor lacks
the permission is 403; a wrong field is 422 naming it; anything on a closed evaluation, or a step out of
order, is 409. Nothing is written on any refusal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.grants import visible_store_ids
from aftersales.core.models import StaffMembership, User
from aftersales.messaging.models import Message
from aftersales.messaging.services import Recipient, message_send, message_try
from aftersales.quality.models import AuditFinding, AuditSample, QualityAudit
from aftersales.quality.services.common import audit, not_found, staff_of

PERMISSION = "quality.audit"
VIEW = "quality.view"
FINDING_EVENT = "quality_finding"
TEXT_MAX = 500
# Periods and due dates are days of this century: a year 1 cannot be turned into an instant in every zone.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
FS = AuditFinding.State


# --- finding the record ---------------------------------------------------------------------------------


def _forbidden() -> ApplicationError:
    return ApplicationError(_("You may not do this in that store."), code="forbidden", status=403)


def audit_for(*, actor: User, audit_id: int, permission: str = VIEW, for_update: bool = False) -> QualityAudit:
    """The evaluation (locked until commit when asked): 404 when missing or of a store ``actor`` does not
    see, 403 when ``actor`` lacks ``permission`` there."""
    rows = QualityAudit.all_objects.filter(pk=audit_id).select_related("store")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    found = rows.first()
    visible = visible_store_ids(actor)
    if found is None or (visible is not None and found.store_id not in visible):
        raise not_found()
    if not can(actor, permission, store_id=found.store_id):
        raise _forbidden()
    return found


def _open_only(found: QualityAudit) -> None:
    if found.state != QualityAudit.State.OPEN:
        raise ConflictError(
            _("Evaluation %(number)s is closed: nothing on it changes.") % {"number": found.number}, code="closed"
        )


def _record_of(model: type[Any], record_id: int, audit_id: int | None) -> Any:
    """A sample or finding (of ``audit_id`` when given), else 404; its evaluation's access is checked next."""
    row = model.objects.filter(pk=record_id).first()
    if row is None or (audit_id is not None and row.audit_id != audit_id):
        raise not_found()
    return row


def _problems(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ApplicationError(_("Some fields need attention."), code="invalid", fields=errors, status=422)


def _text(errors: dict[str, list[str]], name: str, value: str, limit: int, missing: str | None) -> str:
    value = value.strip()
    if len(value) > limit:
        errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    elif missing is not None and not value:
        errors[name] = [missing]
    return value


# --- findings and their corrective actions ---------------------------------------------------------------


@dataclass
class AuditFindingIn:
    severity: str
    description: str
    corrective_action: str
    owner_id: int | None
    due_on: date | None
    sample_id: int | None = None


def finding_owners(store_id: int) -> list[User]:
    """Who may own a corrective action: the store's active staff who may see its quality evaluations."""
    rows = (
        StaffMembership.all_objects.filter(store_id=store_id, is_active=True, user__is_active=True)
        .select_related("user", "role")
        .order_by("user__full_name", "user__username")
    )
    return [row.user for row in rows if VIEW in (row.role.permissions or [])]


def finding_add(*, actor: User, audit_id: int, data: AuditFindingIn) -> AuditFinding:
    """Record what the evaluation found (``quality.audit``), on one of its sampled orders or on the whole:
    the severity, the corrective action asked for, its owner (active staff of the store who may see quality)
    and the day it is due (today or later). The owner is told in-app after the commit."""
    found = audit_for(actor=actor, audit_id=audit_id, permission=PERMISSION)
    today = store_calendar(found.store).local_date(timezone.now())
    errors: dict[str, list[str]] = {}
    if data.severity not in AuditFinding.Severity.values:
        errors["severity"] = [_("Choose minor, major or critical.")]
    description = _text(errors, "description", data.description, TEXT_MAX, _("Say what was found."))
    action = _text(
        errors, "corrective_action", data.corrective_action, TEXT_MAX, _("Say what is to be done to correct it.")
    )
    if data.sample_id is not None and not AuditSample.objects.filter(pk=data.sample_id, audit=found).exists():
        errors["sample"] = [_("Choose an order of this evaluation's sample.")]
    owner = staff_of(found.store_id, data.owner_id)
    if owner is None or not can(owner, VIEW, store_id=found.store_id):
        errors["owner"] = [_("Choose who owns the corrective action: an active member of this store's staff.")]
    if data.due_on is None:
        errors["due_on"] = [_("Choose the day it is due.")]
    elif data.due_on < today:
        errors["due_on"] = [_("The due day cannot be in the past.")]
    elif data.due_on > LAST_DAY:
        errors["due_on"] = [_("Choose a day from 2000 to 2099.")]
    _problems(errors)
    assert owner is not None and data.due_on is not None  # noqa: S101 - refused above otherwise
    with transaction.atomic():
        found = audit_for(actor=actor, audit_id=audit_id, permission=PERMISSION, for_update=True)
        _open_only(found)
        finding = AuditFinding.objects.create(
            audit=found,
            store_id=found.store_id,
            sample_id=data.sample_id,
            severity=data.severity,
            description=description,
            corrective_action=action,
            owner=owner,
            due_on=data.due_on,
            created_by=actor,
        )
        audit(
            actor=actor,
            store_id=found.store_id,
            action="audit_finding_add",
            object_type="quality.qualityaudit",
            object_id=found.pk,
            object_repr=found.number,
            changes={
                "finding": finding.pk,
                "sample": data.sample_id,
                "severity": data.severity,
                "description": description,
                "corrective_action": action,
                "owner": owner.pk,
                "due_on": data.due_on.isoformat(),
            },
        )
        if owner.pk != actor.pk:  # who assigns it to themselves knows
            finding_id = finding.pk
            transaction.on_commit(lambda: finding_tell(finding_id))
    return finding


def finding_tell(finding_id: int) -> list[Message]:
    """Tell the finding's owner in-app what is to be corrected and by when (nothing if the message is off)."""
    finding = AuditFinding.objects.select_related("audit__store", "owner").get(pk=finding_id)
    return message_try(f"finding {finding.pk} of {finding.audit.number}", _tell(finding))


def _tell(finding: AuditFinding) -> Callable[[], list[Message]]:
    owner = finding.owner
    with translation.override(owner.preferred_language or settings.LANGUAGE_CODE):
        severity = str(AuditFinding.Severity(finding.severity).label)
    return lambda: message_send(
        store=finding.audit.store,
        event=FINDING_EVENT,
        recipient=Recipient(
            type=Message.RecipientType.STAFF, name=str(owner), user=owner, language=owner.preferred_language
        ),
        variables={
            "audit": finding.audit.number,
            "severity": severity,
            "finding": finding.description,
            "action": finding.corrective_action,
            "due": finding.due_on.isoformat(),
        },
        about=("quality.qualityaudit", finding.audit_id),
    )


def _finding_for_update(actor: User, finding_id: int, permission: str) -> tuple[QualityAudit, AuditFinding]:
    """The finding's evaluation locked (open, ``permission`` held), then the finding."""
    finding = AuditFinding.objects.get(pk=finding_id)
    found = audit_for(actor=actor, audit_id=finding.audit_id, permission=permission, for_update=True)
    _open_only(found)
    return found, AuditFinding.objects.select_for_update().get(pk=finding_id)


def finding_action(*, actor: User, finding_id: int, action_taken: str, audit_id: int | None = None) -> AuditFinding:
    """Record the corrective action taken (the finding's owner, or a holder of ``quality.audit``): the finding
    is then actioned and waits for its verification."""
    finding = _record_of(AuditFinding, finding_id, audit_id)
    audit_for(actor=actor, audit_id=finding.audit_id, permission=VIEW)
    if finding.owner_id != actor.pk and not can(actor, PERMISSION, store_id=finding.store_id):
        raise ApplicationError(
            _("Only the owner of the corrective action, or who evaluates quality, records the action taken."),
            code="forbidden",
            status=403,
        )
    errors: dict[str, list[str]] = {}
    action_taken = _text(errors, "action_taken", action_taken, TEXT_MAX, _("Say what was done."))
    _problems(errors)
    with transaction.atomic():
        found, finding = _finding_for_update(actor, finding_id, VIEW)
        if finding.state != FS.OPEN:
            raise ConflictError(
                _("The action taken on this finding is recorded already: %(state)s.")
                % {"state": finding.get_state_display()},
                code="actioned",
            )
        finding.state, finding.action_taken = FS.ACTIONED, action_taken
        finding.actioned_by, finding.actioned_at = actor, timezone.now()
        finding.save()
        audit(
            actor=actor,
            store_id=found.store_id,
            action="audit_finding_action",
            object_type="quality.qualityaudit",
            object_id=found.pk,
            object_repr=found.number,
            changes={"finding": finding.pk, "state": [FS.OPEN, FS.ACTIONED], "action_taken": action_taken},
        )
    return finding


def finding_close(*, actor: User, finding_id: int, verification: str, audit_id: int | None = None) -> AuditFinding:
    """Close a finding whose action is recorded (``quality.audit``), saying how its effect was verified."""
    finding = _record_of(AuditFinding, finding_id, audit_id)
    audit_for(actor=actor, audit_id=finding.audit_id, permission=PERMISSION)
    errors: dict[str, list[str]] = {}
    verification = _text(
        errors, "verification", verification, TEXT_MAX, _("Say how the corrective action was verified.")
    )
    _problems(errors)
    with transaction.atomic():
        found, finding = _finding_for_update(actor, finding_id, PERMISSION)
        if finding.state == FS.OPEN:
            raise ConflictError(_("Record the action taken before the finding is closed."), code="not_actioned")
        if finding.state == FS.CLOSED:
            raise ConflictError(_("This finding is closed already."), code="closed")
        finding.state, finding.verification = FS.CLOSED, verification
        finding.closed_by, finding.closed_at = actor, timezone.now()
        finding.save()
        audit(
            actor=actor,
            store_id=found.store_id,
            action="audit_finding_close",
            object_type="quality.qualityaudit",
            object_id=found.pk,
            object_repr=found.number,
            changes={"finding": finding.pk, "state": [FS.ACTIONED, FS.CLOSED], "verification": verification},
        )
    return finding


# --- reads ---------------------------------------------------------------------------------------------


def audit_findings(found: QualityAudit) -> list[AuditFinding]:
    """The evaluation's findings, oldest first: one query."""
    return list(
        AuditFinding.objects.filter(audit=found)
        .select_related("owner", "sample__order", "actioned_by", "closed_by", "created_by")
        .order_by("pk")
    )


def finding_overdue(finding: AuditFinding, today: date) -> bool:
    """Not closed, and its due day has passed."""
    return finding.state != FS.CLOSED and finding.due_on < today
