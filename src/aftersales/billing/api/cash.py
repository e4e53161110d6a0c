"""The cash desk (SPEC BIL-4): a cashier's day opened with the float in the drawer and handed over at its end
(``/payments/cash-days``), the daily report of the store's cashiers per method that balances
(``/payments/daily-report``) and the funds flow (资金流水) of any period (``/payments/funds-flow``).

Refusals: a store the caller may not act in is 403 on ``store``; an amount written "12,3", a hand-over to
someone not in the store's finance, a period ending before it starts or longer than a year are 422 on their
fields; a day handed over already is 409. Nothing is written."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from aftersales.billing import payments, selectors
from aftersales.billing.api.common import STATE_ERRORS, Amount, MethodName, local, money, username
from aftersales.billing.models import CashDay
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.visits.api.common import Day

router = Router(tags=["billing"])

Username = Annotated[str, Field(min_length=1, max_length=150, description="A member of the store's staff (username).")]


class CashDayOut(Schema):
    id: int
    store: str = Field(description="Store code.")
    cashier: str = Field(description="Username.")
    day: date
    opening_float: Decimal
    counted: Decimal | None = Field(description="The cash counted at the hand-over; null: not handed over.")
    handed_to: str | None = Field(description="Who in finance took the cash (username).")
    handed_over_at: datetime | None
    note: str


def _cash_day_out(row: CashDay) -> dict[str, Any]:
    found = CashDay.all_objects.select_related("store", "cashier", "handed_to").get(pk=row.pk)
    return {
        "id": found.pk,
        "store": found.store.code,
        "cashier": found.cashier.username,
        "day": found.day,
        "opening_float": money(found.opening_float),
        "counted": money(found.counted),
        "handed_to": username(found.handed_to),
        "handed_over_at": local(found.handed_over_at, found.store),
        "note": found.note,
    }


class CashDayIn(InputSchema):
    store: StoreCode
    day: Day = Field(description="The day at the desk, by the store's calendar.")
    opening_float: Amount = Field(description="The cash in the drawer as the day starts.")


@router.put("/payments/cash-days", response={200: CashDayOut, **STATE_ERRORS})
@operation("billing.collect")
def cash_day_open(request: HttpRequest, payload: CashDayIn) -> dict[str, Any]:
    """Start the caller's day at the desk with the float in the drawer; again, the float is corrected until the
    day is handed over."""
    store = store_of(request, payload.store, "billing.collect")
    found = payments.cash_day_open(
        actor=request_user(request), store_id=store.pk, day=payload.day, opening_float=payload.opening_float
    )
    return _cash_day_out(found)


class CashHandOverIn(InputSchema):
    store: StoreCode
    day: Day
    counted: Amount = Field(description="The cash counted in the drawer.")
    handed_to: Username
    note: str = Field(default="", max_length=300)


@router.post("/payments/cash-days/hand-over", response={200: CashDayOut, **STATE_ERRORS})
@operation("billing.collect")
def cash_day_hand_over(request: HttpRequest, payload: CashHandOverIn) -> dict[str, Any]:
    """End the caller's day: the cash counted in the drawer, handed to someone in the store's finance; the daily
    report sets it against what the drawer should hold."""
    store = store_of(request, payload.store, "billing.collect")
    handed_to = User.objects.filter(username=payload.handed_to).values_list("pk", flat=True).first()
    found = payments.cash_day_hand_over(
        actor=request_user(request),
        store_id=store.pk,
        day=payload.day,
        counted=payload.counted,
        handed_to_id=handed_to or 0,
        note=payload.note,
    )
    return _cash_day_out(found)


# --- the daily report -------------------------------------------------------------------------------------------


class CashMethodOut(Schema):
    method: MethodName | Literal[""] = Field(description="Empty: every method.")
    label: str
    takings_count: int
    takings: Decimal = Field(description="Paid payments taken that day, deposits included.")
    refunds_count: int
    refunds: Decimal = Field(description="Refunds paid out that day.")
    deposits_count: int
    deposits: Decimal
    net: Decimal = Field(description="Takings less refunds.")


class CashDrawerOut(Schema):
    opened: bool = Field(description="The day was opened with a float.")
    opening_float: Decimal
    takings: Decimal = Field(description="Cash taken (the change given is netted already).")
    refunds: Decimal = Field(description="Cash given back.")
    expected: Decimal = Field(description="What the drawer should hold: the float, plus takings, less refunds.")
    counted: Decimal | None = Field(description="Counted at the hand-over; null: not yet (of the store: not all).")
    difference: Decimal | None = Field(description="Counted less expected (negative: cash missing).")
    handed_to: str | None = Field(description="Who in finance took it (username).")
    handed_over_at: datetime | None


class CashierDayOut(Schema):
    cashier: str = Field(description="Username.")
    name: str
    methods: list[CashMethodOut] = Field(description="One per method: cash, card, code, transfer.")
    total: CashMethodOut
    drawer: CashDrawerOut


class CashNotCountedOut(Schema):
    payment: int
    number: str
    state: Literal["pending", "failed"]
    method: MethodName
    amount: Decimal
    cashier: str = Field(description="Username.")
    taken_at: datetime
    order: int
    order_number: str
    failure: str


class CashReportOut(Schema):
    store: str = Field(description="Store code.")
    day: date
    starts: datetime = Field(description="The day's start in the store's zone.")
    ends: datetime = Field(description="The next day's start.")
    balances: bool = Field(description="Each drawer, the cashiers and the methods add up.")
    methods: list[CashMethodOut]
    total: CashMethodOut
    drawer: CashDrawerOut = Field(description="The store's drawers together.")
    cashiers: list[CashierDayOut]
    not_counted: list[CashNotCountedOut] = Field(description="The day's payments pending or failed: no money in.")


def _method_out(row: selectors.MethodTotals) -> dict[str, Any]:
    return {
        "method": row.method,
        "label": row.label,
        "takings_count": row.takings_count,
        "takings": money(row.takings),
        "refunds_count": row.refunds_count,
        "refunds": money(row.refunds),
        "deposits_count": row.deposits_count,
        "deposits": money(row.deposits),
        "net": money(row.net),
    }


def _drawer_out(drawer: selectors.Drawer, store: Store, names: dict[int, str]) -> dict[str, Any]:
    return {
        "opened": drawer.opened,
        "opening_float": money(drawer.opening_float),
        "takings": money(drawer.takings),
        "refunds": money(drawer.refunds),
        "expected": money(drawer.expected),
        "counted": money(drawer.counted),
        "difference": money(drawer.difference),
        "handed_to": names.get(drawer.handed_to_id) if drawer.handed_to_id is not None else None,
        "handed_over_at": local(drawer.handed_over_at, store),
    }


def cash_report_out(report: selectors.CashReport, store: Store) -> dict[str, Any]:
    people = {row.cashier_id for row in report.cashiers} | {row.cashier_id for row in report.not_counted}
    people |= {row.drawer.handed_to_id for row in report.cashiers if row.drawer.handed_to_id is not None}
    names = dict(User.objects.filter(pk__in=people).values_list("pk", "username")) if people else {}
    return {
        "store": store.code,
        "day": report.day,
        "starts": local(report.starts, store),
        "ends": local(report.ends, store),
        "balances": report.balances,
        "methods": [_method_out(row) for row in report.methods],
        "total": _method_out(report.total),
        "drawer": _drawer_out(report.drawer, store, names),
        "cashiers": [
            {
                "cashier": names[row.cashier_id],
                "name": row.name,
                "methods": [_method_out(method) for method in row.methods],
                "total": _method_out(row.total),
                "drawer": _drawer_out(row.drawer, store, names),
            }
            for row in report.cashiers
        ],
        "not_counted": [
            {
                "payment": row.payment_id,
                "number": row.number,
                "state": row.state,
                "method": row.method,
                "amount": money(row.amount),
                "cashier": names[row.cashier_id],
                "taken_at": local(row.taken_at, store),
                "order": row.order_id,
                "order_number": row.order_number,
                "failure": row.failure,
            }
            for row in report.not_counted
        ],
    }


class CashReportQuery(InputSchema):
    store: StoreCode
    day: Day | None = Field(default=None, description="A day of the store's calendar; default: today.")
    cashier: Username | None = None


@router.get("/payments/daily-report", response={200: CashReportOut, **STATE_ERRORS})
@operation("billing.finance")
def cash_daily_report(request: HttpRequest, query: Query[CashReportQuery]) -> dict[str, Any]:
    """The store's cash desk on one day, per cashier and method: the paid payments taken, the refunds paid out,
    the deposits among the takings, each drawer against its float and its hand-over, and the payments that are
    no money in (pending or failed). Only ``cashier``'s when given."""
    store = store_of(request, query.store, "billing.finance")
    cashier = None
    if query.cashier:
        cashier = User.objects.filter(username=query.cashier).first()
        if cashier is None:
            raise ApplicationError(_("No such staff member."), field="cashier", status=422)
    report = selectors.cash_report(store=store, day=query.day or store_today(store), cashier=cashier)
    return cash_report_out(report, store)


