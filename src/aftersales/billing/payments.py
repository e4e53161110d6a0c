"""Every write of money at the counter (SPEC BIL-2, BIL-4): payments for a payer's settlement or, before the list
is confirmed, a customer's deposit; a scanned payment code taken through the payment provider; a bank transfer
confirmed by finance; refunds requested at the counter and approved by finance; credit approved by a role with
the right; the cash desk's day (opening float, hand-over).

A settlement's ``received`` is its paid payments less their refunds, kept in the same transaction as each; it
closes when it has received its amount. Nothing is ever edited once paid: money goes back by a refund.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.billing.models import CashDay, Method, Payment, Refund, Settlement, SettlementList
from aftersales.billing.providers import (
    NoPaymentProvider,
    PaymentError,
    PayResult,
    RefundResult,
    pay_until_final,
    payment_provider,
    refund_checked,
)
from aftersales.billing.services import SETTLE, SETTLED_FROM, settlement_prepare_again
from aftersales.catalogue.paytypes import Payer
from aftersales.core.access import authorize, can, store_record_access
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Store, User
from aftersales.core.money import money_round, to_fen
from aftersales.core.numbering import number_next
from aftersales.visits.models import RepairOrder

COLLECT = "billing.collect"
FINANCE = "billing.finance"
RECEIPT_DOC, REFUND_DOC = "SK", "TK"
ZERO = Decimal("0.00")
MOST = Decimal("1000000.00")  # the most one payment at the counter takes
REVOKE_AFTER = timedelta(minutes=10)  # a code payment still unclear this long is revoked by the recheck
# A payment code as WeChat Pay (18 digits, 10-15 first) and Alipay (16-24 digits, 25-30 first) issue them.
AUTH_CODE = re.compile(r"[0-9]{16,24}")
PAID, PENDING, FAILED = Payment.State.PAID, Payment.State.PENDING, Payment.State.FAILED
DEPOSIT_FROM = (
    RepairOrder.State.OPEN,
    RepairOrder.State.IN_WORK,
    RepairOrder.State.COMPLETED,
    RepairOrder.State.READY,
    RepairOrder.State.DELIVERED,
)


def _refused(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError(_("Some fields need attention."), fields=fields, status=422)


@dataclass(frozen=True)
class PaymentIn:
    """A payment at the counter. ``amount`` is read by ``core.money.amount_parse`` where a person typed it."""

    method: str
    amount: Decimal
    tendered: Decimal | None = None  # cash: what the customer handed over (None: exactly the amount)
    reference: str = ""  # card: the POS slip's reference; transfer: the bank's
    auth_code: str = ""  # code: the payment code scanned
    note: str = ""


def _payment_problems(data: PaymentIn) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.method not in Method.values:
        errors["method"] = [_("Choose one of the listed values.")]
    if not data.amount.is_finite() or data.amount <= 0 or data.amount != money_round(data.amount):
        errors["amount"] = [_("Enter an amount above 0 with at most two decimals.")]
    elif data.amount > MOST:
        errors["amount"] = [_("At most %(most)s is taken in one payment.") % {"most": MOST}]
    if data.method == Method.CASH and data.tendered is not None and "amount" not in errors:
        if not data.tendered.is_finite() or data.tendered != money_round(data.tendered):
            errors["tendered"] = [_("Enter an amount with at most two decimals.")]
        elif data.tendered < data.amount:
            errors["tendered"] = [_("Less than the amount: %(amount)s.") % {"amount": money_round(data.amount)}]
        elif data.tendered > data.amount + MOST:
            errors["tendered"] = [_("At most %(most)s is taken in one payment.") % {"most": MOST}]
    if data.method in (Method.CARD, Method.TRANSFER) and not data.reference.strip():
        errors["reference"] = [
            _("Enter the POS slip's reference.") if data.method == Method.CARD else _("Enter the bank's reference.")
        ]
    if len(data.reference) > 64:
        errors["reference"] = [_("At most 64 characters.")]
    if len(data.note) > 300:
        errors["note"] = [_("At most 300 characters.")]
    if data.method == Method.CODE and not AUTH_CODE.fullmatch(data.auth_code.strip()):
        errors["auth_code"] = [_("Scan the customer's payment code: 16 to 24 digits.")]
    return errors


def _settlement_locked(settlement_id: int) -> Settlement:
    return Settlement.all_objects.select_for_update().get(pk=settlement_id)


def _pending_on(settlement: Settlement) -> Decimal:
    """What pending payments (a scanned code awaiting its answer, a transfer awaiting finance) hold of it."""
    held = Payment.all_objects.filter(settlement=settlement, state=PENDING).aggregate(total=Sum("amount"))["total"]
    return held or ZERO


def payment_take(
    *,
    actor: User,
    data: PaymentIn,
    settlement_id: int | None = None,
    order_id: int | None = None,
    client_ip: str = "",
) -> Payment:
    """Take a payment (``billing.collect``): for ``settlement_id`` (a payer's settlement of a confirmed list, never
    above what is open of it), or with ``order_id`` a customer's deposit before the list is confirmed. Cash and
    card are paid at once; a transfer waits for finance (``payment_confirm``); a scanned code goes to the
    payment provider, which is asked until its answer is final (the payment stays pending when even that is
    unclear; ``payment_recheck`` asks again). Refused: nothing written. One audit entry per write."""
    errors = _payment_problems(data)
    if errors:
        raise _refused(errors)
    tendered = money_round(data.tendered) if data.tendered is not None else None
    data = replace(data, amount=money_round(data.amount), tendered=tendered)
    if (settlement_id is None) == (order_id is None):
        raise ApplicationError(_("Pay either a settlement or a deposit on an order."), field="settlement", status=422)
    provider = payment_provider() if data.method == Method.CODE else None
    if isinstance(provider, NoPaymentProvider):
        raise _refused({"method": [_("Payment codes are not set up: take the payment another way.")]})
    with transaction.atomic():
        if settlement_id is not None:
            settlement = store_record_access(
                actor=actor, permission=COLLECT, records=Settlement.all_objects.all(), record_id=settlement_id
            )
            settlement = _settlement_locked(settlement.pk)
            order = RepairOrder.all_objects.select_related("store").get(pk=settlement.order_id)
            _payable(settlement, data.amount)
            payer, is_deposit = settlement.payer, False
        else:
            order = store_record_access(
                actor=actor, permission=COLLECT, records=RepairOrder.all_objects.all(), record_id=order_id or 0
            )
            order = RepairOrder.all_objects.select_for_update(of=("self",)).select_related("store").get(pk=order.pk)
            _depositable(order)
            settlement, payer, is_deposit = None, Payer.CUSTOMER.value, True
        payment = Payment(
            store=order.store,
            number=number_next(store=order.store, doc_type=RECEIPT_DOC),
            order=order,
            settlement=settlement,
            payer=payer,
            method=data.method,
            amount=data.amount,
            reference=data.reference.strip(),
            is_deposit=is_deposit,
            cashier=actor,
            taken_at=timezone.now(),
            note=data.note.strip(),
            state=PAID if data.method in (Method.CASH, Method.CARD) else PENDING,
        )
        if data.method == Method.CASH:
            payment.tendered = data.tendered if data.tendered is not None else data.amount
            payment.change = payment.tendered - data.amount
        if provider is not None:
            payment.provider = provider.name
        payment.save(actor=actor)
        if provider is not None:
            payment.out_trade_no = f"AS{timezone.now():%Y%m%d}{payment.pk:010d}"
            payment.save(update_fields=["out_trade_no"])
        if payment.state == PAID and settlement is not None:
            _received(settlement, data.amount, actor)
    if provider is not None:
        payment = _code_pay(payment, data.auth_code.strip(), client_ip)
    return payment


def _payable(settlement: Settlement, amount: Decimal) -> None:
    settlement_list = SettlementList.all_objects.get(pk=settlement.settlement_list_id)
    if settlement_list.state != SettlementList.State.CONFIRMED:
        raise ConflictError(
            _("The settlement list is not confirmed: take a deposit on the order, or confirm the list first."),
            code="not_confirmed",
        )
    if settlement.state != Settlement.State.OPEN:
        raise ConflictError(_("This settlement is closed: nothing is open on it."), code="settlement_closed")
    still = settlement.open_amount - _pending_on(settlement)
    if amount > still:
        raise _refused({"amount": [_("Only %(open)s is open on this settlement.") % {"open": max(still, ZERO)}]})


def _depositable(order: RepairOrder) -> None:
    if order.state not in DEPOSIT_FROM:
        raise ConflictError(
            _("No deposit is taken on an order that is “%(state)s”.") % {"state": order.get_state_display()},
            code="no_deposit",
        )
    if SettlementList.all_objects.filter(order=order, state=SettlementList.State.CONFIRMED).exists():
        raise ConflictError(
            _("The settlement list is confirmed: pay the customer's settlement instead of a deposit."),
            code="list_confirmed",
        )


def _received(settlement: Settlement, amount: Decimal, actor: User | None) -> None:
    """Add ``amount`` (negative: a refund) to what the settlement (locked) has received; it closes when it has
    received its amount and opens again when a refund leaves it short."""
    settlement.received += amount
    if settlement.state != Settlement.State.REVERSED:
        full = settlement.received >= settlement.amount
        settlement.state = Settlement.State.CLOSED if full else Settlement.State.OPEN
        settlement.closed_at = (settlement.closed_at or timezone.now()) if full else None
    settlement.save(update_fields=["received", "state", "closed_at"], actor=actor)


# --- the payment code ------------------------------------------------------------------------------------------


def _code_pay(payment: Payment, auth_code: str, client_ip: str) -> Payment:
    """Submit the scanned code to the provider and ask until the answer is final (outside any transaction: the
    provider may take half a minute), then record it."""
    provider = payment_provider()
    answered: list[str] = []
    try:
        result = pay_until_final(
            provider,
            out_trade_no=payment.out_trade_no,
            amount_fen=to_fen(payment.amount),
            auth_code=auth_code,
            description=_("Repair order %(number)s") % {"number": payment.order.number},
            client_ip=client_ip or "127.0.0.1",
            polls=settings.AFTERSALES_PAYMENT_POLLS,
            wait=settings.AFTERSALES_PAYMENT_WAIT,
            sleep=time.sleep,
            on_answer=lambda step, _result: answered.append(step),
        )
    except PaymentError as error:
        # Only the code's own refusal (a wrong code, not enough money) is final. Once the provider has answered
        # the payment, an error asking about it or revoking it leaves it unknown: the customer may have paid,
        # and the payment stays pending to be asked again (``payment_recheck``). A bad signature or a wrong
        # amount is never taken as paid.
        if answered or error.code in ("bad_signature", "amount_mismatch") or error.temporary:
            return payment_answer(payment_id=payment.pk, failure=str(error)[:300])
        return payment_answer(
            payment_id=payment.pk,
            result=PayResult(provider.name, "failed", payment.out_trade_no, error_code=error.code),
            failure=str(error)[:300],
        )
    return payment_answer(payment_id=payment.pk, result=result)


def payment_answer(*, payment_id: int, result: PayResult | None = None, failure: str = "") -> Payment:
    """Record the provider's answer about a pending payment: paid (the settlement receives it), failed or
    revoked, or still unclear (it stays pending, ``failure`` says why). An answer about a payment that is no
    longer pending is the provider repeating itself: ignored, nothing written twice."""
    with transaction.atomic():
        payment = Payment.all_objects.select_for_update().get(pk=payment_id)
        if payment.state != PENDING or payment.method != Method.CODE:
            return payment
        if result is not None and result.state == "success":
            if result.amount_fen != to_fen(payment.amount):  # pay_until_final checks too: never taken as paid
                payment.failure = _("The provider reported another amount: not taken as paid.")[:300]
                payment.save(update_fields=["failure"])
                return payment
            payment.state, payment.transaction_id, payment.failure = PAID, result.transaction_id, ""
            try:
                with transaction.atomic():
                    payment.save(update_fields=["state", "transaction_id", "failure"])
            except IntegrityError:  # the provider's transaction is recorded on another payment already
                return Payment.all_objects.get(pk=payment_id)
            if payment.settlement_id is not None:
                _received(_settlement_locked(payment.settlement_id), payment.amount, None)  # the provider's word
        elif result is not None and result.state in ("failed", "reversed"):
            payment.state = FAILED
            payment.failure = (failure or result.error_message or result.error_code or _("Not paid."))[:300]
            payment.save(update_fields=["state", "failure"])
        else:
            payment.failure = (failure or (result.error_message if result else ""))[:300]
            payment.save(update_fields=["failure"])
    return payment


def payment_recheck(*, payment_id: int) -> Payment:
    """Ask the provider again about a pending code payment (the job ``payments_recheck``) and record the
    answer; a payment no longer pending is left as it is."""
    payment = Payment.all_objects.get(pk=payment_id)
    if payment.state != PENDING or payment.method != Method.CODE:
        return payment
    provider = payment_provider()
    try:
        result = provider.query(out_trade_no=payment.out_trade_no)
        if result.state in ("paying", "unknown") and timezone.now() - payment.taken_at > REVOKE_AFTER:
            # Still unclear long after the counter gave up (or never known to the provider): revoke it, which
            # closes it unpaid or gives the money back, so that it no longer holds the settlement.
            result = provider.reverse(out_trade_no=payment.out_trade_no)
    except PaymentError as error:
        return payment_answer(payment_id=payment.pk, failure=str(error)[:300])
    if result.state == "success" and result.amount_fen != to_fen(payment.amount):
        return payment_answer(payment_id=payment.pk, failure=_("The provider reported another amount."))
    return payment_answer(payment_id=payment.pk, result=result)


# --- finance ---------------------------------------------------------------------------------------------------


def payment_confirm(*, actor: User, payment_id: int) -> Payment:
    """Finance confirms that a bank transfer arrived (``billing.finance``): the payment is paid and its
    settlement receives it. Refused when it would take more than is open."""
    with transaction.atomic():
        payment = store_record_access(
            actor=actor, permission=FINANCE, records=Payment.all_objects.all(), record_id=payment_id
        )
        payment = Payment.all_objects.select_for_update().get(pk=payment.pk)
        if payment.method != Method.TRANSFER or payment.state != PENDING:
            raise ConflictError(_("Only a pending bank transfer is confirmed."), code="not_pending")
        settlement = _settlement_locked(payment.settlement_id) if payment.settlement_id is not None else None
        if settlement is not None and payment.amount > settlement.open_amount:
            raise _refused(
                {"amount": [_("Only %(open)s is open on this settlement.") % {"open": settlement.open_amount}]}
            )
        payment.state, payment.confirmed_by, payment.confirmed_at = PAID, actor, timezone.now()
        payment.save(actor=actor)
        if settlement is not None:
            _received(settlement, payment.amount, actor)
    return payment


def payment_cancel(*, actor: User, payment_id: int, reason: str) -> Payment:
    """A bank transfer that never arrived is cancelled by finance (failed, with the reason)."""
    if not reason.strip() or len(reason) > 300:
        raise _refused({"reason": [_("Say why, in at most 300 characters.")]})
    with transaction.atomic():
        payment = store_record_access(
            actor=actor, permission=FINANCE, records=Payment.all_objects.all(), record_id=payment_id
        )
        payment = Payment.all_objects.select_for_update().get(pk=payment.pk)
        if payment.method != Method.TRANSFER or payment.state != PENDING:
            raise ConflictError(_("Only a pending bank transfer is cancelled."), code="not_pending")
        payment.state, payment.failure = FAILED, reason.strip()
        payment.save(actor=actor)
    return payment


def credit_approve(*, actor: User, settlement_id: int, note: str) -> Settlement:
    """Release the car before the customer has paid (``billing.finance``): the settlement stays open, its
    credit recorded with who approved it and why."""
    if not note.strip() or len(note) > 300:
        raise _refused({"note": [_("Say why the credit is given, in at most 300 characters.")]})
    with transaction.atomic():
        settlement = store_record_access(
            actor=actor, permission=FINANCE, records=Settlement.all_objects.all(), record_id=settlement_id
        )
        settlement = _settlement_locked(settlement.pk)
        if settlement.state != Settlement.State.OPEN:
            raise ConflictError(_("This settlement is closed: nothing is open on it."), code="settlement_closed")
        if not SettlementList.all_objects.filter(
            pk=settlement.settlement_list_id, state=SettlementList.State.CONFIRMED
        ).exists():
            raise ConflictError(_("Confirm the settlement list first."), code="not_confirmed")
        settlement.credit_by, settlement.credit_at, settlement.credit_note = actor, timezone.now(), note.strip()
        settlement.save(actor=actor)
    return settlement


# --- refunds ---------------------------------------------------------------------------------------------------


def _refundable(payment: Payment, *, excluding: int | None = None) -> Decimal:
    """What is left of a payment to refund: its amount less what is refunded or asked for (but refused)."""
    asked = (
        Refund.all_objects.filter(payment=payment, state__in=(Refund.State.REQUESTED, Refund.State.APPROVED))
        .exclude(pk=excluding)
        .aggregate(total=Sum("amount"))["total"]
    )
    return payment.amount - payment.refunded - (asked or ZERO)


def refund_request(*, actor: User, payment_id: int, amount: Decimal, reason: str, method: str = "") -> Refund:
    """Ask for money back from a paid payment (``billing.collect``), never above what is left of it; through the
    payment's own method unless ``method`` says cash. Finance approves it (``refund_decide``)."""
    errors: dict[str, list[str]] = {}
    if not amount.is_finite() or amount <= 0 or amount != money_round(amount):
        errors["amount"] = [_("Enter an amount above 0 with at most two decimals.")]
    else:
        amount = money_round(amount)
    if not reason.strip() or len(reason) > 300:
        errors["reason"] = [_("Say why, in at most 300 characters.")]
    if method and method not in Method.values:
        errors["method"] = [_("Choose one of the listed values.")]
    if errors:
        raise _refused(errors)
    with transaction.atomic():
        payment = store_record_access(
            actor=actor, permission=COLLECT, records=Payment.all_objects.all(), record_id=payment_id
        )
        payment = Payment.all_objects.select_for_update().get(pk=payment.pk)
        if payment.state != PAID:
            raise ConflictError(_("Only a paid payment is refunded."), code="not_paid")
        left = _refundable(payment)
        if amount > left:
            raise _refused({"amount": [_("At most %(left)s of this payment can be refunded.") % {"left": left}]})
        if method and method not in (payment.method, Method.CASH):
            raise _refused({"method": [_("A refund goes back the way it was paid, or in cash.")]})
        refund = Refund(
            store=payment.store,
            number=number_next(store=payment.store, doc_type=REFUND_DOC),
            payment=payment,
            amount=amount,
            method=method or payment.method,
            reason=reason.strip(),
            requested_by=actor,
            requested_at=timezone.now(),
        )
        refund.save(actor=actor)
    return refund


