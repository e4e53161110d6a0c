"""Quality evaluations (质量评估, SPEC QC-4): a periodic evaluation of the store's work, internal or by a third
party, of a random sample of the orders delivered in its period (seed 004 服务质量管理: 系统会自动抽样评估最近一段
时间内的售后服务工单，收集用户评价和反馈). Each sampled order is reviewed beside the customer's own rating and
comment from its delivery; what the evaluation finds gets a corrective action, an owner (told in-app) and a
due date, the action taken, and its verification, which closes it. The evaluation closes with its conclusion
once every sample is reviewed and every finding closed; a closed one changes no more.

The draw is reproducible: the ids of the orders available, sorted, are sampled by ``random.Random(seed)``
with the seed stored on the evaluation, so anyone can draw it again and check it. The schedule
(``audits_plan``) opens an internal evaluation in every store whose rules ask for one every so many days.
Refusals: a missing record or one of a store the actor does not see is 404; a store where the actor lacks
the permission is 403; a wrong field is 422 naming it; anything on a closed evaluation, or a step out of
order, is 409. Nothing is written on any refusal.

The findings and their corrective actions, and how an evaluation is found for a step on it, are in
``quality.services.audit_findings``; the names callers import from here are re-exported."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Store, User
from aftersales.core.numbering import number_next
from aftersales.parts.services import store_access
from aftersales.quality.models import AuditFinding, AuditSample, QualityAudit, QualitySettings
from aftersales.quality.services.audit_findings import (
    FIRST_DAY,
    FS,
    LAST_DAY,
    PERMISSION,
    TEXT_MAX,
    AuditFindingIn,
    _open_only,
    _problems,
    _record_of,
    _text,
    audit_findings,
    audit_for,
    finding_action,
    finding_add,
    finding_close,
    finding_overdue,
    finding_owners,
    finding_tell,
)
from aftersales.quality.services.common import audit, quality_settings
from aftersales.visits.models import RepairOrder

__all__ = [
    "TEXT_MAX",
    "AuditFindingIn",
    "audit_findings",
    "audit_for",
    "finding_action",
    "finding_add",
    "finding_close",
    "finding_overdue",
    "finding_owners",
    "finding_tell",
]

AUDIT_DOC = "QA"
SAMPLE_MAX = 200
EVERY_DAYS_MAX = 366
AUDITOR_MAX = 100
STANDARD_MAX = 200
SUMMARY_MAX = 1000
# Orders whose car has gone back to the customer.
DELIVERED = (RepairOrder.State.DELIVERED, RepairOrder.State.CLOSED)
K = QualityAudit.Kind
S = AuditSample.Result


def schedule_auditor() -> str:
    """Who carries out an evaluation the schedule opened (in the language of the job: the default)."""
    return _("System sample")


def schedule_standard() -> str:
    """What the schedule's evaluations are held against: the store's own service process (seed 004)."""
    return _("The store's after-sales service process: reception, repair, final inspection, delivery")


# --- opening an evaluation and drawing its sample -----------------------------------------------------


@dataclass
class AuditIn:
    kind: str
    auditor: str
    standard: str
    period_from: date
    period_to: date
    sample_size: int


def delivered_ids(store: Store, period_from: date, period_to: date) -> list[int]:
    """The ids, sorted, of the store's orders delivered (or closed since) whose car went back to the customer
    on a day of the period (the store's days): the delivery's keys handed, else the visit's leaving."""
    calendar = store_calendar(store)
    start, end = calendar.day_start(period_from), calendar.day_start(period_to + timedelta(days=1))
    rows = (
        RepairOrder.all_objects.filter(store=store, state__in=DELIVERED)
        .annotate(out_at=Coalesce(F("visit__delivery__delivered_at"), F("visit__left_at")))
        .filter(out_at__gte=start, out_at__lt=end)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(rows)


def sample_draw(ids: list[int], size: int, seed: str) -> list[int]:
    """The orders drawn, in the order drawn: the same ids, size and seed draw the same sample again. Fewer
    ids than asked: all of them."""
    # Not for secrecy: a seeded generator is what makes the draw reproducible (the seed itself is random).
    return random.Random(seed).sample(sorted(ids), min(size, len(ids)))  # noqa: S311


def _audit_problems(data: AuditIn, today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.kind not in K.values:
        errors["kind"] = [_("Choose internal or third party.")]
    data.auditor = _text(
        errors,
        "auditor",
        data.auditor,
        AUDITOR_MAX,
        _("Say who carries out the evaluation: a name or an organisation."),
    )
    data.standard = _text(
        errors, "standard", data.standard, STANDARD_MAX, _("Say which standard the work is evaluated against.")
    )
    if not FIRST_DAY <= data.period_from <= LAST_DAY:
        errors["period_from"] = [_("Choose a day from 2000 to 2099.")]
    if data.period_to > today:
        errors["period_to"] = [_("The period cannot end after today.")]
    elif data.period_to < data.period_from:
        errors["period_to"] = [_("The end date must not be before the start date.")]
    if not 1 <= data.sample_size <= SAMPLE_MAX:
        errors["sample_size"] = [_("Sample from 1 to %(n)d orders.") % {"n": SAMPLE_MAX}]
    return errors


def _open(actor: User | None, store: Store, data: AuditIn, today: date) -> QualityAudit:
    """Validate, draw and write (the caller checked the actor's permission in ``store``)."""
    _problems(_audit_problems(data, today))
    ids = delivered_ids(store, data.period_from, data.period_to)
    if not ids:
        raise ApplicationError(
            _("No order was delivered in the period: choose another."), code="empty", field="period_from", status=422
        )
    seed = secrets.token_hex(8)
    drawn = sample_draw(ids, data.sample_size, seed)
    with transaction.atomic():
        found = QualityAudit(
            store=store,
            number=number_next(store=store, doc_type=AUDIT_DOC),
            kind=data.kind,
            auditor=data.auditor,
            standard=data.standard,
            period_from=data.period_from,
            period_to=data.period_to,
            sample_size=data.sample_size,
            seed=seed,
            created_by=actor,
        )
        found.save(actor=actor)  # its audit entry: the evaluation, its period, size and seed
        AuditSample.objects.bulk_create(
            AuditSample(audit=found, store=store, order_id=order_id, position=position)
            for position, order_id in enumerate(drawn, start=1)
        )
    return found


def audit_open(*, actor: User, store_id: int, data: AuditIn) -> QualityAudit:
    """Open an evaluation of the store (``quality.audit``) and draw its sample: ``sample_size`` of the orders
    delivered in the period at random (all of them when fewer were delivered: ``audit_drawn`` tells), none
    delivered is 422 on ``period_from``. One audit entry."""
    store = store_access(actor=actor, store_id=store_id, permission=PERMISSION)
    return _open(actor, store, data, store_calendar(store).local_date(timezone.now()))


def audit_drawn(found: QualityAudit) -> int:
    """How many orders the evaluation's sample holds (fewer than asked: every order delivered in the period)."""
    return int(AuditSample.objects.filter(audit=found).count())


def audits_plan(now: datetime | None = None) -> int:
    """The schedule: open an internal evaluation in every active store whose rules ask for one every so many
    days (``audit_every_days`` > 0) and whose last internal evaluation was opened longer ago than that (or
    never): the orders delivered in the last that many days up to yesterday, ``audit_sample_size`` of them.
    A store without a delivery in the period is left for the next day. Idempotent: the store's row is locked
    and the last evaluation read again, so a second run (or a second worker) opens none. Returns how many."""
    now = now or timezone.now()
    kept = {row.store_id: row for row in QualitySettings.all_objects.all()}
    opened = 0
    for store in Store.all_objects.filter(is_active=True).order_by("code"):
        rules = kept.get(store.pk) or quality_settings(store)
        every = rules.audit_every_days
        if every <= 0:
            continue
        with transaction.atomic():
            Store.all_objects.select_for_update().filter(pk=store.pk).first()
            last = QualityAudit.all_objects.filter(store=store, kind=K.INTERNAL).order_by("-created_at").first()
            calendar = store_calendar(store)
            today = calendar.local_date(now)
            # By the store's days, not to the second: a run a little earlier than the last one's still opens.
            if last is not None and calendar.local_date(last.created_at) > today - timedelta(days=every):
                continue
            data = AuditIn(
                kind=K.INTERNAL,
                auditor=schedule_auditor(),
                standard=schedule_standard(),
                period_from=today - timedelta(days=every),
                period_to=today - timedelta(days=1),
                sample_size=rules.audit_sample_size,
            )
            try:
                _open(None, store, data, today)
            except ApplicationError as error:
                if error.code != "empty":
                    raise
                continue
            opened += 1
    return opened


# --- reviewing the sample --------------------------------------------------------------------------------


def sample_review(
    *,
    actor: User,
    sample_id: int,
    result: str,
    score: int | None = None,
    note: str = "",
    audit_id: int | None = None,
) -> AuditSample:
    """Review a sampled order (``quality.audit``): it meets the standard, or a finding is raised (say what in
    the note); a score of 1 to 5 when given. Reviewed again while the evaluation is open."""
    sample = _record_of(AuditSample, sample_id, audit_id)
    audit_for(actor=actor, audit_id=sample.audit_id, permission=PERMISSION)
    errors: dict[str, list[str]] = {}
    if result not in (S.PASS, S.FINDING):
        errors["result"] = [_("Choose whether it meets the standard or a finding is raised.")]
    if score is not None and not 1 <= score <= 5:
        errors["score"] = [_("Score from 1 to 5.")]
    missing = _("Say what was found.") if result == S.FINDING else None
    note = _text(errors, "note", note, TEXT_MAX, missing)
    _problems(errors)
    with transaction.atomic():
        found = audit_for(actor=actor, audit_id=sample.audit_id, permission=PERMISSION, for_update=True)
        _open_only(found)
        sample = AuditSample.objects.select_related("order").get(pk=sample.pk)
        before = {"result": sample.result, "score": sample.score, "note": sample.note}
        sample.result, sample.score, sample.note = result, score, note
        sample.reviewed_by, sample.reviewed_at = actor, timezone.now()
        sample.save()
        audit(
            actor=actor,
            store_id=found.store_id,
            action="audit_sample_review",
            object_type="quality.qualityaudit",
            object_id=found.pk,
            object_repr=found.number,
            changes={
                "order": sample.order.number,
                "before": before,
                "after": {"result": result, "score": score, "note": note},
            },
        )
    return sample


# --- closing the evaluation ------------------------------------------------------------------------------


def audit_close(*, actor: User, audit_id: int, summary: str) -> QualityAudit:
    """Close the evaluation with its conclusion (``quality.audit``): only once every sampled order is reviewed
    and every finding closed (409 saying what is left). Nothing on it changes afterwards."""
    audit_for(actor=actor, audit_id=audit_id, permission=PERMISSION)
    errors: dict[str, list[str]] = {}
    summary = _text(errors, "summary", summary, SUMMARY_MAX, _("Write the evaluation's conclusion."))
    _problems(errors)
    with transaction.atomic():
        found = audit_for(actor=actor, audit_id=audit_id, permission=PERMISSION, for_update=True)
        _open_only(found)
        unreviewed = AuditSample.objects.filter(audit=found, result=S.PENDING).count()
        open_findings = AuditFinding.objects.filter(audit=found).exclude(state=FS.CLOSED).count()
        left = []
        if unreviewed:
            left.append(
                ngettext(
                    "%(n)d sampled order is not reviewed yet.", "%(n)d sampled orders are not reviewed yet.", unreviewed
                )
                % {"n": unreviewed}
            )
        if open_findings:
            left.append(
                ngettext("%(n)d finding is not closed yet.", "%(n)d findings are not closed yet.", open_findings)
                % {"n": open_findings}
            )
        if left:
            raise ConflictError(" ".join([*left, _("The evaluation closes after them.")]), code="not_done")
        found.state, found.summary = QualityAudit.State.CLOSED, summary
        found.closed_by, found.closed_at = actor, timezone.now()
        found.save(actor=actor)  # its audit entry: open -> closed, the conclusion, by whom
    return found


# --- reads ---------------------------------------------------------------------------------------------


def _count(model: type[Any], condition: Q) -> Any:
    rows = (
        model.objects.filter(condition, audit=OuterRef("pk"))
        .order_by()
        .values("audit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def audits_of(store_id: int, *, state: str | None = None, today: date | None = None) -> QuerySet[QualityAudit]:
    """The store's evaluations, newest first, each with ``drawn``, ``reviewed``, ``open_findings`` and
    ``overdue_findings`` (not closed, due before ``today``) counted: one query."""
    today = today or timezone.localdate()
    rows = QualityAudit.all_objects.filter(store_id=store_id)
    if state:
        rows = rows.filter(state=state)
    return (
        rows.select_related("store", "created_by", "closed_by")
        .annotate(
            drawn=_count(AuditSample, Q()),
            reviewed=_count(AuditSample, ~Q(result=S.PENDING)),
            open_findings=_count(AuditFinding, ~Q(state=FS.CLOSED)),
            overdue_findings=_count(AuditFinding, ~Q(state=FS.CLOSED) & Q(due_on__lt=today)),
        )
        .order_by("-created_at", "-pk")
    )


@dataclass
class SampleRow:
    """A sampled order as the evaluation shows it: when it went back to the customer, and the customer's own
    rating and comment at delivery (the feedback collected) beside the review."""

    sample: AuditSample
    delivered_at: datetime | None
    rating: int | None
    comment: str


def audit_samples(found: QualityAudit) -> list[SampleRow]:
    """The evaluation's sample in the order drawn, with each order's delivery: one query."""
    rows = AuditSample.objects.filter(audit=found).select_related(
        "order__vehicle", "order__advisor", "order__visit__delivery", "reviewed_by"
    )
    out = []
    for sample in rows.order_by("position"):
        visit = sample.order.visit
        delivery = getattr(visit, "delivery", None)
        out.append(
            SampleRow(
                sample=sample,
                delivered_at=delivery.delivered_at if delivery is not None else visit.left_at,
                rating=delivery.rating if delivery is not None else None,
                comment=delivery.comment if delivery is not None else "",
            )
        )
    return out
