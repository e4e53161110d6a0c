"""Jobs (RO-5): the store's jobs, one job with its clock, corrections, notes, inspection record and
history; what the technician does on a job (accept it, clock on, pause with a reason, clock off with the
fault verified and a report, the in-process inspection record, additional findings) and the foreman's
clock corrections, kept beside the entries they correct. (A person's long-running imports and exports are
``/me/jobs``.)

Refusals: a job dispatched to someone else is 403 ``not_assigned``; clocking on while on the clock on
another job is 409 ``clocked_elsewhere``; a pause without its reason is 400 on ``reason``; clocking off
without what the line needs is 400 on ``inspection``, ``fault_verified`` or ``report``. Nothing is written."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import F, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.visits.models import Line
from aftersales.visits.services import LineIn
from aftersales.workshop import services
from aftersales.workshop.api.common import (
    STATE_ERRORS,
    ClockKind,
    JobState,
    Moment,
    PauseReason,
    RecordId,
    WorkshopJobDetailOut,
    WorkshopJobOut,
    job_answer,
    job_detail_out,
    job_out,
    job_rows,
    local,
    with_people,
)
from aftersales.workshop.models import ClockEvent, Team

router = Router(tags=["workshop"])


class JobQuery(ListQuery):
    store: StoreCode
    state: JobState | None = None
    technician: RecordId | None = Field(default=None, description="A technician's user id: their own jobs.")
    mine: bool = Field(default=False, description="Only the caller's jobs: their own and their teams'.")


@router.get("/jobs", response={200: Page[WorkshopJobOut], **STATE_ERRORS})
@operation("workshop.view")
def job_list(request: HttpRequest, query: Query[JobQuery]) -> dict[str, Any]:
    """The store's jobs, soonest deadline first (those without one last), by state, technician, or the
    caller's own (``mine``); ordered by ``deadline``, ``dispatched_at`` or ``state`` when asked."""
    store = store_of(request, query.store, "workshop.view")
    rows = job_rows().filter(store=store)
    if query.state:
        rows = rows.filter(state=query.state)
    if query.technician is not None:
        rows = rows.filter(technician_id=query.technician)
    if query.mine:
        user = request_user(request)
        teams = Team.objects.filter(Q(members=user) | Q(leader=user), store=store).values("pk")
        rows = rows.filter(Q(technician=user) | Q(team__in=teams))
    page = paginate(
        rows,
        query,
        ordering_fields=("deadline", "dispatched_at", "state"),
        default_ordering=(F("deadline").asc(nulls_last=True), "dispatched_at"),
    )
    page["items"] = [job_out(row) for row in with_people(page["items"])]
    return page


def _detail(request: HttpRequest, job_id: int) -> dict[str, Any]:
    services.job_access(actor=request_user(request), job_id=job_id, permission="workshop.view")
    return job_detail_out(job_id)


@router.get("/jobs/{id:job_id}", response={200: WorkshopJobDetailOut, **STATE_ERRORS})
@operation("workshop.view")
def job_detail(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """One job with its clock as it stands, every correction (what, from when to when, why, by whom), its
    notes, in-process inspection record, parts requests and history."""
    return _detail(request, job_id)


@router.post("/jobs/{id:job_id}/accept", response={200: WorkshopJobDetailOut, **STATE_ERRORS})
@operation("workshop.work")
def job_accept(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """Accept a job dispatched to the caller or their team (接单): 403 ``not_assigned`` for another's, 409
    once accepted."""
    services.job_accept(actor=request_user(request), job_id=job_id)
    return job_detail_out(job_id)


class ClockIn(InputSchema):
    action: ClockKind = Field(description="on: clock on (accepting the job if needed); pause; off: the job is done.")
    reason: PauseReason | None = Field(default=None, description="Why it is paused (required to pause).")
    note: str = Field(default="", max_length=300, description="Of a pause (required for the reason other).")
    fault_verified: bool = Field(
        default=False,
        description="Clocking off: the fault was verified fixed (验证故障排除); required on a line of a fault.",
    )
    report: str = Field(
        default="",
        max_length=2000,
        json_schema_extra=inputs.MULTILINE,
        description="Clocking off: a short service report (required on a fault's line).",
    )


@router.post("/jobs/{id:job_id}/clock", response={200: WorkshopJobOut, **STATE_ERRORS})
@operation("workshop.work")
def job_clock(request: HttpRequest, job_id: int, payload: ClockIn) -> dict[str, Any]:
    """Clock on, pause with a reason, or clock off a job the caller works; clocking off the last open
    labour of the order completes it. Answers the job as it stands (its clock: ``GET /jobs/{id}``)."""
    services.clock(
        actor=request_user(request),
        job_id=job_id,
        data=services.ClockIn(
            action=payload.action,
            reason=payload.reason or "",
            note=payload.note,
            fault_verified=payload.fault_verified,
            report=payload.report,
        ),
    )
    return job_answer(job_id)


class ClockCorrectIn(InputSchema):
    at: Moment = Field(description="The entry's right time: between the entries before and after it, not future.")
    reason: str = Field(max_length=300, description="Why it is corrected (required; kept with the correction).")


@router.post("/jobs/{id:job_id}/clock/{id:event_id}/correct", response={200: WorkshopJobDetailOut, **STATE_ERRORS})
@operation("workshop.correct")
def job_clock_correct(request: HttpRequest, job_id: int, event_id: int, payload: ClockCorrectIn) -> dict[str, Any]:
    """Correct the time of an entry of the job's clock (``workshop.correct``): a new entry replaces it
    with the reason and who made it; the old one stays. Without a reason: 400 on ``reason``; an entry
    corrected already: 409 (correct its newest version)."""
    if not ClockEvent.objects.filter(pk=event_id, job_id=job_id).exists():
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    services.clock_correct(actor=request_user(request), event_id=event_id, at=payload.at, reason=payload.reason)
    return job_detail_out(job_id)


class InspectionItemIn(InputSchema):
    item: str = Field(max_length=100, description="What was checked.")
    ok: bool
    note: str = Field(default="", max_length=200, description="What is wrong (required for an item not in order).")


class InspectionIn(InputSchema):
    items: list[InspectionItemIn] = Field(max_length=40)
    note: str = Field(default="", max_length=300)


@router.post("/jobs/{id:job_id}/inspection", response={200: WorkshopJobDetailOut, **STATE_ERRORS})
@operation("workshop.work")
def job_inspection(request: HttpRequest, job_id: int, payload: InspectionIn) -> dict[str, Any]:
    """Record the in-process inspection (过程检验) of a job whose repair category needs one (second-level
    maintenance, assembly and whole-vehicle repairs); recorded again, it replaces the earlier record."""
    services.inspection_record(
        actor=request_user(request),
        job_id=job_id,
        items=[services.InspectionItem(item=row.item, ok=row.ok, note=row.note) for row in payload.items],
        note=payload.note,
    )
    return job_detail_out(job_id)


Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=3)]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
LineKind = Literal["labour", "part", "customer_part", "sublet", "consumable", "fee"]
PayTypeCode = Literal[
    "customer",
    "insurance",
    "oem_warranty",
    "oem_campaign",
    "oem_free_service",
    "extended_warranty",
    "internal",
    "goodwill",
    "comeback",
]


