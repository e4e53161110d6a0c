"""Payments at the counter: cash with change, card, transfer confirmed by finance, a scanned payment code through
the provider (its repeats and bad signatures never taken twice or as paid), deposits, refunds with approval,
credit, the guard on ``deliver`` and the reversal of a confirmed list. Every refusal leaves everything as it
was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from aftersales.billing.models import Payment, Refund, Settlement, SettlementList
from aftersales.billing.payments import (
    PaymentIn,
    credit_approve,
    payment_confirm,
    payment_recheck,
    payment_take,
    refund_decide,
    refund_recheck,
    refund_request,
    settlement_reverse,
)
from aftersales.billing.services import ConfirmIn, settlement_confirm
from aftersales.billing.tests.fake_wechat import FakeWeChatPay, fake_wechat_running
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.money import AmountError, amount_parse
from aftersales.quality.tests.conftest import HOURS, Yard, reception, shop, yard
from aftersales.visits.models import RepairOrder

__all__ = ["HOURS", "reception", "shop", "yard"]

D = Decimal
CODE = "134567890123456789"


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeWeChatPay]:
    with fake_wechat_running() as running:
        settings.AFTERSALES_PAYMENT_PROVIDER = "wechat"
        settings.WECHAT_PAY_ENDPOINT = running.endpoint
        settings.WECHAT_PAY_APPID = running.appid
        settings.WECHAT_PAY_MCH_ID = running.mch_id
        settings.WECHAT_PAY_API_KEY = running.api_key
        settings.AFTERSALES_PAYMENT_WAIT = 0
        settings.AFTERSALES_PAYMENT_POLLS = 3
        yield running


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _confirmed(yard: Yard) -> Settlement:
    """The default ready order's list confirmed: the customer owes 688.00."""
    order = yard.ready()
    found = SettlementList.all_objects.get(order=order)
    settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn())
    return Settlement.all_objects.get(settlement_list=found, payer="customer")


def _money(settlement: Settlement) -> tuple[str, str, str]:
    row = Settlement.all_objects.get(pk=settlement.pk)
    return str(row.amount), str(row.received), row.state


def _rows() -> tuple[int, int]:
    return Payment.all_objects.count(), Refund.all_objects.count()


@pytest.mark.parametrize(
    ("typed", "read"),
    [("12.5", "12.50"), ("１２.５", "12.50"), ("１２．５０", "12.50"), (" ¥688 ", "688.00"), (".5", "0.50")],
)
def test_amounts_are_read_as_typed_full_width_included(typed: str, read: str) -> None:
    assert str(amount_parse(typed)) == read


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12,3", "“12,3” is ambiguous: write the decimal point as “.” and no thousands separator."),
        ("1，000", "“1，000” is ambiguous: write the decimal point as “.” and no thousands separator."),
        ("12.345", "Enter an amount in yuan with at most two decimals, e.g. 12.50."),
        ("-5", "Enter an amount in yuan with at most two decimals, e.g. 12.50."),
        ("1e3", "Enter an amount in yuan with at most two decimals, e.g. 12.50."),
        ("1²", "Enter an amount in yuan with at most two decimals, e.g. 12.50."),
        ("①②", "Enter an amount in yuan with at most two decimals, e.g. 12.50."),
        ("", "Enter an amount in yuan with at most two decimals, e.g. 12.50."),
    ],
)
def test_ambiguous_or_malformed_amounts_are_refused(typed: str, message: str) -> None:
    with pytest.raises(AmountError) as caught:
        amount_parse(typed)
    assert str(caught.value) == message


