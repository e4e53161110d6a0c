"""Quality evaluations (质量评估, QC-4): the store's evaluations, opening one (a random sample of the orders
delivered in its period, drawn with a stored seed), reviewing each sampled order beside the customer's own
rating and comment, findings with their corrective actions tracked to closure, and closing the evaluation.

Refusals: no order delivered in the period is 422 on ``period_from``; a finding's owner who is not active
staff of the store is 422 on ``owner``; anything on a closed evaluation, a finding closed before its action
is recorded, or an evaluation closed with samples unreviewed or findings open is 409. Nothing is written."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_calendar
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.quality import services
from aftersales.quality.api.common import STATE_ERRORS, local, person
from aftersales.quality.models import AuditFinding, QualityAudit
from aftersales.quality.services.audits import (
    AUDITOR_MAX,
    SAMPLE_MAX,
    STANDARD_MAX,
    SUMMARY_MAX,
    TEXT_MAX,
    SampleRow,
    audit_findings,
    audit_for,
    audit_samples,
    audits_of,
    finding_overdue,
)
from aftersales.workshop.api.common import RecordId

router = Router(tags=["quality"])

AuditKindName = Literal["internal", "third_party"]
AuditStateName = Literal["open", "closed"]
SampleResultName = Literal["", "pass", "finding"]
SeverityName = Literal["minor", "major", "critical"]
FindingStateName = Literal["open", "actioned", "closed"]
LIST_MAX = 200


class QualityAuditOut(Schema):
    id: int
    store: str
    number: str
    kind: AuditKindName
    auditor: str = Field(description="Who carries it out: a name or an organisation.")
    standard: str
    period_from: date = Field(description="The orders sampled were delivered from this day (the store's days) ...")
    period_to: date = Field(description="... to this day, both included.")
    sample_size: int = Field(description="How many orders were asked for.")
    drawn: int = Field(description="How many the sample holds: fewer than asked when fewer were delivered.")
    seed: str = Field(
        description="Draws the sample again: random.Random(seed).sample(sorted ids of the orders delivered in the "
        "period, min(sample_size, their number))."
    )
    state: AuditStateName
    summary: str = Field(description="The conclusion, written when it closes.")
    reviewed: int = Field(description="Sampled orders reviewed.")
    open_findings: int = Field(description="Findings not closed yet.")
    overdue_findings: int = Field(description="Of those, due before today.")
    created_by: int | None = Field(description="Null: opened by the schedule.")
    created_by_name: str | None
    created_at: datetime
    closed_by: int | None
    closed_by_name: str | None
    closed_at: datetime | None


class AuditSampleOut(Schema):
    id: int
    position: int = Field(description="Its place in the draw.")
    order: int
    order_number: str
    plate: str
    delivered_on: date | None = Field(description="The day the car went back to the customer (the store's day).")
    advisor: int
    advisor_name: str | None
    rating: int | None = Field(description="The customer's own satisfaction (1-5) at delivery.")
    comment: str = Field(description="The customer's own comment at delivery.")
    result: SampleResultName = Field(description="Empty: not reviewed yet.")
    score: int | None
    note: str
    reviewed_by: int | None
    reviewed_by_name: str | None
    reviewed_at: datetime | None


class AuditFindingOut(Schema):
    id: int
    sample: int | None = Field(description="The sampled order it is about; null: the evaluation as a whole.")
    order_number: str | None
    severity: SeverityName
    description: str
    corrective_action: str
    owner: int
    owner_name: str | None
    due_on: date
    overdue: bool = Field(description="Not closed and due before today.")
    state: FindingStateName
    action_taken: str
    actioned_by: int | None
    actioned_by_name: str | None
    actioned_at: datetime | None
    verification: str
    closed_by: int | None
    closed_by_name: str | None
    closed_at: datetime | None
    created_by: int
    created_at: datetime


class QualityAuditDetailOut(QualityAuditOut):
    samples: list[AuditSampleOut]
    findings: list[AuditFindingOut]


def _audit_out(row: QualityAudit, counts: dict[str, int]) -> dict[str, Any]:
    store = row.store
    return {
        "id": row.pk,
        "store": store.code,
        "number": row.number,
        "kind": row.kind,
        "auditor": row.auditor,
        "standard": row.standard,
        "period_from": row.period_from,
        "period_to": row.period_to,
        "sample_size": row.sample_size,
        "seed": row.seed,
        "state": row.state,
        "summary": row.summary,
        **counts,
        "created_by": row.created_by_id,
        "created_by_name": person(row.created_by),
        "created_at": local(row.created_at, store),
        "closed_by": row.closed_by_id,
        "closed_by_name": person(row.closed_by),
        "closed_at": local(row.closed_at, store),
    }


def _listed(row: Any) -> dict[str, Any]:
    counts = ("drawn", "reviewed", "open_findings", "overdue_findings")
    return _audit_out(row, {name: getattr(row, name) for name in counts})


def _sample_out(row: SampleRow, found: QualityAudit) -> dict[str, Any]:
    sample, order = row.sample, row.sample.order
    calendar = store_calendar(found.store)
    return {
        "id": sample.pk,
        "position": sample.position,
        "order": order.pk,
        "order_number": order.number,
        "plate": order.vehicle.plate or order.vehicle.vin,
        "delivered_on": calendar.local_date(row.delivered_at) if row.delivered_at else None,
        "advisor": order.advisor_id,
        "advisor_name": person(order.advisor),
        "rating": row.rating,
        "comment": row.comment,
        "result": sample.result,
        "score": sample.score,
        "note": sample.note,
        "reviewed_by": sample.reviewed_by_id,
        "reviewed_by_name": person(sample.reviewed_by),
        "reviewed_at": local(sample.reviewed_at, found.store),
    }


def _finding_out(row: AuditFinding, found: QualityAudit, today: date) -> dict[str, Any]:
    store = found.store
    return {
        "id": row.pk,
        "sample": row.sample_id,
        "order_number": row.sample.order.number if row.sample else None,
        "severity": row.severity,
        "description": row.description,
        "corrective_action": row.corrective_action,
        "owner": row.owner_id,
        "owner_name": person(row.owner),
        "due_on": row.due_on,
        "overdue": finding_overdue(row, today),
        "state": row.state,
        "action_taken": row.action_taken,
        "actioned_by": row.actioned_by_id,
        "actioned_by_name": person(row.actioned_by),
        "actioned_at": local(row.actioned_at, store),
        "verification": row.verification,
        "closed_by": row.closed_by_id,
        "closed_by_name": person(row.closed_by),
        "closed_at": local(row.closed_at, store),
        "created_by": row.created_by_id,
        "created_at": local(row.created_at, store),
    }


def _detail(request: HttpRequest, audit_id: int) -> dict[str, Any]:
    found = audit_for(actor=request_user(request), audit_id=audit_id)
    today = store_calendar(found.store).local_date(timezone.now())
    [row] = audits_of(found.store_id, today=today).filter(pk=found.pk)
    answer = _listed(row)
    answer["samples"] = [_sample_out(sample, row) for sample in audit_samples(row)]
    answer["findings"] = [_finding_out(finding, row, today) for finding in audit_findings(row)]
    return answer


class QualityAuditQuery(InputSchema):
    store: StoreCode
    state: AuditStateName | None = Field(default=None, description="Default: every state.")


@router.get("/quality-audits", response={200: list[QualityAuditOut], **STATE_ERRORS})
@operation("quality.view")
def quality_audit_list(request: HttpRequest, query: Query[QualityAuditQuery]) -> list[dict[str, Any]]:
    """The store's quality evaluations, newest first (at most 200), with their progress."""
    store = store_of(request, query.store, "quality.view")
    today = store_calendar(store).local_date(timezone.now())
    return [_listed(row) for row in audits_of(store.pk, state=query.state, today=today)[:LIST_MAX]]


