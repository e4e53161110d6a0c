"""The cash desk's reads: the daily report per cashier and method that balances (float, takings, refunds,
hand-over), the funds flow of a period, the settlements still open and an order's payments; every figure
exact, the store's day from its local midnight, the queries pinned."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.billing.models import CashDay, Method, Payment, Refund, Settlement, SettlementList
from aftersales.billing.selectors import (
    METHODS,
    CashReport,
    MethodTotals,
    cash_report,
    funds_flow,
    payments_of_order,
    settlements_open,
    totals_added,
)
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.visits.models import RepairOrder, Visit
from aftersales.visits.services import LineIn, OrderIn, repair_order_create
from aftersales.visits.tests.conftest import Reception, reception, signature_png, visit

__all__ = ["reception", "visit"]

D = Decimal
Queries = Callable[..., AbstractContextManager[Any]]


@dataclass
class Till:
    """Payments and refunds of the store written as the counter leaves them, numbered in turn."""

    store: Store
    order: RepairOrder
    day: date  # the report's day: yesterday in the store's zone
    cashier: User
    other: User  # a second cashier
    finance: User
    count: int = 0

    def at(self, hour: int, minute: int = 0, *, days: int = 0) -> datetime:
        """The store's local time on the report's day (``days`` later), as an aware instant."""
        return store_calendar(self.store).day_start(self.day + timedelta(days=days)) + timedelta(
            hours=hour, minutes=minute
        )

    def pay(
        self,
        method: str,
        amount: str,
        at: datetime,
        *,
        cashier: User | None = None,
        tendered: str | None = None,
        state: str = "paid",
        deposit: bool = False,
        order: RepairOrder | None = None,
        settlement: Settlement | None = None,
        payer: str = "customer",
    ) -> Payment:
        self.count += 1
        given = D(tendered) if tendered is not None else (D(amount) if method == Method.CASH else None)
        return Payment.all_objects.create(
            store=self.store,
            number=f"SK-SH01-T-{self.count:05d}",
            order=order or self.order,
            settlement=settlement,
            payer=payer,
            method=method,
            amount=D(amount),
            tendered=given,
            change=given - D(amount) if given is not None else D("0.00"),
            reference=f"REF-{self.count}" if method in (Method.CARD, Method.TRANSFER) else "",
            is_deposit=deposit,
            state=state,
            provider="wechat" if method == Method.CODE else "",
            transaction_id=f"4200000{self.count:05d}" if method == Method.CODE and state == "paid" else "",
            failure="用户余额不足" if state == "failed" else "",
            cashier=cashier or self.cashier,
            taken_at=at,
            confirmed_by=self.finance if method == Method.TRANSFER and state == "paid" else None,
            confirmed_at=at if method == Method.TRANSFER and state == "paid" else None,
        )

    def refund(
        self,
        payment: Payment,
        amount: str,
        at: datetime,
        *,
        by: User | None = None,
        method: str | None = None,
        state: str = "refunded",
    ) -> Refund:
        self.count += 1
        return Refund.all_objects.create(
            store=self.store,
            number=f"TK-SH01-T-{self.count:05d}",
            payment=payment,
            amount=D(amount),
            method=method or payment.method,
            reason="多收",
            state=state,
            requested_by=by or payment.cashier,
            requested_at=at - timedelta(minutes=30),
            decided_by=self.finance if state == "refunded" else None,
            decided_at=at if state == "refunded" else None,
            refunded_at=at if state == "refunded" else None,
        )


def _order(reception: Reception, visit_id: int) -> RepairOrder:
    return repair_order_create(
        actor=reception.advisor,
        visit_id=visit_id,
        data=OrderIn(
            statement="保养",
            signature=signature_png(),
            signed_name="张伟",
            lines=[LineIn(kind="labour", operation_id=reception.oil.pk)],
        ),
    )


@pytest.fixture
def till(reception: Reception, visit: Visit) -> Till:
    world = reception.world
    yesterday = store_calendar(reception.store).local_date(timezone.now()) - timedelta(days=1)
    return Till(
        store=reception.store,
        order=_order(reception, visit.pk),
        day=yesterday,
        cashier=world.user("cashier"),
        other=world.user("service_manager"),
        finance=world.user("finance"),
    )


def _figures(row: MethodTotals) -> tuple[object, ...]:
    return (
        row.method,
        row.takings_count,
        str(row.takings),
        row.refunds_count,
        str(row.refunds),
        row.deposits_count,
        str(row.deposits),
        str(row.net),
    )


def _a_day(till: Till) -> dict[str, Payment]:
    """A day of two cashiers at the counter, with what happened the day before and after it."""
    a, b = till.cashier, till.other
    paid = {
        "cash": till.pay("cash", "300.00", till.at(9), tendered="500.00"),
        "cash_change": till.pay("cash", "88.50", till.at(10), tendered="100.00"),
        "card": till.pay("card", "1200.00", till.at(11)),
        "code": till.pay("code", "450.00", till.at(12)),
        "deposit": till.pay("cash", "500.00", till.at(13), deposit=True),
        "failed": till.pay("code", "99.00", till.at(14), state="failed"),
        "pending": till.pay("transfer", "3000.00", till.at(15), state="pending"),
        "b_card": till.pay("card", "680.00", till.at(9, 30), cashier=b),
        "b_transfer": till.pay("transfer", "2000.00", till.at(10, 30), cashier=b),
        "b_cash": till.pay("cash", "200.00", till.at(16), cashier=b),
        "day_before": till.pay("cash", "20.00", till.at(18, days=-1)),
        "day_after": till.pay("cash", "1000.00", till.at(8, days=1)),
    }
    till.refund(paid["cash"], "50.00", till.at(17))
    till.refund(paid["card"], "200.00", till.at(17, 30))
    till.refund(paid["b_card"], "80.00", till.at(18), method="cash")  # given back in cash from B's drawer
    till.refund(paid["code"], "30.00", till.at(18, 30), state="requested")  # not paid out: not counted
    till.refund(paid["day_before"], "20.00", till.at(9, 15))  # paid yesterday, given back today
    till.refund(paid["cash_change"], "8.50", till.at(9, days=1))  # tomorrow's
    CashDay.all_objects.create(
        store=till.store,
        cashier=a,
        day=till.day,
        opening_float=D("500.00"),
        counted=D("1318.00"),
        handed_to=till.finance,
        handed_over_at=till.at(19),
    )
    CashDay.all_objects.create(store=till.store, cashier=b, day=till.day, opening_float=D("200.00"))
    return paid


# --- the daily report ------------------------------------------------------------------------------------------


def test_the_daily_report_per_cashier_and_method_balances(till: Till, django_assert_num_queries: Queries) -> None:
    paid = _a_day(till)
    with django_assert_num_queries(4):
        report = cash_report(store=till.store, day=till.day)
    assert (report.day, report.starts, report.ends) == (till.day, till.at(0), till.at(0, days=1))
    a, b = sorted(report.cashiers, key=lambda row: row.cashier_id != till.cashier.pk)
    assert (a.cashier_id, a.name, b.cashier_id, b.name) == (till.cashier.pk, "收银员", till.other.pk, str(till.other))
    # Cashier A: cash 300.00 + 88.50 + the 500.00 deposit, less 50.00 and the 20.00 of yesterday's payment.
    assert [_figures(row) for row in a.methods] == [
        ("cash", 3, "888.50", 2, "70.00", 1, "500.00", "818.50"),
        ("card", 1, "1200.00", 1, "200.00", 0, "0.00", "1000.00"),
        ("code", 1, "450.00", 0, "0.00", 0, "0.00", "450.00"),
        ("transfer", 0, "0.00", 0, "0.00", 0, "0.00", "0.00"),
    ]
    assert _figures(a.total) == ("", 5, "2538.50", 3, "270.00", 1, "500.00", "2268.50")
    # The drawer: 500.00 + 888.50 - 70.00 = 1318.50; 1318.00 counted, 0.50 short.
    drawer = a.drawer
    assert (str(drawer.opening_float), str(drawer.expected), str(drawer.counted), str(drawer.difference)) == (
        "500.00",
        "1318.50",
        "1318.00",
        "-0.50",
    )
    assert (drawer.handed_to_id, drawer.handed_to, drawer.handed_over_at, drawer.opened) == (
        till.finance.pk,
        "财务",
        till.at(19),
        True,
    )
    assert [_figures(row) for row in b.methods] == [
        ("cash", 1, "200.00", 1, "80.00", 0, "0.00", "120.00"),
        ("card", 1, "680.00", 0, "0.00", 0, "0.00", "680.00"),
        ("code", 0, "0.00", 0, "0.00", 0, "0.00", "0.00"),
        ("transfer", 1, "2000.00", 0, "0.00", 0, "0.00", "2000.00"),
    ]
    assert (str(b.drawer.expected), b.drawer.counted, b.drawer.difference, b.drawer.handed_over_at) == (
        "320.00",
        None,
        None,
        None,
    )
    # The store: the two cashiers added up; the drawers are not counted until B's is.
    assert [_figures(row) for row in report.methods] == [
        ("cash", 4, "1088.50", 3, "150.00", 1, "500.00", "938.50"),
        ("card", 2, "1880.00", 1, "200.00", 0, "0.00", "1680.00"),
        ("code", 1, "450.00", 0, "0.00", 0, "0.00", "450.00"),
        ("transfer", 1, "2000.00", 0, "0.00", 0, "0.00", "2000.00"),
    ]
    assert _figures(report.total) == ("", 8, "5418.50", 4, "350.00", 1, "500.00", "5068.50")
    assert (str(report.drawer.opening_float), str(report.drawer.expected), report.drawer.counted) == (
        "700.00",
        "1638.50",
        None,
    )
    # The pending transfer and the failed code are listed apart, not counted.
    assert [(row.payment_id, row.state, row.method, str(row.amount), row.failure) for row in report.not_counted] == [
        (paid["failed"].pk, "failed", "code", "99.00", "用户余额不足"),
        (paid["pending"].pk, "pending", "transfer", "3000.00", ""),
    ]
    assert report.not_counted[0].order_number == till.order.number
    assert report.balances is True


def test_one_cashiers_report_and_the_store_counted_once_every_drawer_is(
    till: Till, django_assert_num_queries: Queries
) -> None:
    _a_day(till)
    with django_assert_num_queries(4):
        mine = cash_report(store=till.store, day=till.day, cashier=till.cashier)
    assert [row.cashier_id for row in mine.cashiers] == [till.cashier.pk]
    assert _figures(mine.total) == ("", 5, "2538.50", 3, "270.00", 1, "500.00", "2268.50")
    assert (str(mine.drawer.expected), str(mine.drawer.counted)) == ("1318.50", "1318.00")
    assert [row.payment_id for row in mine.not_counted] == [
        row.payment_id for row in cash_report(store=till.store, day=till.day).not_counted
    ]
    CashDay.all_objects.filter(cashier=till.other).update(
        counted=D("320.00"), handed_to=till.finance, handed_over_at=till.at(19, 30)
    )
    whole = cash_report(store=till.store, day=till.day)
    assert (str(whole.drawer.expected), str(whole.drawer.counted), str(whole.drawer.difference)) == (
        "1638.50",
        "1638.00",
        "-0.50",
    )


def test_the_day_runs_from_the_stores_midnight(till: Till) -> None:
    # Shanghai's midnight is 16:00 UTC: 15:59 UTC is still the evening before, 16:01 UTC the next day.
    eve = till.day - timedelta(days=1)
    moments = [
        datetime.combine(day, time(hour, minute), tzinfo=UTC)
        for day in (eve, till.day)
        for hour, minute in ((15, 59), (16, 1))
    ]
    for moment, amount in zip(moments, ["1.00", "2.00", "4.00", "8.00"], strict=True):
        payment = till.pay("cash", amount, moment)
        till.refund(payment, "0.50", moment)
    days = [till.day - timedelta(days=1), till.day, till.day + timedelta(days=1)]
    cash = [cash_report(store=till.store, day=day).method(Method.CASH) for day in days]
    assert [(row.takings_count, str(row.takings), row.refunds_count, str(row.refunds)) for row in cash] == [
        (1, "1.00", 1, "0.50"),
        (2, "6.00", 2, "1.00"),
        (1, "8.00", 1, "0.50"),
    ]
    flow = funds_flow(store=till.store, start=till.day, end=till.day)
    assert [str(row.amount) for row in flow.rows] == ["2.00", "-0.50", "4.00", "-0.50"]


def test_a_day_without_money_and_a_drawer_opened_without_takings(
    till: Till, django_assert_num_queries: Queries
) -> None:
    with django_assert_num_queries(4):
        empty = cash_report(store=till.store, day=till.day)
    assert (empty.cashiers, empty.not_counted, _figures(empty.total), empty.balances) == (
        (),
        (),
        ("", 0, "0.00", 0, "0.00", 0, "0.00", "0.00"),
        True,
    )
    CashDay.all_objects.create(store=till.store, cashier=till.other, day=till.day, opening_float=D("300.00"))
    opened = cash_report(store=till.store, day=till.day)
    (row,) = opened.cashiers
    assert (row.cashier_id, str(row.drawer.expected), _figures(row.total)) == (
        till.other.pk,
        "300.00",
        ("", 0, "0.00", 0, "0.00", 0, "0.00", "0.00"),
    )
    # A cashier who took money without opening a drawer starts from nothing.
    till.pay("cash", "60.00", till.at(10))
    (mine,) = [r for r in cash_report(store=till.store, day=till.day).cashiers if r.cashier_id == till.cashier.pk]
    assert (str(mine.drawer.opening_float), str(mine.drawer.expected), mine.drawer.opened) == ("0.00", "60.00", False)


def test_another_stores_money_is_not_in_the_report(till: Till, reception: Reception) -> None:
    _a_day(till)
    other = reception.world.sz
    assert cash_report(store=other, day=till.day).cashiers == ()
    assert funds_flow(store=other, start=till.day, end=till.day).rows == ()


# Payments of three cashiers around the day (from 3 hours before its midnight to 3 hours after the next):
# (cashier, method, fen, change in fen, state, deposit, minutes from the day's start).
payments_drawn = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(METHODS),
        st.integers(1, 10_000_000),
        st.integers(0, 10_000),
        st.sampled_from(["paid", "paid", "paid", "pending", "failed"]),
        st.booleans(),
        st.integers(-180, 27 * 60),
    ),
    min_size=1,
    max_size=25,
)
# Refunds: (which payment, its share in per cent, refunded or only requested, method as paid or cash, who asked,
# minutes from the day's start).
refunds_drawn = st.lists(
    st.tuples(
        st.integers(0, 24),
        st.integers(1, 100),
        st.booleans(),
        st.booleans(),
        st.integers(0, 2),
        st.integers(-180, 27 * 60),
    ),
    max_size=10,
)
floats_drawn = st.lists(st.one_of(st.none(), st.integers(0, 200_000)), min_size=3, max_size=3)


def _expected(
    till: Till, cashiers: list[User], payments: list[Payment], refunds: list[Refund]
) -> dict[tuple[int, str], MethodTotals]:
    """Each cashier's figures per method, counted here row by row."""
    starts, ends = till.at(0), till.at(0, days=1)
    counts: Counter[tuple[int, str, str]] = Counter()
    sums: dict[tuple[int, str, str], Decimal] = {}
    for payment in payments:
        if payment.state == "paid" and starts <= payment.taken_at < ends:
            for what in ("takings", "deposits") if payment.is_deposit else ("takings",):
                key = (payment.cashier_id, payment.method, what)
                counts[key] += 1
                sums[key] = sums.get(key, D(0)) + payment.amount
    for refund in refunds:
        at = refund.refunded_at
        if refund.state == "refunded" and at is not None and starts <= at < ends:
            key = (refund.requested_by_id, refund.method, "refunds")
            counts[key] += 1
            sums[key] = sums.get(key, D(0)) + refund.amount
    return {
        (user.pk, method): MethodTotals(
            method,
            counts[user.pk, method, "takings"],
            sums.get((user.pk, method, "takings"), D("0.00")),
            counts[user.pk, method, "refunds"],
            sums.get((user.pk, method, "refunds"), D("0.00")),
            counts[user.pk, method, "deposits"],
            sums.get((user.pk, method, "deposits"), D("0.00")),
        )
        for user in cashiers
        for method in METHODS
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=payments_drawn, given_back=refunds_drawn, floats=floats_drawn)
def test_any_day_balances_to_the_fen(
    till: Till,
    drawn: list[tuple[int, str, int, int, str, bool, int]],
    given_back: list[tuple[int, int, bool, bool, int, int]],
    floats: list[int | None],
) -> None:
    cashiers = [till.cashier, till.other, till.finance]
    start = till.at(0)
    with transaction.atomic():
        payments = [
            till.pay(
                method,
                str(D(fen) / 100),
                start + timedelta(minutes=minutes),
                cashier=cashiers[who],
                tendered=str(D(fen + change) / 100) if method == Method.CASH else None,
                # Cash and card are paid at once; a code or a transfer may be pending or have failed.
                state=state if method in (Method.CODE, Method.TRANSFER) else "paid",
                deposit=deposit,
            )
            for who, method, fen, change, state, deposit, minutes in drawn
        ]
        paid = [payment for payment in payments if payment.state == "paid"]
        refunds = [
            till.refund(
                paid[index % len(paid)],
                str(D(max(1, int(paid[index % len(paid)].amount * share))) / 100),
                start + timedelta(minutes=minutes),
                by=cashiers[who],
                method=None if as_paid else Method.CASH,
                state="refunded" if paid_out else "requested",
            )
            for index, share, paid_out, as_paid, who, minutes in given_back
            if paid
        ]
        for user, opening in zip(cashiers, floats, strict=True):
            if opening is not None:
                CashDay.all_objects.create(store=till.store, cashier=user, day=till.day, opening_float=D(opening) / 100)
        report = cash_report(store=till.store, day=till.day)
        expected = _expected(till, cashiers, payments, refunds)
        _balances(report, expected, dict(zip((u.pk for u in cashiers), floats, strict=True)))
        transaction.set_rollback(True)


