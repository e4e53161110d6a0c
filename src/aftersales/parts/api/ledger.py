"""Stock balances, stock as of a date, and the moves ledger."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import MoveKind, StoreCode, q3, store_of
from aftersales.parts.models import Part, StockMove, part_number_normalise
from aftersales.parts.selectors import stock as selectors

router = Router(tags=["stock"])


# --- balances, stock as of a date, moves -----------------------------------------------------------


class StockBalanceOut(Schema):
    part_id: int
    part: str
    name: str
    store: str
    warehouse: str
    bin: str
    bin_id: int
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    value: Decimal = Field(description="CNY, net of input VAT.")


class BalanceQuery(ListQuery):
    store: StoreCode | None = None
    part: str | None = Field(default=None, max_length=60, description="Part number.")
    warehouse: int | None = Field(default=None, ge=1, description="Warehouse id.")
    in_stock: bool = Field(default=True, description="Only balances with stock on hand.")


@router.get("/stock/balances", response={200: Page[StockBalanceOut], **ERRORS})
@operation("parts.view")
def balance_list(request: HttpRequest, query: Query[BalanceQuery]) -> dict[str, Any]:
    """On hand, reserved and available per part and bin now, in the stores you may see."""
    store_ids = stores_with(request_user(request), "parts.view")
    rows = selectors.balances(store_ids=store_ids, warehouse_id=query.warehouse)
    if query.store:
        rows = rows.filter(store__code=query.store)
    if query.part:
        rows = rows.filter(part__number=part_number_normalise(query.part))
    if query.in_stock:
        rows = rows.filter(on_hand__gt=0)
    page = paginate(rows, query, ordering_fields=("on_hand", "value_fen"), default_ordering=("part__number", "bin_id"))
    page["items"] = [
        {
            "part_id": row.part_id,
            "part": row.part.number_display,
            "name": row.part.name,
            "store": row.store.code,
            "warehouse": row.bin.warehouse.code,
            "bin": row.bin.code,
            "bin_id": row.bin_id,
            "on_hand": row.on_hand,
            "reserved": row.reserved,
            "available": row.on_hand - row.reserved,
            "value": Decimal(row.value_fen) / 100,
        }
        for row in page["items"]
    ]
    return page


class AsOfQuery(InputSchema):
    store: StoreCode
    date: date
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class AsOfLine(Schema):
    part_id: int
    part: str
    name: str
    bin_id: int
    quantity: Decimal
    value: Decimal


class AsOfOut(Schema):
    store: str
    date: date
    snapshot: str | None = Field(description="The closed month the figures start from (YYYY-MM), if any.")
    lines: int
    quantity: Decimal
    value: Decimal = Field(description="CNY, net of input VAT.")
    limit: int
    offset: int
    items: list[AsOfLine]


@router.get("/stock/as-of", response={200: AsOfOut, **ERRORS})
@operation("parts.view")
def stock_as_of(request: HttpRequest, query: Query[AsOfQuery]) -> dict[str, Any]:
    """A store's stock at the end of a day: the last closed month's snapshot plus the moves after it."""
    store = store_of(request, query.store, "parts.view")
    closing = selectors.last_closing(store.pk, on_or_before=query.date)
    rows = selectors.stock_as_of(store_id=store.pk, on=query.date)
    keys = sorted(rows)
    shown = keys[query.offset : query.offset + query.limit]
    parts = Part.objects.in_bulk({part for part, _bin in shown})
    return {
        "store": store.code,
        "date": query.date,
        "snapshot": f"{closing.month:%Y-%m}" if closing else None,
        "lines": len(rows),
        "quantity": q3(sum((quantity for quantity, _value in rows.values()), Decimal(0))),
        "value": Decimal(sum(value for _quantity, value in rows.values())) / 100,
        "limit": query.limit,
        "offset": query.offset,
        "items": [
            {
                "part_id": part,
                "part": parts[part].number_display,
                "name": parts[part].name,
                "bin_id": bin_id,
                "quantity": q3(rows[(part, bin_id)][0]),
                "value": Decimal(rows[(part, bin_id)][1]) / 100,
            }
            for part, bin_id in shown
        ],
    }


class MoveOut(Schema):
    id: int
    store: str
    part: str
    warehouse: str
    bin: str
    kind: str
    quantity: Decimal
    value: Decimal
    moved_on: date
    posted_at: datetime
    posted_by: str | None
    document_type: str
    document_id: int | None
    document_line_id: int | None
    document_no: str
    reason: str


class MoveQuery(ListQuery):
    store: StoreCode | None = None
    part: str | None = Field(default=None, max_length=60, description="Part number.")
    kind: MoveKind | None = None
    warehouse: int | None = Field(default=None, ge=1)
    date_from: date | None = None
    date_to: date | None = None
    document_no: str | None = Field(default=None, max_length=40)


def move_out(move: StockMove) -> dict[str, Any]:
    return {
        "id": move.pk,
        "store": move.store.code,
        "part": move.part.number_display,
        "warehouse": move.bin.warehouse.code,
        "bin": move.bin.code,
        "kind": move.kind,
        "quantity": move.quantity,
        "value": Decimal(move.value_fen) / 100,
        "moved_on": move.moved_on,
        "posted_at": move.posted_at,
        "posted_by": move.posted_by.username if move.posted_by else None,
        "document_type": move.document_type,
        "document_id": move.document_id,
        "document_line_id": move.document_line_id,
        "document_no": move.document_no,
        "reason": move.reason,
    }


@router.get("/stock/moves", response={200: Page[MoveOut], **ERRORS})
@operation("parts.view")
def move_list(request: HttpRequest, query: Query[MoveQuery]) -> dict[str, Any]:
    """The moves ledger, newest first, with filters."""
    store_ids = stores_with(request_user(request), "parts.view")
    if query.store:
        store = store_of(request, query.store, "parts.view")
        store_ids = [store.pk]
    part_id = None
    if query.part:
        numbers = Part.objects.filter(number=part_number_normalise(query.part))
        if store_ids is not None:
            numbers = numbers.filter(group__stores__pk__in=store_ids)
        part = numbers.distinct().first()
        part_id = part.pk if part else -1
    rows = selectors.moves(
        store_ids=store_ids,
        part_id=part_id,
        kind=query.kind,
        warehouse_id=query.warehouse,
        date_from=query.date_from,
        date_to=query.date_to,
        document_no=query.document_no,
    )
    page = paginate(rows, query, ordering_fields=("id", "moved_on"), default_ordering=("-id",))
    page["items"] = [move_out(move) for move in page["items"]]
    return page
