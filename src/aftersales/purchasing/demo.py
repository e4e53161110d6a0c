"""Purchasing's part of ``aftersales demo``: the group's suppliers (each brand's parts centre and a
local supplier), approval limits, and in each store a year of orders behind the ones in hand.

The year: in each of the 11 months before the current one (so that, with this month's delivery, the
ratings show 12 months) the store orders from its brand's parts centre two stock orders on the
centre's order days and one urgent or VOR order, and one stock order from the local supplier; each
is written, submitted, approved, sent and received through the real services, by the pattern below
(no randomness, so the demo test can assert the ratings by hand): most on time and in full, some
late, some short (the rest delivered later, cancelled as a backorder, or, in the last month, still
owed), some with a quantity rejected at inspection. In hand, this month: one order received in part
with a line rejected, one sent whose delivery note is taken in and waits for inspection, one waiting
for approval.

How the year gets its dates. The services stamp "now", so:
- an order's expected date is given on its lines when it is written (the order day plus the supplier's
  lead time, what ``order_send`` would set on that day), and each delivery is received with
  ``order_receive(received_on=...)``; the on-time flags are the service's own;
- after the services have run, the demo moves the remaining timestamps to the days they stand for,
  with bulk updates: an order's ``created_at`` / ``approved_at`` / ``sent_at``, its events' ``at`` and
  its receipts' ``received_at``. Nothing else is rewritten: the audit trail (hash-chained) and the
  stock moves' ``posted_at`` keep the moment they were really written;
- receiving posts stock dated ``received_on`` through the ledger, which refuses a month that is
  closed: the parts demo closes the stock months only after every area's demo data (its finisher,
  ``parts_demo_months_close``), so the year's receipts land in open months and the closings' snapshots
  include them (``stock_verify`` agrees). A store with a month closed already keeps its orders in hand
  only. Values follow posting order, as for any back-dated posting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from aftersales.core.calendar import store_calendar
from aftersales.core.models import Brand, DealerGroup, StaffMembership, Store, User
from aftersales.parts.models import Part, StockBalance, StockClosing
from aftersales.purchasing import services
from aftersales.purchasing.models import (
    PurchaseLimit,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    PurchaseOrderVersion,
    PurchaseReceipt,
    Supplier,
    SupplierReturn,
)

LIMITS = {"manager": Decimal(50000), "service_manager": Decimal(20000), "purchaser": Decimal(5000)}
HISTORY_MONTHS = 11
LOCAL_DISCOUNT = Decimal("0.92")  # the local supplier's prices against the parts centre's


@dataclass(frozen=True)
class Delivery:
    """One delivery: ``late`` days after the expected date (0: on the day), with (delivered, rejected)
    for each line of the order (0 delivered: the line is not in this delivery)."""

    late: int
    lines: tuple[tuple[int, int], ...]
    reason: str = ""  # why the rejected quantity was rejected


@dataclass(frozen=True)
class Outcome:
    deliveries: tuple[Delivery, ...]
    # Days after the expected date on which what is still owed is cancelled, and why.
    cancel: tuple[int, str] | None = None


# The month's first stock order to the parts centre: always on time and in full.
CENTRE_STOCK = (10, 6, 4)
CENTRE_STOCK_OUTCOME = Outcome((Delivery(0, ((10, 0), (6, 0), (4, 0))),))
# The month's second stock order to the parts centre, by the month's place in a cycle of four.
CENTRE_TOPUP = (8, 4)
CENTRE_TOPUP_OUTCOMES = (
    Outcome((Delivery(0, ((8, 0), (4, 0))),)),
    Outcome((Delivery(3, ((8, 0), (4, 0))),)),
    # Short; the rest is cancelled a week later (in the last month it is still owed).
    Outcome((Delivery(0, ((8, 0), (2, 0))),), cancel=(7, "配件中心缺货，欠货取消")),
    # One rejected at inspection, replaced five days later.
    Outcome((Delivery(0, ((8, 1), (4, 0)), "外包装破损"), Delivery(5, ((1, 0), (0, 0))))),
)
# The month's urgent (even months) or VOR (odd months) order of one emergency part: a day late
# in the third month of each cycle of four.
RUSH_ON_TIME = Outcome((Delivery(0, ((1, 0),)),))
RUSH_LATE = Outcome((Delivery(1, ((1, 0),)),))
# The month's stock order to the local supplier, by the month's place in a cycle of four.
LOCAL = (6, 4)
LOCAL_OUTCOMES = (
    Outcome((Delivery(0, ((6, 0), (4, 0))),)),
    # Short; the rest three days late.
    Outcome((Delivery(0, ((4, 0), (4, 0))), Delivery(3, ((2, 0), (0, 0))))),
    Outcome((Delivery(2, ((6, 0), (4, 0))),)),
    # One rejected at inspection and not replaced: the store buys it elsewhere.
    Outcome((Delivery(0, ((6, 0), (4, 1)), "规格不符"),), cancel=(1, "改向配件中心订购")),
)


def _suppliers(group: DealerGroup) -> dict[str, Supplier]:
    found: dict[str, Supplier] = {}
    for brand in Brand.objects.filter(pk__in=Part.objects.filter(group=group).values("brand_id")).order_by("code"):
        found[brand.code], _created = Supplier.objects.get_or_create(
            group=group,
            code=f"{brand.code}-PC",
            defaults={
                "kind": Supplier.Kind.MANUFACTURER, "brand": brand, "name": f"{brand.name}配件中心",
                "contact_name": "订单组", "phone": "400-820-1111", "payment_days": 30, "lead_days_stock": 5,
                "lead_days_urgent": 2, "lead_days_vor": 1, "order_days": [0, 3], "over_delivery_percent": 0,
                "bank_name": "中国工商银行上海分行", "bank_account": "1001202309000123456",
            },
        )  # fmt: skip
    # The local supplier takes its orders by e-mail: a reserved domain (RFC 2606), so that what the demo's
    # orders put in the outbox reaches nobody.
    found["LOCAL"], _created = Supplier.objects.get_or_create(
        group=group,
        code="HF-AUTO",
        defaults={
            "kind": Supplier.Kind.LOCAL, "name": "浦东宏发汽配", "credit_code": "91310115MA1H7XK02J",
            "contact_name": "陈经理", "phone": "13816601234", "email": "order@hongfa-auto.example", "payment_days": 15,
            "lead_days_stock": 2, "lead_days_urgent": 1, "lead_days_vor": 0, "over_delivery_percent": 5,
            "bank_name": "招商银行浦东支行", "bank_account": "6214830212345678",
        },
    )  # fmt: skip
    return found


def _order(
    store: Store, clerk: User | None, supplier: Supplier, lines: list[tuple[Part, int, str]], order_type: str = "stock"
) -> PurchaseOrder:
    return services.order_create(
        actor=clerk,
        store_id=store.pk,
        supplier_id=supplier.pk,
        order_type=order_type,
        lines=[services.OrderLineIn(part.pk, Decimal(qty), Decimal(price)) for part, qty, price in lines],
    )


def _months_back(today: date, months: int) -> date:
    """The first day of the month ``months`` before today's."""
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _order_day(first: date, weekdays: Sequence[int]) -> date:
    """The first day on or after ``first`` that is one of the supplier's order days (any day without)."""
    day = first
    while weekdays and day.weekday() not in weekdays:
        day += timedelta(days=1)
    return day


