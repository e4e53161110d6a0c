"""Settlement and payments through the API: ``/settlements`` (the list, one list with its settlements and charges,
preparing, confirming, reversing, credit, the printed list), ``/payments`` (taking, confirming and cancelling a
transfer, refunds asked for and decided, the receipt) and the cash desk (``/payments/cash-days``, the daily report,
the funds flow). Amounts are sent as text and read as people type them; every refusal leaves everything as it
was."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.billing.models import CashDay, Payment, Refund, Settlement, SettlementCharge, SettlementList
from aftersales.billing.payments import PaymentIn, payment_take, refund_request
from aftersales.billing.services import ConfirmIn, settlement_confirm
from aftersales.billing.tests.fake_wechat import FakeWeChatPay, fake_wechat_running
from aftersales.conftest import World
from aftersales.core.calendar import store_calendar
from aftersales.core.models import Store
from aftersales.quality.tests.conftest import HOURS, Yard, reception, shop, yard
from aftersales.visits.models import Line, RepairOrder

__all__ = ["HOURS", "reception", "shop", "yard"]

D = Decimal
CODE = "134567890123456789"
AMBIGUOUS = "“12,3” is ambiguous: write the decimal point as “.” and no thousands separator."
_ENCODER = DjangoJSONEncoder()


def _at(moment: datetime | None, store: Store) -> str | None:
    """A time as the answers write it: in the store's zone, to the millisecond."""
    return _ENCODER.default(moment.astimezone(store.zone)) if moment is not None else None


@pytest.fixture
def api(yard: Yard) -> Callable[..., Client]:
    """A signed-in client of ``role`` in ``store`` (sh or sz), answering in English."""
    world: World = yard.shop.reception.world

    def make(role: str, store: str = "sh") -> Client:
        client = Client(headers={"accept-language": "en"})
        client.force_login(world.user(role, store))
        return client

    return make


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


