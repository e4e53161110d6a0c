"""Settlement's part of ``aftersales demo``.

Every delivery of the demo is settled first (``demo_settle_and_pay``, registered with quality's demo): the
order's settlement list confirmed by the store's advisor and the customer's share paid to the cashier in cash.

And in each demo store, a month at the counter: over the last 30 days fifteen cars repaired, delivered and
settled with every pay type and payment method —

- a service paid in cash (the change given back), brakes paid by bank card (the POS slip's reference);
- an accident repair under insurance (the insurer's loss assessment: its name, the claim, the assessed amounts
  and the deductible), the customer paying the deductible and what was not assessed by card, the insurer
  paying its share by bank transfer a fortnight later, confirmed by finance;
- a repair under the manufacturer's warranty (pre-authorised) and one under an extended warranty (the
  provider's authorisation), their shares left open to be claimed; goodwill and internal work approved by
  the after-sales manager, carried by the store;
- a deposit taken by card at reception, the rest in cash at pick-up; a repair paid in part by card and in
  part in cash; a deposit in cash more than the repair came to, the difference refunded with finance's
  approval; an order released on credit approved by finance (still owed); a repair paid by bank transfer,
  confirmed by finance before the car was released;
- a car received at night (the store's night surcharge on its labour) and collected next morning; a list
  confirmed with a line discount, an order discount and the total rounded off (抹零), all within the
  advisor's limits; a list reversed the day after it was paid (a special VAT invoice wanted) and confirmed
  again, the payment moving to the new list;
- the cashier's days at the desk: each opened with the float and handed over to finance at the end of the day
  with the cash counted as the daily report expects it (balanced), today's opened.

No payment code (付款码) is taken: the demo has no payment provider configured (``payment_provider()`` is
``NoPaymentProvider``), and a scanned code is refused without one.

Everything goes through the reception, workshop, quality and settlement services, by the store's staff. Each
car's story is written step by step, every step in the order of its moment across the stores' month, then put on
that moment: what the step wrote (every date and time from when it began) moved back, as quality's demo moves
its history; the audit trail keeps today. Idempotent: a store whose cashier has days at the desk is left as it
is."""

from __future__ import annotations

import functools
import heapq
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from aftersales.billing.models import CashDay, Method, Payment, Refund, Settlement, SettlementList, Surcharge
from aftersales.billing.payments import (
    PaymentIn,
    cash_day_hand_over,
    cash_day_open,
    credit_approve,
    payment_confirm,
    payment_take,
    refund_decide,
    refund_request,
    settlement_reverse,
)
from aftersales.billing.selectors import cash_report
from aftersales.billing.services import ConfirmIn, settlement_confirm
from aftersales.catalogue.paytypes import Payer, PayType
from aftersales.core.calendar import store_calendar
from aftersales.core.demo import STORES
from aftersales.core.models import Bay, Store, User
from aftersales.core.money import money_round
from aftersales.customers.models import Customer, Vehicle
from aftersales.quality import services as quality
from aftersales.quality.demo import Staff, _pass, _rows_of, _wash
from aftersales.quality.models import Delivery
from aftersales.quality.services.delivery import agreed_lines
from aftersales.visits import services as visits
from aftersales.visits.demo import Reception, _signature
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop import services as workshop

D = Decimal
DAYS = 29  # the month's first day, this many days ago
FLOAT = D("500.00")  # the cashier's opening float each day
NIGHT = {"percent": D("20.00"), "starts": time(20, 0), "ends": time(7, 0)}  # the store's night surcharge
INSURER, CLAIM_PREFIX, DEDUCTIBLE = "中国人民财产保险股份有限公司", "RDAA2026", D("200.00")
PROVIDER, CONTRACT = "华安汽车延保服务有限公司", "EW-2025-"


def visit_rows(visit_id: int) -> list[models.QuerySet[Any]]:
    """What settlement wrote for a visit: its orders' lists and settlements, their payments and refunds (moved
    back with the visit by quality's demo)."""
    return [
        SettlementList.all_objects.filter(order__visit_id=visit_id),
        Settlement.all_objects.filter(order__visit_id=visit_id),
        Payment.all_objects.filter(order__visit_id=visit_id),
        Refund.all_objects.filter(payment__order__visit_id=visit_id),
    ]