# --- the funds flow ---------------------------------------------------------------------------------------------


class FundsFlowRowOut(Schema):
    at: datetime = Field(description="Paid (a payment) or paid out (a refund).")
    kind: Literal["payment", "refund"]
    id: int = Field(description="The payment's or the refund's id.")
    number: str
    direction: Literal["in", "out"]
    method: MethodName
    payer: str
    order: int
    order_number: str
    plate: str
    cashier: str = Field(description="Who took the payment or asked for the refund (the name).")
    reference: str
    is_deposit: bool
    amount: Decimal = Field(description="Signed: negative out.")
    balance: Decimal = Field(description="The period's running balance after it.")


class FundsFlowTotalsOut(Schema):
    method: MethodName | Literal[""] = Field(description="Empty: every method.")
    label: str
    count_in: int
    money_in: Decimal
    count_out: int
    money_out: Decimal
    net: Decimal


class FundsFlowOut(Schema):
    store: str = Field(description="Store code.")
    start: date
    end: date
    method: MethodName | None
    rows: list[FundsFlowRowOut] = Field(description="In time order; at the same instant money in first.")
    methods: list[FundsFlowTotalsOut]
    total: FundsFlowTotalsOut


def _flow_totals(row: selectors.FlowTotals) -> dict[str, Any]:
    return {
        "method": row.method,
        "label": row.label,
        "count_in": row.count_in,
        "money_in": money(row.money_in),
        "count_out": row.count_out,
        "money_out": money(row.money_out),
        "net": money(row.net),
    }