def refund_decide(*, actor: User, refund_id: int, approve: bool, note: str = "", reference: str = "") -> Refund:
    """Finance approves or refuses a requested refund (``billing.finance``; not one's own request). Approved, it is
    paid out: through the provider for a scanned code's payment (done when the provider says so), otherwise at
    once with ``reference`` (the POS slip's or the bank's; none for cash)."""
    if len(note) > 300:
        raise _refused({"note": [_("At most 300 characters.")]})
    if len(reference) > 64:
        raise _refused({"reference": [_("At most 64 characters.")]})
    with transaction.atomic():
        refund = store_record_access(
            actor=actor, permission=FINANCE, records=Refund.all_objects.all(), record_id=refund_id
        )
        refund = Refund.all_objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.State.REQUESTED:
            raise ConflictError(_("This refund is decided already."), code="decided")
        if refund.requested_by_id == actor.pk and not actor.is_superuser:
            raise ApplicationError(_("Someone else approves the refunds you ask for."), code="own_request")
        payment = Payment.all_objects.select_for_update().get(pk=refund.payment_id)
        refund.decided_by, refund.decided_at, refund.note = actor, timezone.now(), note.strip()
        if not approve:
            refund.state = Refund.State.REFUSED
            refund.save(actor=actor)
            return refund
        through_provider = refund.method == Method.CODE
        if refund.method in (Method.CARD, Method.TRANSFER) and not reference.strip():
            raise _refused({"reference": [_("Enter the reference of the money sent back.")]})
        refund.reference = reference.strip()
        refund.state = Refund.State.APPROVED if through_provider else Refund.State.REFUNDED
        if not through_provider:
            _refunded(refund, payment)
        refund.save(actor=actor)
    if through_provider:
        refund = _provider_refund(refund)
    return refund


