"""Backorders (欠货): what sent orders still owe, the suppliers' confirmed dates, cancelling."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, q3, store_of
from aftersales.purchasing import selectors, services
from aftersales.purchasing.api.orders import OrderDetailOut, order_detail_out
from aftersales.purchasing.models import PurchaseOrderLine

router = Router(tags=["backorders"])


class BackorderOut(Schema):
    id: int
    order: str
    order_id: int
    supplier: str
    line: int
    part: str
    name: str
    ordered: Decimal
    received: Decimal
    owed: Decimal
    expected_on: date | None
    days_late: int = Field(description="Days past the expected date (0: not late, or no date).")


def backorder_out(line: PurchaseOrderLine, today: date) -> dict[str, Any]:
    return {
        "id": line.pk,
        "order": line.order.number,
        "order_id": line.order_id,
        "supplier": line.order.supplier.code,
        "line": line.position,
        "part": line.part.number_display,
        "name": line.part.name,
        "ordered": q3(line.quantity),
        "received": q3(line.received),
        "owed": q3(line.open_quantity),
        "expected_on": line.expected_on,
        "days_late": max(0, (today - line.expected_on).days) if line.expected_on else 0,
    }


class BackorderQuery(ListQuery):
    store: StoreCode


@router.get("/backorders", response={200: Page[BackorderOut], **ERRORS})
@operation("purchasing.view")
def backorder_list(request: HttpRequest, query: Query[BackorderQuery]) -> dict[str, Any]:
    """A store's backorders, the most overdue first."""
    store = store_of(request, query.store, "purchasing.view")
    page = paginate(selectors.backorders(store_id=store.pk), query, ordering_fields=(), default_ordering=())
    today = timezone.localdate()
    page["items"] = [backorder_out(line, today) for line in page["items"]]
    return page


class CancelIn(InputSchema):
    reason: str = Field(min_length=1, max_length=200)


@router.post("/backorders/{id:line_id}/cancel", response={200: BackorderOut, **ERRORS})
@operation("purchasing.order")
def backorder_cancel(request: HttpRequest, line_id: int, payload: CancelIn) -> dict[str, Any]:
    """Cancel what is still owed on a line; an order owing nothing more is closed."""
    line = services.backorder_cancel(actor=request_user(request), line_id=line_id, reason=payload.reason)
    return backorder_out(
        PurchaseOrderLine.objects.select_related("order__supplier", "part").get(pk=line.pk), timezone.localdate()
    )


class ExpectedIn(InputSchema):
    line: int = Field(ge=1, le=100000)
    expected_on: date


class ConfirmationIn(InputSchema):
    lines: list[ExpectedIn] = Field(min_length=1, max_length=2000)


@router.put("/purchase-orders/{id:order_id}/expected-dates", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def order_expected_dates(request: HttpRequest, order_id: int, payload: ConfirmationIn) -> dict[str, Any]:
    """Record the supplier's confirmed dates per line (from its order confirmation)."""
    order = services.expected_dates_set(
        actor=request_user(request), order_id=order_id, dates={row.line: row.expected_on for row in payload.lines}
    )
    return order_detail_out(request, order)
