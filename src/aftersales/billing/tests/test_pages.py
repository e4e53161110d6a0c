"""The billing pages: the cashier's counter (an order found by its plate, its number or its list's number; the
customers' shares waiting; the list confirmed within the advisor's limits; cash with the change, a card, a
deposit, a transfer confirmed by finance, credit; the receipt), refunds asked for at the counter and decided by
someone else of finance, the settlement lists (filters, one list, its reversal and PDF), the cash desk (the day
opened, the report, the hand-over) and the funds flow. A refused form shows its errors on its fields and
writes nothing; an amount typed "12,3" is refused as ambiguous and "１２.５" read as 12.50; who may see and do
what."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from aftersales.billing.models import CashDay, Payment, Refund, Settlement, SettlementList
from aftersales.billing.payments import PaymentIn, payment_take, refund_decide, refund_request
from aftersales.billing.services import ConfirmIn, settlement_confirm
from aftersales.billing.tests.fake_wechat import FakeWeChatPay, fake_wechat_running
from aftersales.conftest import World
from aftersales.core.calendar import store_calendar
from aftersales.core.models import User
from aftersales.quality.tests.conftest import HOURS, Yard, reception, shop, yard
from aftersales.visits.models import Line, RepairOrder

__all__ = ["HOURS", "reception", "shop", "yard"]

pytestmark = pytest.mark.django_db

D = Decimal
AMBIGUOUS = "“12,3” is ambiguous: write the decimal point as “.” and no thousands separator."
FAILURE = "余额不足"  # the provider's own words for a balance too low


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeWeChatPay]:
    """WeChat Pay's 付款码 API on a local fake, answering at once."""
    with fake_wechat_running() as running:
        settings.AFTERSALES_PAYMENT_PROVIDER = "wechat"
        settings.WECHAT_PAY_ENDPOINT = running.endpoint
        settings.WECHAT_PAY_APPID = running.appid
        settings.WECHAT_PAY_MCH_ID = running.mch_id
        settings.WECHAT_PAY_API_KEY = running.api_key
        settings.AFTERSALES_PAYMENT_WAIT = 0
        settings.AFTERSALES_PAYMENT_POLLS = 3
        yield running


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def _world(yard: Yard) -> World:
    return yard.shop.reception.world


def _user(yard: Yard, role: str) -> User:
    return _world(yard).user(role)


def _confirmed(yard: Yard) -> tuple[RepairOrder, SettlementList, Settlement]:
    """The default ready order's list confirmed by the advisor: the customer owes 688.00."""
    order = yard.ready()
    found = settlement_confirm(
        actor=yard.advisor, list_id=SettlementList.all_objects.get(order=order).pk, data=ConfirmIn()
    )
    return order, found, Settlement.all_objects.get(settlement_list=found, payer="customer")


def _share(settlement: Settlement) -> tuple[str, str, str]:
    row = Settlement.all_objects.get(pk=settlement.pk)
    return str(row.amount), str(row.received), row.state


def _counts() -> tuple[int, int, int, int]:
    return (
        Payment.all_objects.count(),
        Refund.all_objects.count(),
        CashDay.all_objects.count(),
        SettlementList.all_objects.count(),
    )


def _list_state(found: SettlementList) -> tuple[str, str, str, str, Any]:
    row = SettlementList.all_objects.get(pk=found.pk)
    return row.state, row.number, str(row.discount), str(row.amount), row.line_discounts


def _errors(response: Any, form: str = "form") -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context[form].errors.items()}


def _today(yard: Yard) -> str:
    return store_calendar(yard.store).local_date(timezone.now()).isoformat()


# --- the counter -------------------------------------------------------------------------------------------