def _balances(report: CashReport, expected: dict[tuple[int, str], MethodTotals], floats: dict[int, int | None]) -> None:
    assert report.balances is True
    for row in report.cashiers:
        assert row.methods == tuple(expected[row.cashier_id, method] for method in METHODS)
        cash = row.method(Method.CASH)
        opening = D(floats[row.cashier_id] or 0) / 100
        assert row.drawer.expected == opening + cash.takings - cash.refunds
    listed = {row.cashier_id for row in report.cashiers}
    busy = {pk for (pk, _method), row in expected.items() if row.takings_count or row.refunds_count}
    opened = {pk for pk, opening in floats.items() if opening is not None}
    assert listed == busy | opened
    for method in METHODS:
        assert report.method(method) == totals_added((row for (_pk, m), row in expected.items() if m == method), method)
    assert report.total == totals_added(expected.values())
    assert report.drawer.expected == sum((row.drawer.expected for row in report.cashiers), D("0.00"))


# --- the funds flow --------------------------------------------------------------------------------------------


def test_the_funds_flow_in_time_order_with_its_running_balance(till: Till, django_assert_num_queries: Queries) -> None:
    paid = _a_day(till)
    with django_assert_num_queries(2):
        flow = funds_flow(store=till.store, start=till.day, end=till.day)
    rows = [(row.number, row.direction, row.method, str(row.amount), str(row.balance)) for row in flow.rows]
    assert rows == [
        (paid["cash"].number, "in", "cash", "300.00", "300.00"),
        (Refund.all_objects.get(payment=paid["day_before"]).number, "out", "cash", "-20.00", "280.00"),
        (paid["b_card"].number, "in", "card", "680.00", "960.00"),
        (paid["cash_change"].number, "in", "cash", "88.50", "1048.50"),
        (paid["b_transfer"].number, "in", "transfer", "2000.00", "3048.50"),
        (paid["card"].number, "in", "card", "1200.00", "4248.50"),
        (paid["code"].number, "in", "code", "450.00", "4698.50"),
        (paid["deposit"].number, "in", "cash", "500.00", "5198.50"),
        (paid["b_cash"].number, "in", "cash", "200.00", "5398.50"),
        (Refund.all_objects.get(payment=paid["cash"]).number, "out", "cash", "-50.00", "5348.50"),
        (Refund.all_objects.get(payment=paid["card"]).number, "out", "card", "-200.00", "5148.50"),
        (Refund.all_objects.get(payment=paid["b_card"]).number, "out", "cash", "-80.00", "5068.50"),
    ]
    first, deposit = flow.rows[0], flow.rows[7]
    assert (first.at, first.kind, first.record_id, first.payer, first.order_id, first.order_number) == (
        till.at(9),
        "payment",
        paid["cash"].pk,
        "customer",
        till.order.pk,
        till.order.number,
    )
    assert (first.plate, first.cashier, first.reference, first.is_deposit, deposit.is_deposit) == (
        "沪A12345",
        "收银员",
        "",
        False,
        True,
    )
    refund = flow.rows[1]
    assert (refund.kind, refund.cashier, refund.order_number, flow.rows[2].reference) == (
        "refund",
        "收银员",
        till.order.number,
        "REF-8",
    )
    totals = [(t.method, t.count_in, str(t.money_in), t.count_out, str(t.money_out), str(t.net)) for t in flow.methods]
    assert totals == [
        ("cash", 4, "1088.50", 3, "150.00", "938.50"),
        ("card", 2, "1880.00", 1, "200.00", "1680.00"),
        ("code", 1, "450.00", 0, "0.00", "450.00"),
        ("transfer", 1, "2000.00", 0, "0.00", "2000.00"),
    ]
    total = flow.total
    assert (total.count_in, str(total.money_in), total.count_out, str(total.money_out), str(total.net)) == (
        8,
        "5418.50",
        4,
        "350.00",
        "5068.50",
    )
    assert flow.total.net == flow.rows[-1].balance == cash_report(store=till.store, day=till.day).total.net


