"""Purchase orders: write, submit, approve, send (order file or PDF), cancel, close."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.access import stores_with
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, Page, StateEventOut, file_answer, paginate
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import Quantity, StoreCode, StoreQuery, parts_of, q3, store_of
from aftersales.purchasing import documents, services
from aftersales.purchasing.models import PurchaseOrder
from aftersales.purchasing.transitions import ORDER

router = Router(tags=["purchase orders"])
OrderType = Literal["stock", "urgent", "vor"]
Status_ = Literal["draft", "submitted", "approved", "sent", "partly_received", "received", "closed", "cancelled"]


class OrderLineOut(Schema):
    position: int
    part: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    received: Decimal
    rejected: Decimal
    cancelled: Decimal
    open: Decimal
    expected_on: date | None
    demand_type: str
    demand_id: int | None
    demand_line_id: int | None


class OrderOut(Schema):
    id: int
    number: str
    store: str
    supplier: str
    order_type: OrderType
    status: Status_
    version: int
    note: str
    total: Decimal = Field(description="Tax included, the sum of the lines each rounded to the fen.")
    created_by: str | None
    created_at: datetime
    approved_by: str | None
    sent_at: datetime | None
    cancel_reason: str
    actions: list[str] = Field(description="What the caller may do to the order now.")


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]
    events: list[StateEventOut]


def order_out(request: HttpRequest, order: PurchaseOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "store": order.store.code,
        "supplier": order.supplier.code,
        "order_type": order.order_type,
        "status": order.status,
        "version": order.version,
        "note": order.note,
        "total": services.order_total(order),
        "created_by": order.created_by.username if order.created_by else None,
        "created_at": order.created_at,
        "approved_by": order.approved_by.username if order.approved_by else None,
        "sent_at": order.sent_at,
        "cancel_reason": order.cancel_reason,
        "actions": ORDER.actions(order, request_user(request)),
    }


def order_detail_out(request: HttpRequest, order: PurchaseOrder) -> dict[str, Any]:
    lines = order.lines.select_related("part").order_by("position")
    return {
        **order_out(request, order),
        "lines": [
            {
                "position": line.position,
                "part": line.part.number_display,
                "name": line.part.name,
                "quantity": q3(line.quantity),
                "unit_price": line.unit_price,
                "amount": (line.quantity * line.unit_price).quantize(Decimal("0.01")),
                "received": q3(line.received),
                "rejected": q3(line.rejected),
                "cancelled": q3(line.cancelled),
                "open": q3(line.open_quantity),
                "expected_on": line.expected_on,
                "demand_type": line.demand_type,
                "demand_id": line.demand_id,
                "demand_line_id": line.demand_line_id,
            }
            for line in lines
        ],
        "events": [
            {
                "at": event.at,
                "by": event.actor.username if event.actor else None,
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "note": event.note,
            }
            for event in order.events.select_related("actor")
        ],
    }


class OrderQuery(StoreQuery):
    status: Status_ | None = None
    order_type: OrderType | None = None
    supplier: str | None = Field(default=None, max_length=20, description="Supplier code.")


@router.get("/purchase-orders", response={200: Page[OrderOut], **ERRORS})
@operation("purchasing.view")
def order_list(request: HttpRequest, query: Query[OrderQuery]) -> dict[str, Any]:
    rows = PurchaseOrder.objects.select_related("store", "supplier", "created_by", "approved_by").prefetch_related(
        "lines"
    )
    store_ids = stores_with(request_user(request), "purchasing.view")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    if query.store:
        rows = rows.filter(store__code=query.store)
    if query.status:
        rows = rows.filter(status=query.status)
    if query.order_type:
        rows = rows.filter(order_type=query.order_type)
    if query.supplier:
        rows = rows.filter(supplier__code=query.supplier.upper())
    page = paginate(rows, query, ordering_fields=("created_at", "number"), default_ordering=("-created_at",))
    page["items"] = [order_out(request, row) for row in page["items"]]
    return page


class OrderLineIn(InputSchema):
    part: str = Field(min_length=1, max_length=60, description="Part number, as printed or scanned.")
    quantity: Quantity
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="Yuan, tax included.")
    expected_on: date | None = None
    demand_type: Literal["", "appointment", "repair_order"] = ""
    demand_id: int | None = Field(default=None, ge=1, le=2**62)
    demand_line_id: int | None = Field(default=None, ge=1, le=2**62)


class OrderIn(InputSchema):
    store: StoreCode
    supplier: int = Field(ge=1, le=2**62)
    order_type: OrderType
    note: str = Field(default="", max_length=500)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=2000)


def _lines(request: HttpRequest, store: Any, lines: list[OrderLineIn]) -> list[services.OrderLineIn]:
    parts = parts_of(store, [line.part for line in lines])
    return [
        services.OrderLineIn(
            part_id=parts[line.part].pk,
            quantity=line.quantity,
            unit_price=line.unit_price,
            expected_on=line.expected_on,
            demand_type=line.demand_type,
            demand_id=line.demand_id,
            demand_line_id=line.demand_line_id,
        )
        for line in lines
    ]


@router.post("/purchase-orders", response={201: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def order_create(request: HttpRequest, payload: OrderIn) -> Status[dict[str, Any]]:
    """Write a draft order; submit it for approval next."""
    store = store_of(request, payload.store, "purchasing.order")
    order = services.order_create(
        actor=request_user(request),
        store_id=store.pk,
        supplier_id=payload.supplier,
        order_type=payload.order_type,
        lines=_lines(request, store, payload.lines),
        note=payload.note,
    )
    return Status(201, order_detail_out(request, order))


def _order(request: HttpRequest, order_id: int, permission: str = "purchasing.view") -> PurchaseOrder:
    return services.order_access(actor=request_user(request), order_id=order_id, permission=permission)


@router.get("/purchase-orders/{id:order_id}", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.view")
def order_detail(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return order_detail_out(request, _order(request, order_id))


class LinesIn(InputSchema):
    lines: list[OrderLineIn] = Field(min_length=1, max_length=2000)


@router.put("/purchase-orders/{id:order_id}/lines", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def order_lines(request: HttpRequest, order_id: int, payload: LinesIn) -> dict[str, Any]:
    """Replace a draft's lines."""
    order = _order(request, order_id, "purchasing.order")
    services.order_lines_set(
        actor=request_user(request), order_id=order.pk, lines=_lines(request, order.store, payload.lines)
    )
    return order_detail_out(request, _order(request, order_id))


