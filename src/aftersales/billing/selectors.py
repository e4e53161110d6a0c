"""Every read of the cash desk and of what is still owed (SPEC BIL-4): the daily report of a store's cashiers per
method (opening float, takings, refunds, the drawer and its hand-over), the funds flow (资金流水) of any period,
the settlements still open and the payments of one order.

A store's day runs from its local midnight to the next (``core.calendar``): a payment counts on the day it was
paid (``Payment.taken_at``), a refund on the day it was paid out (``Refund.refunded_at``). Totals are summed by
the database and rounded to the fen here (SQLite adds decimals as floating point)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Prefetch, Q, Sum
from django.utils.translation import gettext as _

from aftersales.billing.models import CashDay, Method, Payment, Refund, Settlement, SettlementList
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.core.money import money_round

ZERO = Decimal("0.00")
PAID = Payment.State.PAID
REFUNDED = Refund.State.REFUNDED
METHODS: tuple[str, ...] = tuple(Method.values)  # every report lists each method, in this order
FLOW_DAYS = 366  # the longest period the funds flow reads at once


def _money(value: Decimal | None) -> Decimal:
    return money_round(value) if value is not None else ZERO


def _name(full_name: str | None, username: str | None) -> str:
    return full_name or username or ""


def _bounds(store: Store, start: date, end: date) -> tuple[datetime, datetime]:
    """The instants at which the store's ``start`` begins and the day after ``end`` begins."""
    calendar = store_calendar(store)
    return calendar.day_start(start), calendar.day_start(end + timedelta(days=1))


# --- the daily report --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodTotals:
    """Money in and out by one method (``method`` empty: every method): payments taken and refunds given, each
    counted and summed; deposits are takings too and are also shown on their own."""

    method: str = ""
    takings_count: int = 0
    takings: Decimal = ZERO
    refunds_count: int = 0
    refunds: Decimal = ZERO
    deposits_count: int = 0
    deposits: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.takings - self.refunds

    @property
    def label(self) -> str:
        return str(Method(self.method).label) if self.method else _("Total")


def totals_added(rows: Iterable[MethodTotals], method: str = "") -> MethodTotals:
    """``rows`` added up, as the figures of ``method`` (empty: every method)."""
    rows = list(rows)
    return MethodTotals(
        method=method,
        takings_count=sum(row.takings_count for row in rows),
        takings=sum((row.takings for row in rows), ZERO),
        refunds_count=sum(row.refunds_count for row in rows),
        refunds=sum((row.refunds for row in rows), ZERO),
        deposits_count=sum(row.deposits_count for row in rows),
        deposits=sum((row.deposits for row in rows), ZERO),
    )


@dataclass(frozen=True)
class Drawer:
    """The cash drawer: what it started with, the cash taken and given back, so what it should hold (the change
    is netted already: a payment's amount is what was tendered less the change), and, once handed over, what
    was counted in it and to whom it went."""

    opening_float: Decimal = ZERO
    takings: Decimal = ZERO
    refunds: Decimal = ZERO
    counted: Decimal | None = None
    handed_to_id: int | None = None
    handed_to: str = ""
    handed_over_at: datetime | None = None
    opened: bool = False  # the cashier opened the day with a float (a ``CashDay``)

    @property
    def expected(self) -> Decimal:
        return self.opening_float + self.takings - self.refunds

    @property
    def difference(self) -> Decimal | None:
        """Counted less expected (negative: cash missing), once counted."""
        return self.counted - self.expected if self.counted is not None else None


@dataclass(frozen=True)
class CashierDay:
    """One cashier's day: the figures of every method and the cash drawer."""

    cashier_id: int
    name: str
    methods: tuple[MethodTotals, ...]  # one per method, in ``METHODS`` order
    drawer: Drawer

    @property
    def total(self) -> MethodTotals:
        return totals_added(self.methods)

    def method(self, method: str) -> MethodTotals:
        return self.methods[METHODS.index(method)]


@dataclass(frozen=True)
class NotCounted:
    """A payment of the day that is not money in: pending (a code awaiting the provider's answer, a transfer
    awaiting finance) or failed."""

    payment_id: int
    number: str
    state: str
    method: str
    amount: Decimal
    cashier_id: int
    cashier: str
    taken_at: datetime
    order_id: int
    order_number: str
    failure: str


