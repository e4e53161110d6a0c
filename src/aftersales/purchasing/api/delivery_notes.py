"""Delivery notes: a supplier's file imported or parts scanned, inspected, received in one step; the
manufacturer's order confirmation; returns of what was rejected, with their printed return notes."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, Page, file_answer, paginate
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import Quantity, StoreCode, StoreQuery, store_of
from aftersales.purchasing import documents, services
from aftersales.purchasing.models import DeliveryNote, SupplierReturn

router = Router(tags=["purchase orders"])


class NoteLineOut(Schema):
    id: int
    row: int = Field(description="The row in the supplier's file; 0 when scanned.")
    part: str
    order: str
    order_line: int
    quantity: Decimal = Field(description="As the note says (scanned: as counted).")
    checked: Decimal | None = Field(description="As counted at inspection; empty: taken as the note says.")
    rejected: Decimal
    reject_reason: str
    unit_price: Decimal | None
    case_no: str
    bin: int | None


class NoteOut(Schema):
    id: int
    store: str
    supplier: int
    number: str
    status: Literal["open", "received", "cancelled"]
    source: Literal["file", "scan"]
    file_name: str
    created_at: datetime
    received_at: datetime | None
    lines: list[NoteLineOut]


def note_out(note: DeliveryNote) -> dict[str, Any]:
    lines = note.lines.select_related("part", "order_line__order").order_by("pk")
    return {
        "id": note.pk,
        "store": note.store.code,
        "supplier": note.supplier_id,
        "number": note.number,
        "status": note.status,
        "source": note.source,
        "file_name": note.file_name,
        "created_at": note.created_at,
        "received_at": note.received_at,
        "lines": [
            {
                "id": line.pk,
                "row": line.row,
                "part": line.part.number_display,
                "order": line.order_line.order.number,
                "order_line": line.order_line.position,
                "quantity": line.quantity,
                "checked": line.checked,
                "rejected": line.rejected,
                "reject_reason": line.reject_reason,
                "unit_price": line.unit_price,
                "case_no": line.case_no,
                "bin": line.bin_id,
            }
            for line in lines
        ],
    }


def _note(request: HttpRequest, note_id: int) -> DeliveryNote:
    return services.delivery_note_access(actor=request_user(request), note_id=note_id)


def _listed(request: HttpRequest, rows: QuerySet[Any], query: Any, permission: str) -> dict[str, Any]:
    """A page of a store's documents: the stores the caller holds ``permission`` in, the ``store`` and
    ``status`` asked for, newest first."""
    store_ids = stores_with(request_user(request), permission)
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    if query.store:
        rows = rows.filter(store__code=query.store)
    if query.status:
        rows = rows.filter(status=query.status)
    return paginate(rows, query, ordering_fields=("created_at", "number"), default_ordering=("-created_at",))


class NoteQuery(StoreQuery):
    status: Literal["open", "received", "cancelled"] | None = None


@router.get("/delivery-notes", response={200: Page[NoteOut], **ERRORS})
@operation("stock.move")
def note_list(request: HttpRequest, query: Query[NoteQuery]) -> dict[str, Any]:
    """Delivery notes of the stores the caller receives in, newest first."""
    page = _listed(request, DeliveryNote.objects.select_related("store"), query, "stock.move")
    page["items"] = [note_out(note) for note in page["items"]]
    return page


class NoteImportIn(InputSchema):
    store: StoreCode
    supplier: int = Field(ge=1, le=2**62)
    number: str = Field(min_length=1, max_length=40, description="The supplier's delivery note number.")


@router.post("/delivery-notes", response={201: NoteOut, **ERRORS})
@operation("stock.move")
def note_import(request: HttpRequest, payload: Form[NoteImportIn], file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Import the supplier's delivery note (.xlsx or .csv; columns 零件号/Part number, 数量/Quantity, and
    optionally 单价/Unit price, 箱号/Case number, 订单号/Order number). Each row is matched to the
    supplier's open order lines, oldest first; every wrong row is named as ``rows.N.column`` and nothing
    is written."""
    store = store_of(request, payload.store, "stock.move")
    note = services.delivery_note_import(
        actor=request_user(request), store_id=store.pk, supplier_id=payload.supplier, number=payload.number, upload=file
    )
    return Status(201, note_out(note))