# --- at the counter -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pay:
    """A payment at the counter: ``amount`` None takes what is open, ``share`` that per cent of it (down to
    whole hundreds of yuan)."""

    method: str
    amount: Decimal | None = None
    share: Decimal | None = None


def _tendered(amount: Decimal) -> Decimal:
    """Notes handed over for a cash payment: the amount rounded up to the next hundred yuan."""
    return (amount / 100).to_integral_value(rounding=ROUND_CEILING) * 100


def _customer(found: SettlementList) -> Settlement | None:
    return Settlement.all_objects.filter(settlement_list=found, payer=Payer.CUSTOMER).first()


def _confirm(order: RepairOrder, actor: User, data: ConfirmIn | None = None) -> SettlementList:
    found = SettlementList.all_objects.get(order=order, state=SettlementList.State.PREPARED)
    return settlement_confirm(actor=actor, list_id=found.pk, data=data or ConfirmIn())


def _pay(settlement: Settlement, cashier: User, pays: list[Pay], reference: Callable[[str], str]) -> list[Payment]:
    """Take ``pays`` for what is open of the settlement, in turn (a transfer waits for finance)."""
    taken = []
    for pay in pays:
        settlement.refresh_from_db()
        still = settlement.open_amount
        if still <= 0:
            break
        amount = min(pay.amount or still, still)
        if pay.share is not None:
            amount = (still * pay.share / 100 / 100).to_integral_value(rounding=ROUND_FLOOR) * 100 or still
        data = PaymentIn(
            method=pay.method,
            amount=money_round(amount),
            tendered=_tendered(amount) if pay.method == Method.CASH else None,
            reference=reference(pay.method),
        )
        taken.append(payment_take(actor=cashier, settlement_id=settlement.pk, data=data))
    return taken


def demo_settle_and_pay(order: RepairOrder) -> int:
    """At the counter before the car is released: the order's prepared settlement list confirmed by the store's
    advisor and the customer's share paid to its cashier in cash (notes to the next hundred yuan, the change
    given back). Returns the rows made."""
    staff = Staff(Store.all_objects.get(pk=order.store_id))
    found = _confirm(order, staff.of("advisor"))
    customer = _customer(found)
    if customer is None:
        return 1
    return 1 + len(_pay(customer, staff.of("cashier"), [Pay(Method.CASH)], lambda _method: ""))


