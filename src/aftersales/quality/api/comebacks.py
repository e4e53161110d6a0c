"""Comebacks (返修, QC-2): the store's queue of orders flagged as possible comebacks of earlier work,
linking an order to earlier work by hand, the QC inspector's decision, and the comeback and internal
rework rates per technician, labour operation and store.

Refusals: an earlier order of another car is 422 on ``original_order``; a comeback decided already is 409;
confirming where a line of it is no longer proposed is 409; rejecting without a reason is 422 on
``note``. Nothing is written."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.access import can
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.quality import services
from aftersales.quality.api.common import STATE_ERRORS, local, person
from aftersales.quality.models import Comeback
from aftersales.quality.selectors import Rate, comeback_queue, comeback_rates
from aftersales.workshop.api.common import RecordId

router = Router(tags=["quality"])

ComebackState = Literal["flagged", "confirmed", "rejected"]
MatchName = Literal["category", "part", "fault"]


class ComebackLineOut(Schema):
    line: int = Field(description="The line of the new order.")
    position: int
    description: str
    original_line: int = Field(description="The delivered labour line of the earlier order it repeats.")
    original_position: int
    original_description: str
    matched_by: list[MatchName] = Field(description="Empty: linked by hand.")
    technician: int | None = Field(description="Who did the earlier work.")
    technician_name: str | None
    operation: int | None


class ComebackOut(Schema):
    id: int
    store: str
    state: ComebackState
    order: int
    order_number: str
    original: int
    original_number: str
    vehicle: int
    plate: str
    in_guarantee: bool = Field(description="Inside a running repair guarantee (else inside the store's window).")
    lines: list[ComebackLineOut]
    flagged_at: datetime
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None
    note: str


def comeback_out(row: Comeback) -> dict[str, Any]:
    store = row.store
    return {
        "id": row.pk,
        "store": store.code,
        "state": row.state,
        "order": row.order_id,
        "order_number": row.order.number,
        "original": row.original_id,
        "original_number": row.original.number,
        "vehicle": row.vehicle_id,
        "plate": row.vehicle.plate,
        "in_guarantee": row.in_guarantee,
        "lines": [
            {
                "line": item.line_id,
                "position": item.line.position,
                "description": item.line.description,
                "original_line": item.original_line_id,
                "original_position": item.original_line.position,
                "original_description": item.original_line.description,
                "matched_by": item.matched_by,
                "technician": item.technician_id,
                "technician_name": person(item.technician),
                "operation": item.operation_id,
            }
            for item in sorted(row.lines.all(), key=lambda item: (item.line.position, item.original_line.position))
        ],
        "flagged_at": local(row.flagged_at, store),
        "decided_by": row.decided_by_id,
        "decided_by_name": person(row.decided_by),
        "decided_at": local(row.decided_at, store),
        "note": row.note,
    }


def _one(comeback_id: int) -> dict[str, Any]:
    row = (
        Comeback.all_objects.filter(pk=comeback_id)
        .select_related("order", "original", "vehicle", "decided_by", "store")
        .prefetch_related("lines__line", "lines__original_line", "lines__technician")
        .get()
    )
    return comeback_out(row)


class ComebackQuery(InputSchema):
    store: StoreCode
    state: ComebackState = "flagged"


@router.get("/comebacks", response={200: list[ComebackOut], **STATE_ERRORS})
@operation("quality.view")
def comeback_list(request: HttpRequest, query: Query[ComebackQuery]) -> list[dict[str, Any]]:
    """The store's comebacks in a state (default: to be decided), newest first (at most 200)."""
    store = store_of(request, query.store, "quality.view")
    return [comeback_out(row) for row in comeback_queue([store.pk], state=query.state)]


class ComebackFlagIn(InputSchema):
    order: RecordId = Field(description="The new repair order.")
    original_order: RecordId = Field(description="The earlier, delivered repair order of the same car.")
    lines: list[tuple[RecordId, RecordId]] = Field(
        min_length=1, max_length=200, description="Pairs: a line of the new order, the earlier labour line it repeats."
    )
    note: str = Field(default="", max_length=300)


