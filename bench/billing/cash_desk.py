"""Billing's scenario ``cash_report``: the daily report of the cash desk of a store taking 2,000 payments a day,
``GET /api/v1/payments/daily-report?store=S0001&day=YYYY-MM-DD`` (``billing.selectors.cash_report``: per cashier
and method the takings, refunds and deposits, each drawer against its float and hand-over, the payments not
counted), as the store's finance (``bench_finance``, a token: the report is ``billing.finance``'s).

No generator option: the set-up (untimed, once per database, in one transaction, ``bulk_create``) gives the first
store ``DAYS`` days of the counter up to yesterday (the bench day), each with ``PAYMENTS`` payments from 6
cashiers and finance over 800 delivered orders (two fifths of ``PAYMENTS``; one visit each, on ``CARS`` cars of
the archive new to the workshop, in turn), each order's confirmed settlement list and the settlements of its
payers:

- the customer's final payment of every order (cash, card, payment code and bank transfer in a cycle; one code in
  fifty failed and one in a hundred pending, one customer transfer in five awaiting finance);
- a deposit on three orders in four, earlier in the day (cash, card or code);
- the insurer's bank transfer on half of the orders and the manufacturer's on a quarter, recorded by finance;
- a refund of a tenth on one final payment in forty, paid out by finance an hour later (of the card payments
  refunded, about half given back in cash), and one more in forty only requested;
- each cashier's day opened with a float of 1,000.00 and handed over to finance at 21:30, counted as expected
  except two drawers (0.50 short, 1.00 over).

The set-up then reads the bench day's report once and fails unless it balances, counts every payment of the day
(paid, or pending and failed apart), agrees per method with a plain sum of the day's paid payments, and shows
the two drawers' differences; and unless the API answers the same total. Found again by the next run: the
payments' note is ``基准收银``.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Sum
from django.http import HttpResponse
from django.utils import timezone

from aftersales.billing.models import CashDay, Method, Payment, Refund, Settlement, SettlementList
from aftersales.billing.selectors import METHODS, CashReport, cash_report
from aftersales.catalogue.paytypes import Payer
from aftersales.core.calendar import StoreCalendar, store_calendar
from aftersales.core.models import Store, User
from aftersales.core.money import money_round, net_and_tax
from aftersales.core.numbering import numbers_reserve
from aftersales.core.services import token_create
from aftersales.customers.models import VehicleLink
from aftersales.messaging.models import Signature
from aftersales.messaging.services import signature_store
from aftersales.visits.models import RepairOrder, Visit
from bench.appointments.store_day import bench_store
from bench.registry import BenchContext, BenchFailure, Call, scenario
from bench.visits import _advisor, _signature, _staff

PAYMENTS = 2_000  # a day's payments (the figure); the bench test sets fewer
DAYS = 7  # the bench day and the six before it
CASHIERS = 6
CARS = 200  # the orders' cars, in turn
MARK = "基准收银"
SEED = "aftersales-bench-cash-desk"
FLOAT = Decimal("1000.00")
COUNTED_OFF = {1: Decimal("-0.50"), 3: Decimal("1.00")}  # cashier (index): counted less expected
FINAL_METHODS = ("cash", "card", "code", "code", "card", "cash", "code", "transfer")
DEPOSIT_METHODS = ("cash", "card", "code")
VAT = Decimal("0.13")
INSURER = "中国人保"


def _at(calendar: StoreCalendar, day: date, hour: int, minutes: int) -> datetime:
    return calendar.day_start(day) + timedelta(hours=hour, minutes=minutes)


@dataclass(frozen=True)
class _Plan:
    """What one order's payers owe: the customer's deposit and final payment, the insurer's and the manufacturer's
    shares (None: not a payer of it)."""

    order: RepairOrder
    day: date
    k: int  # the order's place in its day
    deposit: Decimal | None
    final: Decimal
    insurer: Decimal | None
    manufacturer: tuple[str, Decimal] | None

    def owed(self) -> list[tuple[str, str, Decimal]]:
        owed = [(Payer.CUSTOMER.value, "", self.final + (self.deposit or 0))]
        if self.insurer is not None:
            owed.append((Payer.INSURER.value, INSURER, self.insurer))
        if self.manufacturer is not None:
            owed.append((Payer.MANUFACTURER.value, *self.manufacturer))
        return owed


def planned(payments: int) -> int:
    """How many payments a day the set-up writes for ``payments`` (``PAYMENTS``) wanted."""
    n = payments * 2 // 5
    return n + 3 * n // 4 + n // 2 + (3 * n // 4 - n // 2)


class _Writer:
    """Write ``DAYS`` days of the store's counter (see the module); ``run`` is the whole job."""

    def __init__(self, store: Store, advisor: User, cashiers: list[User], finance: User) -> None:
        self.store, self.advisor, self.cashiers, self.finance = store, advisor, cashiers, finance
        self.rng = random.Random(SEED)
        self.calendar = store_calendar(store)
        last = self.calendar.local_date(timezone.now()) - timedelta(days=1)
        self.days = [last - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
        self.orders_a_day = PAYMENTS * 2 // 5  # with deposits, insurers and manufacturers: PAYMENTS payments
        self.drawers: defaultdict[tuple[date, int], Decimal] = defaultdict(Decimal)  # (day, cashier): cash in less out

    def fen(self, low: int, high: int) -> Decimal:
        return money_round(Decimal(self.rng.randint(low, high)) / 100)

    def run(self) -> None:
        count = self.orders_a_day * DAYS
        cars = self._cars()
        orders = self._orders(count, cars)
        brand = self.store.brands.order_by("code").values_list("name", flat=True).first() or "基准品牌"
        plans = [self._plan(index, order, brand) for index, order in enumerate(orders)]
        lists = SettlementList.all_objects.bulk_create(self._lists(orders, plans))
        owed = self._settlements(lists, plans)
        payments = self._payments(owed, plans)
        self._refunds(payments)
        self._cash_days()

    def _cars(self) -> list[tuple[int, int]]:
        """``CARS`` cars of the archive that no visit has seen yet, with their owners."""
        links = list(
            VehicleLink.objects.filter(role=VehicleLink.Role.OWNER, valid_to=None)
            .filter(~Exists(Visit.all_objects.filter(vehicle_id=OuterRef("vehicle_id"))))
            .order_by("vehicle_id")
            .values_list("customer_id", "vehicle_id")[:CARS]
        )
        if len(links) < CARS:
            raise BenchFailure(f"cash_report: fewer than {CARS} cars of the archive without a visit.")
        return links

    def _orders(self, count: int, cars: list[tuple[int, int]]) -> list[RepairOrder]:
        """One delivered order a visit, ``orders_a_day`` a day, signed in the morning and delivered by 20:00."""
        signature = signature_store(
            data_url=_signature(),
            store=self.store,
            signer_type=Signature.SignerType.CUSTOMER,
            signer_name="基准客户",
            object_type="visits.visit",
            object_id=0,
            what="bench_cash_desk",
            snapshot_hash="0" * 64,
            user=self.advisor,
            audited=False,
        )
        visit_prefix, visit_first = numbers_reserve(store=self.store, doc_type="VS", count=count)
        order_prefix, order_first = numbers_reserve(store=self.store, doc_type="RO", count=count)
        staff = {"store": self.store, "advisor": self.advisor, "created_by": self.advisor}
        arrivals = [
            _at(self.calendar, self.days[n // self.orders_a_day], 7, n % self.orders_a_day % 120) for n in range(count)
        ]
        visits = Visit.all_objects.bulk_create(
            Visit(
                **staff,
                number=f"{visit_prefix}{visit_first + n:06d}",
                state=Visit.State.DELIVERED,
                customer_id=cars[n % len(cars)][0],
                vehicle_id=cars[n % len(cars)][1],
                contact_name=MARK,
                contact_mobile="13800000000",
                arrived_at=arrivals[n],
                mileage_in=30_000 + n,
                fuel_level=4,
                promised_at=arrivals[n] + timedelta(hours=12),
                left_at=arrivals[n] + timedelta(hours=13),
            )
            for n in range(count)
        )
        return RepairOrder.all_objects.bulk_create(
            RepairOrder(
                **staff,
                number=f"{order_prefix}{order_first + n:06d}",
                state=RepairOrder.State.DELIVERED,
                visit=visit,
                customer_id=visit.customer_id,
                vehicle_id=visit.vehicle_id,
                customer_statement=MARK,
                mileage_in=visit.mileage_in,
                signed_name="基准客户",
                signature=signature,
                signed_at=visit.arrived_at + timedelta(minutes=20),
                signed_hash="0" * 64,
            )
            for n, visit in enumerate(visits)
        )

    def _plan(self, index: int, order: RepairOrder, brand: str) -> _Plan:
        n = self.orders_a_day
        k = index % n
        return _Plan(
            order=order,
            day=self.days[index // n],
            k=k,
            deposit=money_round(self.rng.choice((500, 1000, 2000))) if k < 3 * n // 4 else None,
            final=self.fen(10_000, 800_000),
            insurer=self.fen(100_000, 2_000_000) if k < n // 2 else None,
            manufacturer=(brand, self.fen(20_000, 300_000)) if n // 2 <= k < 3 * n // 4 else None,
        )

    def _lists(self, orders: list[RepairOrder], plans: list[_Plan]) -> list[SettlementList]:
        prefix, first = numbers_reserve(store=self.store, doc_type="JS", count=len(orders))
        made = []
        for n, (order, plan) in enumerate(zip(orders, plans, strict=True)):
            amount = sum((amount for _payer, _name, amount in plan.owed()), Decimal(0))
            net, tax = net_and_tax(amount, VAT)
            confirmed = order.signed_at + timedelta(hours=1)
            made.append(
                SettlementList(
                    store=self.store,
                    order=order,
                    number=f"{prefix}{first + n:06d}",
                    state=SettlementList.State.CONFIRMED,
                    amount=amount,
                    net=net,
                    tax=tax,
                    prepared_at=confirmed,
                    confirmed_at=confirmed,
                    confirmed_by=self.advisor,
                )
            )
        return made

    def _settlements(self, lists: list[SettlementList], plans: list[_Plan]) -> list[dict[str, Settlement]]:
        """Each order's settlements by payer, closed (received in full) until the payments say otherwise."""
        rows: list[dict[str, Settlement]] = []
        for found, plan in zip(lists, plans, strict=True):
            by_payer = {}
            for payer, name, amount in plan.owed():
                net, tax = net_and_tax(amount, VAT)
                by_payer[payer] = Settlement(
                    store=self.store,
                    settlement_list=found,
                    order=found.order,
                    payer=payer,
                    payer_name=name,
                    amount=amount,
                    net=net,
                    tax=tax,
                )
            rows.append(by_payer)
        Settlement.all_objects.bulk_create(row for by_payer in rows for row in by_payer.values())
        return rows

    def _payments(self, owed: list[dict[str, Settlement]], plans: list[_Plan]) -> list[Payment]:
        """Every order's payments (see the module), numbered in time order."""
        wanted: list[Payment] = []
        codes = 0
        for by_payer, plan in zip(owed, plans, strict=True):
            day, k, order, customer = plan.day, plan.k, plan.order, by_payer[Payer.CUSTOMER]
            if plan.deposit is not None:
                at = _at(self.calendar, day, 8, self.rng.randint(0, 240))
                wanted.append(
                    self._payment(order, customer, DEPOSIT_METHODS[k % 3], plan.deposit, at, k + 1, deposit=True)
                )
            method = FINAL_METHODS[k % len(FINAL_METHODS)]
            state: str = Payment.State.PAID
            if method == Method.CODE:
                codes += 1
                state = "failed" if codes % 50 == 0 else "pending" if codes % 100 == 1 else state
            elif method == Method.TRANSFER and k % 5 == 0:
                state = Payment.State.PENDING
            at = _at(self.calendar, day, 10, self.rng.randint(0, 600))
            wanted.append(self._payment(order, customer, method, plan.final, at, k, state=state))
            for payer in (Payer.INSURER, Payer.MANUFACTURER):
                settlement = by_payer.get(payer.value)
                if settlement is not None:
                    at = _at(self.calendar, day, 9, self.rng.randint(0, 480))
                    wanted.append(self._payment(order, settlement, Method.TRANSFER, settlement.amount, at, None))
        wanted.sort(key=lambda payment: payment.taken_at)
        prefix, first = numbers_reserve(store=self.store, doc_type="SK", count=len(wanted))
        for n, payment in enumerate(wanted):
            payment.number = f"{prefix}{first + n:06d}"
            if payment.method == Method.CODE:
                payment.out_trade_no = f"B{payment.number.replace('-', '')}"[:32]
                if payment.state == Payment.State.PAID:
                    payment.transaction_id = f"42{self.store.pk:06d}{first + n:012d}"
            if payment.method in (Method.CARD, Method.TRANSFER):
                payment.reference = f"REF{first + n:010d}"
        return Payment.all_objects.bulk_create(wanted)

    def _payment(
        self,
        order: RepairOrder,
        settlement: Settlement,
        method: str,
        amount: Decimal,
        at: datetime,
        cashier: int | None,
        *,
        deposit: bool = False,
        state: str = Payment.State.PAID,
    ) -> Payment:
        """One payment (numbered later); ``cashier`` None: finance records a payer's transfer."""
        user = self.finance if cashier is None else self.cashiers[cashier % len(self.cashiers)]
        tendered = None
        if method == Method.CASH:
            tendered = (amount // 100 + 1) * 100 if self.rng.random() < 0.7 else amount
        paid = state == Payment.State.PAID
        confirmed = method == Method.TRANSFER and paid
        if paid and method == Method.CASH:
            self.drawers[self.calendar.local_date(at), user.pk] += amount
        return Payment(
            store=self.store,
            order=order,
            settlement=settlement,
            payer=settlement.payer,
            method=method,
            amount=amount,
            tendered=tendered,
            change=tendered - amount if tendered is not None else Decimal("0.00"),
            is_deposit=deposit,
            state=state,
            provider="wechat" if method == Method.CODE else "",
            failure="用户余额不足" if state == Payment.State.FAILED else "",
            cashier=user,
            taken_at=at,
            confirmed_by=self.finance if confirmed else None,
            confirmed_at=at + timedelta(minutes=5) if confirmed else None,
            note=MARK,
        )

    def _refunds(self, payments: list[Payment]) -> None:
        """A tenth of one final payment in forty back to the customer an hour later; one more in forty asked for;
        the payments and their settlements give up what went back."""
        finals = [p for p in payments if p.payer == Payer.CUSTOMER and not p.is_deposit and p.state == "paid"]
        wanted: list[Refund] = []
        for index, payment in enumerate(finals):
            if index % 40 not in (7, 27):
                continue
            paid_out = index % 40 == 7
            amount = max(money_round(payment.amount / 10), Decimal("1.00"))
            method = Method.CASH if payment.method == Method.CARD and index % 80 == 7 else payment.method
            at = payment.taken_at + timedelta(hours=1)
            wanted.append(
                Refund(
                    store=self.store,
                    payment=payment,
                    amount=amount,
                    method=method,
                    reason="多收",
                    state=Refund.State.REFUNDED if paid_out else Refund.State.REQUESTED,
                    requested_by=payment.cashier,
                    requested_at=at - timedelta(minutes=30),
                    decided_by=self.finance if paid_out else None,
                    decided_at=at if paid_out else None,
                    refunded_at=at if paid_out else None,
                    reference=f"TKREF{index:08d}" if paid_out and method != Method.CASH else "",
                    note=MARK,
                )
            )
            if paid_out:
                payment.refunded += amount
                if method == Method.CASH:
                    self.drawers[self.calendar.local_date(at), payment.cashier_id] -= amount
        prefix, first = numbers_reserve(store=self.store, doc_type="TK", count=len(wanted))
        for n, refund in enumerate(wanted):
            refund.number = f"{prefix}{first + n:06d}"
        Refund.all_objects.bulk_create(wanted)
        Payment.all_objects.bulk_update([p for p in finals if p.refunded], ["refunded"])
        received: defaultdict[int, Decimal] = defaultdict(Decimal)
        for payment in payments:
            if payment.state == Payment.State.PAID and payment.settlement_id is not None:
                received[payment.settlement_id] += payment.amount - payment.refunded
        settlements = list(
            Settlement.all_objects.filter(pk__in={p.settlement_id for p in payments}).select_related("settlement_list")
        )
        for settlement in settlements:
            settlement.received = money_round(received.get(settlement.pk, Decimal(0)))
            full = settlement.received >= settlement.amount
            settlement.state = Settlement.State.CLOSED if full else Settlement.State.OPEN
            settlement.closed_at = settlement.settlement_list.confirmed_at if full else None
        Settlement.all_objects.bulk_update(settlements, ["received", "state", "closed_at"])

    def _cash_days(self) -> None:
        """Each cashier's day: a float of 1,000.00, counted at the hand-over as expected but for two drawers."""
        CashDay.all_objects.bulk_create(
            CashDay(
                store=self.store,
                cashier=cashier,
                day=day,
                opening_float=FLOAT,
                counted=FLOAT + self.drawers[day, cashier.pk] + COUNTED_OFF.get(index, Decimal(0)),
                handed_to=self.finance,
                handed_over_at=_at(self.calendar, day, 21, 30),
                note=MARK,
            )
            for day in self.days
            for index, cashier in enumerate(self.cashiers)
        )


def _people(store: Store) -> tuple[User, list[User], User]:
    advisor = _advisor(store)
    cashiers = [_staff(store, f"bench_cashier_{n}", "cashier", f"基准收银员{n}") for n in range(1, CASHIERS + 1)]
    return advisor, cashiers, _staff(store, "bench_finance", "finance", "基准财务")


# What the set-up writes to, analysed afterwards on PostgreSQL as autovacuum would do shortly after (it is off on
# this machine's server): the planner then knows the tables' sizes.
WRITTEN = [Visit, RepairOrder, SettlementList, Settlement, Payment, Refund, CashDay]


def cash_desk() -> tuple[Store, date, str]:
    """The first store and its bench day (written the first time, see the module)."""
    store = bench_store()
    written = Payment.all_objects.filter(store=store, note=MARK)
    note = "there already"
    if not written.exists():
        advisor, cashiers, finance = _people(store)
        with transaction.atomic():
            _Writer(store, advisor, cashiers, finance).run()
        note = "written"
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in WRITTEN:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            note += ", analysed"
    last = written.aggregate(last=Max("taken_at"))["last"]
    return store, store_calendar(store).local_date(last), note


def _check(store: Store, day: date) -> CashReport:
    """The report of the bench day as the set-up checks it (see the module)."""
    report = cash_report(store=store, day=day)
    paid = Payment.all_objects.filter(store=store, taken_at__gte=report.starts, taken_at__lt=report.ends)
    written = paid.count()
    listed = report.total.takings_count + len(report.not_counted)
    sums = {
        method: (n, money_round(total))
        for method, n, total in paid.filter(state=Payment.State.PAID)
        .values_list("method")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    }
    shown = {m: (report.method(m).takings_count, report.method(m).takings) for m in METHODS if m in sums}
    off = sorted(c.drawer.difference for c in report.cashiers if c.drawer.difference)
    problems = []
    if not report.balances:
        problems.append("it does not balance")
    if listed != written or written != planned(PAYMENTS):
        problems.append(f"{listed} payments listed of {written} written ({planned(PAYMENTS)} planned)")
    if shown != sums:
        problems.append(f"per method {shown}, the payments add up to {sums}")
    if off != sorted(COUNTED_OFF.values()):
        problems.append(f"the drawers are off by {off}, not {sorted(COUNTED_OFF.values())}")
    if problems:
        raise BenchFailure(f"cash_report: the report of {store.code} on {day}: " + "; ".join(problems) + ".")
    return report


@scenario(
    "cash_report",
    "GET /api/v1/payments/daily-report: the cash desk's daily report of a store with 2,000 payments (6 cashiers "
    "and finance, every method, deposits, refunds, pending and failed payments, drawers handed over), as finance",
)
def _cash_report(bench: BenchContext) -> Call:
    store, day, note = cash_desk()
    report = _check(store, day)
    _token, raw = token_create(user=_people(store)[2], name="bench-cash-report")
    headers = {"authorization": f"Bearer {raw}"}
    path = f"/api/v1/payments/daily-report?store={store.code}&day={day.isoformat()}"
    response: HttpResponse = bench.client.get(path, headers=headers)  # type: ignore[assignment]
    answered = json.loads(response.content) if response.status_code == 200 else {}
    total = report.total
    want = {"balances": True, "takings_count": total.takings_count, "takings": str(total.takings)}
    got = {key: answered.get("total", {}).get(key) for key in ("takings_count", "takings")}
    got["balances"] = answered.get("balances")
    if response.status_code != 200 or got != want:
        raise BenchFailure(f"cash_report: the API answered {response.status_code} {got}, the report {want}.")
    print(
        f"  cash_report: {store.code} on {day} ({note}; {DAYS} days of {PAYMENTS:,} payments): "
        f"{len(report.cashiers)} cashiers, {total.takings_count:,} payments {total.takings} in, "
        f"{total.refunds_count} refunds {total.refunds} out, {len(report.not_counted)} not counted; it balances"
    )

    def call() -> HttpResponse:
        answer: HttpResponse = bench.client.get(path, headers=headers)  # type: ignore[assignment]
        return answer

    return call