# --- the month ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A line of a demo order: a labour operation of the catalogue (its code without the brand's prefix) or a
    consumable typed at its price, with its pay type."""

    operation: str = ""
    pay_type: str = PayType.CUSTOMER
    description: str = ""
    price: Decimal | None = None


OIL = Item(description="全合成机油 5W-30（4升）", price=D("398.00"))
BRAKE_FLUID = Item(description="制动液 DOT4（1升）", price=D("88.00"))
COOLANT = Item(description="长效冷却液（4升）", price=D("168.00"))
REFRIGERANT = Item(description="空调制冷剂 R134a（500克）", price=D("120.00"))

Script = Generator[datetime, None, None]
Repair = Generator[datetime, None, RepairOrder]


class Car:
    """One story of the month: its script (each ``yield`` the moment of the step that follows) and the rows its
    steps write (a car's visit; the cashier's days)."""

    def __init__(self, script: Callable[[Car], Script], rows: Callable[[Car], list[models.QuerySet[Any]]]) -> None:
        self.visit: Visit | None = None
        self.rows = lambda: rows(self)
        self.steps = script(self)


def _moved(rows: list[models.QuerySet[Any]], since: datetime, to: datetime, today: date, day: date) -> None:
    """Put what a step wrote at its moment ``to``: every date and time of ``rows`` from ``since`` (when the step
    began; what earlier steps wrote is in the past by then) moved back by the difference, dates by whole days
    (``today`` to ``day``). The next service stays as agreed."""
    back, days = since - to, timedelta(days=(today - day).days)
    for queryset in rows:
        model = queryset.model
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.DateField) and field.name != "next_service_on"
        ]
        if not fields:
            continue
        written = Q()
        for field in fields:
            written |= Q(**{f"{field.attname}__gte": since if isinstance(field, models.DateTimeField) else today})
        for row in queryset.filter(written).values("pk", *(field.attname for field in fields)):
            values: dict[str, Any] = {}
            for field in fields:
                value = row[field.attname]
                if isinstance(field, models.DateTimeField):
                    if value is not None and value >= since:
                        values[field.attname] = value - back
                elif value is not None and value >= today:
                    values[field.attname] = value - days
            if values:
                model._base_manager.filter(pk=row["pk"]).update(**values)


class NoCarLeft(Exception):
    """The archive has no car left that has not been in (a small demo archive): the story is left out."""


class Month:
    """One store's month at the counter."""

    def __init__(self, store: Store) -> None:
        self.store, self.staff = store, Staff(store)
        self.calendar = store_calendar(store)
        self.today = self.calendar.local_date(timezone.now())
        self.desk = Reception(store)
        self.visited = set(Visit.all_objects.values_list("vehicle_id", flat=True))
        self.bays: dict[str, Bay] = {}
        for bay in Bay.objects.filter(store=store, is_active=True).order_by("code"):
            self.bays.setdefault(bay.kind, bay)
        self.rng = random.Random(f"billing-{store.code}")  # noqa: S311 - demo data

    def at(self, days_ago: int, clock: str) -> datetime:
        return datetime.combine(self.today - timedelta(days=days_ago), time.fromisoformat(clock), self.calendar.zone)

    def next_car(self) -> tuple[Customer, Vehicle]:
        """The next car that has not been in (its readings and history stay in order)."""
        for customer, vehicle in self.desk.cars:
            if vehicle.pk not in self.desk.used and vehicle.pk not in self.visited:
                return customer, vehicle
        raise NoCarLeft

    def reference(self, method: str) -> str:
        """A POS slip's reference (12 digits) or a bank's transaction reference."""
        if method == Method.CARD:
            return f"{self.rng.randrange(10**11, 10**12)}"
        if method == Method.TRANSFER:
            return f"{self.rng.choice(('ICBC', 'CMB', 'ABC', 'BOC'))}{self.rng.randrange(10**15, 10**16)}"
        return ""

    def visit_rows(self, car: Car) -> list[models.QuerySet[Any]]:
        if car.visit is None:
            return []
        return _rows_of(car.visit.pk, car.visit.vehicle_id, self.today)

    # --- a repair, from reception to the car ready --------------------------------------------------------

    def repair(
        self, car: Car, days_ago: int, arrives: str, needs: str, items: list[Item], *, deposit: Pay | None = None
    ) -> Repair:
        """Receive a car, sign its order and record each pay type's approval (a deposit taken), do the work one
        line after another on the bays they need, inspect, wash and hand it over: the order is ready and its
        list prepared."""
        start = self.at(days_ago, arrives)
        yield start
        customer, vehicle = self.next_car()
        car.visit = visit = self.desk.open(customer, vehicle, needs=needs)
        lines = [
            visits.LineIn(
                kind="labour", pay_type=item.pay_type, operation_id=self.desk.operation(vehicle, item.operation).pk
            )
            if item.operation
            else visits.LineIn(
                kind="consumable", pay_type=item.pay_type, description=item.description, unit_price=item.price
            )
            for item in items
        ]
        order = RepairOrder.all_objects.get(pk=self.desk.sign(visit, lines, needs))
        self._approve(order)
        if deposit is not None:
            data = PaymentIn(
                method=deposit.method,
                amount=deposit.amount or D(0),
                tendered=deposit.amount if deposit.method == Method.CASH else None,
                reference=self.reference(deposit.method),
                note="预收维修押金",
            )
            payment_take(actor=self.staff.of("cashier"), order_id=order.pk, data=data)
        foreman = self.staff.of("foreman")
        approved = Line.all_objects.filter(order=order, state=Line.State.APPROVED).select_related("operation")
        used = [line for line in approved if line.kind != Line.Kind.LABOUR]
        at = start + timedelta(minutes=25)
        for line in [line for line in approved.order_by("position") if line.kind == Line.Kind.LABOUR]:
            minutes = timedelta(minutes=max(20, int(line.quantity * 60)))
            yield at + minutes
            for consumable in used:  # used up with the first job
                visits.line_transition(actor=foreman, order_id=order.pk, line_id=consumable.pk, action="finish")
            used = []
            kind = line.operation.bay_kind if line.operation else ""
            job = workshop.dispatch(
                actor=foreman,
                order_id=order.pk,
                data=workshop.DispatchIn(
                    line_id=line.pk, technician_id=foreman.pk, bay_id=self.bays[kind].pk if kind else None
                ),
                now=at - timedelta(minutes=5),
            )
            workshop.clock(actor=foreman, job_id=job.pk, data=workshop.ClockIn(action="on"), now=at)
            report = f"{line.description}：按标准作业完成，路试正常。"
            done = workshop.ClockIn(action="off", fault_verified=True, report=report)
            workshop.clock(actor=foreman, job_id=job.pk, data=done, now=at + minutes)
            at += minutes + timedelta(minutes=10)
        yield at + timedelta(minutes=20)
        staff = self.staff
        _pass(order, staff, "已按委托完成，建议按保养手册定期保养。")
        _wash(visit, staff, f"F-{visit.pk % 20 + 1:02d}")
        quality.handover_record(
            actor=foreman,
            visit_id=visit.pk,
            data=quality.HandoverIn(keys=f"{visit.key_tag} 两把", explanation="作业完成，已试车，旧件已装袋。"),
        )
        quality.ready_check(
            actor=staff.of("advisor"),
            visit_id=visit.pk,
            data=quality.ReadyIn(
                lines=[quality.LineCheckIn(line_id=line.pk, ok=True) for line in agreed_lines([order])],
                car_checked=True,
                pickup_spot=f"P-{visit.pk % 30 + 1:02d}",
            ),
        )
        return order

    def _approve(self, order: RepairOrder) -> None:
        """Each pay type's approval of the lines the signing left proposed: the insurer's loss assessment (90 %
        of each line assessed, the deductible on the claim), the manufacturer's pre-authorisation, the
        provider's authorisation, the after-sales manager for goodwill and internal work."""
        proposed = list(Line.all_objects.filter(order=order, state=Line.State.PROPOSED).order_by("position"))

        def of(*pay_types: str) -> list[Line]:
            return [line for line in proposed if line.pay_type in pay_types]

        if insured := of(PayType.INSURANCE):
            visits.approvals_record(
                actor=self.staff.of("insurance"),
                order_id=order.pk,
                data=visits.ApprovalIn(
                    kind="insurer_assessment",
                    person="查勘定损员 周建华",
                    insurer=INSURER,
                    claim_number=f"{CLAIM_PREFIX}{self.store.pk:04d}{self.rng.randrange(10**7, 10**8)}",
                    deductible=DEDUCTIBLE,
                    decisions=[
                        visits.Decision(line.pk, True, assessed_amount=money_round(line.amount * D("0.9")))
                        for line in insured
                    ],
                ),
            )
        if warranty := of(PayType.OEM_WARRANTY):
            visits.approvals_record(
                actor=self.staff.of("warranty"),
                order_id=order.pk,
                data=visits.ApprovalIn(
                    kind="oem_preauthorisation",
                    person="厂家技术支持 刘工",
                    authorisation_number=f"PA{self.store.pk:02d}{self.rng.randrange(10**7, 10**8)}",
                    decisions=[visits.Decision(line.pk, True) for line in warranty],
                ),
            )
        if extended := of(PayType.EXTENDED_WARRANTY):
            visits.approvals_record(
                actor=self.staff.of("warranty"),
                order_id=order.pk,
                data=visits.ApprovalIn(
                    kind="provider_authorisation",
                    person="延保理赔专员 陈敏",
                    provider=PROVIDER,
                    contract_number=f"{CONTRACT}{self.rng.randrange(10**5, 10**6)}",
                    decisions=[visits.Decision(line.pk, True) for line in extended],
                ),
            )
        for pay_type, note in (
            (PayType.GOODWILL, "老客户关怀，免费四轮定位"),
            (PayType.INTERNAL, "门店秋季免费检测活动"),
        ):
            if store_paid := of(pay_type):
                visits.approvals_record(
                    actor=self.staff.of("service_manager"),
                    order_id=order.pk,
                    data=visits.ApprovalIn(
                        kind="manager", note=note, decisions=[visits.Decision(line.pk, True) for line in store_paid]
                    ),
                )

    # --- at the counter -----------------------------------------------------------------------------------

    def collect(
        self,
        order: RepairOrder,
        pays: list[Pay],
        *,
        confirm: ConfirmIn | None = None,
        refund: str = "",
        credit: str = "",
    ) -> None:
        """The customer at the counter: the list confirmed (by the advisor), ``pays`` taken for the customer's
        share, the excess of a deposit refunded with finance's approval, or credit approved by finance; then the
        car is collected."""
        staff = self.staff
        found = _confirm(order, staff.of("advisor"), confirm)
        customer = _customer(found)
        if customer is not None:
            _pay(customer, staff.of("cashier"), pays, self.reference)
            customer.refresh_from_db()
            if refund and customer.open_amount < 0:
                deposit = Payment.all_objects.get(settlement=customer, is_deposit=True)
                asked = refund_request(
                    actor=staff.of("cashier"), payment_id=deposit.pk, amount=-customer.open_amount, reason=refund
                )
                refund_decide(actor=staff.of("finance"), refund_id=asked.pk, approve=True, note="核对押金收据无误")
            if credit:
                credit_approve(actor=staff.of("finance"), settlement_id=customer.pk, note=credit)
        self.deliver(order)

    def deliver(self, order: RepairOrder) -> None:
        """The customer collects the car: the delivery sheet signed, every free check green."""
        advisor = self.staff.of("advisor")
        quality.pickup_arrived(actor=advisor, visit_id=order.visit_id)
        checks = quality.quality_settings(order.store_id).delivery_checks
        visit = Visit.all_objects.get(pk=order.visit_id)
        day = self.calendar.local_date(visit.arrived_at)
        quality.delivery_record(
            actor=advisor,
            visit_id=visit.pk,
            data=quality.DeliveryIn(
                collector="customer",
                collector_name=visit.contact_name,
                signature=_signature(visit.contact_name),
                mileage_out=visit.mileage_in + 5,
                keys_handed=True,
                next_service_on=day + timedelta(days=180),
                next_service_km=visit.mileage_in + 10_000,
                free_checks=[quality.FreeCheckIn(result="green") for _check in checks],
                rating=5,
            ),
        )

    def settlement_of(self, order: RepairOrder, payer: str) -> Settlement:
        return Settlement.all_objects.get(
            order=order, payer=payer, settlement_list__state=SettlementList.State.CONFIRMED
        )

    # --- the cashier's days ---------------------------------------------------------------------------------

    def cash_days(self, car: Car) -> Script:
        """The cashier opens each day of the month with the float and hands the drawer over to finance at the
        end of it, the cash counted as the day's report expects it."""
        cashier, finance = self.staff.of("cashier"), self.staff.of("finance")
        for days_ago in range(DAYS, 0, -1):
            day = self.today - timedelta(days=days_ago)
            yield self.at(days_ago, "08:15")
            cash_day_open(actor=cashier, store_id=self.store.pk, day=day, opening_float=FLOAT)
            yield self.at(days_ago, "18:05")
            counted = cash_report(store=self.store, day=day, cashier=cashier).drawer.expected
            cash_day_hand_over(actor=cashier, store_id=self.store.pk, day=day, counted=counted, handed_to_id=finance.pk)

    def cash_day_rows(self, car: Car) -> list[models.QuerySet[Any]]:
        return [CashDay.all_objects.filter(store=self.store)]