def _refunded(refund: Refund, payment: Payment) -> None:
    """The money is back with the customer: the payment and its settlement give it up (both locked)."""
    refund.state, refund.refunded_at = Refund.State.REFUNDED, timezone.now()
    payment.refunded += refund.amount
    payment.save(update_fields=["refunded"], actor=refund.decided_by)
    if payment.settlement_id is not None:
        _received(_settlement_locked(payment.settlement_id), -refund.amount, refund.decided_by)


def _refund_no(refund: Refund) -> str:
    return refund.number.replace("-", "")[:32]


def _untrusted(error: PaymentError) -> bool:
    """An answer that does not verify or names another amount: the refund may have been made; it stays
    approved for the provider to be asked again, never paid another way meanwhile."""
    return error.code in ("bad_signature", "amount_mismatch") or error.temporary


def _provider_refund(refund: Refund) -> Refund:
    """Ask the provider to send the money back to the customer's wallet and record its answer (the same refund
    number each time: the provider refunds it once)."""
    payment = refund.payment
    try:
        result = payment_provider().refund(
            out_trade_no=payment.out_trade_no,
            out_refund_no=_refund_no(refund),
            total_fen=to_fen(payment.amount),
            refund_fen=to_fen(refund.amount),
            reason=refund.reason,
        )
    except PaymentError as error:
        return refund_answer(refund_id=refund.pk, failure=str(error)[:300], final=not _untrusted(error))
    return refund_answer(refund_id=refund.pk, result=result)


