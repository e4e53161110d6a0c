"""Payments at the counter (SPEC BIL-4): the store's payments, one payment with its refunds and its receipt,
taking a payment for a payer's settlement or a customer's deposit on an order (cash with change, bank card,
a scanned payment code through the provider, bank transfer), finance confirming or cancelling a transfer,
refunds asked for at the counter and decided by finance.

Refusals: a payment, settlement, order or refund not found (or not the caller's to see) is 404; an amount above
what is open or left to refund, written "12,3", a missing reference or payment code are 422 on their fields; a
list not confirmed, a settlement closed, a payment not pending or not paid, a refund decided are 409. Nothing is
written."""

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from ninja.responses import Status

from aftersales.billing import documents
from aftersales.billing import payments as services
from aftersales.billing.api.common import (
    PAYMENT_RELATED,
    REFUND_RELATED,
    STATE_ERRORS,
    Amount,
    MethodName,
    PaymentDetailOut,
    PaymentOut,
    PaymentState,
    RefundOut,
    RefundState,
    payment_detail_out,
    payment_out,
    refund_out,
)
from aftersales.billing.models import Payment, Refund
from aftersales.core.access import store_record_access
from aftersales.core.apikit import InputSchema, ListQuery, Page, file_answer, paginate
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.visits.api.common import Day
from aftersales.workshop.api.common import RecordId

router = Router(tags=["billing"])


def _payment_for(request: HttpRequest, payment_id: int) -> Payment:
    records = Payment.all_objects.all()
    return store_record_access(
        actor=request_user(request), permission="billing.view", records=records, record_id=payment_id
    )


class PaymentQuery(ListQuery):
    store: StoreCode
    order: RecordId | None = Field(default=None, description="A repair order's id.")
    state: PaymentState | None = None
    method: MethodName | None = None
    day: Day | None = Field(default=None, description="Taken on this day of the store's calendar.")


@router.get("/payments", response={200: Page[PaymentOut], **STATE_ERRORS})
@operation("billing.view")
def payment_list(request: HttpRequest, query: Query[PaymentQuery]) -> dict[str, Any]:
    """The store's payments, newest first."""
    store = store_of(request, query.store, "billing.view")
    rows = Payment.all_objects.filter(store=store).select_related(*PAYMENT_RELATED)
    if query.order:
        rows = rows.filter(order_id=query.order)
    if query.state:
        rows = rows.filter(state=query.state)
    if query.method:
        rows = rows.filter(method=query.method)
    if query.day:
        calendar = store_calendar(store)
        starts, ends = calendar.day_start(query.day), calendar.day_start(query.day + timedelta(days=1))
        rows = rows.filter(taken_at__gte=starts, taken_at__lt=ends)
    page = paginate(rows, query, ordering_fields=("taken_at", "number", "amount"), default_ordering=("-taken_at",))
    page["items"] = [payment_out(row) for row in page["items"]]
    return page


class PaymentTakeIn(InputSchema):
    settlement: RecordId | None = Field(default=None, description="A payer's settlement of a confirmed list.")
    order: RecordId | None = Field(
        default=None,
        description="Instead of ``settlement``: a customer's deposit on the order before its list is confirmed.",
    )
    method: MethodName
    amount: Amount
    tendered: Amount | None = Field(
        default=None,
        description="Cash: what the customer handed over (the change is given back); null: exactly the amount.",
    )
    reference: str = Field(
        default="", max_length=64, description="Card: the POS slip's reference; transfer: the bank's."
    )
    auth_code: str = Field(default="", max_length=24, description="Payment code: the customer's code as scanned.")
    note: str = Field(default="", max_length=300)