# --- the stories: when and what ------------------------------------------------------------------------------


def _cash_with_change(month: Month, car: Car) -> Script:
    order = yield from month.repair(
        car, 29, "09:05", "常规保养：更换机油机滤、空调滤芯", [Item("M01"), Item("M03"), OIL]
    )
    yield month.at(29, "15:40")
    month.collect(order, [Pay(Method.CASH)])


def _card(month: Month, car: Car) -> Script:
    items = [Item("B01"), Item("B03"), BRAKE_FLUID]
    order = yield from month.repair(car, 27, "09:40", "前轮刹车有异响，更换刹车片和刹车盘", items)
    yield month.at(27, "16:20")
    month.collect(order, [Pay(Method.CARD)])


def _insurance(month: Month, car: Car) -> Script:
    items = [Item("S01", PayType.INSURANCE), Item("E04", PayType.INSURANCE), Item("M01")]
    order = yield from month.repair(car, 25, "10:00", "前保险杠碰撞、左前大灯破损（保险）；顺便保养", items)
    yield month.at(24, "16:30")
    month.collect(order, [Pay(Method.CARD)])
    # The insurer pays its share after the payout: by bank transfer, confirmed by finance.
    yield month.at(10, "10:30")
    insurer = month.settlement_of(order, Payer.INSURER)
    [transfer] = _pay(insurer, month.staff.of("cashier"), [Pay(Method.TRANSFER)], month.reference)
    yield month.at(10, "15:10")
    payment_confirm(actor=month.staff.of("finance"), payment_id=transfer.pk)