class NoteIn(InputSchema):
    note: str = Field(default="", max_length=500)


class ReasonIn(InputSchema):
    reason: str = Field(min_length=1, max_length=200)


class AmendIn(InputSchema):
    lines: list[OrderLineIn] = Field(
        min_length=1,
        max_length=2000,
        description="The lines as they should now stand, by part (quantity: what stays ordered).",
    )
    reason: str = Field(min_length=1, max_length=200)


@router.post("/purchase-orders/{id:order_id}/amend", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def order_amend(request: HttpRequest, order_id: int, payload: AmendIn) -> dict[str, Any]:
    """Amend a sent order: quantities (never below what is received), prices, parts added, parts left out
    (their rest cancelled). The version goes up and a local supplier gets it by e-mail; the amended total
    must be within the caller's approval limit."""
    order = _order(request, order_id, "purchasing.order")
    services.order_amend(
        actor=request_user(request),
        order_id=order.pk,
        lines=_lines(request, order.store, payload.lines),
        reason=payload.reason,
    )
    return order_detail_out(request, _order(request, order_id))


@router.post("/purchase-orders/{id:order_id}/submit", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def order_submit(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return order_detail_out(request, services.order_submit(actor=request_user(request), order_id=order_id))


@router.post("/purchase-orders/{id:order_id}/send-back", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.approve")
def order_send_back(request: HttpRequest, order_id: int, payload: NoteIn) -> dict[str, Any]:
    """Return a submitted order to its writer as a draft, with the reason (``note``)."""
    order = services.order_send_back(actor=request_user(request), order_id=order_id, note=payload.note)
    return order_detail_out(request, order)


@router.post("/purchase-orders/{id:order_id}/approve", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.approve")
def order_approve(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """Approve within the caller's limit: their own order up to their self-approval limit; above it,
    someone else with a sufficient limit (``PUT /purchase-limits``)."""
    return order_detail_out(request, services.order_approve(actor=request_user(request), order_id=order_id))


@router.post("/purchase-orders/{id:order_id}/send", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def order_send(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """Mark an approved order sent; its document is ``/order-file`` (manufacturer) or ``/order.pdf``."""
    return order_detail_out(request, services.order_send(actor=request_user(request), order_id=order_id))


@router.post("/purchase-orders/{id:order_id}/cancel", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def order_cancel(request: HttpRequest, order_id: int, payload: ReasonIn) -> dict[str, Any]:
    order = services.order_cancel(actor=request_user(request), order_id=order_id, reason=payload.reason)
    return order_detail_out(request, order)


@router.post("/purchase-orders/{id:order_id}/close", response={200: OrderDetailOut, **ERRORS})
@operation("purchasing.order")
def order_close(request: HttpRequest, order_id: int, payload: NoteIn) -> dict[str, Any]:
    """Close an order: what is still open on its lines is cancelled."""
    order = services.order_close(actor=request_user(request), order_id=order_id, note=payload.note)
    return order_detail_out(request, order)


@router.get(
    "/purchase-orders/{id:order_id}/order-file",
    response={200: None, **ERRORS},
    openapi_extra=file_answer(
        "The order in the manufacturer's order-file layout (generic: UTF-8 CSV, columns "
        "经销商代码, 订单号, 订单类型, 行号, 零件号, 数量, 单价, 要求到货日期).",
        "text/csv",
    ),
)
@operation("purchasing.view")
def order_file(request: HttpRequest, order_id: int) -> HttpResponse:
    return documents.order_file_response(_order(request, order_id))


@router.get(
    "/purchase-orders/{id:order_id}/order.pdf",
    response={200: None, **ERRORS},
    openapi_extra=file_answer("The order as PDF (A4), as a local supplier receives it."),
)
@operation("purchasing.view")
def order_pdf(request: HttpRequest, order_id: int) -> HttpResponse:
    user = request_user(request)
    return documents.order_pdf_response(_order(request, order_id), printed_by=user.full_name or user.username)


class DeliveredLineIn(InputSchema):
    part: str = Field(min_length=1, max_length=60, description="The part number delivered (a superseding one matches).")
    bin: int = Field(ge=1, le=2**62)
    delivered: Quantity
    rejected: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=3)
    reject_reason: str = Field(default="", max_length=200)
    unit_price: Decimal | None = Field(
        default=None, ge=0, max_digits=14, decimal_places=4, description="Tax included; empty: the order's price."
    )
    case_no: str = Field(default="", max_length=40)


class ReceiptIn(InputSchema):
    delivery_note: str = Field(default="", max_length=40)
    received_on: date | None = None
    lines: list[DeliveredLineIn] = Field(min_length=1, max_length=2000)


class ReceiptOut(Schema):
    id: int
    number: str = Field(description="The goods receipt's number (GR), when anything was accepted into stock.")
    delivery_note: str
    received_on: date
    accepted: Decimal
    rejected: Decimal
    order: OrderDetailOut


@router.post("/purchase-orders/{id:order_id}/receipts", response={201: ReceiptOut, **ERRORS})
@operation("stock.move")
def order_receipt(request: HttpRequest, order_id: int, payload: ReceiptIn) -> Status[dict[str, Any]]:
    """Receive a delivery against a sent order: accepted quantities into stock at the delivered price,
    rejected ones with their reason; more than ordered beyond the supplier's allowance is refused."""
    order = _order(request, order_id, "stock.move")
    parts = parts_of(order.store, [line.part for line in payload.lines])
    receipt = services.order_receive(
        actor=request_user(request),
        order_id=order.pk,
        delivery_note=payload.delivery_note,
        received_on=payload.received_on,
        lines=[
            services.DeliveredLine(
                part_id=parts[line.part].pk,
                bin_id=line.bin,
                delivered=line.delivered,
                rejected=line.rejected,
                reject_reason=line.reject_reason,
                unit_price=line.unit_price,
                case_no=line.case_no,
            )
            for line in payload.lines
        ],
    )
    lines = list(receipt.lines.all())
    return Status(
        201,
        {
            "id": receipt.pk,
            "number": receipt.number,
            "delivery_note": receipt.delivery_note,
            "received_on": receipt.received_on,
            "accepted": q3(sum((line.accepted for line in lines), start=Decimal(0))),
            "rejected": q3(sum((line.rejected for line in lines), start=Decimal(0))),
            "order": order_detail_out(request, _order(request, order_id)),
        },
    )