def test_the_funds_flow_of_a_period_and_of_one_method(till: Till, django_assert_num_queries: Queries) -> None:
    _a_day(till)
    week = funds_flow(store=till.store, start=till.day - timedelta(days=1), end=till.day + timedelta(days=1))
    assert (len(week.rows), str(week.total.money_in), str(week.total.money_out), str(week.rows[-1].balance)) == (
        15,
        "6438.50",
        "358.50",
        "6080.00",
    )
    with django_assert_num_queries(2):
        cash = funds_flow(store=till.store, start=till.day, end=till.day, method="cash")
    assert [(row.method, str(row.amount)) for row in cash.rows] == [
        ("cash", "300.00"),
        ("cash", "-20.00"),
        ("cash", "88.50"),
        ("cash", "500.00"),
        ("cash", "200.00"),
        ("cash", "-50.00"),
        ("cash", "-80.00"),
    ]
    assert [(t.method, str(t.net)) for t in cash.methods] == [("cash", "938.50")]
    assert str(cash.total.net) == "938.50"


@pytest.mark.parametrize(
    ("days", "method", "fields"),
    [
        (-1, None, {"end": ["The period cannot end before it starts."]}),
        (366, None, {"end": ["Choose at most 366 days."]}),
        (0, "cheque", {"method": ["Choose one of the listed values."]}),
    ],
)
def test_a_period_backwards_too_long_or_of_an_unknown_method_is_refused(
    till: Till, days: int, method: str | None, fields: dict[str, list[str]]
) -> None:
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        funds_flow(store=till.store, start=till.day, end=till.day + timedelta(days=days), method=method)
    assert (refused.value.status, refused.value.fields) == (422, fields)
    assert funds_flow(store=till.store, start=till.day, end=till.day + timedelta(days=365)).rows == ()