def _oem_warranty(month: Month, car: Car) -> Script:
    items = [Item("E03", PayType.OEM_WARRANTY), Item("C04")]
    order = yield from month.repair(car, 23, "09:30", "仪表报警偶发（索赔）；轮胎动平衡", items)
    yield month.at(23, "15:50")
    month.collect(order, [Pay(Method.CASH)])


def _extended_warranty(month: Month, car: Car) -> Script:
    items = [Item("G02", PayType.EXTENDED_WARRANTY), Item("M06"), COOLANT]
    order = yield from month.repair(car, 21, "10:20", "水泵渗漏（延保）；更换冷却液", items)
    yield month.at(21, "17:10")
    month.collect(order, [Pay(Method.CARD)])


def _goodwill(month: Month, car: Car) -> Script:
    items = [Item("B01"), Item("C03", PayType.GOODWILL)]
    order = yield from month.repair(car, 19, "14:10", "更换前刹车片；四轮定位（关怀）", items)
    yield month.at(19, "17:30")
    month.collect(order, [Pay(Method.CASH)])


def _internal(month: Month, car: Car) -> Script:
    items = [Item("M09", PayType.INTERNAL), Item("A01"), REFRIGERANT]
    order = yield from month.repair(car, 17, "09:20", "空调不凉，检测加氟；免费检测活动", items)
    yield month.at(17, "14:45")
    month.collect(order, [Pay(Method.CARD)])