def _post(client: Client, path: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(f"/api/v1{path}", body, content_type="application/json", **extra)


def _list_of(order: RepairOrder) -> SettlementList:
    return SettlementList.all_objects.exclude(state="reversed").get(order=order)


def _confirmed(yard: Yard) -> Settlement:
    """The default ready order's list confirmed by the advisor: the customer owes 688.00."""
    found = _list_of(yard.ready())
    settlement_confirm(actor=yard.advisor, list_id=found.pk, data=ConfirmIn())
    return Settlement.all_objects.get(settlement_list=found, payer="customer")


def _list_state(found: SettlementList) -> tuple[Any, ...]:
    row = SettlementList.all_objects.get(pk=found.pk)
    charges = SettlementCharge.objects.filter(settlement__settlement_list=found).order_by("pk")
    shares = Settlement.all_objects.filter(settlement_list=found).order_by("pk")
    return (
        row.state,
        row.number,
        row.discount,
        row.rounding,
        row.amount,
        row.invoice_type,
        row.line_discounts,
        row.reversed_at,
        list(charges.values_list("amount", "discount")),
        list(shares.values_list("state", "received", "credit_at", "credit_note")),
        SettlementList.all_objects.count(),
    )


def _money_state() -> tuple[Any, ...]:
    return (
        list(Payment.all_objects.order_by("pk").values_list("state", "amount", "refunded", "settlement_id")),
        list(Refund.all_objects.order_by("pk").values_list("state", "amount")),
        list(Settlement.all_objects.order_by("pk").values_list("state", "received")),
        list(CashDay.all_objects.order_by("pk").values_list("opening_float", "counted", "handed_to_id")),
    )


def _refused(response: Any, status: int, fields: dict[str, list[str]] | None = None, code: str | None = None) -> None:
    body = response.json()
    assert response.status_code == status, body
    if fields is not None:
        assert body["fields"] == fields
    if code is not None:
        assert body["code"] == code


# --- settlement lists --------------------------------------------------------------------------------------------


def _charges_out(found: SettlementList) -> list[dict[str, Any]]:
    lines = {line.position: line.pk for line in Line.all_objects.filter(order=found.order)}
    return [
        {
            "position": 1,
            "line": lines[1],
            "category": "labour",
            "kind": "labour",
            "description": "更换机油",
            "part_number": "",
            "quantity": "1.000",
            "unit_price": "200.00",
            "gross": "200.00",
            "discount": "0.00",
            "rounding": "0.00",
            "amount": "200.00",
            "net": "176.99",
            "tax": "23.01",
            "tax_rate": "0.13",
            "tax_code": Line.all_objects.get(pk=lines[1]).tax_code,
            "complimentary": False,
            "surcharge": "",
        },
        {
            "position": 2,
            "line": lines[2],
            "category": "materials",
            "kind": "part",
            "description": "机油滤清器",
            "part_number": "06L-115-562",
            "quantity": "1.000",
            "unit_price": "88.00",
            "gross": "88.00",
            "discount": "0.00",
            "rounding": "0.00",
            "amount": "88.00",
            "net": "77.88",
            "tax": "10.12",
            "tax_rate": "0.13",
            "tax_code": Line.all_objects.get(pk=lines[2]).tax_code,
            "complimentary": False,
            "surcharge": "",
        },
        {
            "position": 3,
            "line": lines[3],
            "category": "labour",
            "kind": "labour",
            "description": "更换前制动片",
            "part_number": "",
            "quantity": "2.000",
            "unit_price": "200.00",
            "gross": "400.00",
            "discount": "0.00",
            "rounding": "0.00",
            "amount": "400.00",
            "net": "353.98",
            "tax": "46.02",
            "tax_rate": "0.13",
            "tax_code": Line.all_objects.get(pk=lines[3]).tax_code,
            "complimentary": False,
            "surcharge": "",
        },
    ]


def test_the_store_lists_its_settlement_lists_and_shows_one_with_its_settlements_and_charges(
    yard: Yard, api: Callable[..., Client]
) -> None:
    order = yard.ready()
    found = _list_of(order)
    store = yard.store
    summary = {
        "id": found.pk,
        "store": "SH01",
        "number": "",
        "order": order.pk,
        "order_number": order.number,
        "plate": order.vehicle.plate,
        "state": "prepared",
        "invoice_type": "general",
        "discount": "0.00",
        "rounding": "0.00",
        "amount": "688.00",
        "net": "608.85",
        "tax": "79.15",
        "prepared_at": _at(found.prepared_at, store),
        "prepared_by": "advisor_sh",
        "confirmed_at": None,
        "confirmed_by": None,
        "corrects": None,
        "reversed_at": None,
        "reversal_reason": "",
    }
    auditor = api("auditor")
    listed = auditor.get("/api/v1/settlements", {"store": "SH01", "state": "prepared", "order": str(order.pk)})
    assert (listed.status_code, listed.json()) == (200, {"count": 1, "limit": 50, "offset": 0, "items": [summary]})
    assert auditor.get("/api/v1/settlements", {"store": "SH01", "state": "confirmed"}).json()["count"] == 0
    detail = auditor.get(f"/api/v1/settlements/{found.pk}")
    share = Settlement.all_objects.get(settlement_list=found)
    assert (detail.status_code, detail.json()) == (
        200,
        {
            **summary,
            "line_discounts": {},
            "settlements": [
                {
                    "id": share.pk,
                    "payer": "customer",
                    "payer_name": "",
                    "amount": "688.00",
                    "net": "608.85",
                    "tax": "79.15",
                    "received": "0.00",
                    "open": "688.00",
                    "state": "open",
                    "closed_at": None,
                    "credit": None,
                    "charges": _charges_out(found),
                }
            ],
        },
    )


def test_another_stores_list_is_not_found_and_a_list_is_not_for_everyone(
    yard: Yard, api: Callable[..., Client]
) -> None:
    found = _list_of(yard.ready())
    _refused(api("advisor", "sz").get(f"/api/v1/settlements/{found.pk}"), 404, code="not_found")
    _refused(api("technician").get(f"/api/v1/settlements/{found.pk}"), 403, code="permission_denied")
    _refused(api("advisor", "sz").get("/api/v1/settlements", {"store": "SH01"}), 400, {"store": ["Unknown store."]})


def test_lists_of_settlements_payments_and_refunds_take_a_fixed_number_of_queries(
    yard: Yard, api: Callable[..., Client]
) -> None:
    settlement = _confirmed(yard)
    paid = payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D(600)))
    payment_take(
        actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="card", amount=D(8), reference="P1")
    )
    refund_request(actor=yard.cashier, payment_id=paid.pk, amount=D(5), reason="多收")
    refund_request(actor=yard.cashier, payment_id=paid.pk, amount=D(6), reason="多收")
    client = api("finance")
    queries = {"/api/v1/settlements": 0, "/api/v1/payments": 0, "/api/v1/payments/refunds": 0}
    for path in queries:
        client.get(path, {"store": "SH01"})
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(path, {"store": "SH01"})
        assert answer.status_code == 200
        queries[path] = len(captured)
    assert queries == {"/api/v1/settlements": 10, "/api/v1/payments": 10, "/api/v1/payments/refunds": 10}


def test_preparing_again_answers_the_list_and_an_order_not_ready_is_refused(
    yard: Yard, api: Callable[..., Client]
) -> None:
    order = yard.ready()
    found = _list_of(order)
    answer = _post(api("advisor"), "/settlements/prepare", {"order": order.pk})
    assert (answer.status_code, answer.json()["id"], answer.json()["amount"]) == (200, found.pk, "688.00")
    assert SettlementList.all_objects.count() == 1
    completed = yard.completed()
    _refused(_post(api("advisor"), "/settlements/prepare", {"order": completed.pk}), 409, code="not_ready")
    _refused(_post(api("advisor", "sz"), "/settlements/prepare", {"order": order.pk}), 404, code="not_found")
    _refused(_post(api("cashier"), "/settlements/prepare", {"order": order.pk}), 403, code="permission_denied")
    assert SettlementList.all_objects.count() == 1