@dataclass
class _Year:
    """A store's year of orders as it is written: who does what, where each part is kept, and the
    moments the services' timestamps are moved to afterwards."""

    store: Store
    zone: ZoneInfo
    clerk: User | None
    purchaser: User | None
    manager: User
    kept: dict[int, int]
    orders: dict[int, PurchaseOrder] = field(default_factory=dict)
    events: dict[int, list[datetime]] = field(default_factory=dict)  # order id -> its events' moments
    receipts: list[PurchaseReceipt] = field(default_factory=list)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)

    def order(
        self, supplier: Supplier, order_type: str, day: date, lines: list[tuple[Part, int]], outcome: Outcome, *,
        cancel: bool = True,
    ) -> None:  # fmt: skip
        """Write, submit, approve and send an order on ``day``, then receive it (and cancel what is
        still owed) as ``outcome`` says."""
        expected = day + timedelta(days=supplier.lead_days(order_type))
        discount = LOCAL_DISCOUNT if supplier.kind == Supplier.Kind.LOCAL else Decimal(1)
        order = services.order_create(
            actor=self.clerk,
            store_id=self.store.pk,
            supplier_id=supplier.pk,
            order_type=order_type,
            lines=[
                services.OrderLineIn(
                    part.pk,
                    Decimal(quantity),
                    (part.standard_cost * (1 + part.tax_rate) * discount).quantize(Decimal("0.01")),
                    expected_on=expected,
                )
                for part, quantity in lines
            ],
        )
        services.order_submit(actor=self.clerk, order_id=order.pk)
        services.order_approve(actor=self.manager, order_id=order.pk)
        order = services.order_send(actor=self.purchaser, order_id=order.pk, notify=False)  # history: not e-mailed
        order.created_at, order.approved_at, order.sent_at = self.at(day, 9), self.at(day, 9, 40), self.at(day, 10)
        moments = [self.at(day, 9), self.at(day, 9, 5), self.at(day, 9, 40), self.at(day, 10)]
        for number, delivery in enumerate(outcome.deliveries, 1):
            on = expected + timedelta(days=delivery.late)
            receipt = services.order_receive(
                actor=self.clerk,
                order_id=order.pk,
                delivery_note=f"DN{on:%y%m%d}-{order.pk % 1000:03d}{number}",
                received_on=on,
                lines=[
                    services.DeliveredLine(
                        part.pk,
                        self.kept[part.pk],
                        Decimal(delivered),
                        rejected=Decimal(rejected),
                        reject_reason=delivery.reason if rejected else "",
                    )
                    for (part, _quantity), (delivered, rejected) in zip(lines, delivery.lines, strict=True)
                    if delivered
                ],
            )
            receipt.received_at = self.at(on, 14)
            self.receipts.append(receipt)
            moments.append(receipt.received_at)
        if outcome.cancel is not None and cancel:
            days, reason = outcome.cancel
            for line in PurchaseOrderLine.objects.filter(order=order).order_by("position"):
                if line.open_quantity > 0:
                    services.backorder_cancel(actor=self.purchaser, line_id=line.pk, reason=reason)
                    moments.append(self.at(expected + timedelta(days=days), 16))
        self.orders[order.pk] = order
        self.events[order.pk] = moments

    def dates_set(self) -> None:
        """Move the services' timestamps to the days the orders stand for (see the module's notes)."""
        PurchaseOrder.all_objects.bulk_update(self.orders.values(), ["created_at", "approved_at", "sent_at"])
        PurchaseReceipt.all_objects.bulk_update(self.receipts, ["received_at"])
        events = list(PurchaseOrderEvent.objects.filter(order_id__in=self.orders).order_by("order_id", "pk"))
        for order_id, moments in self.events.items():
            mine = [event for event in events if event.order_id == order_id]
            if len(mine) != len(moments):  # a service wrote more (or fewer) events than the pattern knows
                raise RuntimeError(f"Order {order_id}: {len(mine)} events, {len(moments)} moments")
            for event, moment in zip(mine, moments, strict=True):
                event.at = moment
        PurchaseOrderEvent.objects.bulk_update(events, ["at"], batch_size=500)
        # The version sent is dated when the order was sent; a return when its receipt was received.
        for order in self.orders.values():
            PurchaseOrderVersion.objects.filter(order=order).update(at=order.sent_at)
        for receipt in self.receipts:
            SupplierReturn.all_objects.filter(receipt=receipt).update(created_at=receipt.received_at)


