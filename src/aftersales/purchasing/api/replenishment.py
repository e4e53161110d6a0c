"""Replenishment: suggestions from reorder points, drafts made from them, rules set by hand."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, Page
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, parts_of, q3, store_of
from aftersales.purchasing import services
from aftersales.purchasing.api.orders import OrderDetailOut, order_detail_out

router = Router(tags=["replenishment"])


class SuggestionOut(Schema):
    part: str
    name: str
    on_hand: Decimal
    on_order: Decimal
    reserved: Decimal
    position: Decimal = Field(description="On hand + on order − reserved.")
    reorder_point: Decimal
    order_up_to: Decimal
    quantity: Decimal = Field(description="Order up to − position, rounded up to the unit.")
    supplier: int | None = Field(description="The brand's parts centre; null: none set up.")
    last_price: Decimal | None
    next_order_day: date | None = Field(
        description="The supplier's next order day: the first day from the store's today on one of its order days "
        "(today when it takes orders any day); null: no supplier."
    )


class StoreIn(InputSchema):
    store: StoreCode


class SuggestionQuery(InputSchema):
    store: StoreCode
    supplier: int | None = Field(default=None, ge=1, le=2**62, description="Only this supplier's.")
    order_day: date | None = Field(default=None, description="Only those whose next order day is this day.")
    limit: int = Field(default=100, ge=1, le=500, description="Page size (at most 500).")
    offset: int = Field(default=0, ge=0, le=10**9, description="Rows to skip.")


@router.get("/replenishment", response={200: Page[SuggestionOut], **ERRORS})
@operation("purchasing.view")
def replenishment_suggestions(request: HttpRequest, query: Query[SuggestionQuery]) -> dict[str, Any]:
    """The store's parts at or below their reorder point, with what to order, by order day, supplier, part number."""
    store = store_of(request, query.store, "purchasing.view")
    rows = services.suggestions(store_id=store.pk)
    if query.supplier is not None:
        rows = [row for row in rows if row.supplier_id == query.supplier]
    if query.order_day is not None:
        rows = [row for row in rows if row.next_order_day == query.order_day]
    page = rows[query.offset : query.offset + query.limit]
    return {
        "count": len(rows),
        "limit": query.limit,
        "offset": query.offset,
        "items": [
            {
                "part": row.number,
                "name": row.name,
                "on_hand": q3(row.on_hand),
                "on_order": q3(row.on_order),
                "reserved": q3(row.reserved),
                "position": q3(row.position),
                "reorder_point": q3(row.reorder_point),
                "order_up_to": q3(row.order_up_to),
                "quantity": q3(row.quantity),
                "supplier": row.supplier_id,
                "last_price": row.last_price,
                "next_order_day": row.next_order_day,
            }
            for row in page
        ],
    }


class OrderFromIn(InputSchema):
    store: StoreCode
    supplier: int = Field(ge=1, le=2**62)


@router.post("/replenishment/orders", response={201: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def replenishment_order(request: HttpRequest, payload: OrderFromIn) -> Status[dict[str, Any]]:
    """Turn a supplier's suggestions into one draft stock order."""
    store = store_of(request, payload.store, "purchasing.order")
    order = services.suggestions_order(actor=request_user(request), store_id=store.pk, supplier_id=payload.supplier)
    return Status(201, order_detail_out(request, order))


class RuleIn(InputSchema):
    store: StoreCode
    part: str = Field(min_length=1, max_length=60)
    reorder_point: Decimal = Field(ge=0, max_digits=14, decimal_places=3)
    order_up_to: Decimal = Field(ge=0, max_digits=14, decimal_places=3)


class RuleOut(Schema):
    part: str
    reorder_point: Decimal
    order_up_to: Decimal
    manual: bool


@router.put("/replenishment/rules", response={200: RuleOut, **ERRORS})
@operation("purchasing.order")
def replenishment_rule(request: HttpRequest, payload: RuleIn) -> dict[str, Any]:
    """Set a part's reorder point and order-up-to level by hand (the nightly computing keeps it)."""
    store = store_of(request, payload.store, "purchasing.order")
    part = parts_of(store, [payload.part], field="part")[payload.part]
    rule = services.reorder_rule_set(
        actor=request_user(request),
        store_id=store.pk,
        part_id=part.pk,
        reorder_point=payload.reorder_point,
        order_up_to=payload.order_up_to,
    )
    return {
        "part": part.number_display,
        "reorder_point": q3(rule.reorder_point),
        "order_up_to": q3(rule.order_up_to),
        "manual": rule.manual,
    }


class ComputedOut(Schema):
    rules: int


@router.post("/replenishment/compute", response={200: ComputedOut, **ERRORS})
@operation("purchasing.order")
def replenishment_compute(request: HttpRequest, payload: StoreIn) -> dict[str, Any]:
    """Compute the store's reorder points now (the nightly job does it every night)."""
    store = store_of(request, payload.store, "purchasing.order")
    return {"rules": services.reorder_points_compute(store_id=store.pk)}