def test_confirming_with_discounts_typed_as_people_type_them(yard: Yard, api: Callable[..., Client]) -> None:
    order = yard.ready()
    found = _list_of(order)
    pads = Line.all_objects.get(order=order, position=3)
    answer = _post(
        api("advisor"),
        f"/settlements/{found.pk}/confirm",
        {
            "discount": "２０",
            "rounding": "0.4",
            "line_discounts": {str(pads.pk): "１４.００"},
            "invoice_type": "special",
        },
    )
    body = answer.json()
    row = SettlementList.all_objects.get(pk=found.pk)
    assert answer.status_code == 200, body
    assert {key: body[key] for key in ("number", "state", "discount", "rounding", "amount", "invoice_type")} == {
        "number": row.number,
        "state": "confirmed",
        "discount": "20.00",
        "rounding": "0.40",
        "amount": "653.60",
        "invoice_type": "special",
    }
    assert row.number.startswith("JS-SH01-")
    assert (body["confirmed_by"], body["confirmed_at"], body["line_discounts"]) == (
        "advisor_sh",
        _at(row.confirmed_at, yard.store),
        {str(pads.pk): "14.00"},
    )
    assert [(c["gross"], c["discount"], c["rounding"], c["amount"]) for c in body["settlements"][0]["charges"]] == [
        ("200.00", "6.06", "0.12", "193.94"),
        ("88.00", "2.66", "0.05", "85.34"),
        ("400.00", "25.68", "0.23", "374.32"),
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"discount": "12,3"}, {"discount": [AMBIGUOUS]}),
        ({"rounding": "1.234"}, {"rounding": ["Enter an amount in yuan with at most two decimals, e.g. 12.50."]}),
        ({"discount": 12.3}, {"discount": ["Enter text."]}),
        ({"line_discounts": {"LINE": "1"}}, {"line_discounts.LINE": ["Unknown field."]}),
        (
            {"discount": "34.41"},
            {"discount": ["Your discount limit is 5% of the customer's 688.00, 34.40: 34.41 is more. Ask a manager."]},
        ),
        ({"rounding": "10.01"}, {"rounding": ["You may round off at most 10.00."]}),
        ({"line_discounts": {"999999": "1"}}, {"line_discounts.999999": ["Not a charged line of this order."]}),
        ({"invoice_type": "receipt"}, {"invoice_type": ["Choose one of: none, general or special."]}),
    ],
)
def test_a_wrong_or_too_large_discount_is_refused_on_its_field_and_nothing_changes(
    yard: Yard, api: Callable[..., Client], body: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    found = _list_of(yard.ready())
    before = _list_state(found)
    _refused(_post(api("advisor"), f"/settlements/{found.pk}/confirm", body), 422, fields)
    assert _list_state(found) == before


def test_a_line_discount_written_with_a_comma_is_refused_on_the_line(yard: Yard, api: Callable[..., Client]) -> None:
    order = yard.ready()
    found = _list_of(order)
    pads = Line.all_objects.get(order=order, position=3)
    before = _list_state(found)
    answer = _post(api("advisor"), f"/settlements/{found.pk}/confirm", {"line_discounts": {str(pads.pk): "12,3"}})
    _refused(answer, 422, {f"line_discounts.{pads.pk}": [AMBIGUOUS]})
    assert _list_state(found) == before


def test_a_list_is_confirmed_once_by_someone_with_the_right_in_its_store(
    yard: Yard, api: Callable[..., Client]
) -> None:
    found = _list_of(yard.ready())
    before = _list_state(found)
    _refused(_post(api("cashier"), f"/settlements/{found.pk}/confirm", {}), 403, code="permission_denied")
    _refused(_post(api("advisor", "sz"), f"/settlements/{found.pk}/confirm", {}), 404, code="not_found")
    assert _list_state(found) == before
    assert _post(api("manager"), f"/settlements/{found.pk}/confirm", {}).status_code == 200
    confirmed = _list_state(found)
    _refused(_post(api("advisor"), f"/settlements/{found.pk}/confirm", {}), 409, code="not_prepared")
    assert _list_state(found) == confirmed


def test_reversing_a_confirmed_list_answers_the_new_one(yard: Yard, api: Callable[..., Client]) -> None:
    settlement = _confirmed(yard)
    old = SettlementList.all_objects.get(pk=settlement.settlement_list_id)
    payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D(600)))
    before = _list_state(old)
    _refused(
        _post(api("advisor"), f"/settlements/{old.pk}/reverse", {"reason": " "}),
        422,
        {"reason": ["Say why the list is reversed, in at most 300 characters."]},
    )
    _refused(_post(api("cashier"), f"/settlements/{old.pk}/reverse", {"reason": "录错"}), 403)
    _refused(_post(api("advisor", "sz"), f"/settlements/{old.pk}/reverse", {"reason": "录错"}), 404)
    assert _list_state(old) == before
    answer = _post(api("advisor"), f"/settlements/{old.pk}/reverse", {"reason": "工时单价录错"})
    body = answer.json()
    new = _list_of(settlement.order)
    assert answer.status_code == 201, body
    assert (body["id"], body["state"], body["corrects"], body["number"], body["amount"]) == (
        new.pk,
        "prepared",
        old.pk,
        "",
        "688.00",
    )
    assert [(s["payer"], s["received"], s["open"], s["state"]) for s in body["settlements"]] == [
        ("customer", "0.00", "688.00", "open")
    ]
    reversed_list = api("advisor").get(f"/api/v1/settlements/{old.pk}").json()
    assert (reversed_list["state"], reversed_list["reversal_reason"], reversed_list["reversed_at"]) == (
        "reversed",
        "工时单价录错",
        _at(SettlementList.all_objects.get(pk=old.pk).reversed_at, yard.store),
    )
    after = _list_state(new)
    _refused(_post(api("advisor"), f"/settlements/{new.pk}/reverse", {"reason": "再改"}), 409, code="not_confirmed")
    assert _list_state(new) == after


