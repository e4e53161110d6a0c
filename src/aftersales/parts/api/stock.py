"""The stock API: warehouses and bins, balances, stock as of a date, the moves ledger, every kind of
movement, reservations and month closings."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import operation, request_user
from aftersales.parts import documents, services
from aftersales.parts.models import Part, Reservation, StockMove, Warehouse, part_number_normalise
from aftersales.parts.selectors import stock as selectors
from aftersales.parts.services import Demand, MoveLine, Posting, ReceiptLine

router = Router(tags=["stock"])

StoreCode = Annotated[str, Field(min_length=2, max_length=10, description="Store code, e.g. SH01.")]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=3)]
MoveKind = Literal[
    "receipt", "issue", "return", "transfer_out", "transfer_in", "adjustment", "scrap", "supplier_return"
]
DemandType = Literal["appointment", "repair_order", "transfer"]


def q3(value: Decimal) -> Decimal:
    """A quantity with the three decimals every answer shows (sums differ by database otherwise)."""
    return Decimal(value).quantize(Decimal("0.001"))


def store_of(request: HttpRequest, code: str, permission: str) -> Store:
    """A store the caller may act in with ``permission``, by code; refused on the ``store`` field."""
    store = Store.objects.filter(code=code, is_active=True).first()
    if store is None:
        raise ApplicationError(_("Unknown store."), field="store")
    return services.store_access(actor=request_user(request), store_id=store.pk, permission=permission)


def parts_of(store: Store, numbers: list[str], *, field: str = "lines") -> dict[str, Part]:
    """Parts by the numbers typed or scanned on lines (``services.parts_for_store``)."""
    return services.parts_for_store(store, numbers, field=field)


# --- warehouses and bins --------------------------------------------------------------------------


class BinOut(Schema):
    id: int
    code: str
    is_active: bool


class WarehouseOut(Schema):
    id: int
    store: str
    code: str
    name: str
    is_active: bool
    bins: list[BinOut]


def warehouse_out(warehouse: Warehouse) -> dict[str, Any]:
    return {
        "id": warehouse.pk,
        "store": warehouse.store.code,
        "code": warehouse.code,
        "name": warehouse.name,
        "is_active": warehouse.is_active,
        "bins": [{"id": b.pk, "code": b.code, "is_active": b.is_active} for b in warehouse.bins.order_by("code")],
    }


class StoreQuery(ListQuery):
    store: StoreCode | None = None


@router.get("/stock/warehouses", response={200: Page[WarehouseOut], **ERRORS})
@operation("parts.view")
def warehouse_list(request: HttpRequest, query: Query[StoreQuery]) -> dict[str, Any]:
    rows = Warehouse.objects.select_related("store")
    store_ids = stores_with(request_user(request), "parts.view")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    if query.store:
        rows = rows.filter(store__code=query.store)
    page = paginate(rows, query, ordering_fields=("code",), default_ordering=("store__code", "code"))
    page["items"] = [warehouse_out(row) for row in page["items"]]
    return page


class WarehouseIn(InputSchema):
    store: StoreCode
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    bins: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(default_factory=list, max_length=2000)


@router.post("/stock/warehouses", response={201: WarehouseOut, **ERRORS})
@operation("warehouses.manage")
def warehouse_create(request: HttpRequest, payload: WarehouseIn) -> Status[dict[str, Any]]:
    """Open a warehouse in a store, with its first bins."""
    store = store_of(request, payload.store, "warehouses.manage")
    actor = request_user(request)
    warehouse = services.warehouse_save(actor=actor, store_id=store.pk, code=payload.code, name=payload.name)
    if payload.bins:
        services.bins_create(actor=actor, warehouse_id=warehouse.pk, codes=payload.bins)
    return Status(201, warehouse_out(warehouse))


class BinsIn(InputSchema):
    codes: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(min_length=1, max_length=2000)


def _warehouse(request: HttpRequest, warehouse_id: int, permission: str) -> Warehouse:
    warehouse = Warehouse.objects.select_related("store").filter(pk=warehouse_id).first()
    store_ids = stores_with(request_user(request), permission)
    if warehouse is None or (store_ids is not None and warehouse.store_id not in store_ids):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return warehouse


@router.post("/stock/warehouses/{id:warehouse_id}/bins", response={200: WarehouseOut, **ERRORS})
@operation("warehouses.manage")
def warehouse_bins_add(request: HttpRequest, warehouse_id: int, payload: BinsIn) -> dict[str, Any]:
    warehouse = _warehouse(request, warehouse_id, "warehouses.manage")
    services.bins_create(actor=request_user(request), warehouse_id=warehouse.pk, codes=payload.codes)
    return warehouse_out(warehouse)


@router.get(
    "/stock/warehouses/{id:warehouse_id}/labels.pdf",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "Bin labels with a QR code each (A4, 3 × 8).",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
@operation("parts.view")
def warehouse_labels(request: HttpRequest, warehouse_id: int) -> HttpResponse:
    """The warehouse's bin labels to print: code and a QR code per bin."""
    warehouse = _warehouse(request, warehouse_id, "parts.view")
    response = HttpResponse(documents.bin_labels_pdf(warehouse), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bins-{warehouse.store.code}-{warehouse.code}.pdf"'
    return response


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


# --- movements -------------------------------------------------------------------------------------


class PostingOut(Schema):
    posting: str
    document_no: str
    moves: list[MoveOut]


def posting_out(posting: Posting) -> dict[str, Any]:
    moves = selectors.moves(store_ids=None).filter(posting=posting.posting).order_by("id")
    rows = [move_out(move) for move in moves]
    return {"posting": str(posting.posting), "document_no": rows[0]["document_no"] if rows else "", "moves": rows}


class ReceiptLineIn(InputSchema):
    part: str = Field(max_length=60, description="Part number as typed or scanned.")
    bin: int = Field(ge=1, description="Bin id.")
    quantity: Quantity
    unit_cost: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="CNY per unit, net of VAT.")


