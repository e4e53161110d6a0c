"""Settlement lists (结算清单, JT/T 1133; SPEC BIL-1..3): the store's lists, one list with its settlements per payer
and their charges itemised, preparing a ready order's list (again), confirming it with the discounts within the
confirming role's limits, reversing a confirmed list (a new one is prepared), credit for a payer's share, the
printed list.

Refusals: a list, share or order not found (or not the caller's to see) is 404; a discount beyond the role's
limit, an amount written "12,3", a line not charged are 422 on their fields (``line_discounts.<line id>``); an
order not ready, a list confirmed or reversed already, a settlement closed are 409. Nothing is written."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.billing import documents, payments, services
from aftersales.billing.api.common import STATE_ERRORS, Amount, local, money, username
from aftersales.billing.models import Settlement, SettlementCharge, SettlementList
from aftersales.core.access import store_record_access
from aftersales.core.apikit import InputSchema, ListQuery, Page, file_answer, paginate
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.visits.services import repair_order_access
from aftersales.workshop.api.common import RecordId

router = Router(tags=["billing"])

ListState = Literal["prepared", "confirmed", "reversed"]
ShareState = Literal["open", "closed", "reversed"]
InvoiceType = Literal["none", "general", "special"]
Payer = Literal["customer", "insurer", "manufacturer", "warranty_provider", "store"]
# A line id as a JSON object's key.
LineKey = Annotated[str, Field(max_length=19, pattern=r"^[1-9][0-9]{0,18}$")]
LIST_RELATED = ("store", "order__vehicle", "prepared_by", "confirmed_by")


class SettlementListOut(Schema):
    id: int
    store: str = Field(description="Store code.")
    number: str = Field(description="JS-…, taken when confirmed; empty while prepared.")
    order: int
    order_number: str
    plate: str
    state: ListState
    invoice_type: InvoiceType
    discount: Decimal = Field(description="Off the order, spread over the customer's items.")
    rounding: Decimal = Field(description="Rounded off the total (抹零).")
    amount: Decimal = Field(description="The total of every payer, tax included.")
    net: Decimal
    tax: Decimal
    prepared_at: datetime
    prepared_by: str | None = Field(description="Username; null: prepared as the order became ready.")
    confirmed_at: datetime | None
    confirmed_by: str | None
    corrects: int | None = Field(description="The reversed list this one replaces.")
    reversed_at: datetime | None
    reversal_reason: str


class SettlementChargeOut(Schema):
    position: int
    line: int = Field(description="The repair order's line charged.")
    category: str = Field(
        description="The JT/T 1133 fee category: diagnosis, testing, materials, labour, processing, rescue, towing, "
        "other."
    )
    kind: str = Field(description="The line's kind (labour, part, customer_part, sublet, consumable, fee).")
    description: str
    part_number: str
    quantity: Decimal = Field(description="Three decimals (hours of labour).")
    unit_price: Decimal = Field(description="Tax included.")
    gross: Decimal = Field(description="Before discounts.")
    discount: Decimal = Field(description="The line's and its share of the order's discount and rounding off.")
    rounding: Decimal = Field(description="Its share of the rounding off (within ``discount``).")
    amount: Decimal
    net: Decimal
    tax: Decimal
    tax_rate: Decimal = Field(description="e.g. 0.13.")
    tax_code: str = Field(description="The tax classification code.")
    complimentary: bool
    surcharge: str = Field(description="night or holiday: a surcharge on the line's labour; empty otherwise.")


class SettlementCreditOut(Schema):
    by: str = Field(description="Who approved the credit (username).")
    at: datetime
    note: str


class SettlementShareOut(Schema):
    id: int
    payer: Payer
    payer_name: str = Field(description="The insurer, the brand or the extended-warranty provider.")
    amount: Decimal
    net: Decimal
    tax: Decimal
    received: Decimal = Field(description="Its paid payments less their refunds.")
    open: Decimal = Field(description="Still to come in (negative: more came in than is owed).")
    state: ShareState
    closed_at: datetime | None
    credit: SettlementCreditOut | None = Field(description="The car released before it is paid; null: no credit.")
    charges: list[SettlementChargeOut]


class SettlementListDetailOut(SettlementListOut):
    line_discounts: dict[str, Decimal] = Field(description="The discounts given on lines: line id -> amount.")
    settlements: list[SettlementShareOut] = Field(description="One per payer.")


def list_out(row: SettlementList) -> dict[str, Any]:
    """``row`` with ``LIST_RELATED`` selected."""
    store = row.store
    return {
        "id": row.pk,
        "store": store.code,
        "number": row.number,
        "order": row.order_id,
        "order_number": row.order.number,
        "plate": row.order.vehicle.plate,
        "state": row.state,
        "invoice_type": row.invoice_type,
        "discount": money(row.discount),
        "rounding": money(row.rounding),
        "amount": money(row.amount),
        "net": money(row.net),
        "tax": money(row.tax),
        "prepared_at": local(row.prepared_at, store),
        "prepared_by": username(row.prepared_by),
        "confirmed_at": local(row.confirmed_at, store),
        "confirmed_by": username(row.confirmed_by),
        "corrects": row.corrects_id,
        "reversed_at": local(row.reversed_at, store),
        "reversal_reason": row.reversal_reason,
    }


def _charge_out(row: SettlementCharge) -> dict[str, Any]:
    return {
        "position": row.position,
        "line": row.line_id,
        "category": row.category,
        "kind": row.kind,
        "description": row.description,
        "part_number": row.part_number,
        "quantity": Decimal(row.quantity).quantize(Decimal("0.001")),
        "unit_price": money(row.unit_price),
        "gross": money(row.gross),
        "discount": money(row.discount),
        "rounding": money(row.rounding),
        "amount": money(row.amount),
        "net": money(row.net),
        "tax": money(row.tax),
        "tax_rate": row.tax_rate,
        "tax_code": row.tax_code,
        "complimentary": row.complimentary,
        "surcharge": row.surcharge,
    }


def _share_out(row: Settlement, found: SettlementList) -> dict[str, Any]:
    credit = None
    if row.credit_at is not None:
        credit = {"by": username(row.credit_by), "at": local(row.credit_at, found.store), "note": row.credit_note}
    return {
        "id": row.pk,
        "payer": row.payer,
        "payer_name": row.payer_name,
        "amount": money(row.amount),
        "net": money(row.net),
        "tax": money(row.tax),
        "received": money(row.received),
        "open": money(row.open_amount),
        "state": row.state,
        "closed_at": local(row.closed_at, found.store),
        "credit": credit,
        "charges": [_charge_out(charge) for charge in row.charges.all()],
    }


def list_detail(list_id: int) -> dict[str, Any]:
    """The list with its settlements and their charges (three queries)."""
    charges = SettlementCharge.objects.order_by("position")
    shares = Settlement.all_objects.select_related("credit_by").order_by("pk")
    found = (
        SettlementList.all_objects.select_related(*LIST_RELATED)
        .prefetch_related(Prefetch("settlements", queryset=shares), Prefetch("settlements__charges", queryset=charges))
        .get(pk=list_id)
    )
    return {
        **list_out(found),
        "line_discounts": {key: money(value) for key, value in sorted((found.line_discounts or {}).items())},
        "settlements": [_share_out(row, found) for row in found.settlements.all()],
    }


def _list_for(request: HttpRequest, list_id: int, permission: str = "billing.view") -> SettlementList:
    records = SettlementList.all_objects.all()
    return store_record_access(actor=request_user(request), permission=permission, records=records, record_id=list_id)


class SettlementListQuery(ListQuery):
    store: StoreCode
    state: ListState | None = None
    order: RecordId | None = Field(default=None, description="A repair order's id: its lists, the reversed too.")
    number: str | None = Field(default=None, min_length=1, max_length=30, description="The list's number, JS-….")


@router.get("/settlements", response={200: Page[SettlementListOut], **STATE_ERRORS})
@operation("billing.view")
def settlement_list_list(request: HttpRequest, query: Query[SettlementListQuery]) -> dict[str, Any]:
    """The store's settlement lists, newest prepared first."""
    store = store_of(request, query.store, "billing.view")
    rows = SettlementList.all_objects.filter(store=store).select_related(*LIST_RELATED)
    if query.state:
        rows = rows.filter(state=query.state)
    if query.order:
        rows = rows.filter(order_id=query.order)
    if query.number:
        rows = rows.filter(number=query.number.upper())
    page = paginate(
        rows,
        query,
        ordering_fields=("prepared_at", "confirmed_at", "number", "amount"),
        default_ordering=("-prepared_at",),
    )
    page["items"] = [list_out(row) for row in page["items"]]
    return page