@dataclass(frozen=True)
class CashReport:
    """A store's cash desk on one day: each cashier who took a payment, gave a refund or opened a drawer, the
    store's figures per method (the cashiers' added up), its drawers together, and the payments not counted."""

    store_id: int
    day: date
    starts: datetime
    ends: datetime
    cashiers: tuple[CashierDay, ...]
    methods: tuple[MethodTotals, ...]
    drawer: Drawer
    not_counted: tuple[NotCounted, ...]

    @property
    def total(self) -> MethodTotals:
        return totals_added(self.methods)

    def method(self, method: str) -> MethodTotals:
        return self.methods[METHODS.index(method)]

    @property
    def balances(self) -> bool:
        """Each drawer holds its float plus its cash takings less its cash refunds, the cashiers add up to the
        store per method, and the methods to the total."""
        for cashier in self.cashiers:
            cash = cashier.method(Method.CASH)
            drawer = cashier.drawer
            if (drawer.takings, drawer.refunds) != (cash.takings, cash.refunds):
                return False
            if drawer.expected != drawer.opening_float + cash.takings - cash.refunds:
                return False
        for method in METHODS:
            if totals_added((c.method(method) for c in self.cashiers), method) != self.method(method):
                return False
        cash = self.method(Method.CASH)
        if self.drawer.expected != sum((c.drawer.expected for c in self.cashiers), ZERO):
            return False
        if self.drawer.expected != self.drawer.opening_float + cash.takings - cash.refunds:
            return False
        return totals_added(self.methods) == totals_added(c.total for c in self.cashiers)


NOT_COUNTED = (
    "pk",
    "number",
    "state",
    "method",
    "amount",
    "cashier_id",
    "cashier__full_name",
    "cashier__username",
    "taken_at",
    "order_id",
    "order__number",
    "failure",
)


@dataclass
class _Cashier:
    name: str = ""
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    day: CashDay | None = None


