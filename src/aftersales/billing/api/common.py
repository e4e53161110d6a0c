"""What the billing API's modules share: amounts as a person types them (read by ``core.money.amount_parse``:
"１２.５" is 12.50, "12,3" is refused on its field), the errors its operations answer, times in the store's zone,
people by username, and a payment and a refund as the answers show them. Amounts in answers are strings with
two decimals."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator, WithJsonSchema

from aftersales.billing.models import Payment, Refund
from aftersales.core.api import ERRORS
from aftersales.core.apikit import ErrorOut
from aftersales.core.models import Store
from aftersales.core.money import amount_parse, money_round

# Refusals of a state (a list confirmed already, a settlement closed, a refund decided) are 409.
STATE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}

AMOUNT_CHARS = 20
MethodName = Literal["cash", "card", "code", "transfer"]
PaymentState = Literal["pending", "paid", "failed"]
RefundState = Literal["requested", "approved", "refunded", "refused"]


def _typed(value: Any) -> Decimal:
    """An amount sent as text, read as people type it; ``AmountError`` (a ``ValueError``) names the problem on
    the field."""
    if not isinstance(value, str):
        raise ValueError(_("Enter text."))
    if len(value) > AMOUNT_CHARS:
        raise ValueError(_("Enter at most %(n)s characters.") % {"n": AMOUNT_CHARS})
    return amount_parse(value)


# An amount in yuan as text ("688", "12.50", full-width "１２.５"): a comma (ambiguous), a sign, an exponent or a
# third decimal is refused on the field.
Amount = Annotated[
    Decimal,
    BeforeValidator(_typed),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": AMOUNT_CHARS,
            "examples": ["688.00"],
            "description": "Yuan as text with at most two decimals (full-width digits are read; no comma).",
        }
    ),
]


def money(value: Decimal | None) -> Decimal | None:
    return money_round(value) if value is not None else None


def local(moment: datetime | None, store: Store) -> datetime | None:
    return moment.astimezone(store.zone) if moment is not None else None


def username(user: Any) -> str | None:
    return user.username if user is not None else None


class RefundOut(Schema):
    id: int
    store: str = Field(description="Store code.")
    number: str = Field(description="TK-…")
    payment: int
    payment_number: str
    order: int
    order_number: str
    amount: Decimal
    method: MethodName = Field(description="How the money goes back: the payment's own method, or cash.")
    reason: str
    state: RefundState = Field(description="approved: a scanned code's refund awaiting the provider's answer.")
    requested_by: str = Field(description="Who asked for it at the counter (username).")
    requested_at: datetime
    decided_by: str | None = Field(description="Who approved or refused it (username); null: not decided.")
    decided_at: datetime | None
    refunded_at: datetime | None
    reference: str = Field(description="The POS slip's or the bank's reference, or the provider's refund id.")
    note: str


def refund_out(row: Refund) -> dict[str, Any]:
    """``row`` with its store, payment and order, requested_by and decided_by selected."""
    store = row.store
    return {
        "id": row.pk,
        "store": store.code,
        "number": row.number,
        "payment": row.payment_id,
        "payment_number": row.payment.number,
        "order": row.payment.order_id,
        "order_number": row.payment.order.number,
        "amount": money(row.amount),
        "method": row.method,
        "reason": row.reason,
        "state": row.state,
        "requested_by": row.requested_by.username,
        "requested_at": local(row.requested_at, store),
        "decided_by": username(row.decided_by),
        "decided_at": local(row.decided_at, store),
        "refunded_at": local(row.refunded_at, store),
        "reference": row.reference,
        "note": row.note,
    }


REFUND_RELATED = ("store", "payment__order", "requested_by", "decided_by")


class PaymentOut(Schema):
    id: int
    store: str = Field(description="Store code.")
    number: str = Field(description="The receipt's number, SK-…")
    order: int
    order_number: str
    plate: str
    settlement: int | None = Field(description="The payer's settlement; null: a deposit not yet attached.")
    settlement_list: int | None
    payer: str
    method: MethodName
    amount: Decimal
    tendered: Decimal | None = Field(description="Cash: what the customer handed over.")
    change: Decimal
    reference: str = Field(description="The POS slip's or the bank's reference.")
    is_deposit: bool
    state: PaymentState = Field(
        description="pending: a scanned code awaiting the provider's final answer, a transfer awaiting finance."
    )
    provider: str
    out_trade_no: str = Field(description="A scanned code's order number at the provider.")
    transaction_id: str = Field(description="The provider's transaction.")
    failure: str = Field(description="Why it failed, or why the provider's answer is not final yet.")
    cashier: str = Field(description="Who took it (username).")
    taken_at: datetime
    confirmed_by: str | None = Field(description="A bank transfer: who in finance confirmed it arrived (username).")
    confirmed_at: datetime | None
    refunded: Decimal = Field(description="What has been given back of it.")
    note: str


class PaymentDetailOut(PaymentOut):
    refunds: list[RefundOut]


def payment_out(row: Payment) -> dict[str, Any]:
    """``row`` with its store, order and car, settlement, cashier and confirmed_by selected."""
    store = row.store
    return {
        "id": row.pk,
        "store": store.code,
        "number": row.number,
        "order": row.order_id,
        "order_number": row.order.number,
        "plate": row.order.vehicle.plate,
        "settlement": row.settlement_id,
        "settlement_list": row.settlement.settlement_list_id if row.settlement is not None else None,
        "payer": row.payer,
        "method": row.method,
        "amount": money(row.amount),
        "tendered": money(row.tendered),
        "change": money(row.change),
        "reference": row.reference,
        "is_deposit": row.is_deposit,
        "state": row.state,
        "provider": row.provider,
        "out_trade_no": row.out_trade_no,
        "transaction_id": row.transaction_id,
        "failure": row.failure,
        "cashier": row.cashier.username,
        "taken_at": local(row.taken_at, store),
        "confirmed_by": username(row.confirmed_by),
        "confirmed_at": local(row.confirmed_at, store),
        "refunded": money(row.refunded),
        "note": row.note,
    }


PAYMENT_RELATED = ("store", "order__vehicle", "settlement", "cashier", "confirmed_by")


def payment_detail_out(payment_id: int) -> dict[str, Any]:
    """A payment with its refunds, oldest first (two queries)."""
    row = Payment.all_objects.select_related(*PAYMENT_RELATED).get(pk=payment_id)
    refunds = Refund.all_objects.filter(payment=row).select_related(*REFUND_RELATED).order_by("requested_at", "pk")
    return {**payment_out(row), "refunds": [refund_out(refund) for refund in refunds]}