@router.post("/comebacks", response={201: ComebackOut, **STATE_ERRORS})
@operation("visits.qc_confirm")
def comeback_create(request: HttpRequest, payload: ComebackFlagIn) -> Status[dict[str, Any]]:
    """Link a new order to earlier work on the same car by hand, as a comeback to be decided."""
    comeback = services.comeback_flag(
        actor=request_user(request),
        data=services.FlagIn(
            order_id=payload.order,
            original_order_id=payload.original_order,
            lines=[(line, original) for line, original in payload.lines],
            note=payload.note,
        ),
    )
    return Status(201, _one(comeback.pk))


class ComebackDecisionIn(InputSchema):
    confirm: bool = Field(description="True: a comeback (free to the customer, at the store's cost).")
    note: str = Field(default="", max_length=300, description="Why not (required to reject).")


@router.post("/comebacks/{id:comeback_id}/decision", response={200: ComebackOut, **STATE_ERRORS})
@operation("visits.qc_confirm")
def comeback_decision(request: HttpRequest, comeback_id: int, payload: ComebackDecisionIn) -> dict[str, Any]:
    """Confirm a flagged comeback (its lines become the ``comeback`` pay type, approved by the QC
    confirmation) or reject it with the reason."""
    services.comeback_decide(
        actor=request_user(request), comeback_id=comeback_id, confirm=payload.confirm, note=payload.note
    )
    return _one(comeback_id)


@router.get("/comebacks/{id:comeback_id}", response={200: ComebackOut, **STATE_ERRORS})
@operation("quality.view")
def comeback_detail(request: HttpRequest, comeback_id: int) -> dict[str, Any]:
    """One comeback with its lines."""
    row = Comeback.all_objects.filter(pk=comeback_id).first()
    if row is None or not can(request_user(request), "quality.view", store_id=row.store_id):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return _one(comeback_id)


class ComebackRateOut(Schema):
    id: int | None
    name: str
    delivered: int = Field(description="Labour lines delivered in the period.")
    comebacks: int = Field(description="Of those, how many came back (confirmed comebacks).")
    comeback_rate: Decimal = Field(description="Comebacks per 100 lines delivered, one decimal.")
    reworks: int = Field(description="Of those, how many the final inspection sent back (internal rework).")


class ComebackRatesOut(Schema):
    since: date
    until: date
    technicians: list[ComebackRateOut]
    operations: list[ComebackRateOut]
    stores: list[ComebackRateOut]


class ComebackRatesQuery(InputSchema):
    store: StoreCode
    since: date | None = Field(default=None, description="Default: 90 days before ``until``.")
    until: date | None = Field(default=None, description="Default: today in the store's zone.")


def _rate(rate: Rate) -> dict[str, Any]:
    return {
        "id": rate.key,
        "name": rate.name,
        "delivered": rate.delivered,
        "comebacks": rate.comebacks,
        "comeback_rate": rate.comeback_rate,
        "reworks": rate.reworks,
    }


@router.get("/comebacks/rates", response={200: ComebackRatesOut, **STATE_ERRORS})
@operation("quality.view")
def comeback_rate_report(request: HttpRequest, query: Query[ComebackRatesQuery]) -> dict[str, Any]:
    """Comeback and internal-rework rates per technician, labour operation and store over the labour lines
    delivered in a period."""
    store = store_of(request, query.store, "quality.view")
    until = query.until or store_calendar(store).local_date(timezone.now())
    since = query.since or until - timedelta(days=90)
    if since > until or (until - since).days > 3660:
        raise ApplicationError(
            _("Choose a period of at most ten years, ending after it starts."), field="since", status=422
        )
    rates = comeback_rates([store.pk], since=since, until=until)
    return {
        "since": since,
        "until": until,
        "technicians": [_rate(rate) for rate in rates.technicians],
        "operations": [_rate(rate) for rate in rates.operations],
        "stores": [_rate(rate) for rate in rates.stores],
    }