def _year_install(
    year: _Year, group: DealerGroup, brand: Brand, centre: Supplier, local: Supplier, today: date, skip: list[int]
) -> int:
    """The store's 11 months of orders (see the module's notes); returns how many were written."""
    parts = Part.objects.filter(group=group, brand=brand, decimals=0, is_active=True).exclude(pk__in=skip)
    common = list(parts.filter(part_class=Part.PartClass.COMMON).order_by("pk")[:14])
    emergency = list(parts.filter(part_class=Part.PartClass.EMERGENCY).order_by("pk")[:HISTORY_MONTHS])
    year.kept.update(
        StockBalance.all_objects.filter(store=year.store, part__in=common + emergency).values_list("part_id", "bin_id")
    )
    if len(common) < 14 or len(emergency) < HISTORY_MONTHS or len(year.kept) < len(skip) + 14 + HISTORY_MONTHS:
        return 0
    if StockClosing.all_objects.filter(store=year.store, month__gte=_months_back(today, HISTORY_MONTHS)).exists():
        return 0  # the ledger would refuse the year's receipts
    stocked, bought_locally = common[:10], common[10:]
    for index in range(HISTORY_MONTHS):
        month = _months_back(today, HISTORY_MONTHS - index)
        pool = stocked[5 * (index % 2) : 5 * (index % 2) + 5]
        year.order(
            centre, "stock", _order_day(month, centre.order_days), list(zip(pool[:3], CENTRE_STOCK, strict=True)),
            CENTRE_STOCK_OUTCOME,
        )  # fmt: skip
        year.order(
            local, "stock", month + timedelta(days=7),
            list(zip(bought_locally[2 * (index % 2) :][:2], LOCAL, strict=True)), LOCAL_OUTCOMES[index % 4],
        )  # fmt: skip
        year.order(
            centre, "vor" if index % 2 else "urgent", month + timedelta(days=9), [(emergency[index], 1)],
            RUSH_LATE if index % 4 == 2 else RUSH_ON_TIME,
        )  # fmt: skip
        year.order(
            centre, "stock", _order_day(month + timedelta(days=14), centre.order_days),
            list(zip(pool[3:], CENTRE_TOPUP, strict=True)), CENTRE_TOPUP_OUTCOMES[index % 4],
            cancel=index < HISTORY_MONTHS - 1,
        )  # fmt: skip
    year.dates_set()
    return len(year.orders)