class FindingIn(InputSchema):
    kind: LineKind
    pay_type: PayTypeCode = "customer"
    operation: RecordId | None = Field(default=None, description="Of labour: the catalogue's operation.")
    part: RecordId | None = Field(default=None, description="Of a part (or a consumable from stock): the part's id.")
    quantity: Quantity | None = Field(default=None, description="Units of a part; hours of labour (default: standard).")
    description: str = Field(default="", max_length=200, description="Default: the operation's or part's name.")
    unit_price: Money | None = Field(default=None, description="Tax incl.: of sublet work, consumables and fees.")
    cost: Money | None = Field(default=None, description="What sublet work costs the store.")
    supplier: RecordId | None = Field(default=None, description="Of sublet work.")
    fault_code: str = Field(default="", max_length=20, description="SAE J2012, e.g. P0301.")
    symptom: str = Field(default="", max_length=200)
    causal_part: RecordId | None = Field(default=None, description="The part that caused the fault.")


class FindingOut(Schema):
    id: int
    order: int
    position: int
    kind: LineKind
    state: str = Field(description="proposed: it needs its own approval before anyone works on it.")
    source: str = Field(description="additional: found during the work.")
    pay_type: PayTypeCode
    operation: int | None
    part: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal = Field(description="Tax incl.")
    amount: Decimal = Field(description="Tax incl.")
    fault_code: str
    symptom: str
    causal_part: int | None
    created_at: datetime


@router.post("/jobs/{id:job_id}/findings", response={201: FindingOut, **STATE_ERRORS})
@operation("workshop.work")
def job_finding(request: HttpRequest, job_id: int, payload: FindingIn) -> Status[dict[str, Any]]:
    """Report additional work found during the job: a new line of the order, ``proposed``, that needs the
    customer's (or the payer's) approval before anyone works on it. Every wrong field is named."""
    line = services.finding_report(
        actor=request_user(request),
        job_id=job_id,
        data=LineIn(
            kind=payload.kind,
            pay_type=payload.pay_type,
            operation_id=payload.operation,
            part_id=payload.part,
            quantity=payload.quantity,
            description=payload.description,
            unit_price=payload.unit_price,
            cost=payload.cost,
            supplier_id=payload.supplier,
            fault_code=payload.fault_code,
            symptom=payload.symptom,
            causal_part_id=payload.causal_part,
        ),
    )
    row = Line.all_objects.select_related("order__store").get(pk=line.pk)
    return Status(
        201,
        {
            "id": row.pk,
            "order": row.order_id,
            "position": row.position,
            "kind": row.kind,
            "state": row.state,
            "source": row.source,
            "pay_type": row.pay_type,
            "operation": row.operation_id,
            "part": row.part_id,
            "description": row.description,
            "quantity": Decimal(row.quantity).quantize(Decimal("0.001")),
            "unit_price": row.unit_price,
            "amount": row.amount,
            "fault_code": row.fault_code,
            "symptom": row.fault_symptom,
            "causal_part": row.causal_part_id,
            "created_at": local(row.created_at, row.order.store),
        },
    )