class NoteStartIn(InputSchema):
    store: StoreCode
    supplier: int = Field(ge=1, le=2**62)
    number: str = Field(default="", max_length=40)


@router.post("/delivery-notes/scanned", response={201: NoteOut, **ERRORS})
@operation("stock.move")
def note_start(request: HttpRequest, payload: NoteStartIn) -> Status[dict[str, Any]]:
    """Start a delivery received by scanning its parts (``POST /delivery-notes/{id}/scans``)."""
    store = store_of(request, payload.store, "stock.move")
    note = services.delivery_note_start(
        actor=request_user(request), store_id=store.pk, supplier_id=payload.supplier, number=payload.number
    )
    return Status(201, note_out(note))


@router.get("/delivery-notes/{id:note_id}", response={200: NoteOut, **ERRORS})
@operation("stock.move")
def note_detail(request: HttpRequest, note_id: int) -> dict[str, Any]:
    return note_out(_note(request, note_id))


class ScanIn(InputSchema):
    code: str = Field(min_length=1, max_length=80, description="The part number as scanned (PART: prefix allowed).")
    quantity: Quantity = Decimal(1)
    case_no: str = Field(default="", max_length=40)


@router.post("/delivery-notes/{id:note_id}/scans", response={200: NoteOut, **ERRORS})
@operation("stock.move")
def note_scan(request: HttpRequest, note_id: int, payload: ScanIn) -> dict[str, Any]:
    """Count one scanned part: on an imported note its line's counted quantity goes up; on a scanned note
    the part is matched to the supplier's oldest open order line for it."""
    services.delivery_note_scan(
        actor=request_user(request), note_id=note_id, code=payload.code, quantity=payload.quantity,
        case_no=payload.case_no,
    )  # fmt: skip
    return note_out(_note(request, note_id))


class CheckIn(InputSchema):
    line: int = Field(ge=1, le=2**62, description="The note line's id.")
    checked: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=3)
    rejected: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=3)
    reject_reason: str = Field(default="", max_length=200)
    bin: int | None = Field(default=None, ge=1, le=2**62)


class ChecksIn(InputSchema):
    lines: list[CheckIn] = Field(min_length=1, max_length=5000)


@router.put("/delivery-notes/{id:note_id}/inspection", response={200: NoteOut, **ERRORS})
@operation("stock.move")
def note_check(request: HttpRequest, note_id: int, payload: ChecksIn) -> dict[str, Any]:
    """Record the inspection of lines: counted, rejected with the reason, the bin each goes to."""
    services.delivery_note_check(
        actor=request_user(request),
        note_id=note_id,
        checks=[
            services.LineCheck(line.line, line.checked, line.rejected, line.reject_reason, line.bin)
            for line in payload.lines
        ],
    )
    return note_out(_note(request, note_id))


class NoteReceiptOut(Schema):
    id: int
    number: str
    order: str
    supplier_return: str | None = Field(description="The return of what was rejected (RTV number), if any.")


class NoteReceivedOut(NoteOut):
    receipts: list[NoteReceiptOut]


@router.post("/delivery-notes/{id:note_id}/receive", response={200: NoteReceivedOut, **ERRORS})
@operation("stock.move")
def note_receive(request: HttpRequest, note_id: int) -> dict[str, Any]:
    """Receive the inspected note: one goods receipt per order, the rejected quantity to a supplier return."""
    receipts = services.delivery_note_receive(actor=request_user(request), note_id=note_id)
    returns = dict(SupplierReturn.all_objects.filter(receipt__in=receipts).values_list("receipt_id", "number"))
    return note_out(_note(request, note_id)) | {
        "receipts": [
            {"id": r.pk, "number": r.number, "order": r.order.number, "supplier_return": returns.get(r.pk)}
            for r in receipts
        ]
    }