@router.post("/payments", response={201: PaymentDetailOut, **STATE_ERRORS})
@operation("billing.collect")
def payment_create(request: HttpRequest, payload: PaymentTakeIn) -> Status[dict[str, Any]]:
    """Take a payment: for a payer's settlement (never above what is open of it), or a customer's deposit on an
    order. Cash and card are paid at once, a transfer waits for finance; a scanned code goes to the payment
    provider, which is asked until its answer is final (pending while it is not)."""
    if (payload.settlement is None) == (payload.order is None):
        raise ApplicationError(_("Pay either a settlement or a deposit on an order."), field="settlement", status=422)
    payment = services.payment_take(
        actor=request_user(request),
        data=services.PaymentIn(
            method=payload.method,
            amount=payload.amount,
            tendered=payload.tendered,
            reference=payload.reference,
            auth_code=payload.auth_code,
            note=payload.note,
        ),
        settlement_id=payload.settlement,
        order_id=payload.order,
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    return Status(201, payment_detail_out(payment.pk))


class RefundQuery(ListQuery):
    store: StoreCode
    state: RefundState | None = None


@router.get("/payments/refunds", response={200: Page[RefundOut], **STATE_ERRORS})
@operation("billing.view")
def refund_list(request: HttpRequest, query: Query[RefundQuery]) -> dict[str, Any]:
    """The store's refunds, newest asked for first."""
    store = store_of(request, query.store, "billing.view")
    rows = Refund.all_objects.filter(store=store).select_related(*REFUND_RELATED)
    if query.state:
        rows = rows.filter(state=query.state)
    page = paginate(
        rows, query, ordering_fields=("requested_at", "number", "amount"), default_ordering=("-requested_at",)
    )
    page["items"] = [refund_out(row) for row in page["items"]]
    return page


class RefundDecisionIn(InputSchema):
    approve: bool
    note: str = Field(default="", max_length=300)
    reference: str = Field(
        default="", max_length=64, description="Card or transfer: the reference of the money sent back."
    )


@router.post("/payments/refunds/{id:refund_id}/decide", response={200: RefundOut, **STATE_ERRORS})
@operation("billing.finance")
def refund_decide(request: HttpRequest, refund_id: int, payload: RefundDecisionIn) -> dict[str, Any]:
    """Approve or refuse a refund someone else asked for. Approved, it is paid out: a scanned code's back to the
    customer's wallet through the provider (refunded when the provider says so), any other at once."""
    refund = services.refund_decide(
        actor=request_user(request),
        refund_id=refund_id,
        approve=payload.approve,
        note=payload.note,
        reference=payload.reference,
    )
    return refund_out(Refund.all_objects.select_related(*REFUND_RELATED).get(pk=refund.pk))


@router.get("/payments/{id:payment_id}", response={200: PaymentDetailOut, **STATE_ERRORS})
@operation("billing.view")
def payment_detail(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    """One payment with its refunds."""
    return payment_detail_out(_payment_for(request, payment_id).pk)


@router.get(
    "/payments/{id:payment_id}/receipt",
    response={200: None, **STATE_ERRORS},
    openapi_extra=file_answer("The payment's receipt (收款收据) for an 80 mm roll, as a PDF."),
)
@operation("billing.view")
def payment_receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    user = request_user(request)
    payment = Payment.all_objects.select_related("store").get(pk=_payment_for(request, payment_id).pk)
    pdf = documents.receipt_pdf(payment=payment, printed_by=user.full_name or user.username)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{payment.number}.pdf"'
    return response


@router.post("/payments/{id:payment_id}/confirm", response={200: PaymentDetailOut, **STATE_ERRORS})
@operation("billing.finance")
def payment_confirm(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    """Confirm that a pending bank transfer arrived: it is paid and its settlement receives it."""
    payment = services.payment_confirm(actor=request_user(request), payment_id=payment_id)
    return payment_detail_out(payment.pk)


class PaymentCancelIn(InputSchema):
    reason: str = Field(max_length=300, description="Why the transfer is taken as never arrived.")


@router.post("/payments/{id:payment_id}/cancel", response={200: PaymentDetailOut, **STATE_ERRORS})
@operation("billing.finance")
def payment_cancel(request: HttpRequest, payment_id: int, payload: PaymentCancelIn) -> dict[str, Any]:
    """Cancel a pending bank transfer that never arrived (it fails, with the reason)."""
    payment = services.payment_cancel(actor=request_user(request), payment_id=payment_id, reason=payload.reason)
    return payment_detail_out(payment.pk)


class RefundIn(InputSchema):
    amount: Amount = Field(description="At most what is left of the payment.")
    reason: str = Field(max_length=300)
    method: MethodName | None = Field(default=None, description="null: the payment's own method; or cash.")


@router.post("/payments/{id:payment_id}/refunds", response={201: RefundOut, **STATE_ERRORS})
@operation("billing.collect")
def refund_create(request: HttpRequest, payment_id: int, payload: RefundIn) -> Status[dict[str, Any]]:
    """Ask for money back from a paid payment, never above what is left of it; finance approves it."""
    refund = services.refund_request(
        actor=request_user(request),
        payment_id=payment_id,
        amount=payload.amount,
        reason=payload.reason,
        method=payload.method or "",
    )
    return Status(201, refund_out(Refund.all_objects.select_related(*REFUND_RELATED).get(pk=refund.pk)))