def refund_answer(
    *, refund_id: int, result: RefundResult | None = None, failure: str = "", final: bool = False
) -> Refund:
    """Record the provider's answer about an approved refund: done (the payment gives the money up), failed
    (back to requested, with why, to be decided again or paid another way) or still being processed. An
    answer about a refund no longer approved is the provider repeating itself: ignored."""
    with transaction.atomic():
        refund = Refund.all_objects.select_for_update().get(pk=refund_id)
        if refund.state != Refund.State.APPROVED:
            return refund
        payment = Payment.all_objects.select_for_update().get(pk=refund.payment_id)
        if result is not None and result.state == "success":
            refund.reference = result.refund_id[:64]
            _refunded(refund, payment)
            refund.save(update_fields=["state", "refunded_at", "reference"])
        elif final or (result is not None and result.state == "failed"):
            refund.state = Refund.State.REQUESTED
            refund.note = (failure or (result.error_message or result.error_code if result else ""))[:300]
            refund.save(update_fields=["state", "note"])
        else:
            refund.note = (failure or refund.note)[:300]
            refund.save(update_fields=["note"])
    return refund


def refund_recheck(*, refund_id: int) -> Refund:
    """Ask the provider again about an approved refund (the job ``payments_recheck``); one it has no record of
    (its answer to the request was lost) is sent again with the same number."""
    refund = Refund.all_objects.select_related("payment").get(pk=refund_id)
    if refund.state != Refund.State.APPROVED:
        return refund
    try:
        result = refund_checked(
            payment_provider().refund_query(out_refund_no=_refund_no(refund)), refund_fen=to_fen(refund.amount)
        )
    except PaymentError as error:
        return refund_answer(refund_id=refund.pk, failure=str(error)[:300], final=not _untrusted(error))
    if result.state == "unknown" and result.error_code == "REFUNDNOTEXIST":
        return _provider_refund(refund)
    return refund_answer(refund_id=refund.pk, result=result)


