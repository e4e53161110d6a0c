"""The parts desk's day before (APT-6): the bookings whose packages bring parts, reserving them for the
booking, staging them, and urgent orders for what the shelves lack."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.appointments import selectors, services
from aftersales.appointments.api.common import STATE_ERRORS, Day, PartsStatus, local
from aftersales.appointments.models import Appointment
from aftersales.appointments.services.prepick import PartNeed
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_today
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, q3, store_of

router = Router(tags=["appointments"])


class PrepickQuery(InputSchema):
    store: StoreCode
    date: Day | None = Field(default=None, description="The store's day; default: tomorrow.")


class PartNeedOut(Schema):
    part: str
    name: str
    needed: Decimal
    reserved: Decimal = Field(description="Reserved for the booking (its reservation's demand).")
    short: Decimal


class PrepickRowOut(Schema):
    id: int
    number: str
    starts_at: dt.datetime
    time: str = Field(description="HH:MM in the store's zone.")
    contact_name: str
    plate: str
    advisor: str | None
    parts_status: PartsStatus
    staged_at: dt.datetime | None
    parts: list[PartNeedOut]


class PrepickOut(Schema):
    store: str
    date: dt.date
    bookings: list[PrepickRowOut]


def _row(row: Appointment, needs: list[PartNeed]) -> dict[str, Any]:
    store = row.store
    starts_at = row.starts_at.astimezone(store.zone)
    return {
        "id": row.pk,
        "number": row.number,
        "starts_at": starts_at,
        "time": f"{starts_at:%H:%M}",
        "contact_name": row.contact_name,
        "plate": row.plate_text,
        "advisor": row.advisor.username if row.advisor else None,
        "parts_status": row.parts_status,
        "staged_at": local(row.staged_at, store),
        "parts": [
            {
                "part": need.number,
                "name": need.name,
                "needed": q3(need.quantity),
                "reserved": q3(need.reserved),
                "short": q3(need.short),
            }
            for need in needs
        ],
    }


@router.get("/appointments/prepick", response={200: PrepickOut, **ERRORS})
@operation("appointments.view")
def appointment_prepick_list(request: HttpRequest, query: Query[PrepickQuery]) -> dict[str, Any]:
    """The day's bookings whose packages bring parts, each part with what is needed and reserved."""
    store = store_of(request, query.store, "appointments.view")
    day = query.date or store_today(store) + dt.timedelta(days=1)
    rows = list(selectors.prepick_list(store, day))
    for row in rows:
        row.store = store
    needs = services.parts_needed(rows)
    return {"store": store.code, "date": day, "bookings": [_row(row, needs.get(row.pk, [])) for row in rows]}


def _answer(appointment: Appointment) -> dict[str, Any]:
    return _row(appointment, services.parts_needed([appointment]).get(appointment.pk, []))


@router.post("/appointments/{id:appointment_id}/prepick", response={200: PrepickRowOut, **STATE_ERRORS})
@operation("appointments.prepick")
def appointment_prepick(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    """Reserve what the booking's packages need and is not reserved yet; what the shelves lack marks the
    booking ``short`` and gives customer care a task."""
    return _answer(services.appointment_prepick(actor=request_user(request), appointment_id=appointment_id))


@router.post("/appointments/{id:appointment_id}/stage", response={200: PrepickRowOut, **STATE_ERRORS})
@operation("appointments.prepick")
def appointment_stage(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    """The reserved parts are in the staging area, labelled with the customer's name and date."""
    return _answer(services.appointment_stage(actor=request_user(request), appointment_id=appointment_id))


class UrgentOrderOut(Schema):
    id: int
    number: str
    supplier: str
    status: str


class PartsOrderOut(Schema):
    orders: list[UrgentOrderOut]


@router.post("/appointments/{id:appointment_id}/parts-order", response={201: PartsOrderOut, **STATE_ERRORS})
@operation("purchasing.order")
def appointment_parts_order(request: HttpRequest, appointment_id: int) -> Status[dict[str, Any]]:
    """Draft urgent orders (one per brand's parts centre) for what the booking still lacks, each line naming
    the booking as its demand, so that the delivery is reserved to it."""
    orders = services.appointment_parts_order(actor=request_user(request), appointment_id=appointment_id)
    return Status(
        201,
        {
            "orders": [
                {"id": order.pk, "number": order.number, "supplier": order.supplier.code, "status": order.status}
                for order in orders
            ]
        },
    )