@router.post("/delivery-notes/{id:note_id}/cancel", response={200: NoteOut, **ERRORS})
@operation("stock.move")
def note_cancel(request: HttpRequest, note_id: int) -> dict[str, Any]:
    """Drop a note not received (imported by mistake); it may be imported again."""
    return note_out(services.delivery_note_cancel(actor=request_user(request), note_id=note_id))


class ConfirmationIn(InputSchema):
    store: StoreCode


class ConfirmedOut(Schema):
    orders: list[str]


@router.post("/purchase-orders/confirmations", response={200: ConfirmedOut, **ERRORS})
@operation("purchasing.order")
def order_confirmation(request: HttpRequest, payload: Form[ConfirmationIn], file: File[UploadedFile]) -> dict[str, Any]:
    """Apply the manufacturer's order confirmation (.xlsx or .csv; columns 订单号/Order number, 行号/Line or
    零件号/Part number, 确认数量/Confirmed quantity, 预计到货日期/Expected date): a line confirmed short has the
    rest cancelled; the expected dates date the backorders."""
    store = store_of(request, payload.store, "purchasing.order")
    orders = services.order_confirmation_import(actor=request_user(request), store_id=store.pk, upload=file)
    return {"orders": [order.number for order in orders]}


class ReturnLineOut(Schema):
    part: str
    quantity: Decimal
    reason: str
    unit_price: Decimal
    case_no: str


class ReturnOut(Schema):
    id: int
    number: str
    store: str
    supplier: int
    order: str
    receipt: str
    status: Literal["open", "shipped"]
    created_at: datetime
    shipped_on: date | None
    lines: list[ReturnLineOut]


def return_out(supplier_return: SupplierReturn) -> dict[str, Any]:
    return {
        "id": supplier_return.pk,
        "number": supplier_return.number,
        "store": supplier_return.store.code,
        "supplier": supplier_return.supplier_id,
        "order": supplier_return.order.number,
        "receipt": supplier_return.receipt.number,
        "status": supplier_return.status,
        "created_at": supplier_return.created_at,
        "shipped_on": supplier_return.shipped_on,
        "lines": [
            {
                "part": line.part.number_display, "quantity": line.quantity, "reason": line.reason,
                "unit_price": line.unit_price, "case_no": line.case_no,
            }
            for line in supplier_return.lines.select_related("part")
        ],
    }  # fmt: skip


class ReturnQuery(StoreQuery):
    status: Literal["open", "shipped"] | None = None


@router.get("/supplier-returns", response={200: Page[ReturnOut], **ERRORS})
@operation("purchasing.view")
def return_list(request: HttpRequest, query: Query[ReturnQuery]) -> dict[str, Any]:
    """Goods rejected at receiving, to go back to their suppliers, newest first."""
    rows = SupplierReturn.objects.select_related("store", "order", "receipt")
    page = _listed(request, rows, query, "purchasing.view")
    page["items"] = [return_out(row) for row in page["items"]]
    return page


def _return(request: HttpRequest, return_id: int, permission: str) -> SupplierReturn:
    return services.supplier_return_access(actor=request_user(request), return_id=return_id, permission=permission)


class ShippedIn(InputSchema):
    shipped_on: date | None = None


@router.post("/supplier-returns/{id:return_id}/shipped", response={200: ReturnOut, **ERRORS})
@operation("stock.move")
def return_shipped(request: HttpRequest, return_id: int, payload: ShippedIn) -> dict[str, Any]:
    """Record that the goods went back to the supplier."""
    returned = services.supplier_return_ship(
        actor=request_user(request), return_id=return_id, shipped_on=payload.shipped_on
    )
    return return_out(returned)


@router.get(
    "/supplier-returns/{id:return_id}/return-note.pdf",
    response={200: None, **ERRORS},
    openapi_extra=file_answer("The return note (退货单) as PDF (A4), to go with the goods."),
)
@operation("purchasing.view")
def return_note_pdf(request: HttpRequest, return_id: int) -> HttpResponse:
    user = request_user(request)
    return documents.return_pdf_response(_return(request, return_id, "purchasing.view"), printed_by=str(user))