# --- reversal of a confirmed list ------------------------------------------------------------------------------


def settlement_reverse(*, actor: User, list_id: int, reason: str) -> SettlementList:
    """Correct a confirmed list (``billing.settle``): it is reversed (kept, with its number and the reason) and
    a new list is prepared from the order as it is now, to be confirmed; the money already received stays with
    the order and goes to the new list's settlements when it is confirmed. Returns the new list."""
    if not reason.strip() or len(reason) > 300:
        raise _refused({"reason": [_("Say why the list is reversed, in at most 300 characters.")]})
    with transaction.atomic():
        found = store_record_access(
            actor=actor, permission=SETTLE, records=SettlementList.all_objects.all(), record_id=list_id
        )
        order = RepairOrder.all_objects.select_for_update().get(pk=found.order_id)
        found = SettlementList.all_objects.select_for_update().get(pk=found.pk)
        if found.state != SettlementList.State.CONFIRMED:
            raise ConflictError(_("Only a confirmed list is reversed."), code="not_confirmed")
        if order.state not in SETTLED_FROM:
            raise ConflictError(
                _("The order is “%(state)s”: its list is no longer corrected.") % {"state": order.get_state_display()},
                code="order_closed",
            )
        found.state, found.reversed_at, found.reversal_reason = (
            SettlementList.State.REVERSED,
            timezone.now(),
            reason.strip(),
        )
        found.save(actor=actor)
        Settlement.all_objects.filter(settlement_list=found).update(state=Settlement.State.REVERSED)
        return settlement_prepare_again(order_id=order.pk, actor=actor, corrects=found)