def _deposit(month: Month, car: Car) -> Script:
    items, deposit = [Item("C01"), Item("C03")], Pay(Method.CARD, D("1000.00"))
    order = yield from month.repair(car, 15, "08:50", "过减速带异响，更换前减震器并做四轮定位", items, deposit=deposit)
    yield month.at(15, "17:20")
    month.collect(order, [Pay(Method.CASH)])


def _partial(month: Month, car: Car) -> Script:
    items = [Item("B03"), Item("B01"), Item("M05"), BRAKE_FLUID]
    order = yield from month.repair(car, 13, "10:40", "刹车抖动，更换刹车盘、刹车片和制动液", items)
    yield month.at(13, "17:00")
    month.collect(order, [Pay(Method.CARD, share=D(50)), Pay(Method.CASH)])


def _credit(month: Month, car: Car) -> Script:
    order = yield from month.repair(car, 11, "09:15", "水温高，更换水泵", [Item("G02"), COOLANT])
    yield month.at(11, "17:40")
    month.collect(order, [], credit="公司客户，约定月底对公转账结清")


def _night(month: Month, car: Car) -> Script:
    order = yield from month.repair(car, 9, "20:50", "夜间刹车异响严重，连夜更换前刹车片", [Item("B01")])
    yield month.at(8, "08:45")
    month.collect(order, [Pay(Method.CARD)])


def _discount(month: Month, car: Car) -> Script:
    items = [Item("B03"), Item("C03"), Item("M01"), OIL]
    order = yield from month.repair(car, 7, "09:35", "更换前刹车盘、四轮定位并保养", items)
    yield month.at(7, "16:15")
    # 20.00 off the alignment and 30.00 off the order, then the total's last yuan and fen rounded off (抹零).
    prepared = Settlement.all_objects.get(order=order, payer=Payer.CUSTOMER)
    alignment = Line.all_objects.get(order=order, operation__code__endswith="-C03")
    left = prepared.amount - D("50.00")
    confirm = ConfirmIn(discount=D("30.00"), line_discounts={alignment.pk: D("20.00")}, rounding=left % 10)
    month.collect(order, [Pay(Method.CASH)], confirm=confirm)