def test_cash_gives_change_and_two_part_payments_close_the_settlement(yard: Yard) -> None:
    settlement = _confirmed(yard)
    first = payment_take(
        actor=yard.cashier,
        settlement_id=settlement.pk,
        data=PaymentIn(method="cash", amount=D("500"), tendered=D("600")),
    )
    assert (first.state, str(first.amount), str(first.tendered), str(first.change), first.number[:8]) == (
        "paid",
        "500.00",
        "600.00",
        "100.00",
        "SK-SH01-",
    )
    assert _money(settlement) == ("688.00", "500.00", "open")
    card = payment_take(
        actor=yard.cashier,
        settlement_id=settlement.pk,
        data=PaymentIn(method="card", amount=D("188.00"), reference="POS 000123"),
    )
    assert (card.state, card.reference, card.change, card.tendered) == ("paid", "POS 000123", D("0.00"), None)
    assert _money(settlement) == ("688.00", "688.00", "closed")


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (PaymentIn(method="cash", amount=D("688.01")), {"amount": ["Only 688.00 is open on this settlement."]}),
        (PaymentIn(method="cash", amount=D("10"), tendered=D("9.99")), {"tendered": ["Less than the amount: 10.00."]}),
        (PaymentIn(method="card", amount=D("10")), {"reference": ["Enter the POS slip's reference."]}),
        (PaymentIn(method="transfer", amount=D("10")), {"reference": ["Enter the bank's reference."]}),
        (
            PaymentIn(method="cheque", amount=D("0")),
            {
                "method": ["Choose one of the listed values."],
                "amount": ["Enter an amount above 0 with at most two decimals."],
            },
        ),
        (
            PaymentIn(method="code", amount=D("10"), auth_code="12345"),
            {"auth_code": ["Scan the customer's payment code: 16 to 24 digits."]},
        ),
    ],
)
def test_a_wrong_payment_is_refused_on_its_field_and_nothing_is_written(
    yard: Yard, data: PaymentIn, fields: dict[str, list[str]]
) -> None:
    settlement = _confirmed(yard)
    with pytest.raises(ApplicationError) as caught:
        payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=data)
    assert caught.value.fields == fields
    assert _rows() == (0, 0)
    assert _money(settlement) == ("688.00", "0.00", "open")


def test_an_advisor_takes_no_payment_and_a_prepared_list_is_not_paid(yard: Yard) -> None:
    order = yard.ready()
    settlement = Settlement.all_objects.get(order=order, payer="customer")
    with pytest.raises(ConflictError) as caught:
        payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D(1)))
    assert caught.value.code == "not_confirmed"
    with pytest.raises(PermissionDenied):
        payment_take(actor=yard.advisor, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D(1)))
    assert _rows() == (0, 0)


def test_a_deposit_goes_to_the_customers_settlement_when_the_list_is_confirmed(yard: Yard) -> None:
    order = yard.order()
    deposit = payment_take(actor=yard.cashier, order_id=order.pk, data=PaymentIn(method="cash", amount=D("300")))
    assert (deposit.is_deposit, deposit.settlement_id, deposit.state) == (True, None, "paid")
    order = yard.ready(yard.inspected(yard.work(order)))
    found = SettlementList.all_objects.get(order=order)
    settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn())
    settlement = Settlement.all_objects.get(settlement_list=found, payer="customer")
    assert Payment.all_objects.get(pk=deposit.pk).settlement_id == settlement.pk
    assert _money(settlement) == ("688.00", "300.00", "open")
    with pytest.raises(ConflictError) as caught:
        payment_take(actor=yard.cashier, order_id=order.pk, data=PaymentIn(method="cash", amount=D("1")))
    assert caught.value.code == "list_confirmed"


def test_a_transfer_waits_for_finance_and_holds_its_amount_meanwhile(yard: Yard) -> None:
    settlement = _confirmed(yard)
    transfer = payment_take(
        actor=yard.cashier,
        settlement_id=settlement.pk,
        data=PaymentIn(method="transfer", amount=D("600"), reference="CMB20261128001"),
    )
    assert (transfer.state, _money(settlement)) == ("pending", ("688.00", "0.00", "open"))
    with pytest.raises(ApplicationError) as caught:  # the pending transfer holds 600.00 of it
        payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D("88.01")))
    assert caught.value.fields == {"amount": ["Only 88.00 is open on this settlement."]}
    with pytest.raises(PermissionDenied):
        payment_confirm(actor=yard.cashier, payment_id=transfer.pk)
    finance = yard.shop.reception.world.user("finance")
    confirmed = payment_confirm(actor=finance, payment_id=transfer.pk)
    assert (confirmed.state, confirmed.confirmed_by) == ("paid", finance)
    assert _money(settlement) == ("688.00", "600.00", "open")