# --- the cash desk ---------------------------------------------------------------------------------------------


def cash_day_open(*, actor: User, store_id: int, day: date, opening_float: Decimal) -> CashDay:
    """A cashier starts the day at the desk with the float in the drawer (``billing.collect``); opened again, the
    float is corrected until the day is handed over."""
    if not opening_float.is_finite() or opening_float < 0 or opening_float != money_round(opening_float):
        raise _refused({"opening_float": [_("Enter an amount of at least 0 with at most two decimals.")]})
    store = _store_for(actor, store_id, COLLECT)
    with transaction.atomic():
        found = CashDay.all_objects.select_for_update().filter(store=store, cashier=actor, day=day).first()
        if found is not None and found.handed_over_at is not None:
            raise ConflictError(_("This day is handed over already."), code="handed_over")
        found = found or CashDay(store=store, cashier=actor, day=day)
        found.opening_float = opening_float
        found.save(actor=actor)
    return found


def cash_day_hand_over(
    *, actor: User, store_id: int, day: date, counted: Decimal, handed_to_id: int, note: str = ""
) -> CashDay:
    """A cashier ends the day: the cash counted in the drawer, handed to someone with ``billing.finance`` in the
    store. The daily report sets the counted cash against what the drawer should hold."""
    errors: dict[str, list[str]] = {}
    if not counted.is_finite() or counted < 0 or counted != money_round(counted):
        errors["counted"] = [_("Enter an amount of at least 0 with at most two decimals.")]
    if len(note) > 300:
        errors["note"] = [_("At most 300 characters.")]
    store = _store_for(actor, store_id, COLLECT)
    handed_to = User.objects.filter(pk=handed_to_id, is_active=True).first()
    if handed_to is None or handed_to.pk == actor.pk or not can(handed_to, FINANCE, store_id=store.pk):
        errors["handed_to"] = [_("Hand the cash over to someone in the store's finance, not to yourself.")]
    if errors:
        raise _refused(errors)
    with transaction.atomic():
        found = CashDay.all_objects.select_for_update().filter(store=store, cashier=actor, day=day).first()
        if found is not None and found.handed_over_at is not None:
            raise ConflictError(_("This day is handed over already."), code="handed_over")
        found = found or CashDay(store=store, cashier=actor, day=day)
        found.counted, found.handed_to, found.handed_over_at, found.note = counted, handed_to, timezone.now(), note
        found.save(actor=actor)
    return found


def _store_for(actor: User, store_id: int, permission: str) -> Store:
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        raise Http404(_("Not found."))
    authorize(actor, permission, store_id=store.pk)
    return store


def payments_recheck_pending(*, older_than_seconds: int = 60) -> dict[str, int]:
    """Ask the provider about every code payment still pending and every refund it is still paying out, once
    the counter has stopped asking (the periodic job): each answer recorded once."""
    before = timezone.now() - timedelta(seconds=older_than_seconds)
    payments = Payment.all_objects.filter(state=PENDING, method=Method.CODE, taken_at__lt=before)
    refunds = Refund.all_objects.filter(state=Refund.State.APPROVED, decided_at__lt=before)
    counted = {"payments": 0, "refunds": 0}
    for payment_id in payments.values_list("pk", flat=True):
        payment_recheck(payment_id=payment_id)
        counted["payments"] += 1
    for refund_id in refunds.values_list("pk", flat=True):
        refund_recheck(refund_id=refund_id)
        counted["refunds"] += 1
    return counted