@router.get("/settlements/{id:list_id}", response={200: SettlementListDetailOut, **STATE_ERRORS})
@operation("billing.view")
def settlement_list_detail(request: HttpRequest, list_id: int) -> dict[str, Any]:
    """One settlement list: its totals, discounts and invoice type, each payer's settlement (what it owes, has
    received and still owes, its credit) with its charges itemised."""
    return list_detail(_list_for(request, list_id).pk)


class SettlementPrepareIn(InputSchema):
    order: RecordId = Field(description="A ready (or delivered) repair order.")


@router.post("/settlements/prepare", response={200: SettlementListDetailOut, **STATE_ERRORS})
@operation("billing.settle")
def settlement_list_prepare(request: HttpRequest, payload: SettlementPrepareIn) -> dict[str, Any]:
    """Prepare the order's settlement list, or prepare it again from the order as it is now (its discounts and
    invoice type kept); a confirmed list is answered as it is (it changes only by a reversal)."""
    user = request_user(request)
    order = repair_order_access(actor=user, order_id=payload.order, permission="billing.settle")
    return list_detail(services.settlement_prepare(order_id=order.pk, actor=user).pk)


class SettlementConfirmIn(InputSchema):
    discount: Amount = Field(default=Decimal("0.00"), description="Off the order, spread over the customer's items.")
    rounding: Amount = Field(default=Decimal("0.00"), description="Rounded off the total (抹零).")
    line_discounts: dict[LineKey, Amount] = Field(
        default={}, max_length=400, description="Off what the customer pays for a line: line id -> amount."
    )
    invoice_type: InvoiceType = "general"