def test_finance_approves_credit_for_a_payers_open_share(yard: Yard, api: Callable[..., Client]) -> None:
    settlement = _confirmed(yard)
    found = SettlementList.all_objects.get(pk=settlement.settlement_list_id)
    path = f"/settlements/{found.pk}/shares/{settlement.pk}/credit"
    before = _list_state(found)
    _refused(_post(api("cashier"), path, {"note": "月结"}), 403, code="permission_denied")
    _refused(_post(api("finance", "sz"), path, {"note": "月结"}), 404, code="not_found")
    _refused(
        _post(api("finance"), path, {"note": ""}),
        422,
        {"note": ["Say why the credit is given, in at most 300 characters."]},
    )
    elsewhere = f"/settlements/{found.pk + 1}/shares/{settlement.pk}/credit"  # the share is not of that list
    _refused(_post(api("finance"), elsewhere, {"note": "月结"}), 404, code="not_found")
    assert _list_state(found) == before
    answer = _post(api("finance"), path, {"note": "老客户月结"})
    share = Settlement.all_objects.get(pk=settlement.pk)
    assert (answer.status_code, answer.json()["settlements"][0]["credit"]) == (
        200,
        {"by": "finance_sh", "at": _at(share.credit_at, yard.store), "note": "老客户月结"},
    )
    assert (answer.json()["settlements"][0]["state"], answer.json()["settlements"][0]["open"]) == ("open", "688.00")


def test_the_printed_settlement_list_is_a_pdf(yard: Yard, api: Callable[..., Client]) -> None:
    found = SettlementList.all_objects.get(pk=_confirmed(yard).settlement_list_id)
    answer = api("cashier").get(f"/api/v1/settlements/{found.pk}/pdf")
    assert (answer.status_code, answer["Content-Type"], answer.content[:5]) == (200, "application/pdf", b"%PDF-")
    assert answer["Content-Disposition"] == f'inline; filename="{found.number}.pdf"'
    _refused(api("cashier", "sz").get(f"/api/v1/settlements/{found.pk}/pdf"), 404)


# --- payments --------------------------------------------------------------------------------------------------


def _payment_json(payment: Payment, **changes: Any) -> dict[str, Any]:
    payment = Payment.all_objects.select_related("order__vehicle", "store", "settlement").get(pk=payment.pk)
    store = payment.store
    return {
        "id": payment.pk,
        "store": "SH01",
        "number": payment.number,
        "order": payment.order_id,
        "order_number": payment.order.number,
        "plate": payment.order.vehicle.plate,
        "settlement": payment.settlement_id,
        "settlement_list": payment.settlement.settlement_list_id if payment.settlement else None,
        "payer": "customer",
        "method": payment.method,
        "amount": str(payment.amount),
        "tendered": None,
        "change": "0.00",
        "reference": "",
        "is_deposit": False,
        "state": "paid",
        "provider": "",
        "out_trade_no": "",
        "transaction_id": "",
        "failure": "",
        "cashier": "cashier_sh",
        "taken_at": _at(payment.taken_at, store),
        "confirmed_by": None,
        "confirmed_at": None,
        "refunded": "0.00",
        "note": "",
        "refunds": [],
        **changes,
    }