class ReceiptIn(InputSchema):
    store: StoreCode
    moved_on: date | None = Field(default=None, description="The delivery note's date (default today).")
    document_no: str = Field(default="", max_length=40, description="Supplier's delivery note number.")
    reason: str = Field(default="", max_length=200)
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=20_000)


@router.post("/stock/receipts", response={201: PostingOut, **ERRORS})
@operation("stock.move")
def receipt_post(request: HttpRequest, payload: ReceiptIn) -> Status[dict[str, Any]]:
    """Receive goods into bins at their net cost: one posting, one audit entry, however many lines."""
    store = store_of(request, payload.store, "stock.move")
    parts = parts_of(store, [line.part for line in payload.lines])
    posting = services.stock_receive(
        actor=request_user(request),
        store_id=store.pk,
        lines=[ReceiptLine(parts[line.part].pk, line.bin, line.quantity, line.unit_cost) for line in payload.lines],
        moved_on=payload.moved_on,
        document_type="delivery_note" if payload.document_no else "",
        document_no=payload.document_no,
        reason=payload.reason,
    )
    return Status(201, posting_out(posting))


class IssueIn(InputSchema):
    store: StoreCode
    demand_type: DemandType = "repair_order"
    demand_id: int = Field(ge=1, le=2**62)
    demand_line_id: int | None = Field(default=None, ge=1, le=2**62)
    part_number: str = Field(min_length=1, max_length=60, description="Scanned or typed; must be the reserved part.")
    quantity: Quantity
    received_by: int | None = Field(default=None, ge=1, description="The receiving technician's user id.")
    document_no: str = Field(default="", max_length=40)


@router.post("/stock/issues", response={201: PostingOut, **ERRORS})
@operation("stock.move")
def issue_post(request: HttpRequest, payload: IssueIn) -> Status[dict[str, Any]]:
    """Issue a part at the parts desk to a document (reserved stock first; never below zero)."""
    store = store_of(request, payload.store, "stock.move")
    posting = services.stock_issue(
        actor=request_user(request),
        store_id=store.pk,
        demand_type=payload.demand_type,
        demand_id=payload.demand_id,
        demand_line_id=payload.demand_line_id,
        part_number=payload.part_number,
        quantity=payload.quantity,
        received_by_id=payload.received_by,
        document_no=payload.document_no,
    )
    return Status(201, posting_out(posting))


class ReturnIn(InputSchema):
    store: StoreCode
    demand_type: DemandType = "repair_order"
    demand_id: int = Field(ge=1, le=2**62)
    demand_line_id: int | None = Field(default=None, ge=1, le=2**62)
    part: str = Field(max_length=60)
    bin: int = Field(ge=1)
    quantity: Quantity
    reason: str = Field(default="", max_length=200)