def cash_report(*, store: Store, day: date, cashier: User | None = None) -> CashReport:
    """The daily report of ``store`` on its local ``day`` (only ``cashier``'s when given): per cashier and method
    the paid payments taken that day and the refunds paid out that day (a refund is the cashier's who asked for
    it at the counter), deposits among the takings, the cash drawer against the day's ``CashDay``; the pending
    and failed payments apart. Four queries, whatever the number of payments: the sums are the database's."""
    starts, ends = _bounds(store, day, day)
    payments = Payment.all_objects.filter(store=store, taken_at__gte=starts, taken_at__lt=ends)
    refunds = Refund.all_objects.filter(store=store, state=REFUNDED, refunded_at__gte=starts, refunded_at__lt=ends)
    days = CashDay.all_objects.filter(store=store, day=day)
    if cashier is not None:
        payments = payments.filter(cashier=cashier)
        refunds = refunds.filter(requested_by=cashier)
        days = days.filter(cashier=cashier)
    found: dict[int, _Cashier] = defaultdict(_Cashier)
    deposit = Q(is_deposit=True)
    for row in (
        payments.filter(state=PAID)
        .values("cashier_id", "cashier__full_name", "cashier__username", "method")
        .annotate(n=Count("pk"), total=Sum("amount"), deposits_n=Count("pk", filter=deposit))
        .annotate(deposits=Sum("amount", filter=deposit))
        .order_by()
    ):
        entry = found[row["cashier_id"]]
        entry.name = _name(row["cashier__full_name"], row["cashier__username"])
        entry.methods.setdefault(row["method"], {}).update(
            takings_count=row["n"],
            takings=_money(row["total"]),
            deposits_count=row["deposits_n"],
            deposits=_money(row["deposits"]),
        )
    for row in (
        refunds.values("requested_by_id", "requested_by__full_name", "requested_by__username", "method")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        entry = found[row["requested_by_id"]]
        entry.name = _name(row["requested_by__full_name"], row["requested_by__username"])
        entry.methods.setdefault(row["method"], {}).update(refunds_count=row["n"], refunds=_money(row["total"]))
    for cash_day in days.select_related("cashier", "handed_to"):
        entry = found[cash_day.cashier_id]
        entry.name, entry.day = str(cash_day.cashier), cash_day
    cashiers = tuple(
        sorted(
            (_cashier_day(cashier_id, entry) for cashier_id, entry in found.items()),
            key=lambda row: (row.name, row.cashier_id),
        )
    )
    methods = tuple(totals_added((c.method(method) for c in cashiers), method) for method in METHODS)
    drawers = [c.drawer for c in cashiers]
    counted = [d.counted for d in drawers]
    cash = methods[METHODS.index(Method.CASH)]
    drawer = Drawer(
        opening_float=sum((d.opening_float for d in drawers), ZERO),
        takings=cash.takings,
        refunds=cash.refunds,
        # The store's drawers are counted once every cashier's is.
        counted=sum((c for c in counted if c is not None), ZERO) if counted and None not in counted else None,
        opened=any(d.opened for d in drawers),
    )
    not_counted = tuple(
        NotCounted(
            payment_id=row["pk"],
            number=row["number"],
            state=row["state"],
            method=row["method"],
            amount=row["amount"],
            cashier_id=row["cashier_id"],
            cashier=_name(row["cashier__full_name"], row["cashier__username"]),
            taken_at=row["taken_at"],
            order_id=row["order_id"],
            order_number=row["order__number"],
            failure=row["failure"],
        )
        for row in payments.exclude(state=PAID).order_by("taken_at", "pk").values(*NOT_COUNTED)
    )
    return CashReport(store.pk, day, starts, ends, cashiers, methods, drawer, not_counted)


def _cashier_day(cashier_id: int, entry: _Cashier) -> CashierDay:
    methods = tuple(MethodTotals(method=method, **entry.methods.get(method, {})) for method in METHODS)
    cash = methods[METHODS.index(Method.CASH)]
    day = entry.day
    drawer = Drawer(takings=cash.takings, refunds=cash.refunds)
    if day is not None:
        drawer = Drawer(
            opening_float=day.opening_float,
            takings=cash.takings,
            refunds=cash.refunds,
            counted=day.counted,
            handed_to_id=day.handed_to_id,
            handed_to=str(day.handed_to) if day.handed_to is not None else "",
            handed_over_at=day.handed_over_at,
            opened=True,
        )
    return CashierDay(cashier_id=cashier_id, name=entry.name, methods=methods, drawer=drawer)


# --- the funds flow ----------------------------------------------------------------------------------------------

IN, OUT = "in", "out"


@dataclass(frozen=True)
class FlowRow:
    """One movement of money: a paid payment (in) or a refund paid out (out), signed, with the running balance
    of the period after it."""

    at: datetime
    kind: str  # "payment" or "refund"
    record_id: int
    number: str
    direction: str  # IN or OUT
    method: str
    payer: str
    order_id: int
    order_number: str
    plate: str
    cashier: str  # who took the payment, or asked for the refund at the counter
    reference: str
    is_deposit: bool
    amount: Decimal  # positive in, negative out
    balance: Decimal


@dataclass(frozen=True)
class FlowTotals:
    """Money in and out of a period by one method (``method`` empty: every method)."""

    method: str = ""
    count_in: int = 0
    money_in: Decimal = ZERO
    count_out: int = 0
    money_out: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.money_in - self.money_out

    @property
    def label(self) -> str:
        return str(Method(self.method).label) if self.method else _("Total")


@dataclass(frozen=True)
class FundsFlow:
    """The funds flow (资金流水) of a store from ``start`` to ``end`` (local days, both included): every movement in
    time order with the running balance, and the totals per method."""

    store_id: int
    start: date
    end: date
    method: str | None
    rows: tuple[FlowRow, ...]
    methods: tuple[FlowTotals, ...]

    @property
    def total(self) -> FlowTotals:
        return FlowTotals(
            count_in=sum(row.count_in for row in self.methods),
            money_in=sum((row.money_in for row in self.methods), ZERO),
            count_out=sum(row.count_out for row in self.methods),
            money_out=sum((row.money_out for row in self.methods), ZERO),
        )


PAYMENT_FLOW = (
    "pk",
    "taken_at",
    "number",
    "method",
    "payer",
    "order_id",
    "order__number",
    "order__vehicle__plate",
    "cashier__full_name",
    "cashier__username",
    "reference",
    "is_deposit",
    "amount",
)
REFUND_FLOW = (
    "pk",
    "refunded_at",
    "number",
    "method",
    "payment__payer",
    "payment__order_id",
    "payment__order__number",
    "payment__order__vehicle__plate",
    "requested_by__full_name",
    "requested_by__username",
    "reference",
    "payment__is_deposit",
    "amount",
)


def funds_flow(*, store: Store, start: date, end: date, method: str | None = None) -> FundsFlow:
    """Every paid payment and every refund paid out of ``store`` from its local ``start`` to ``end`` (at most
    ``FLOW_DAYS`` days), of ``method`` only when given, in time order with the running balance. Two queries,
    whatever the period: the order's number and plate and the cashier come joined."""
    if end < start:
        raise ApplicationError(_("The period cannot end before it starts."), field="end", status=422)
    if (end - start).days >= FLOW_DAYS:
        raise ApplicationError(_("Choose at most %(n)s days.") % {"n": FLOW_DAYS}, field="end", status=422)
    if method is not None and method not in METHODS:
        raise ApplicationError(_("Choose one of the listed values."), field="method", status=422)
    starts, ends = _bounds(store, start, end)
    payments = Payment.all_objects.filter(store=store, state=PAID, taken_at__gte=starts, taken_at__lt=ends)
    refunds = Refund.all_objects.filter(store=store, state=REFUNDED, refunded_at__gte=starts, refunded_at__lt=ends)
    if method is not None:
        payments, refunds = payments.filter(method=method), refunds.filter(method=method)
    moves: list[tuple[datetime, int, str, tuple[Any, ...]]] = [
        (row[1], 0, row[2], row) for row in payments.values_list(*PAYMENT_FLOW)
    ]
    moves += [(row[1], 1, row[2], row) for row in refunds.values_list(*REFUND_FLOW)]
    moves.sort(key=lambda move: move[:3])  # by time; at the same instant money in first, then by number
    rows: list[FlowRow] = []
    balance = ZERO
    sums: dict[str, list[Any]] = {code: [0, ZERO, 0, ZERO] for code in METHODS}
    for _at, out, _number, row in moves:
        pk, at, number, paid_by, payer, order_id, order_number, plate, full_name, username, ref, deposit, amount = row
        signed = -amount if out else amount
        balance += signed
        tally = sums[paid_by]
        tally[2 * out] += 1
        tally[2 * out + 1] += amount
        rows.append(
            FlowRow(
                at=at,
                kind="refund" if out else "payment",
                record_id=pk,
                number=number,
                direction=OUT if out else IN,
                method=paid_by,
                payer=payer,
                order_id=order_id,
                order_number=order_number,
                plate=plate or "",
                cashier=_name(full_name, username),
                reference=ref,
                is_deposit=deposit,
                amount=signed,
                balance=balance,
            )
        )
    methods = tuple(
        FlowTotals(code, count_in, money_in, count_out, money_out)
        for code, (count_in, money_in, count_out, money_out) in sums.items()
        if method is None or code == method
    )
    return FundsFlow(store.pk, start, end, method, tuple(rows), methods)


# --- what is owed, and an order's payments -----------------------------------------------------------------------


def settlements_open(*, store: Store, payer: str | None = None) -> list[Settlement]:
    """The settlements of the store's confirmed lists that have not received their amount (a prepared list is
    not owed yet: it is paid once confirmed, before that only deposits), of ``payer`` when given, oldest list
    first, with the order and its car. One query."""
    rows = Settlement.all_objects.filter(
        store=store,
        state=Settlement.State.OPEN,
        amount__gt=F("received"),
        settlement_list__state=SettlementList.State.CONFIRMED,
    )
    if payer is not None:
        rows = rows.filter(payer=payer)
    return list(
        rows.select_related("order__vehicle", "settlement_list", "credit_by").order_by(
            "settlement_list__confirmed_at", "settlement_list_id", "pk"
        )
    )


def payments_of_order(*, order_id: int) -> list[Payment]:
    """An order's payments, oldest first, each with its cashier, settlement and refunds (and who asked for and
    decided each). Two queries."""
    refunds = Refund.all_objects.select_related("requested_by", "decided_by").order_by("requested_at", "pk")
    return list(
        Payment.all_objects.filter(order_id=order_id)
        .select_related("cashier", "confirmed_by", "settlement")
        .prefetch_related(Prefetch("refunds", queryset=refunds))
        .order_by("taken_at", "pk")
    )