def test_the_counter_finds_an_order_by_plate_number_or_list_number_and_lists_the_shares_waiting(
    yard: Yard,
    english: Callable[[User], Client],
    django_assert_num_queries: Callable[..., AbstractContextManager[Any]],
) -> None:
    order = yard.ready()
    found = SettlementList.all_objects.get(order=order)
    cashier = english(_user(yard, "cashier"))

    page = cashier.get("/billing/")
    assert page.status_code == 200
    assert [row["order"].pk for row in page.context["queue"]] == [order.pk]
    html = page.content.decode()
    assert f'<tr data-testid="waiting-{order.pk}">' in html
    assert '<td class="font-monospace fw-semibold">沪A12345</td>' in html
    assert f'<td class="font-monospace">{order.number}</td>' in html
    assert "<td>张伟</td>" in html
    assert '<td class="text-end fw-semibold">688.00</td>' in html
    assert '<span class="badge text-bg-warning" data-testid="to-confirm">To confirm</span>' in html
    assert (
        '<input type="text" name="q" autofocus autocomplete="off" enterkeyhint="search" maxlength="40" '
        'class="form-control" id="id_q">'
    ) in html

    order_url = f"/billing/orders/{order.pk}/"
    # A scanner types the order's number (any case), the plate or its tail, full-width letters too.
    for typed in (order.number.lower(), "沪A12345", "a12345", "Ａ１２３４５"):
        response = cashier.get("/billing/", {"q": typed})
        assert (response.status_code, response["Location"]) == (302, order_url), typed
    nothing = cashier.get("/billing/", {"q": "沪B00000"})
    assert nothing.status_code == 200
    assert (
        '<li class="list-group-item text-secondary" data-testid="found-none">'
        "No repair order of this store matches “沪B00000”.</li>"
    ) in nothing.content.decode()
    refused = cashier.get("/billing/", {"q": "ab\ncd"})
    assert refused.status_code == 400
    assert list(_errors(refused)) == ["q"]

    settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn())
    found.refresh_from_db()
    response = cashier.get("/billing/", {"q": found.number})
    assert (response.status_code, response["Location"]) == (302, order_url)
    html = cashier.get("/billing/").content.decode()
    assert f'<tr data-testid="waiting-{order.pk}">' in html and 'data-testid="to-confirm"' not in html
    # The queue refreshes itself alone.
    partial = cashier.get("/billing/", headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith(
        '<div class="table-responsive"><table class="table table-hover mb-0" data-testid="queue">'
    )
    # The session and the user, the access and the store, the menu, the session saved; the open shares, those
    # to confirm and their customers' names.
    with django_assert_num_queries(11):
        assert cashier.get("/billing/").status_code == 200
    # Who does not see billing does not see the counter.
    assert english(_user(yard, "technician")).get("/billing/").status_code == 403


def test_the_advisor_confirms_the_list_at_the_counter_within_the_limits(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.ready()
    found = SettlementList.all_objects.get(order=order)
    pads = Line.all_objects.get(order=order, position=3)
    advisor = english(yard.advisor)
    url = f"/billing/orders/{order.pk}/"

    html = advisor.get(url).content.decode()
    assert (
        '<p class="small text-secondary mb-2" data-testid="limits">Your limits: discounts up to 5% of the customer\'s '
        "688.00 (34.40); rounding off up to 10.00.</p>"
    ) in html
    assert f'<label for="id_confirm_line_{pads.pk}">更换前制动片 · 400.00</label>' in html
    assert (
        f'<form method="post" action="/billing/lists/{found.pk}/confirm/" novalidate data-testid="confirm-form">'
        in html
    )
    # The advisor takes no money: no payment, no deposit.
    assert 'data-testid="pay-form"' not in html and 'data-testid="deposit-form"' not in html
    before = _list_state(found)
    assert before == ("prepared", "", "0.00", "688.00", {})

    confirm = f"/billing/lists/{found.pk}/confirm/"
    data = {"invoice_type": "general", "discount": "", "rounding": "", "back": "counter", f"line_{pads.pk}": ""}
    refused = advisor.post(confirm, {**data, "discount": "34.41"})
    assert refused.status_code == 400
    assert _errors(refused, "confirm_form") == {
        "discount": ["Your discount limit is 5% of the customer's 688.00, 34.40: 34.41 is more. Ask a manager."]
    }
    assert refused.templates[0].name == "billing/order.html"
    refused = advisor.post(confirm, {**data, f"line_{pads.pk}": "12,3", "rounding": "10.01", "invoice_type": "x"})
    assert refused.status_code == 400
    assert _errors(refused, "confirm_form") == {
        f"line_{pads.pk}": [AMBIGUOUS],
        "invoice_type": ["Select a valid choice. x is not one of the available choices."],
    }
    refused = advisor.post(confirm, {**data, "rounding": "10.01"})
    assert _errors(refused, "confirm_form") == {"rounding": ["You may round off at most 10.00."]}
    assert _list_state(found) == before
    # A cashier confirms nothing.
    assert english(_user(yard, "cashier")).post(confirm, {**data, "discount": "1"}).status_code == 403
    assert _list_state(found) == before

    response = advisor.post(
        confirm, {**data, f"line_{pads.pk}": "１４", "discount": "２０", "rounding": "０.４", "invoice_type": "special"}
    )
    assert (response.status_code, response["Location"]) == (302, url)
    year = store_calendar(yard.store).local_date(timezone.now()).year
    number = f"JS-SH01-{year}-000001"
    assert _list_state(found) == ("confirmed", number, "20.00", "653.60", {str(pads.pk): "14.00"})
    assert SettlementList.all_objects.get(pk=found.pk).invoice_type == "special"
    html = advisor.get(url).content.decode()
    assert f'<div class="alert alert-success">Settlement list {number} confirmed: 653.60.</div>' in html
    assert 'data-testid="confirm-form"' not in html
    assert '<div class="fs-4 fw-semibold" data-testid="owed">653.60</div>' in html
    assert '<dd class="col-6 col-md-3 text-end">−34.40</dd>' in html
    assert '<dd class="col-6 col-md-3 text-end">Special VAT invoice</dd>' in html


def test_the_cashier_takes_cash_with_the_change_then_a_card_and_prints_the_receipts(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order, _found, customer = _confirmed(yard)
    cashier = english(yard.cashier)
    url = f"/billing/orders/{order.pk}/"

    html = cashier.get(url).content.decode()
    assert f'<option value="{customer.pk}" selected>Customer · open 688.00</option>' in html
    assert (
        '<input type="text" name="amount" value="688.00" maxlength="20" inputmode="decimal" autocomplete="off" '
        'class="form-control" required id="id_pay_amount">'
    ) in html
    assert (
        '<input type="radio" name="method" value="cash" class="btn-check" id="id_pay_method_0" required checked>'
        in html
    )
    assert f'<script id="pay-open" type="application/json">{{"{customer.pk}": "688.00"}}</script>' in html
    assert (
        '<input type="text" name="auth_code" autocomplete="off" inputmode="numeric" maxlength="24" '
        'class="form-control" id="id_pay_auth_code">'
    ) in html
    # Neither confirming (the cashier does not settle) nor credit (finance's).
    assert 'data-testid="confirm-form"' not in html and 'data-testid="credit-form"' not in html

    pay = f"/billing/orders/{order.pk}/pay/"
    response = cashier.post(pay, {"settlement": customer.pk, "method": "cash", "amount": "５００", "tendered": "600"})
    payment = Payment.all_objects.get()
    assert (response.status_code, response["Location"]) == (302, f"{url}?receipt={payment.pk}")
    assert (payment.state, str(payment.amount), str(payment.tendered), str(payment.change)) == (
        "paid",
        "500.00",
        "600.00",
        "100.00",
    )
    assert _share(customer) == ("688.00", "500.00", "open")
    html = cashier.get(response["Location"]).content.decode()
    assert (
        f'<div class="alert alert-success">Payment {payment.number} of 500.00 received. Change to give: 100.00.</div>'
        in html
    )
    assert f'data-receipt-url="/billing/payments/{payment.pk}/receipt/" data-testid="receipt">' in html
    assert '<div class="fs-4 fw-semibold text-success" data-testid="paid">500.00</div>' in html
    assert '<div class="fs-4 fw-semibold text-danger" data-testid="open">188.00</div>' in html
    assert 'name="amount" value="188.00"' in html
    receipt = cashier.get(f"/billing/payments/{payment.pk}/receipt/")
    assert (receipt.status_code, receipt["Content-Type"], receipt.content[:5]) == (200, "application/pdf", b"%PDF-")

    card = {"settlement": customer.pk, "method": "card", "amount": "188.00", "tendered": "", "reference": ""}
    refused = cashier.post(pay, card)
    assert refused.status_code == 400
    assert _errors(refused, "pay_form") == {"reference": ["Enter the POS slip's reference."]}
    assert Payment.all_objects.count() == 1
    response = cashier.post(pay, {**card, "reference": "POS 000123"})
    second = Payment.all_objects.exclude(pk=payment.pk).get()
    assert (response.status_code, response["Location"]) == (302, f"{url}?receipt={second.pk}")
    assert (second.method, second.reference, second.tendered) == ("card", "POS 000123", None)
    assert _share(customer) == ("688.00", "688.00", "closed")
    html = cashier.get(url).content.decode()
    assert 'data-testid="pay-form"' not in html
    assert '<div class="fs-4 fw-semibold " data-testid="open">0.00</div>' in html
    assert html.count('data-testid="payment-state">Paid</span>') == 2


def test_a_scanned_payment_code_is_paid_through_the_provider_or_refused_on_the_scan_box(
    yard: Yard, english: Callable[[User], Client], fake: FakeWeChatPay
) -> None:
    order, _found, customer = _confirmed(yard)
    cashier = english(yard.cashier)
    pay = f"/billing/orders/{order.pk}/pay/"
    scanned = {"settlement": str(customer.pk), "method": "code", "amount": "８８", "auth_code": "134567890123456789"}
    fake.fail_next = {"micropay": ["NOTENOUGH"]}
    refused = cashier.post(pay, scanned)
    assert refused.status_code == 409
    failed = Payment.all_objects.get()
    assert (failed.state, str(failed.amount), failed.failure) == ("failed", "88.00", FAILURE)
    assert _errors(refused, "pay_form") == {"auth_code": [FAILURE]}
    html = refused.content.decode()
    assert (
        '<input type="radio" name="method" value="code" class="btn-check" id="id_pay_method_2" required checked>'
        in html
    )
    assert _share(customer) == ("688.00", "0.00", "open")

    response = cashier.post(pay, scanned)
    paid = Payment.all_objects.exclude(pk=failed.pk).get()
    assert (response.status_code, response["Location"]) == (302, f"/billing/orders/{order.pk}/?receipt={paid.pk}")
    assert (paid.state, paid.provider, paid.transaction_id) == ("paid", "wechat", fake.charges[0])
    assert _share(customer) == ("688.00", "88.00", "open")


def test_a_refused_payment_shows_why_on_its_field_and_writes_nothing(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order, _found, customer = _confirmed(yard)
    cashier = english(yard.cashier)
    pay = f"/billing/orders/{order.pk}/pay/"
    cash = {"settlement": str(customer.pk), "method": "cash", "amount": "20", "tendered": "", "reference": ""}
    cases: list[tuple[dict[str, str], dict[str, list[str]]]] = [
        ({"amount": "12,3"}, {"amount": [AMBIGUOUS]}),
        ({"amount": ""}, {"amount": ["This field is required."]}),
        ({"amount": "12.345"}, {"amount": ["Enter an amount in yuan with at most two decimals, e.g. 12.50."]}),
        ({"amount": "688.01"}, {"amount": ["Only 688.00 is open on this settlement."]}),
        ({"tendered": "10"}, {"tendered": ["Less than the amount: 20.00."]}),
        ({"method": ""}, {"method": ["Choose how the customer pays."]}),
        (
            {"method": "code", "auth_code": "12345"},
            {"auth_code": ["Scan the customer's payment code: 16 to 24 digits."]},
        ),
        ({"method": "transfer"}, {"reference": ["Enter the bank's reference."]}),
        ({"settlement": "999"}, {"settlement": ["Select a valid choice. 999 is not one of the available choices."]}),
        (
            {"method": "card", "reference": "x" * 65},
            {"reference": ["Ensure this value has at most 64 characters (it has 65)."]},
        ),
    ]
    for changes, errors in cases:
        response = cashier.post(pay, {**cash, **changes})
        assert (response.status_code, _errors(response, "pay_form")) == (400, errors), changes
    assert _counts() == (0, 0, 0, 1)
    assert _share(customer) == ("688.00", "0.00", "open")
    # An advisor takes no payment at all.
    advisor = english(yard.advisor)
    assert advisor.post(pay, cash).status_code == 403
    assert _counts() == (0, 0, 0, 1)


def test_a_deposit_is_taken_before_the_list_and_goes_to_the_customers_share(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.completed()
    cashier = english(yard.cashier)
    url = f"/billing/orders/{order.pk}/"
    html = cashier.get(url).content.decode()
    assert 'data-testid="no-list"' in html
    assert f'<form method="post" action="/billing/orders/{order.pk}/deposit/" novalidate data-payment' in html
    assert 'data-testid="pay-form"' not in html

    deposit = f"/billing/orders/{order.pk}/deposit/"
    refused = cashier.post(deposit, {"method": "cash", "amount": "12,3"})
    assert (refused.status_code, _errors(refused, "deposit_form")) == (400, {"amount": [AMBIGUOUS]})
    assert Payment.all_objects.count() == 0
    response = cashier.post(deposit, {"method": "cash", "amount": "１２.５"})
    payment = Payment.all_objects.get()
    assert (response.status_code, response["Location"]) == (302, f"{url}?receipt={payment.pk}")
    assert (payment.is_deposit, payment.settlement_id, str(payment.amount), str(payment.change)) == (
        True,
        None,
        "12.50",
        "0.00",
    )

    yard.ready(yard.inspected(order))
    html = cashier.get(url).content.decode()
    assert (
        '<div class="small text-secondary">Deposits</div><div class="fs-4 fw-semibold text-success" data-testid="paid">12.50</div>'
        in html
    )
    assert '<div class="fs-4 fw-semibold text-danger" data-testid="open">675.50</div>' in html
    found = SettlementList.all_objects.get(order=order)
    settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn())
    customer = Settlement.all_objects.get(settlement_list=found, payer="customer")
    assert _share(customer) == ("688.00", "12.50", "open")
    html = cashier.get(url).content.decode()
    assert (
        '<div class="small text-secondary">Paid</div><div class="fs-4 fw-semibold text-success" data-testid="paid">12.50</div>'
        in html
    )
    assert 'name="amount" value="675.50"' in html and 'data-testid="deposit-form"' not in html
    # Once the list is confirmed a deposit is refused: the share is paid instead.
    refused = cashier.post(deposit, {"method": "cash", "amount": "1"})
    assert refused.status_code == 409
    assert _errors(refused, "bound") == {
        "__all__": ["The settlement list is confirmed: pay the customer's settlement instead of a deposit."]
    }
    assert (
        '<div class="alert alert-danger" role="alert" data-testid="error-top"><i class="bi bi-exclamation-octagon"></i> '
        + escape("The settlement list is confirmed: pay the customer's settlement instead of a deposit.")
        + "</div>"
    ) in refused.content.decode()
    assert Payment.all_objects.count() == 1


# --- refunds, credit and transfers ------------------------------------------------------------------------------


def test_a_refund_is_asked_at_the_counter_and_decided_by_someone_else_of_finance(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order, _found, customer = _confirmed(yard)
    paid = payment_take(actor=yard.cashier, settlement_id=customer.pk, data=PaymentIn(method="cash", amount=D("688")))
    cashier, finance = english(yard.cashier), english(_user(yard, "finance"))
    url = f"/billing/orders/{order.pk}/"
    html = cashier.get(url).content.decode()
    assert f'<form method="post" action="/billing/payments/{paid.pk}/refund/"' in html
    assert f'<select name="method" class="form-select" id="id_refund{paid.pk}_method">' in html
    assert 'name="amount" value="688.00"' in html

    ask = f"/billing/payments/{paid.pk}/refund/"
    cases = [
        ({"amount": "12,3", "method": "cash", "reason": "多收"}, {"amount": [AMBIGUOUS]}),
        (
            {"amount": "700", "method": "cash", "reason": "多收"},
            {"amount": ["At most 688.00 of this payment can be refunded."]},
        ),
        (
            {"amount": "5", "method": "card", "reason": ""},
            {
                "method": ["Select a valid choice. card is not one of the available choices."],
                "reason": ["This field is required."],
            },
        ),
    ]
    for data, errors in cases:
        response = cashier.post(ask, data)
        assert (response.status_code, _errors(response, "bound")) == (400, errors), data
    assert _counts() == (1, 0, 0, 1)
    response = cashier.post(ask, {"amount": "５０", "method": "cash", "reason": "多收工时费"})
    assert (response.status_code, response["Location"]) == (302, url)
    refund = Refund.all_objects.get()
    assert (refund.state, str(refund.amount), refund.method, refund.reason) == (
        "requested",
        "50.00",
        "cash",
        "多收工时费",
    )

    # The cashier sees it waiting, without deciding; finance decides it.
    html = cashier.get("/billing/refunds/").content.decode()
    assert f'data-testid="decide-{refund.pk}"' not in html
    assert "Someone else of finance decides the refunds you ask for." in html
    html = finance.get("/billing/refunds/").content.decode()
    assert f'<form method="post" action="/billing/refunds/{refund.pk}/decide/"' in html
    assert f"From payment {paid.number} (688.00) of {order.number} 沪A12345" in html
    decide = f"/billing/refunds/{refund.pk}/decide/"
    assert cashier.post(decide, {"decision": "approve"}).status_code == 403
    refused = finance.post(decide, {"decision": "maybe", "note": "x" * 301})
    assert refused.status_code == 400
    assert _errors(refused, "bound") == {
        "decision": ["Select a valid choice. maybe is not one of the available choices."],
        "note": ["Ensure this value has at most 300 characters (it has 301)."],
    }
    assert Refund.all_objects.get().state == "requested"
    response = finance.post(decide, {"decision": "approve", "note": "已退现金"})
    assert (response.status_code, response["Location"]) == (302, "/billing/refunds/")
    refund.refresh_from_db()
    assert (refund.state, refund.decided_by, refund.note) == ("refunded", _user(yard, "finance"), "已退现金")
    assert str(Payment.all_objects.get(pk=paid.pk).refunded) == "50.00"
    assert _share(customer) == ("688.00", "638.00", "open")
    html = finance.get("/billing/refunds/").content.decode()
    assert f'<div class="alert alert-success">Refund {refund.number} of 50.00 paid out.</div>' in html
    assert f'<tr data-testid="decided-{refund.pk}">' in html
    again = finance.post(decide, {"decision": "refuse"})
    assert again.status_code == 409
    assert _errors(again, "bound") == {"__all__": ["This refund is decided already."]}
    pdf = finance.get(f"/billing/refunds/{refund.pk}/receipt/")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")


def test_credit_and_transfers_are_finances(yard: Yard, english: Callable[[User], Client]) -> None:
    order, _found, customer = _confirmed(yard)
    cashier, finance = english(yard.cashier), english(_user(yard, "finance"))
    url = f"/billing/orders/{order.pk}/"
    credit = f"/billing/settlements/{customer.pk}/credit/"
    assert f'action="{credit}"' not in cashier.get(url).content.decode()
    assert f'<form method="post" action="{credit}"' in finance.get(url).content.decode()
    assert cashier.post(credit, {"note": "老客户"}).status_code == 403
    refused = finance.post(credit, {"note": ""})
    assert (refused.status_code, _errors(refused, "bound")) == (400, {"note": ["This field is required."]})
    assert Settlement.all_objects.get(pk=customer.pk).credit_at is None
    response = finance.post(credit, {"note": "老客户，月结"})
    assert (response.status_code, response["Location"]) == (302, url)
    row = Settlement.all_objects.get(pk=customer.pk)
    assert (row.credit_by, row.credit_note, row.state) == (_user(yard, "finance"), "老客户，月结", "open")
    html = finance.get(url).content.decode()
    assert "Credit approved by 财务: 老客户，月结" in html and f'action="{credit}"' not in html

    pay = f"/billing/orders/{order.pk}/pay/"
    transfer = {"settlement": customer.pk, "method": "transfer", "amount": "100", "reference": "BANK-889"}
    response = cashier.post(pay, transfer)
    pending = Payment.all_objects.get()
    assert (response.status_code, response["Location"]) == (302, url)
    assert (pending.state, pending.reference) == ("pending", "BANK-889")
    html = cashier.get(url).content.decode()
    assert (
        f'<div class="alert alert-info">Transfer {pending.number} of 100.00 recorded: finance confirms it when it '
        "arrives.</div>"
    ) in html
    assert f'data-testid="transfer-confirm-{pending.pk}"' not in html
    assert cashier.post(f"/billing/payments/{pending.pk}/confirm/").status_code == 403
    assert f'data-testid="transfer-confirm-{pending.pk}"' in finance.get(url).content.decode()
    response = finance.post(f"/billing/payments/{pending.pk}/confirm/")
    assert (response.status_code, response["Location"]) == (302, url)
    assert Payment.all_objects.get(pk=pending.pk).state == "paid"
    assert _share(customer) == ("688.00", "100.00", "open")

    cashier.post(pay, {**transfer, "reference": "BANK-890"})
    lost = Payment.all_objects.get(reference="BANK-890")
    cancel = f"/billing/payments/{lost.pk}/cancel/"
    refused = finance.post(cancel, {"reason": ""})
    assert (refused.status_code, _errors(refused, "bound")) == (400, {"reason": ["This field is required."]})
    assert finance.post(cancel, {"reason": "未到账"}).status_code == 302
    assert (Payment.all_objects.get(pk=lost.pk).state, Payment.all_objects.get(pk=lost.pk).failure) == (
        "failed",
        "未到账",
    )
    assert _share(customer) == ("688.00", "100.00", "open")


# --- settlement lists -------------------------------------------------------------------------------------------


def test_the_lists_filter_and_a_list_is_reversed_replaced_and_printed(
    yard: Yard,
    english: Callable[[User], Client],
    django_assert_num_queries: Callable[..., AbstractContextManager[Any]],
) -> None:
    _order, found, _customer = _confirmed(yard)
    manager, cashier = english(_user(yard, "manager")), english(yard.cashier)
    today = _today(yard)
    tomorrow = (store_calendar(yard.store).local_date(timezone.now()) + timedelta(days=1)).isoformat()

    def shown(query: dict[str, str]) -> list[int]:
        response = manager.get("/billing/lists/", query)
        assert response.status_code == 200, query
        return [row["found"].pk for row in response.context["rows"]]

    assert shown({}) == [found.pk]
    assert shown({"state": "prepared"}) == []
    assert shown({"state": "confirmed", "start": today, "end": today, "q": "沪a123"}) == [found.pk]
    assert shown({"q": found.number[-6:]}) == [found.pk]
    assert shown({"start": tomorrow}) == []
    refused = manager.get("/billing/lists/", {"start": tomorrow, "end": today})
    assert (refused.status_code, _errors(refused, "filters")) == (
        400,
        {"end": ["The end date must not be before the start date."]},
    )
    html = manager.get("/billing/lists/").content.decode()
    assert f'<td><a class="font-monospace" href="/billing/lists/{found.pk}/">{found.number}</a></td>' in html
    manager.get("/billing/lists/")
    # The session and the user, the access and the store, the menu, the session saved; the lists and their
    # customers' settlements; the area's links.
    with django_assert_num_queries(10):
        assert manager.get("/billing/lists/").status_code == 200

    url = f"/billing/lists/{found.pk}/"
    html = manager.get(url).content.decode()
    assert f'<span class="font-monospace fw-semibold" data-testid="number">{found.number}</span>' in html
    assert '<dd class="col-6 col-md-3 text-end fw-semibold fs-5" data-testid="total">688.00</dd>' in html
    assert (
        f'<form method="post" action="/billing/lists/{found.pk}/reverse/" novalidate data-testid="reverse-form">'
        in html
    )
    assert 'data-testid="reverse-form"' not in cashier.get(url).content.decode()
    pdf = manager.get(f"/billing/lists/{found.pk}/pdf/")
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")

    reverse = f"/billing/lists/{found.pk}/reverse/"
    assert cashier.post(reverse, {"reason": "录错"}).status_code == 403
    refused = manager.post(reverse, {"reason": "  "})
    assert (refused.status_code, _errors(refused, "bound")) == (400, {"reason": ["This field is required."]})
    assert _counts() == (0, 0, 0, 1)
    response = manager.post(reverse, {"reason": "折扣录错"})
    again = SettlementList.all_objects.exclude(pk=found.pk).get()
    assert (response.status_code, response["Location"]) == (302, f"/billing/lists/{again.pk}/")
    assert (SettlementList.all_objects.get(pk=found.pk).state, again.state, again.corrects_id) == (
        "reversed",
        "prepared",
        found.pk,
    )
    html = manager.get(response["Location"]).content.decode()
    assert f"Settlement list {found.number} reversed; a new list is prepared to be confirmed." in html
    assert (
        f'Replaces the reversed list <a class="font-monospace" href="/billing/lists/{found.pk}/">{found.number}</a>'
        in html
    )
    assert 'data-testid="confirm-form"' in html
    html = manager.get(url).content.decode()
    assert "Reversed: 折扣录错" in html
    assert (
        f'<a class="font-monospace" href="/billing/lists/{again.pk}/" data-testid="corrected-by">not numbered yet</a>'
        in html
    )
    assert 'data-testid="reverse-form"' not in html
    assert shown({"state": "reversed"}) == [found.pk]


# --- the cash desk and the funds flow ---------------------------------------------------------------------------


def test_the_cash_desk_opens_a_day_reports_it_and_hands_it_over(yard: Yard, english: Callable[[User], Client]) -> None:
    _order, _found, customer = _confirmed(yard)
    cashier_user, finance_user = yard.cashier, _user(yard, "finance")
    cashier, finance = english(cashier_user), english(finance_user)
    today = _today(yard)

    page = cashier.get("/billing/cash/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nobody took or gave back money on this day." in html
    assert f'<input type="hidden" name="day" value="{today}" id="id_day">' in html
    options = page.context["hand_form"].fields["handed_to"].choices
    assert [label for _value, label in options] == ["—", "店长", "系统管理员", "财务"]

    refused = cashier.post("/billing/cash/open/", {"day": today, "opening_float": "12,3"})
    assert (refused.status_code, _errors(refused, "bound")) == (400, {"opening_float": [AMBIGUOUS]})
    assert CashDay.all_objects.count() == 0
    response = cashier.post("/billing/cash/open/", {"day": today, "opening_float": "２００"})
    assert (response.status_code, response["Location"]) == (302, f"/billing/cash/?day={today}")
    assert str(CashDay.all_objects.get(cashier=cashier_user).opening_float) == "200.00"

    payment_take(
        actor=cashier_user,
        settlement_id=customer.pk,
        data=PaymentIn(method="cash", amount=D("688"), tendered=D("700")),
    )
    page = cashier.get("/billing/cash/")
    html = page.content.decode()
    assert (
        f'<tr data-testid="methods-{cashier_user.pk}-cash"><td>Cash</td><td class="text-end">1</td>'
        '<td class="text-end">688.00</td><td class="text-end">0.00</td><td class="text-end">0.00</td>'
        '<td class="text-end">688.00</td></tr>'
    ) in html
    assert '<dd class="col-6 col-md-3 text-end fw-semibold" data-testid="expected">888.00</dd>' in html
    assert "Count the drawer: it should hold 888.00." in html
    assert page.context["report"].balances is True

    hand = {"day": today, "counted": "888", "handed_to": str(cashier_user.pk), "note": ""}
    refused = cashier.post("/billing/cash/hand-over/", {**hand, "counted": "12,3"})
    assert refused.status_code == 400
    assert _errors(refused, "bound") == {
        "counted": [AMBIGUOUS],
        "handed_to": [f"Select a valid choice. {cashier_user.pk} is not one of the available choices."],
    }
    assert CashDay.all_objects.get().handed_over_at is None
    response = cashier.post("/billing/cash/hand-over/", {**hand, "handed_to": str(finance_user.pk), "note": "交财务"})
    assert (response.status_code, response["Location"]) == (302, f"/billing/cash/?day={today}")
    day = CashDay.all_objects.get()
    assert (str(day.counted), day.handed_to, day.note) == ("888.00", finance_user, "交财务")
    html = cashier.get("/billing/cash/").content.decode()
    assert 'data-testid="open-form"' not in html and 'data-testid="hand-form"' not in html
    assert "Your day is handed over to 财务 at " in html and ": 888.00 counted." in html
    assert '<dd class="col-6 col-md-3 text-end " data-testid="difference">0.00</dd>' in html

    # Finance sees the whole store's day; another day is empty; an advisor sees no cash desk.
    page = finance.get("/billing/cash/", {"day": today})
    assert [row.cashier_id for row in page.context["report"].cashiers] == [cashier_user.pk]
    assert "The store's day, per method" in page.content.decode()
    assert finance.get("/billing/cash/", {"day": "2020-01-01"}).context["report"].cashiers == ()
    assert finance.get("/billing/cash/", {"day": "2026-02-30"}).status_code == 400
    assert english(yard.advisor).get("/billing/cash/").status_code == 403


def test_the_funds_flow_lists_every_movement_with_the_running_balance(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    _order, _found, customer = _confirmed(yard)
    cash = payment_take(actor=yard.cashier, settlement_id=customer.pk, data=PaymentIn(method="cash", amount=D("500")))
    card = payment_take(
        actor=yard.cashier, settlement_id=customer.pk, data=PaymentIn(method="card", amount=D("188"), reference="POS 1")
    )
    refund = refund_request(actor=yard.cashier, payment_id=cash.pk, amount=D("50"), reason="多收")
    refund_decide(actor=_user(yard, "finance"), refund_id=refund.pk, approve=True)
    finance = english(_user(yard, "finance"))

    page = finance.get("/billing/flow/")
    assert page.status_code == 200
    assert [
        (item["row"].number, str(item["row"].amount), str(item["row"].balance)) for item in page.context["rows"]
    ] == [
        (cash.number, "500.00", "500.00"),
        (card.number, "188.00", "688.00"),
        (refund.number, "-50.00", "638.00"),
    ]
    html = page.content.decode()
    assert (
        '<tr data-testid="totals-cash"><td>Cash</td><td class="text-end">1</td><td class="text-end">500.00</td>'
        '<td class="text-end">1</td><td class="text-end">50.00</td><td class="text-end">450.00</td></tr>'
    ) in html
    assert (
        '<tr data-testid="totals-all"><td>Total</td><td class="text-end">2</td><td class="text-end">688.00</td>'
        '<td class="text-end">1</td><td class="text-end">50.00</td><td class="text-end">638.00</td></tr>'
    ) in html
    only = finance.get("/billing/flow/", {"method": "card"})
    assert [item["row"].number for item in only.context["rows"]] == [card.number]
    today = store_calendar(yard.store).local_date(timezone.now())
    refused = finance.get(
        "/billing/flow/", {"start": today.isoformat(), "end": (today - timedelta(days=1)).isoformat()}
    )
    assert (refused.status_code, _errors(refused)) == (400, {"end": ["The period cannot end before it starts."]})
    assert english(yard.cashier).get("/billing/flow/").status_code == 403
