"""Every kind of stock movement: receipts, issues, returns, transfers, scrap, returns to suppliers, adjustments."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.models import Store
from aftersales.core.routing import operation, request_user
from aftersales.parts import services
from aftersales.parts.api.common import DemandType, Quantity, StoreCode, parts_of, store_of
from aftersales.parts.api.ledger import MoveOut, move_out
from aftersales.parts.selectors import stock as selectors
from aftersales.parts.services import MoveLine, Posting, ReceiptLine

router = Router(tags=["stock"])


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