def test_a_refund_is_approved_by_someone_else_never_above_what_was_paid_and_opens_the_settlement(yard: Yard) -> None:
    settlement = _confirmed(yard)
    paid = payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D("688")))
    with pytest.raises(ApplicationError) as caught:
        refund_request(actor=yard.cashier, payment_id=paid.pk, amount=D("688.01"), reason="多收")
    assert caught.value.fields == {"amount": ["At most 688.00 of this payment can be refunded."]}
    refund = refund_request(actor=yard.cashier, payment_id=paid.pk, amount=D("88"), reason="滤清器客户自带")
    with pytest.raises(ApplicationError) as caught:  # 88.00 asked already
        refund_request(actor=yard.cashier, payment_id=paid.pk, amount=D("600.01"), reason="again")
    assert caught.value.fields == {"amount": ["At most 600.00 of this payment can be refunded."]}
    assert (refund.state, refund.method, refund.number[:8], _money(settlement)) == (
        "requested",
        "cash",
        "TK-SH01-",
        ("688.00", "688.00", "closed"),
    )
    finance = yard.shop.reception.world.user("finance")
    done = refund_decide(actor=finance, refund_id=refund.pk, approve=True)
    assert (done.state, done.decided_by, Payment.all_objects.get(pk=paid.pk).refunded) == ("refunded", finance, D("88"))
    assert _money(settlement) == ("688.00", "600.00", "open")
    with pytest.raises(ConflictError):
        refund_decide(actor=finance, refund_id=refund.pk, approve=True)
    assert Payment.all_objects.get(pk=paid.pk).refunded == D("88.00")


def test_the_car_leaves_only_when_the_customer_has_paid_or_credit_is_approved(yard: Yard) -> None:
    settlement = _confirmed(yard)
    order = RepairOrder.all_objects.get(pk=settlement.order_id)
    with pytest.raises(ApplicationError) as caught:
        yard.delivered(order, pay=False)
    assert caught.value.fields == {"state": ["The customer has 688.00 to pay (or credit to be approved)."]}
    assert RepairOrder.all_objects.get(pk=order.pk).state == "ready"
    with pytest.raises(PermissionDenied):
        credit_approve(actor=yard.advisor, settlement_id=settlement.pk, note="老客户月结")
    manager = yard.shop.reception.world.user("manager")
    credit_approve(actor=manager, settlement_id=settlement.pk, note="老客户月结")
    yard.delivered(order, pay=False)
    assert RepairOrder.all_objects.get(pk=order.pk).state == "delivered"
    assert _money(settlement) == ("688.00", "0.00", "open")


def test_a_reversed_list_is_replaced_and_its_money_moves_to_the_new_one(yard: Yard) -> None:
    settlement = _confirmed(yard)
    payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D("600")))
    old = SettlementList.all_objects.get(pk=settlement.settlement_list_id)
    new = settlement_reverse(actor=yard.advisor, list_id=old.pk, reason="工时单价录错")
    old.refresh_from_db()
    assert (old.state, old.reversal_reason, new.state, new.corrects_id, new.number) == (
        "reversed",
        "工时单价录错",
        "prepared",
        old.pk,
        "",
    )
    settlement_confirm(actor=yard.advisor, list_id=new.pk, data=ConfirmIn(rounding=D("8")))
    fresh = Settlement.all_objects.get(settlement_list=new, payer="customer")
    assert _money(fresh) == ("680.00", "600.00", "open")
    # The reversed settlement gave its payment up: the money is counted once.
    assert _money(settlement) == ("688.00", "0.00", "reversed")