@transaction.atomic
def purchasing_demo_install() -> int:
    group = DealerGroup.objects.filter(code="HDAUTO").first()
    if group is None:
        return 0
    created = 0
    suppliers = _suppliers(group)
    for store in Store.all_objects.filter(group=group).order_by("code"):
        if PurchaseOrder.all_objects.filter(store=store).exists():
            continue
        for membership in StaffMembership.all_objects.filter(store=store, role__code__in=LIMITS).select_related("role"):
            PurchaseLimit.all_objects.get_or_create(
                store=store, user=membership.user, defaults={"limit": LIMITS[membership.role.code]}
            )
        members = {
            m.role.code: m.user
            for m in StaffMembership.all_objects.filter(
                store=store, role__code__in=("parts", "purchaser", "manager")
            ).select_related("role", "user")
        }
        clerk, purchaser, manager = members.get("parts"), members.get("purchaser"), members.get("manager")
        brand = store.brands.order_by("code").first()
        parts = list(Part.objects.filter(group=group, brand=brand, decimals=0).order_by("pk")[:6])
        # Each part is received into the bin it is kept in.
        kept = dict(StockBalance.all_objects.filter(store=store, part__in=parts).values_list("part_id", "bin_id"))
        if brand is None or len(parts) < 6 or len(kept) < 6 or brand.code not in suppliers or manager is None:
            continue

        supplier = suppliers[brand.code]
        # The year first, so that the order and receipt numbers run in the order of their dates.
        calendar = store_calendar(store)
        year = _Year(store, calendar.zone, clerk, purchaser, manager, dict(kept))
        created += _year_install(
            year, group, brand, supplier, suppliers["LOCAL"], calendar.local_date(timezone.now()), list(kept)
        )
        received = _order(
            store, clerk, supplier, [(parts[0], 10, "45.20"), (parts[1], 4, "128.00"), (parts[2], 2, "356.50")]
        )
        services.order_submit(actor=clerk, order_id=received.pk)
        services.order_approve(actor=manager, order_id=received.pk)
        services.order_send(actor=purchaser, order_id=received.pk)
        services.order_receive(
            actor=clerk,
            order_id=received.pk,
            delivery_note="DN2026-0001",
            lines=[
                services.DeliveredLine(parts[0].pk, kept[parts[0].pk], Decimal(10)),
                services.DeliveredLine(
                    parts[1].pk, kept[parts[1].pk], Decimal(4), rejected=Decimal(1), reject_reason="外包装破损"
                ),
            ],
        )
        sent = _order(store, clerk, supplier, [(parts[3], 6, "88.00")], order_type="urgent")
        services.order_submit(actor=clerk, order_id=sent.pk)
        services.order_approve(actor=manager, order_id=sent.pk)
        services.order_send(actor=purchaser, order_id=sent.pk)
        # Its delivery has just arrived: the supplier's note taken in, waiting for the clerk's inspection.
        services.delivery_note_import(
            actor=clerk, store_id=store.pk, supplier_id=supplier.pk, number="DN2026-0002",
            upload=SimpleUploadedFile(
                "DN2026-0002.csv", f"零件号,数量,箱号\n{parts[3].number_display},6,C01\n".encode("utf-8-sig")
            ),
        )  # fmt: skip
        waiting = _order(store, clerk, supplier, [(parts[4], 20, "12.80"), (parts[5], 8, "66.00")])
        services.order_submit(actor=clerk, order_id=waiting.pk)
        created += 3 + services.reorder_points_compute(store_id=store.pk)
    return created