@router.post("/settlements/{id:list_id}/confirm", response={200: SettlementListDetailOut, **STATE_ERRORS})
@operation("billing.settle")
def settlement_list_confirm(request: HttpRequest, list_id: int, payload: SettlementConfirmIn) -> dict[str, Any]:
    """Confirm a prepared list with the discounts given (within the caller's limits) and the invoice type: it is
    worked out again and takes its number; the deposits taken go to the customer's settlement."""
    data = services.ConfirmIn(
        discount=payload.discount,
        rounding=payload.rounding,
        line_discounts={int(line): amount for line, amount in payload.line_discounts.items()},
        invoice_type=payload.invoice_type,
    )
    found = services.settlement_confirm(actor=request_user(request), list_id=list_id, data=data)
    return list_detail(found.pk)


class SettlementReverseIn(InputSchema):
    reason: str = Field(max_length=300, description="Why the confirmed list is corrected.")


@router.post("/settlements/{id:list_id}/reverse", response={201: SettlementListDetailOut, **STATE_ERRORS})
@operation("billing.settle")
def settlement_list_reverse(request: HttpRequest, list_id: int, payload: SettlementReverseIn) -> Status[dict[str, Any]]:
    """Reverse a confirmed list (kept, with its number and the reason) and answer the new list prepared from the
    order as it is now, to be confirmed; the money received goes to it when it is."""
    found = payments.settlement_reverse(actor=request_user(request), list_id=list_id, reason=payload.reason)
    return Status(201, list_detail(found.pk))


class SettlementCreditIn(InputSchema):
    note: str = Field(max_length=300, description="Why the car is released before the payer has paid.")


@router.post(
    "/settlements/{id:list_id}/shares/{id:settlement_id}/credit",
    response={200: SettlementListDetailOut, **STATE_ERRORS},
)
@operation("billing.finance")
def settlement_credit(
    request: HttpRequest, list_id: int, settlement_id: int, payload: SettlementCreditIn
) -> dict[str, Any]:
    """Approve credit for a payer's open settlement of a confirmed list: the car may be delivered before it is
    paid; the settlement stays open."""
    if not Settlement.all_objects.filter(pk=settlement_id, settlement_list_id=list_id).exists():
        raise Http404
    payments.credit_approve(actor=request_user(request), settlement_id=settlement_id, note=payload.note)
    return list_detail(list_id)


@router.get(
    "/settlements/{id:list_id}/pdf",
    response={200: None, **STATE_ERRORS},
    openapi_extra=file_answer(
        "The settlement list (机动车维修费用结算清单) in the layout of JT/T 1133 as a PDF (A4): the fees by category, "
        "itemised, the discounts, the total in figures and in capitals, each payer's share, the boxes to sign."
    ),
)
@operation("billing.view")
def settlement_list_pdf(request: HttpRequest, list_id: int) -> HttpResponse:
    user = request_user(request)
    found = SettlementList.all_objects.select_related("store").get(pk=_list_for(request, list_id).pk)
    pdf = documents.settlement_list_pdf(settlement_list=found, printed_by=user.full_name or user.username)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.number or f"JS-{found.pk}"}.pdf"'
    return response