def _transfer(month: Month, car: Car) -> Script:
    items = [Item("A01"), Item("M03"), REFRIGERANT]
    order = yield from month.repair(car, 6, "15:00", "空调异味，检测加氟并更换空调滤芯", items)
    # The customer's company pays by bank transfer; the car is released once finance sees the money.
    yield month.at(5, "09:10")
    found = _confirm(order, month.staff.of("advisor"))
    customer = Settlement.all_objects.get(settlement_list=found, payer=Payer.CUSTOMER)
    [transfer] = _pay(customer, month.staff.of("cashier"), [Pay(Method.TRANSFER)], month.reference)
    yield month.at(5, "11:30")
    payment_confirm(actor=month.staff.of("finance"), payment_id=transfer.pk)
    yield month.at(5, "16:20")
    month.deliver(order)


def _reversed(month: Month, car: Car) -> Script:
    order = yield from month.repair(car, 3, "10:05", "怠速抖动，更换点火线圈", [Item("E02")])
    yield month.at(3, "16:10")
    month.collect(order, [Pay(Method.CARD)])
    # The next morning the customer's company wants a special VAT invoice: the list reversed, confirmed again.
    yield month.at(2, "09:30")
    found = SettlementList.all_objects.get(order=order, state=SettlementList.State.CONFIRMED)
    reason = "客户要求改开增值税专用发票（公司抬头）"
    again = settlement_reverse(actor=month.staff.of("service_manager"), list_id=found.pk, reason=reason)
    yield month.at(2, "09:40")
    special = ConfirmIn(invoice_type=SettlementList.InvoiceType.SPECIAL)
    settlement_confirm(actor=month.staff.of("advisor"), list_id=again.pk, data=special)


def _refund(month: Month, car: Car) -> Script:
    items, deposit = [Item("M01"), Item("M03")], Pay(Method.CASH, D("1000.00"))
    order = yield from month.repair(car, 2, "11:00", "保养：更换机油机滤、空调滤芯", items, deposit=deposit)
    yield month.at(2, "16:40")
    month.collect(order, [], refund="预交押金多于结算金额，退还余额")


STORIES: list[Callable[[Month, Car], Script]] = [
    _cash_with_change,
    _card,
    _insurance,
    _oem_warranty,
    _extended_warranty,
    _goodwill,
    _internal,
    _deposit,
    _partial,
    _credit,
    _night,
    _discount,
    _transfer,
    _reversed,
    _refund,
]


def _run(month: Month) -> None:
    """Play every story of the month, its steps in the order of their moments, each put on its moment."""
    cars = [Car(functools.partial(story, month), month.visit_rows) for story in STORIES]
    cars.append(Car(month.cash_days, month.cash_day_rows))
    queue: list[tuple[datetime, int, Car]] = []
    for index, car in enumerate(cars):
        heapq.heappush(queue, (next(car.steps), index, car))
    while queue:
        moment, index, car = heapq.heappop(queue)
        since = timezone.now()
        try:
            following = next(car.steps, None)
        except NoCarLeft:  # raised before the story wrote anything
            following = None
        _moved(car.rows(), since, moment, month.today, month.calendar.local_date(moment))
        if following is not None:
            heapq.heappush(queue, (following, index, car))


def _counted(store: Store) -> int:
    return sum(model.all_objects.filter(store=store).count() for model in (SettlementList, Payment, Refund, CashDay))


@transaction.atomic
def billing_demo_install() -> int:
    """Install the month at the counter of both demo stores once; returns the rows made (0 when their cashier
    has days at the desk)."""
    made = 0
    for spec in STORES:
        store = Store.all_objects.filter(code=spec["code"]).first()
        if store is None or CashDay.all_objects.filter(store=store).exists():
            continue
        if not Delivery.objects.filter(store=store).exists():  # quality's demo did not run
            continue
        before = _counted(store)
        _surcharge, new = Surcharge.all_objects.get_or_create(store=store, kind=Surcharge.Kind.NIGHT, defaults=NIGHT)
        month = Month(store)
        _run(month)
        # Today's day at the desk, opened: the drawer is handed over tonight.
        cash_day_open(actor=month.staff.of("cashier"), store_id=store.pk, day=month.today, opening_float=FLOAT)
        made += _counted(store) - before + new
    return made
