"""Reservations: reserve many demand lines at once, repoint, release."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.parts import services
from aftersales.parts.api.common import DemandType, Quantity, StoreCode, parts_of, q3, store_of
from aftersales.parts.models import Reservation
from aftersales.parts.selectors import stock as selectors
from aftersales.parts.services import Demand

router = Router(tags=["stock"])


# --- reservations ----------------------------------------------------------------------------------


class ReservationOut(Schema):
    id: int
    store: str
    part: str
    warehouse: str
    bin: str
    quantity: Decimal
    demand_type: str
    demand_id: int
    demand_line_id: int | None
    expires_at: datetime | None
    created_at: datetime


def reservation_out(row: Reservation) -> dict[str, Any]:
    return {
        "id": row.pk,
        "store": row.store.code,
        "part": row.part.number_display,
        "warehouse": row.bin.warehouse.code,
        "bin": row.bin.code,
        "quantity": row.quantity,
        "demand_type": row.demand_type,
        "demand_id": row.demand_id,
        "demand_line_id": row.demand_line_id,
        "expires_at": row.expires_at,
        "created_at": row.created_at,
    }


class ReservationQuery(ListQuery):
    store: StoreCode | None = None
    demand_type: DemandType | None = None
    demand_id: int | None = Field(default=None, ge=1, le=2**62)


@router.get("/stock/reservations", response={200: Page[ReservationOut], **ERRORS})
@operation("parts.view")
def reservation_list(request: HttpRequest, query: Query[ReservationQuery]) -> dict[str, Any]:
    rows = selectors.reservations(
        store_ids=stores_with(request_user(request), "parts.view"),
        demand_type=query.demand_type,
        demand_id=query.demand_id,
    )
    if query.store:
        rows = rows.filter(store__code=query.store)
    page = paginate(rows, query, ordering_fields=("created_at",), default_ordering=("-created_at",))
    page["items"] = [reservation_out(row) for row in page["items"]]
    return page


class DemandIn(InputSchema):
    part: str = Field(max_length=60)
    quantity: Quantity
    demand_type: DemandType
    demand_id: int = Field(ge=1, le=2**62)
    demand_line_id: int | None = Field(default=None, ge=1, le=2**62)
    expires_at: datetime | None = Field(default=None, description="Appointments only.")
    bin: int | None = Field(default=None, ge=1)


class ReserveIn(InputSchema):
    store: StoreCode
    allow_partial: bool = Field(
        default=False, description="Reserve what there is and report the shortfalls, instead of refusing all."
    )
    demands: list[DemandIn] = Field(min_length=1, max_length=20_000)


class ShortfallOut(Schema):
    part: str
    short: Decimal


class ReserveOut(Schema):
    reservations: int
    quantity: Decimal
    shortfalls: list[ShortfallOut]


@router.post("/stock/reservations", response={201: ReserveOut, **ERRORS})
@operation("stock.reserve")
def reservation_create(request: HttpRequest, payload: ReserveIn) -> Status[dict[str, Any]]:
    """Reserve stock for many demand lines in one call: all or none (unless ``allow_partial``)."""
    store = store_of(request, payload.store, "stock.reserve")
    parts = parts_of(store, [demand.part for demand in payload.demands], field="demands")
    result = services.stock_reserve(
        actor=request_user(request),
        store_id=store.pk,
        demands=[
            Demand(
                parts[demand.part].pk,
                demand.quantity,
                demand.demand_type,
                demand.demand_id,
                demand.demand_line_id,
                demand.expires_at,
                demand.bin,
            )
            for demand in payload.demands
        ],
        allow_partial=payload.allow_partial,
    )
    return Status(
        201,
        {
            "reservations": len(result.reservations),
            "quantity": q3(sum((row.quantity for row in result.reservations), Decimal(0))),
            "shortfalls": result.shortfalls,
        },
    )


class RepointIn(InputSchema):
    demand_type: DemandType
    demand_id: int = Field(ge=1, le=2**62)
    demand_line_id: int | None = Field(default=None, ge=1, le=2**62)
    quantity: Quantity | None = None


@router.post("/stock/reservations/{id:reservation_id}/repoint", response={200: ReservationOut, **ERRORS})
@operation("stock.reserve")
def reservation_repoint(request: HttpRequest, reservation_id: int, payload: RepointIn) -> dict[str, Any]:
    """Hand (part of) a reservation to another demand: an appointment's pre-pick to the order's line."""
    store_ids = stores_with(request_user(request), "stock.reserve")
    row = Reservation.objects.filter(pk=reservation_id).first()
    if row is None or (store_ids is not None and row.store_id not in store_ids):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    moved = services.reservation_repoint(
        actor=request_user(request),
        reservation_id=row.pk,
        demand_type=payload.demand_type,
        demand_id=payload.demand_id,
        demand_line_id=payload.demand_line_id,
        quantity=payload.quantity,
    )
    return reservation_out(selectors.reservations(store_ids=None).get(pk=moved.pk))


class ReleaseIn(InputSchema):
    store: StoreCode
    demand_type: DemandType
    demand_id: int = Field(ge=1, le=2**62)
    demand_line_id: int | None = Field(default=None, ge=1, le=2**62)


class ReleaseOut(Schema):
    released: Decimal


@router.post("/stock/reservations/release", response={200: ReleaseOut, **ERRORS})
@operation("stock.reserve")
def reservation_release(request: HttpRequest, payload: ReleaseIn) -> dict[str, Any]:
    """Release a demand's reservations (a whole document or one of its lines)."""
    store = store_of(request, payload.store, "stock.reserve")
    released = services.reservations_release(
        actor=request_user(request),
        store_id=store.pk,
        demand_type=payload.demand_type,
        demand_id=payload.demand_id,
        demand_line_id=payload.demand_line_id,
    )
    return {"released": released}