class QualityAuditOpenIn(InputSchema):
    store: StoreCode
    kind: AuditKindName
    auditor: str = Field(max_length=AUDITOR_MAX, description="Who carries it out: a name or an organisation.")
    standard: str = Field(max_length=STANDARD_MAX, description="What the work is evaluated against.")
    period_from: date
    period_to: date = Field(description="Today at the latest.")
    sample_size: int = Field(ge=1, le=SAMPLE_MAX, description="Orders to draw (all of them when fewer).")


@router.post("/quality-audits", response={201: QualityAuditDetailOut, **STATE_ERRORS})
@operation("quality.audit")
def quality_audit_open(request: HttpRequest, payload: QualityAuditOpenIn) -> Status[dict[str, Any]]:
    """Open an evaluation and draw its sample: the store's orders delivered in the period, at random."""
    store = store_of(request, payload.store, "quality.audit")
    found = services.audit_open(
        actor=request_user(request),
        store_id=store.pk,
        data=services.AuditIn(
            kind=payload.kind,
            auditor=payload.auditor,
            standard=payload.standard,
            period_from=payload.period_from,
            period_to=payload.period_to,
            sample_size=payload.sample_size,
        ),
    )
    return Status(201, _detail(request, found.pk))


@router.get("/quality-audits/{id:audit_id}", response={200: QualityAuditDetailOut, **STATE_ERRORS})
@operation("quality.view")
def quality_audit_detail(request: HttpRequest, audit_id: int) -> dict[str, Any]:
    """One evaluation with its sample (each order beside the customer's own rating and comment) and findings."""
    return _detail(request, audit_id)