@router.post("/stock/returns", response={201: PostingOut, **ERRORS})
@operation("stock.move")
def return_post(request: HttpRequest, payload: ReturnIn) -> Status[dict[str, Any]]:
    """Take back what a document did not use, at the value it left with."""
    store = store_of(request, payload.store, "stock.move")
    part = services.part_for_store(store, payload.part, field="part")
    posting = services.stock_return(
        actor=request_user(request),
        store_id=store.pk,
        demand_type=payload.demand_type,
        demand_id=payload.demand_id,
        demand_line_id=payload.demand_line_id,
        part_id=part.pk,
        bin_id=payload.bin,
        quantity=payload.quantity,
        reason=payload.reason,
    )
    return Status(201, posting_out(posting))


class MoveLineIn(InputSchema):
    part: str = Field(max_length=60)
    bin: int = Field(ge=1, description="The bin the stock leaves.")
    quantity: Quantity


class TransferIn(InputSchema):
    store: StoreCode
    to_bin: int = Field(ge=1)
    reason: str = Field(default="", max_length=200)
    lines: list[MoveLineIn] = Field(min_length=1, max_length=20_000)


def _lines(store: Store, lines: list[MoveLineIn]) -> list[MoveLine]:
    parts = parts_of(store, [line.part for line in lines])
    return [MoveLine(parts[line.part].pk, line.bin, line.quantity) for line in lines]


@router.post("/stock/transfers", response={201: PostingOut, **ERRORS})
@operation("stock.move")
def transfer_post(request: HttpRequest, payload: TransferIn) -> Status[dict[str, Any]]:
    """Move stock to another bin or warehouse of the store; its value moves with it."""
    store = store_of(request, payload.store, "stock.move")
    posting = services.stock_transfer(
        actor=request_user(request),
        store_id=store.pk,
        lines=_lines(store, payload.lines),
        to_bin_id=payload.to_bin,
        reason=payload.reason,
    )
    return Status(201, posting_out(posting))


class WriteOffIn(InputSchema):
    store: StoreCode
    reason: str = Field(min_length=1, max_length=200)
    lines: list[MoveLineIn] = Field(min_length=1, max_length=20_000)


@router.post("/stock/scraps", response={201: PostingOut, **ERRORS})
@operation("stock.adjust")
def scrap_post(request: HttpRequest, payload: WriteOffIn) -> Status[dict[str, Any]]:
    store = store_of(request, payload.store, "stock.adjust")
    posting = services.stock_scrap(
        actor=request_user(request), store_id=store.pk, lines=_lines(store, payload.lines), reason=payload.reason
    )
    return Status(201, posting_out(posting))


@router.post("/stock/supplier-returns", response={201: PostingOut, **ERRORS})
@operation("stock.move")
def supplier_return_post(request: HttpRequest, payload: WriteOffIn) -> Status[dict[str, Any]]:
    store = store_of(request, payload.store, "stock.move")
    posting = services.stock_supplier_return(
        actor=request_user(request), store_id=store.pk, lines=_lines(store, payload.lines), reason=payload.reason
    )
    return Status(201, posting_out(posting))


class AdjustmentIn(InputSchema):
    store: StoreCode
    part: str = Field(max_length=60)
    bin: int = Field(ge=1)
    quantity: Decimal = Field(max_digits=14, decimal_places=3, description="Signed: found (+) or lost (-).")
    unit_cost: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    reason: str = Field(min_length=1, max_length=200)


@router.post("/stock/adjustments", response={201: PostingOut, **ERRORS})
@operation("stock.adjust")
def adjustment_post(request: HttpRequest, payload: AdjustmentIn) -> Status[dict[str, Any]]:
    store = store_of(request, payload.store, "stock.adjust")
    part = services.part_for_store(store, payload.part, field="part")
    posting = services.stock_adjust(
        actor=request_user(request),
        store_id=store.pk,
        part_id=part.pk,
        bin_id=payload.bin,
        quantity=payload.quantity,
        unit_cost=payload.unit_cost,
        reason=payload.reason,
    )
    return Status(201, posting_out(posting))


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