def test_cash_is_taken_with_change_and_the_payment_listed_and_shown(yard: Yard, api: Callable[..., Client]) -> None:
    settlement = _confirmed(yard)
    cashier = api("cashier")
    answer = _post(
        cashier,
        "/payments",
        {"settlement": settlement.pk, "method": "cash", "amount": "６８８", "tendered": "700", "note": "现金"},
    )
    payment = Payment.all_objects.get()
    expected = _payment_json(payment, tendered="700.00", change="12.00", note="现金")
    assert (answer.status_code, answer.json()) == (201, expected)
    assert payment.number.startswith("SK-SH01-")
    assert (str(payment.amount), str(payment.change)) == ("688.00", "12.00")
    share = Settlement.all_objects.get(pk=settlement.pk)
    assert (share.received, share.state) == (D("688.00"), "closed")
    assert cashier.get(f"/api/v1/payments/{payment.pk}").json() == expected
    today = store_calendar(yard.store).local_date(payment.taken_at)
    listed = cashier.get(
        "/api/v1/payments", {"store": "SH01", "method": "cash", "state": "paid", "day": today.isoformat()}
    )
    summary = {key: value for key, value in expected.items() if key != "refunds"}
    assert listed.json() == {"count": 1, "limit": 50, "offset": 0, "items": [summary]}
    other_day = (today - timedelta(days=1)).isoformat()
    assert cashier.get("/api/v1/payments", {"store": "SH01", "day": other_day}).json()["count"] == 0
    assert cashier.get("/api/v1/payments", {"store": "SH01", "order": str(settlement.order_id)}).json()["count"] == 1
    receipt = cashier.get(f"/api/v1/payments/{payment.pk}/receipt")
    assert (receipt.status_code, receipt["Content-Type"], receipt.content[:5]) == (200, "application/pdf", b"%PDF-")
    _refused(api("cashier", "sz").get(f"/api/v1/payments/{payment.pk}"), 404)
    _refused(api("cashier", "sz").get(f"/api/v1/payments/{payment.pk}/receipt"), 404)