class AuditReviewIn(InputSchema):
    result: Literal["pass", "finding"] = Field(description="Meets the standard, or a finding is raised.")
    score: int | None = Field(default=None, ge=1, le=5)
    note: str = Field(
        default="", max_length=TEXT_MAX, description="Required for a finding.", json_schema_extra=inputs.MULTILINE
    )


@router.post(
    "/quality-audits/{id:audit_id}/samples/{id:sample_id}/review",
    response={200: QualityAuditDetailOut, **STATE_ERRORS},
)
@operation("quality.audit")
def quality_audit_sample_review(
    request: HttpRequest, audit_id: int, sample_id: int, payload: AuditReviewIn
) -> dict[str, Any]:
    """Review a sampled order (again, while the evaluation is open)."""
    services.sample_review(
        actor=request_user(request),
        audit_id=audit_id,
        sample_id=sample_id,
        result=payload.result,
        score=payload.score,
        note=payload.note,
    )
    return _detail(request, audit_id)


class AuditFindingAddIn(InputSchema):
    sample: RecordId | None = Field(default=None, description="A sampled order of it; null: the whole evaluation.")
    severity: SeverityName
    description: str = Field(max_length=TEXT_MAX, json_schema_extra=inputs.MULTILINE)
    corrective_action: str = Field(max_length=TEXT_MAX, json_schema_extra=inputs.MULTILINE)
    owner: RecordId = Field(description="Active staff of the store: told in-app.")
    due_on: date = Field(description="Today or later.")


@router.post("/quality-audits/{id:audit_id}/findings", response={201: QualityAuditDetailOut, **STATE_ERRORS})
@operation("quality.audit")
def quality_audit_finding_add(
    request: HttpRequest, audit_id: int, payload: AuditFindingAddIn
) -> Status[dict[str, Any]]:
    """Record a finding, the corrective action asked for, its owner and due day."""
    services.finding_add(
        actor=request_user(request),
        audit_id=audit_id,
        data=services.AuditFindingIn(
            sample_id=payload.sample,
            severity=payload.severity,
            description=payload.description,
            corrective_action=payload.corrective_action,
            owner_id=payload.owner,
            due_on=payload.due_on,
        ),
    )
    return Status(201, _detail(request, audit_id))


class AuditFindingActionIn(InputSchema):
    action_taken: str = Field(max_length=TEXT_MAX, json_schema_extra=inputs.MULTILINE)


@router.post(
    "/quality-audits/{id:audit_id}/findings/{id:finding_id}/action",
    response={200: QualityAuditDetailOut, **STATE_ERRORS},
)
@operation("quality.view")
def quality_audit_finding_action(
    request: HttpRequest, audit_id: int, finding_id: int, payload: AuditFindingActionIn
) -> dict[str, Any]:
    """Record the corrective action taken: the finding's owner, or who holds ``quality.audit`` (403 otherwise)."""
    services.finding_action(
        actor=request_user(request), audit_id=audit_id, finding_id=finding_id, action_taken=payload.action_taken
    )
    return _detail(request, audit_id)


class AuditFindingCloseIn(InputSchema):
    verification: str = Field(max_length=TEXT_MAX, json_schema_extra=inputs.MULTILINE)


@router.post(
    "/quality-audits/{id:audit_id}/findings/{id:finding_id}/close",
    response={200: QualityAuditDetailOut, **STATE_ERRORS},
)
@operation("quality.audit")
def quality_audit_finding_close(
    request: HttpRequest, audit_id: int, finding_id: int, payload: AuditFindingCloseIn
) -> dict[str, Any]:
    """Close a finding whose action is recorded, saying how its effect was verified."""
    services.finding_close(
        actor=request_user(request), audit_id=audit_id, finding_id=finding_id, verification=payload.verification
    )
    return _detail(request, audit_id)


class QualityAuditCloseIn(InputSchema):
    summary: str = Field(max_length=SUMMARY_MAX, json_schema_extra=inputs.MULTILINE)


@router.post("/quality-audits/{id:audit_id}/close", response={200: QualityAuditDetailOut, **STATE_ERRORS})
@operation("quality.audit")
def quality_audit_close(request: HttpRequest, audit_id: int, payload: QualityAuditCloseIn) -> dict[str, Any]:
    """Close the evaluation with its conclusion, once every sampled order is reviewed and every finding closed."""
    services.audit_close(actor=request_user(request), audit_id=audit_id, summary=payload.summary)
    return _detail(request, audit_id)
