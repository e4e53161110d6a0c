"""Settlement's part of ``aftersales demo``: every delivery of the demo settled and paid first; in each store a
month of settled orders with every pay type and payment method, spread over the last 30 days, the cashier's days
opened and handed over, balanced; idempotent. The figures are exact for the Shanghai store (NOW is 26 November
2026, 10:00 in Shanghai)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, F, Sum
from django.test import TestCase, override_settings

from aftersales.appointments.tests.factories import NOW, Clock
from aftersales.billing.demo import billing_demo_install
from aftersales.billing.models import CashDay, Payment, Refund, Settlement, SettlementCharge, SettlementList
from aftersales.billing.selectors import cash_report, settlements_open
from aftersales.core import demo as core_demo
from aftersales.core.calendar import store_calendar
from aftersales.core.demo import demo_install
from aftersales.core.models import Store
from aftersales.core.money import money_round
from aftersales.quality.demo import quality_demo_install
from aftersales.quality.models import Delivery
from aftersales.visits.models import Line, LineApproval, RepairOrder
from aftersales.workshop.demo import workshop_demo_install

D = Decimal
TODAY = date(2026, 11, 26)  # NOW in Shanghai


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo up to settlement's part, at NOW, once for the module, rolled back after its last test: enough
    customers for a month of cars that have not been in yet."""
    needed = ("customers", "parts", "catalogue", "appointments", "campaigns", "visits")
    with (
        django_db_blocker.unblock(),
        pytest.MonkeyPatch.context() as monkeypatch,
        override_settings(DEMO_CUSTOMERS_PER_STORE=60),
        transaction.atomic(),
    ):
        Clock(monkeypatch, NOW)
        extensions = [ext for ext in core_demo.DEMO_EXTENSIONS if ext.__module__.split(".")[1] in needed]
        chain = [*extensions, workshop_demo_install, quality_demo_install, billing_demo_install]
        monkeypatch.setattr(core_demo, "DEMO_EXTENSIONS", chain)
        monkeypatch.setattr(core_demo, "DEMO_FINISHERS", [])
        with TestCase.captureOnCommitCallbacks(execute=True):
            demo_install()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_at_now(demo: None, db: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def _sh01() -> Store:
    return Store.all_objects.get(code="SH01")


def test_every_delivery_is_settled_before_the_car_is_released(demo_at_now: Clock) -> None:
    for store in Store.all_objects.order_by("code"):
        delivered = RepairOrder.all_objects.filter(store=store, state=RepairOrder.State.DELIVERED)
        confirmed = SettlementList.all_objects.filter(order__in=delivered, state="confirmed")
        assert sorted(confirmed.values_list("order_id", flat=True)) == sorted(delivered.values_list("pk", flat=True))
        # Every customer has paid, but the one whose credit finance approved.
        owing = Settlement.all_objects.filter(settlement_list__in=confirmed, payer="customer", received__lt=F("amount"))
        assert [(row.credit_by.username if row.credit_by else "", row.credit_note) for row in owing] == [
            (f"finance_{store.code.lower()}", "公司客户，约定月底对公转账结清")
        ]
    # Quality's brakes of this morning: paid in cash at the counter, notes of 500.00 and 68.00 change.
    store = _sh01()
    brakes = Delivery.objects.get(store=store, visit__needs__startswith="刹车异响").visit
    [paid] = Payment.all_objects.filter(order__visit=brakes)
    assert (paid.method, paid.amount, paid.tendered, paid.change, paid.cashier.username, paid.taken_at) == (
        "cash",
        D("432.00"),
        D("500.00"),
        D("68.00"),
        "cashier_sh01",
        NOW,
    )
    # The 三包 car's four warranty repairs: each list confirmed on the day of its repair, the manufacturer owed.
    calendar = store_calendar(store)
    window = SettlementList.all_objects.filter(store=store, order__visit__needs__startswith="左前车窗").order_by(
        "confirmed_at"
    )
    assert [calendar.local_date(row.confirmed_at) for row in window] == [
        TODAY - timedelta(days=days) for days in (260, 180, 100, 30)
    ]
    assert [
        (row.payer, row.amount, row.received, row.state)
        for row in Settlement.all_objects.filter(settlement_list__in=window).order_by("pk")
    ] == [("manufacturer", D("180.00"), D("0.00"), "open")] * 4
    assert [
        calendar.local_date(delivery.delivered_at)
        for delivery in Delivery.objects.filter(visit__orders__in=[row.order_id for row in window]).order_by(
            "delivered_at"
        )
    ] == [TODAY - timedelta(days=days) for days in (260, 180, 100, 30)]


def test_a_month_of_orders_with_every_pay_type_spread_over_30_days(demo_at_now: Clock) -> None:
    store = _sh01()
    calendar = store_calendar(store)
    month = RepairOrder.all_objects.filter(
        store=store, state="delivered", visit__arrived_at__gte=calendar.day_start(TODAY - timedelta(days=29))
    ).exclude(visit__needs__startswith="刹车异响")
    deliveries = Delivery.objects.filter(visit__orders__in=month).order_by("delivered_at")
    assert [(TODAY - calendar.local_date(row.delivered_at)).days for row in deliveries] == [
        29, 27, 24, 23, 21, 19, 17, 15, 13, 11, 8, 7, 5, 3, 2
    ]  # fmt: skip
    lines = Line.all_objects.filter(order__in=month)
    assert sorted(Counter(lines.values_list("pay_type", "kind")).items()) == [
        (("customer", "consumable"), 8),
        (("customer", "labour"), 24),
        (("extended_warranty", "labour"), 1),
        (("goodwill", "labour"), 1),
        (("insurance", "labour"), 2),
        (("internal", "labour"), 1),
        (("oem_warranty", "labour"), 1),
    ]
    assert set(lines.values_list("state", flat=True)) == {"done"}
    # The approvals of each pay type: the insurer's loss assessment, the manufacturer, the provider, the manager.
    approvals = LineApproval.objects.filter(line__order__in=month).exclude(kind="customer_in_person")
    assert sorted(
        (a.kind, a.by.username if a.by else "", a.insurer, str(a.deductible or ""), a.provider) for a in approvals
    ) == [
        ("insurer_assessment", "insurance_sh01", "中国人民财产保险股份有限公司", "133.33", ""),
        ("insurer_assessment", "insurance_sh01", "中国人民财产保险股份有限公司", "66.67", ""),
        ("manager", "service_manager_sh01", "", "", ""),
        ("manager", "service_manager_sh01", "", "", ""),
        ("oem_preauthorisation", "warranty_sh01", "", "", ""),
        ("provider_authorisation", "warranty_sh01", "", "", "华安汽车延保服务有限公司"),
    ]
    # The insurer pays what it assessed (90 % of each line) less the deductible of 200.00, spread over the claim's
    # lines by their assessed amounts.
    insured = approvals.filter(kind="insurer_assessment")
    assessed = sum((a.assessed_amount or D(0) for a in insured), D(0))
    [insurer] = Settlement.all_objects.filter(order__in=month, payer="insurer")
    assert (assessed, insurer.amount, insurer.payer_name) == (
        D("1166.40"),
        D("966.40"),
        "中国人民财产保险股份有限公司",
    )
    assert money_round(sum((a.line.amount for a in insured), D(0)) * D("0.9")) == assessed


def test_the_month_exact_per_method_and_per_payer(demo_at_now: Clock) -> None:
    store = _sh01()
    payments = Payment.all_objects.filter(store=store)
    assert sorted(
        (row["method"], row["is_deposit"], row["state"], row["n"], money_round(row["total"]))
        for row in payments.values("method", "is_deposit", "state").annotate(n=Count("pk"), total=Sum("amount"))
    ) == [
        ("card", False, "paid", 7, D("3829.20")),
        ("card", True, "paid", 1, D("1000.00")),
        ("cash", False, "paid", 7, D("4220.00")),  # this morning's brakes among them
        ("cash", True, "paid", 1, D("1000.00")),
        ("transfer", False, "paid", 2, D("1554.40")),
    ]
    # Cash with change; card with the POS slip's reference; transfers confirmed by finance.
    cash = payments.filter(method="cash").order_by("taken_at")
    assert [(p.amount, p.tendered, p.change) for p in cash] == [
        (D("722.00"), D("800.00"), D("78.00")),
        (D("216.00"), D("300.00"), D("84.00")),
        (D("360.00"), D("400.00"), D("40.00")),
        (D("224.00"), D("300.00"), D("76.00")),
        (D("676.00"), D("700.00"), D("24.00")),
        (D("1590.00"), D("1600.00"), D("10.00")),
        (D("1000.00"), D("1000.00"), D("0.00")),  # a deposit, handed over exactly
        (D("432.00"), D("500.00"), D("68.00")),
    ]
    assert {len(p.reference) for p in payments.filter(method="card")} == {12}
    assert [
        (p.payer, p.confirmed_by.username if p.confirmed_by else "") for p in payments.filter(method="transfer")
    ] == [
        ("customer", "finance_sh01"),
        ("insurer", "finance_sh01"),
    ]
    # The deposit in cash above what the repair came to: the rest refunded, in cash, approved by finance.
    [refund] = Refund.all_objects.filter(store=store).select_related("requested_by", "decided_by")
    decided = refund.decided_by.username if refund.decided_by else ""
    assert (refund.amount, refund.method, refund.state, refund.requested_by.username, decided) == (
        D("622.00"),
        "cash",
        "refunded",
        "cashier_sh01",
        "finance_sh01",
    )
    assert (refund.payment.amount, refund.payment.refunded, refund.payment.is_deposit) == (
        D("1000.00"),
        D("622.00"),
        True,
    )
    # Per payer, what the live lists settled = what came in (payments less refunds) + what is still open.
    live = Settlement.all_objects.filter(store=store).exclude(settlement_list__state="reversed")
    settled = {row["payer"]: money_round(row["total"]) for row in live.values("payer").annotate(total=Sum("amount"))}
    received: dict[str, Decimal] = defaultdict(Decimal)
    for payment in payments.filter(state="paid"):
        received[payment.payer] += payment.amount - payment.refunded
    still: dict[str, Decimal] = defaultdict(Decimal)
    for row in settlements_open(store=store):
        still[row.payer] += row.open_amount
    assert {payer: (settled[payer], received[payer], still[payer]) for payer in sorted(settled)} == {
        "customer": (D("11392.80"), D("10015.20"), D("1377.60")),  # open: the order on credit
        "insurer": (D("966.40"), D("966.40"), 0),
        "manufacturer": (D("900.00"), 0, D("900.00")),  # claimed later: the 三包 car's four and the month's
        "store": (D("204.00"), 0, 0),  # goodwill and internal work, carried by the store
        "warranty_provider": (D("840.00"), 0, D("840.00")),
    }
    for payer, total in settled.items():
        if payer != "store":
            assert total == received[payer] + still[payer], payer
    # The kept ``received`` of each settlement is its payments less their refunds.
    for row in live:
        paid = row.payments.filter(state="paid")
        assert row.received == sum((p.amount - p.refunded for p in paid), D(0)), row.pk


def test_the_month_has_its_surcharge_discounts_credit_and_reversal(demo_at_now: Clock) -> None:
    store = _sh01()
    calendar = store_calendar(store)
    # The car received at 20:50 has the night surcharge: 20 % of its labour.
    [night] = SettlementCharge.objects.filter(store=store).exclude(surcharge="")
    labour = SettlementCharge.objects.get(settlement=night.settlement, kind="labour", surcharge="")
    assert (night.surcharge, night.description, night.amount, money_round(labour.amount * D("0.2"))) == (
        "night",
        "夜间服务 20% · 更换前刹车片",
        D("79.20"),
        D("79.20"),
    )
    arrived = calendar.local(night.settlement.order.visit.arrived_at)
    assert (arrived.date(), arrived.strftime("%H:%M")) == (TODAY - timedelta(days=9), "20:50")
    # A line discount, an order discount and the rounding off, within the advisor's limits (5 %, 10.00).
    discounted = SettlementList.all_objects.get(store=store, state="confirmed", discount__gt=0)
    customer = discounted.settlements.get(payer="customer")
    charges = customer.charges.all()
    gross = sum((c.gross for c in charges), D(0))
    assert (discounted.discount, discounted.rounding, list(discounted.line_discounts.values())) == (
        D("30.00"),
        D("7.20"),
        ["20.00"],
    )
    assert (gross, customer.amount, discounted.confirmed_by.username if discounted.confirmed_by else "") == (
        D("1647.20"),
        D("1590.00"),
        "advisor_sh01",
    )
    assert D("50.00") <= gross * D("0.05")
    # Credit approved by finance: the car released, the customer's share still owed.
    [credit] = Settlement.all_objects.filter(store=store, credit_at__isnull=False)
    assert (credit.amount, credit.received, credit.state, credit.credit_by.username if credit.credit_by else "") == (
        D("1377.60"),
        D("0.00"),
        "open",
        "finance_sh01",
    )
    assert credit.settlement_list.order.state == "delivered"
    # The list reversed the day after it was paid and confirmed again as a special VAT invoice: the card payment
    # moved to the new list.
    [reversed_list] = SettlementList.all_objects.filter(store=store, state="reversed")
    again = SettlementList.all_objects.get(corrects=reversed_list)
    assert (reversed_list.reversal_reason, again.state, again.invoice_type, again.amount) == (
        "客户要求改开增值税专用发票（公司抬头）",
        "confirmed",
        "special",
        reversed_list.amount,
    )
    [card] = Payment.all_objects.filter(order=again.order)
    assert (card.method, card.settlement.settlement_list_id if card.settlement else None) == ("card", again.pk)
    assert (calendar.local_date(reversed_list.reversed_at), calendar.local_date(again.confirmed_at)) == (
        TODAY - timedelta(days=2),
        TODAY - timedelta(days=2),
    )
    # Gap-free numbers: every list of the store numbered in turn.
    numbers = sorted(SettlementList.all_objects.filter(store=store).values_list("number", flat=True))
    assert numbers == [f"JS-SH01-2026-{n:06d}" for n in range(1, 22)]


@pytest.mark.parametrize("code", ["SH01", "SZ01"])
def test_the_cash_desk_shows_balanced_days(demo_at_now: Clock, code: str) -> None:
    store = Store.all_objects.get(code=code)
    days = list(CashDay.all_objects.filter(store=store).select_related("cashier", "handed_to").order_by("day"))
    assert [row.day for row in days] == [TODAY - timedelta(days=n) for n in range(29, -1, -1)]
    assert {(row.cashier.username, row.opening_float) for row in days} == {(f"cashier_{code.lower()}", D("500.00"))}
    for row in days[:-1]:
        report = cash_report(store=store, day=row.day)
        assert (report.balances, report.drawer.counted, report.drawer.difference) == (
            True,
            report.drawer.expected,
            D("0.00"),
        ), row.day
        assert row.handed_to is not None and row.handed_to.username == f"finance_{code.lower()}"
        handed = store_calendar(store).local(row.handed_over_at) if row.handed_over_at else None
        assert handed is not None and (handed.date(), handed.strftime("%H:%M")) == (row.day, "18:05")
    today = days[-1]
    assert (today.counted, today.handed_over_at) == (None, None)


def test_the_first_days_drawer_exactly(demo_at_now: Clock) -> None:
    report = cash_report(store=_sh01(), day=TODAY - timedelta(days=29))
    cash = report.method("cash")
    assert (report.drawer.opening_float, cash.takings_count, cash.takings, report.drawer.counted) == (
        D("500.00"),
        1,
        D("722.00"),
        D("1222.00"),
    )
    refund_day = cash_report(store=_sh01(), day=TODAY - timedelta(days=2))
    assert (refund_day.method("cash").takings, refund_day.method("cash").refunds, refund_day.drawer.counted) == (
        D("1000.00"),
        D("622.00"),
        D("878.00"),
    )


def test_the_demo_runs_once(demo_at_now: Clock) -> None:
    counts = [model.all_objects.count() for model in (SettlementList, Payment, Refund, CashDay)]
    assert billing_demo_install() == 0
    assert [model.all_objects.count() for model in (SettlementList, Payment, Refund, CashDay)] == counts