def test_a_full_width_amount_is_read_and_a_deposit_taken_on_an_order(yard: Yard, api: Callable[..., Client]) -> None:
    order = yard.order()
    answer = _post(
        api("cashier"), "/payments", {"order": order.pk, "method": "card", "amount": "１２.５", "reference": "POS 1"}
    )
    payment = Payment.all_objects.get()
    assert (answer.status_code, answer.json()) == (
        201,
        _payment_json(payment, amount="12.50", reference="POS 1", is_deposit=True, method="card"),
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"method": "cash", "amount": "12,3"}, {"amount": [AMBIGUOUS]}),
        ({"method": "cash", "amount": "10", "tendered": "12,3"}, {"tendered": [AMBIGUOUS]}),
        ({"method": "cash", "amount": "688.01"}, {"amount": ["Only 688.00 is open on this settlement."]}),
        ({"method": "cash", "amount": "10", "tendered": "9.99"}, {"tendered": ["Less than the amount: 10.00."]}),
        ({"method": "card", "amount": "10"}, {"reference": ["Enter the POS slip's reference."]}),
        (
            {"method": "code", "amount": "10", "auth_code": CODE},
            {"method": ["Payment codes are not set up: take the payment another way."]},
        ),
        ({"method": "cheque", "amount": "10"}, {"method": ["Choose one of: cash, card, code or transfer."]}),
        (
            {"method": "cash", "amount": "10", "order": 1},
            {"settlement": ["Pay either a settlement or a deposit on an order."]},
        ),
    ],
)
def test_a_wrong_payment_is_refused_on_its_field_and_nothing_is_written(
    yard: Yard, api: Callable[..., Client], body: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    settlement = _confirmed(yard)
    before = _money_state()
    _refused(_post(api("cashier"), "/payments", {"settlement": settlement.pk, **body}), 422, fields)
    assert _money_state() == before


@pytest.mark.parametrize(
    "path",
    [
        "/settlements?store=SH01",
        "/settlements/1",
        "/settlements/1/pdf",
        "/payments?store=SH01",
        "/payments/1",
        "/payments/1/receipt",
        "/payments/refunds?store=SH01",
        "/payments/daily-report?store=SH01",
        "/payments/funds-flow?store=SH01&start=2026-03-01&end=2026-03-31",
    ],
)
def test_billing_is_not_for_the_workshop(api: Callable[..., Client], path: str) -> None:
    _refused(api("technician").get(f"/api/v1{path}"), 403, code="permission_denied")


def test_who_may_take_a_payment_and_where(yard: Yard, api: Callable[..., Client]) -> None:
    settlement = _confirmed(yard)
    before = _money_state()
    body = {"settlement": settlement.pk, "method": "cash", "amount": "10"}
    _refused(_post(api("advisor"), "/payments", body), 403, code="permission_denied")
    _refused(_post(api("cashier", "sz"), "/payments", body), 404, code="not_found")
    _refused(
        _post(api("cashier"), "/payments", {**body, "settlement": None, "order": settlement.order_id}),
        409,
        code="list_confirmed",
    )
    assert _money_state() == before


def test_a_scanned_code_is_paid_through_the_provider_from_the_counters_address(
    yard: Yard, api: Callable[..., Client], fake: FakeWeChatPay
) -> None:
    settlement = _confirmed(yard)
    answer = _post(
        api("cashier"),
        "/payments",
        {"settlement": settlement.pk, "method": "code", "amount": "688", "auth_code": CODE},
        REMOTE_ADDR="192.168.10.23",
    )
    payment = Payment.all_objects.get()
    assert (answer.status_code, answer.json()) == (
        201,
        _payment_json(
            payment,
            method="code",
            provider="wechat",
            out_trade_no=payment.out_trade_no,
            transaction_id=fake.charges[0],
        ),
    )
    assert [row.params["spbill_create_ip"] for row in fake.received if row.api == "micropay"] == ["192.168.10.23"]


def test_finance_confirms_a_transfer_or_cancels_one_that_never_came(yard: Yard, api: Callable[..., Client]) -> None:
    settlement = _confirmed(yard)
    first = _post(
        api("cashier"),
        "/payments",
        {"settlement": settlement.pk, "method": "transfer", "amount": "600", "reference": "CMB1"},
    ).json()
    second = _post(
        api("cashier"),
        "/payments",
        {"settlement": settlement.pk, "method": "transfer", "amount": "88", "reference": "CMB2"},
    ).json()
    assert (first["state"], second["state"]) == ("pending", "pending")
    before = _money_state()
    _refused(_post(api("cashier"), f"/payments/{first['id']}/confirm", {}), 403, code="permission_denied")
    _refused(_post(api("finance", "sz"), f"/payments/{first['id']}/confirm", {}), 404)
    _refused(_post(api("cashier"), f"/payments/{second['id']}/cancel", {"reason": "未到"}), 403)
    _refused(_post(api("finance", "sz"), f"/payments/{second['id']}/cancel", {"reason": "未到"}), 404)
    _refused(
        _post(api("finance"), f"/payments/{second['id']}/cancel", {"reason": ""}),
        422,
        {"reason": ["Say why, in at most 300 characters."]},
    )
    assert _money_state() == before
    confirmed = _post(api("finance"), f"/payments/{first['id']}/confirm", {})
    payment = Payment.all_objects.get(pk=first["id"])
    assert (confirmed.status_code, confirmed.json()) == (
        200,
        _payment_json(
            payment,
            method="transfer",
            reference="CMB1",
            confirmed_by="finance_sh",
            confirmed_at=_at(payment.confirmed_at, yard.store),
        ),
    )
    cancelled = _post(api("finance"), f"/payments/{second['id']}/cancel", {"reason": "客户未汇款"})
    assert (cancelled.status_code, cancelled.json()["state"], cancelled.json()["failure"]) == (
        200,
        "failed",
        "客户未汇款",
    )
    assert Settlement.all_objects.get(pk=settlement.pk).received == D("600.00")
    after = _money_state()
    _refused(_post(api("finance"), f"/payments/{first['id']}/confirm", {}), 409, code="not_pending")
    _refused(_post(api("finance"), f"/payments/{second['id']}/cancel", {"reason": "again"}), 409, code="not_pending")
    assert _money_state() == after


def test_a_refund_is_asked_for_at_the_counter_and_decided_by_finance(yard: Yard, api: Callable[..., Client]) -> None:
    settlement = _confirmed(yard)
    paid = payment_take(actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D(688)))
    before = _money_state()
    path = f"/payments/{paid.pk}/refunds"
    _refused(_post(api("cashier"), path, {"amount": "12,3", "reason": "多收"}), 422, {"amount": [AMBIGUOUS]})
    _refused(
        _post(api("cashier"), path, {"amount": "688.01", "reason": "多收"}),
        422,
        {"amount": ["At most 688.00 of this payment can be refunded."]},
    )
    _refused(
        _post(api("cashier"), path, {"amount": "8", "reason": "多收", "method": "card"}),
        422,
        {"method": ["A refund goes back the way it was paid, or in cash."]},
    )
    _refused(_post(api("advisor"), path, {"amount": "8", "reason": "多收"}), 403)
    _refused(_post(api("cashier", "sz"), path, {"amount": "8", "reason": "多收"}), 404)
    assert _money_state() == before
    asked = _post(api("cashier"), path, {"amount": "８８", "reason": "滤清器客户自带"})
    refund = Refund.all_objects.get()
    expected = {
        "id": refund.pk,
        "store": "SH01",
        "number": refund.number,
        "payment": paid.pk,
        "payment_number": paid.number,
        "order": paid.order_id,
        "order_number": settlement.order.number,
        "amount": "88.00",
        "method": "cash",
        "reason": "滤清器客户自带",
        "state": "requested",
        "requested_by": "cashier_sh",
        "requested_at": _at(refund.requested_at, yard.store),
        "decided_by": None,
        "decided_at": None,
        "refunded_at": None,
        "reference": "",
        "note": "",
    }
    assert (asked.status_code, asked.json()) == (201, expected)
    assert api("auditor").get("/api/v1/payments/refunds", {"store": "SH01", "state": "requested"}).json() == {
        "count": 1,
        "limit": 50,
        "offset": 0,
        "items": [expected],
    }
    decide = f"/payments/refunds/{refund.pk}/decide"
    before = _money_state()
    _refused(_post(api("cashier"), decide, {"approve": True}), 403, code="permission_denied")
    _refused(_post(api("finance", "sz"), decide, {"approve": True}), 404)
    assert _money_state() == before
    decided = _post(api("finance"), decide, {"approve": True, "note": "已退现金"})
    refund.refresh_from_db()
    assert (decided.status_code, decided.json()) == (
        200,
        {
            **expected,
            "state": "refunded",
            "decided_by": "finance_sh",
            "decided_at": _at(refund.decided_at, yard.store),
            "refunded_at": _at(refund.refunded_at, yard.store),
            "note": "已退现金",
        },
    )
    share = Settlement.all_objects.get(pk=settlement.pk)
    assert (share.received, share.state, Payment.all_objects.get(pk=paid.pk).refunded) == (
        D("600.00"),
        "open",
        D("88.00"),
    )
    shown = api("cashier").get(f"/api/v1/payments/{paid.pk}").json()
    assert (shown["refunded"], [row["number"] for row in shown["refunds"]]) == ("88.00", [refund.number])
    after = _money_state()
    _refused(_post(api("finance"), decide, {"approve": False}), 409, code="decided")
    assert _money_state() == after