def funds_flow_out(flow: selectors.FundsFlow, store: Store) -> dict[str, Any]:
    return {
        "store": store.code,
        "start": flow.start,
        "end": flow.end,
        "method": flow.method,
        "rows": [
            {
                "at": local(row.at, store),
                "kind": row.kind,
                "id": row.record_id,
                "number": row.number,
                "direction": row.direction,
                "method": row.method,
                "payer": row.payer,
                "order": row.order_id,
                "order_number": row.order_number,
                "plate": row.plate,
                "cashier": row.cashier,
                "reference": row.reference,
                "is_deposit": row.is_deposit,
                "amount": money(row.amount),
                "balance": money(row.balance),
            }
            for row in flow.rows
        ],
        "methods": [_flow_totals(row) for row in flow.methods],
        "total": _flow_totals(flow.total),
    }


class FundsFlowQuery(InputSchema):
    store: StoreCode
    start: Day = Field(description="The first day, by the store's calendar.")
    end: Day = Field(description="The last day (at most a year after the first).")
    method: MethodName | None = None


@router.get("/payments/funds-flow", response={200: FundsFlowOut, **STATE_ERRORS})
@operation("billing.finance")
def funds_flow(request: HttpRequest, query: Query[FundsFlowQuery]) -> dict[str, Any]:
    """Every payment paid and every refund paid out of the store from ``start`` to ``end`` (the store's days,
    both included), in time order with the running balance, and the totals per method."""
    store = store_of(request, query.store, "billing.finance")
    flow = selectors.funds_flow(store=store, start=query.start, end=query.end, method=query.method)
    return funds_flow_out(flow, store)