def test_a_scanned_code_is_paid_through_the_provider_and_its_repeats_are_ignored(
    yard: Yard, fake: FakeWeChatPay
) -> None:
    settlement = _confirmed(yard)
    paid = payment_take(
        actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="code", amount=D("688"), auth_code=CODE)
    )
    assert (paid.state, paid.provider, paid.transaction_id, fake.charges) == (
        "paid",
        "wechat",
        fake.charges[0],
        [paid.transaction_id],
    )
    assert _money(settlement) == ("688.00", "688.00", "closed")
    # The provider tells it again: nothing is received twice.
    again = payment_recheck(payment_id=paid.pk)
    assert (again.state, _money(settlement)) == ("paid", ("688.00", "688.00", "closed"))


def test_a_code_payment_still_paying_is_asked_again_and_a_bad_signature_is_never_paid(
    yard: Yard, fake: FakeWeChatPay
) -> None:
    settlement = _confirmed(yard)
    fake.paid_on_query = 99  # the customer never confirms while the counter waits
    fake.fail_next["reverse"] = ["SYSTEMERROR", "SYSTEMERROR", "SYSTEMERROR"]
    pending = payment_take(
        actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="code", amount=D("88"), auth_code=CODE)
    )
    assert (pending.state, _money(settlement)) == ("pending", ("688.00", "0.00", "open"))
    fake.tamper = lambda api, fields: fields.update(total_fee="1")  # an answer that no longer verifies
    fake.paid_on_query = 1
    still = payment_recheck(payment_id=pending.pk)
    assert (still.state, _money(settlement)) == ("pending", ("688.00", "0.00", "open"))
    fake.tamper = None
    done = payment_recheck(payment_id=pending.pk)
    assert (done.state, _money(settlement)) == ("paid", ("688.00", "88.00", "open"))


def test_a_code_payment_is_refunded_through_the_provider_once_it_says_so(yard: Yard, fake: FakeWeChatPay) -> None:
    settlement = _confirmed(yard)
    paid = payment_take(
        actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="code", amount=D("688"), auth_code=CODE)
    )
    refund = refund_request(actor=yard.cashier, payment_id=paid.pk, amount=D("88"), reason="滤清器退回")
    finance = yard.shop.reception.world.user("finance")
    approved = refund_decide(actor=finance, refund_id=refund.pk, approve=True)
    # The provider accepts the refund; it is done when its query says so.
    assert (approved.state, approved.method, _money(settlement)) == ("approved", "code", ("688.00", "688.00", "closed"))
    done = refund_recheck(refund_id=refund.pk)
    assert (done.state, done.reference != "", _money(settlement)) == ("refunded", True, ("688.00", "600.00", "open"))
    assert refund_recheck(refund_id=refund.pk).state == "refunded"  # asked again: nothing refunded twice
    assert Payment.all_objects.get(pk=paid.pk).refunded == D("88.00")


def test_a_code_payment_unclear_for_ten_minutes_is_revoked_and_frees_the_settlement(
    yard: Yard, fake: FakeWeChatPay
) -> None:
    settlement = _confirmed(yard)
    fake.paid_on_query = 99  # the customer never confirms
    fake.fail_next["reverse"] = ["SYSTEMERROR", "SYSTEMERROR", "SYSTEMERROR"]
    pending = payment_take(
        actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="code", amount=D("88"), auth_code=CODE)
    )
    assert payment_recheck(payment_id=pending.pk).state == "pending"  # asked again, still paying: kept
    Payment.all_objects.filter(pk=pending.pk).update(taken_at=pending.taken_at - timedelta(minutes=11))
    revoked = payment_recheck(payment_id=pending.pk)
    assert (revoked.state, fake.charges, _money(settlement)) == ("failed", [], ("688.00", "0.00", "open"))
    cash = payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D("688")))
    assert (cash.state, _money(settlement)) == ("paid", ("688.00", "688.00", "closed"))