# --- the cash desk ---------------------------------------------------------------------------------------------


def test_a_cashiers_day_is_opened_handed_over_and_reported(yard: Yard, api: Callable[..., Client]) -> None:
    settlement = _confirmed(yard)
    today = store_calendar(yard.store).local_date(timezone.now())
    cashier = api("cashier")
    for refused, typed, status, fields in (
        (cashier, "12,3", 422, {"opening_float": [AMBIGUOUS]}),
        (api("advisor"), "500", 403, None),
    ):
        answer = refused.put(
            "/api/v1/payments/cash-days",
            {"store": "SH01", "day": today.isoformat(), "opening_float": typed},
            content_type="application/json",
        )
        _refused(answer, status, fields)
    assert CashDay.all_objects.count() == 0
    opened = cashier.put(
        "/api/v1/payments/cash-days",
        {"store": "SH01", "day": today.isoformat(), "opening_float": "５００"},
        content_type="application/json",
    )
    day = CashDay.all_objects.get()
    assert (opened.status_code, opened.json()) == (
        200,
        {
            "id": day.pk,
            "store": "SH01",
            "cashier": "cashier_sh",
            "day": today.isoformat(),
            "opening_float": "500.00",
            "counted": None,
            "handed_to": None,
            "handed_over_at": None,
            "note": "",
        },
    )
    cash = payment_take(
        actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=D(600), tendered=D(650))
    )
    card = payment_take(
        actor=yard.cashier, settlement_id=settlement.pk, data=PaymentIn(method="card", amount=D(88), reference="P1")
    )
    hand_over = {
        "store": "SH01",
        "day": today.isoformat(),
        "counted": "1100",
        "handed_to": "finance_sh",
        "note": "少一元",
    }
    before = _money_state()
    _refused(
        _post(cashier, "/payments/cash-days/hand-over", {**hand_over, "counted": "1,100"}),
        422,
        {"counted": ["“1,100” is ambiguous: write the decimal point as “.” and no thousands separator."]},
    )
    _refused(
        _post(cashier, "/payments/cash-days/hand-over", {**hand_over, "handed_to": "cashier_sh"}),
        422,
        {"handed_to": ["Hand the cash over to someone in the store's finance, not to yourself."]},
    )
    _refused(_post(api("advisor"), "/payments/cash-days/hand-over", hand_over), 403)
    _refused(
        _post(api("cashier", "sz"), "/payments/cash-days/hand-over", hand_over), 400, {"store": ["Unknown store."]}
    )
    assert _money_state() == before
    handed = _post(cashier, "/payments/cash-days/hand-over", hand_over)
    day.refresh_from_db()
    assert (handed.status_code, handed.json()) == (
        200,
        {
            "id": day.pk,
            "store": "SH01",
            "cashier": "cashier_sh",
            "day": today.isoformat(),
            "opening_float": "500.00",
            "counted": "1100.00",
            "handed_to": "finance_sh",
            "handed_over_at": _at(day.handed_over_at, yard.store),
            "note": "少一元",
        },
    )
    after = _money_state()
    _refused(_post(cashier, "/payments/cash-days/hand-over", hand_over), 409, code="handed_over")
    _refused(
        cashier.put(
            "/api/v1/payments/cash-days",
            {"store": "SH01", "day": today.isoformat(), "opening_float": "1"},
            content_type="application/json",
        ),
        409,
        code="handed_over",
    )
    assert _money_state() == after

    def method(code: str, label: str, n: int = 0, takings: str = "0.00") -> dict[str, Any]:
        return {
            "method": code,
            "label": label,
            "takings_count": n,
            "takings": takings,
            "refunds_count": 0,
            "refunds": "0.00",
            "deposits_count": 0,
            "deposits": "0.00",
            "net": takings,
        }

    methods = [
        method("cash", "Cash", 1, "600.00"),
        method("card", "Bank card", 1, "88.00"),
        method("code", "Payment code"),
        method("transfer", "Bank transfer"),
    ]
    drawer = {
        "opened": True,
        "opening_float": "500.00",
        "takings": "600.00",
        "refunds": "0.00",
        "expected": "1100.00",
        "counted": "1100.00",
        "difference": "0.00",
        "handed_to": "finance_sh",
        "handed_over_at": _at(day.handed_over_at, yard.store),
    }
    calendar = store_calendar(yard.store)
    report = api("finance").get("/api/v1/payments/daily-report", {"store": "SH01", "day": today.isoformat()})
    assert (report.status_code, report.json()) == (
        200,
        {
            "store": "SH01",
            "day": today.isoformat(),
            "starts": _at(calendar.day_start(today), yard.store),
            "ends": _at(calendar.day_start(today + timedelta(days=1)), yard.store),
            "balances": True,
            "methods": methods,
            "total": method("", "Total", 2, "688.00"),
            "drawer": {**drawer, "handed_to": None, "handed_over_at": None},
            "cashiers": [
                {
                    "cashier": "cashier_sh",
                    "name": yard.cashier.full_name,
                    "methods": methods,
                    "total": method("", "Total", 2, "688.00"),
                    "drawer": drawer,
                }
            ],
            "not_counted": [],
        },
    )
    assert (
        api("finance")
        .get("/api/v1/payments/daily-report", {"store": "SH01", "day": today.isoformat(), "cashier": "finance_sh"})
        .json()["cashiers"]
        == []
    )
    _refused(
        api("finance").get("/api/v1/payments/daily-report", {"store": "SH01", "cashier": "nobody"}),
        422,
        {"cashier": ["No such staff member."]},
    )
    _refused(api("cashier").get("/api/v1/payments/daily-report", {"store": "SH01"}), 403)

    flow = api("finance").get(
        "/api/v1/payments/funds-flow", {"store": "SH01", "start": today.isoformat(), "end": today.isoformat()}
    )
    assert flow.status_code == 200
    body = flow.json()
    assert [(r["kind"], r["number"], r["direction"], r["method"], r["amount"], r["balance"]) for r in body["rows"]] == [
        ("payment", cash.number, "in", "cash", "600.00", "600.00"),
        ("payment", card.number, "in", "card", "88.00", "688.00"),
    ]
    assert body["rows"][0] == {
        "at": _at(cash.taken_at, yard.store),
        "kind": "payment",
        "id": cash.pk,
        "number": cash.number,
        "direction": "in",
        "method": "cash",
        "payer": "customer",
        "order": cash.order_id,
        "order_number": settlement.order.number,
        "plate": settlement.order.vehicle.plate,
        "cashier": yard.cashier.full_name,
        "reference": "",
        "is_deposit": False,
        "amount": "600.00",
        "balance": "600.00",
    }
    assert (body["store"], body["start"], body["end"], body["method"]) == (
        "SH01",
        today.isoformat(),
        today.isoformat(),
        None,
    )
    assert body["total"] == {
        "method": "",
        "label": "Total",
        "count_in": 2,
        "money_in": "688.00",
        "count_out": 0,
        "money_out": "0.00",
        "net": "688.00",
    }
    assert [(m["method"], m["count_in"], m["money_in"]) for m in body["methods"]] == [
        ("cash", 1, "600.00"),
        ("card", 1, "88.00"),
        ("code", 0, "0.00"),
        ("transfer", 0, "0.00"),
    ]
    yesterday = (today - timedelta(days=1)).isoformat()
    _refused(
        api("finance").get(
            "/api/v1/payments/funds-flow", {"store": "SH01", "start": today.isoformat(), "end": yesterday}
        ),
        422,
        {"end": ["The period cannot end before it starts."]},
    )
    _refused(
        api("cashier").get("/api/v1/payments/funds-flow", {"store": "SH01", "start": yesterday, "end": yesterday}), 403
    )
