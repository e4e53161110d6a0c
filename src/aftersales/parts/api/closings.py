"""Month closings of a store's stock."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, Page, paginate
from aftersales.core.routing import operation, request_user
from aftersales.parts import services
from aftersales.parts.api.common import StoreCode, StoreQuery, store_of
from aftersales.parts.selectors import stock as selectors

router = Router(tags=["stock"])


# --- month closing ---------------------------------------------------------------------------------


class ClosingOut(Schema):
    id: int
    store: str
    month: str
    closed_at: datetime
    closed_by: str | None
    balances: int
    value: Decimal


def closing_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "store": row.store.code,
        "month": f"{row.month:%Y-%m}",
        "closed_at": row.closed_at,
        "closed_by": row.closed_by.username if row.closed_by else None,
        "balances": row.balances,
        "value": Decimal(row.value_fen) / 100,
    }


@router.get("/stock/closings", response={200: Page[ClosingOut], **ERRORS})
@operation("parts.view")
def closing_list(request: HttpRequest, query: Query[StoreQuery]) -> dict[str, Any]:
    rows = selectors.closings(store_ids=stores_with(request_user(request), "parts.view"))
    if query.store:
        rows = rows.filter(store__code=query.store)
    page = paginate(rows, query, ordering_fields=("month",), default_ordering=("-month",))
    page["items"] = [closing_out(row) for row in page["items"]]
    return page


class ClosingIn(InputSchema):
    store: StoreCode
    month: str = Field(pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", max_length=7, description="YYYY-MM")


@router.post("/stock/closings", response={201: ClosingOut, **ERRORS})
@operation("stock.close")
def closing_create(request: HttpRequest, payload: ClosingIn) -> Status[dict[str, Any]]:
    """Close a stock month of a store: a snapshot per part and bin; moves dated in it are refused from then on."""
    store = store_of(request, payload.store, "stock.close")
    year, month = (int(part) for part in payload.month.split("-"))
    closing = services.stock_month_close(actor=request_user(request), store_id=store.pk, month=date(year, month, 1))
    return Status(201, closing_out(selectors.closings(store_ids=None).get(pk=closing.pk)))