# --- what is owed, and an order's payments ---------------------------------------------------------------------


def _list(till: Till, order: RepairOrder, state: str, confirmed: datetime | None, number: str) -> SettlementList:
    return SettlementList.all_objects.create(
        store=till.store,
        order=order,
        number=number,
        state=state,
        amount=D("1000.00"),
        prepared_at=till.at(8),
        confirmed_at=confirmed,
        confirmed_by=till.other if confirmed else None,
    )


def _owed(
    till: Till, settlement_list: SettlementList, payer: str, amount: str, received: str, **more: Any
) -> Settlement:
    return Settlement.all_objects.create(
        store=more.pop("store", till.store),
        settlement_list=settlement_list,
        order=settlement_list.order,
        payer=payer,
        payer_name=more.pop("payer_name", ""),
        amount=D(amount),
        received=D(received),
        state=more.pop("state", "open"),
    )


def test_the_settlements_still_open_oldest_first(
    till: Till, reception: Reception, visit: Visit, django_assert_num_queries: Queries
) -> None:
    later = _order(reception, visit.pk)
    newer = _list(till, till.order, "confirmed", till.at(12), "JS-SH01-T-000002")
    older = _list(till, later, "confirmed", till.at(10), "JS-SH01-T-000001")
    prepared = _list(till, _order(reception, visit.pk), "prepared", None, "")
    customer = _owed(till, newer, "customer", "500.00", "200.00")
    insurer = _owed(till, newer, "insurer", "300.00", "0.00", payer_name="中国人保")
    _owed(till, newer, "store", "120.00", "0.00", state="closed")
    maker = _owed(till, older, "manufacturer", "640.00", "0.00", payer_name="大众")
    _owed(till, older, "customer", "88.00", "88.00")  # received in full
    _owed(till, prepared, "customer", "260.00", "0.00")  # not confirmed: not owed yet
    with django_assert_num_queries(1):
        found = settlements_open(store=till.store)
    assert [(row.pk, str(row.open_amount)) for row in found] == [
        (maker.pk, "640.00"),
        (customer.pk, "300.00"),
        (insurer.pk, "300.00"),
    ]
    assert (found[0].order.number, found[0].order.vehicle.plate, found[0].settlement_list.number) == (
        later.number,
        "沪A12345",
        "JS-SH01-T-000001",
    )
    assert [row.pk for row in settlements_open(store=till.store, payer="insurer")] == [insurer.pk]
    assert settlements_open(store=reception.world.sz) == []


def test_the_payments_of_an_order_with_their_refunds(
    till: Till, reception: Reception, visit: Visit, django_assert_num_queries: Queries
) -> None:
    other = _order(reception, visit.pk)
    deposit = till.pay("cash", "500.00", till.at(9), deposit=True)
    card = till.pay("card", "1200.00", till.at(11))
    till.pay("code", "99.00", till.at(10), state="failed")
    till.pay("cash", "30.00", till.at(10), order=other)
    back = till.refund(card, "200.00", till.at(12))
    asked = till.refund(card, "100.00", till.at(13), state="requested")
    with django_assert_num_queries(2):
        found = payments_of_order(order_id=till.order.pk)
        shown = [(row.pk, row.state, row.cashier.username, [r.pk for r in row.refunds.all()]) for row in found]
    assert shown == [
        (deposit.pk, "paid", "cashier_sh", []),
        (found[1].pk, "failed", "cashier_sh", []),
        (card.pk, "paid", "cashier_sh", [back.pk, asked.pk]),
    ]
