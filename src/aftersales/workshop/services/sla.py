"""Service levels (RO-9): per service type, how soon after the customer's approval an order is dispatched
and done, counted in the store's open time (``StoreCalendar.add_open_time``: business hours, holidays
and make-up working days); overdue orders escalate to the foreman, then the advisor, then the manager;
the on-time rate per store.

An order's service type comes from its approved labour lines: a whole-vehicle or assembly repair is a
major repair; maintenance, tyres and washing of at most two standard hours in all are quick service;
anything else is a repair. Its clock starts at the first approval of labour (signing at reception
approves the lines the customer signed for)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone

from aftersales.catalogue.models import LabourOperation, RepairCategory
from aftersales.core.calendar import StoreCalendar, store_calendar
from aftersales.core.models import Store
from aftersales.visits.models import Line, LineApproval, RepairOrder, RepairOrderEvent
from aftersales.workshop.models import Job, ServiceType, SlaAlert
from aftersales.workshop.services.common import service_levels
from aftersales.workshop.services.notices import ESCALATION, alert_send

QUICK_CATEGORIES = frozenset(
    {LabourOperation.Category.MAINTENANCE, LabourOperation.Category.TYRES, LabourOperation.Category.WASH}
)
QUICK_HOURS = Decimal(2)
MAJOR_CATEGORIES = frozenset({RepairCategory.WHOLE_VEHICLE, RepairCategory.ASSEMBLY})
LABOUR_DONE_OR_ON = (Line.State.APPROVED, Line.State.DISPATCHED, Line.State.IN_PROGRESS, Line.State.DONE)


@dataclass(frozen=True)
class OrderSla:
    order_id: int
    service_type: str
    approved_at: datetime | None
    dispatch_due: datetime | None
    dispatched_at: datetime | None
    complete_due: datetime | None
    completed_at: datetime | None

    def dispatch_late(self, now: datetime) -> bool:
        if self.dispatch_due is None:
            return False
        return (self.dispatched_at or now) > self.dispatch_due

    def complete_late(self, now: datetime) -> bool:
        if self.complete_due is None:
            return False
        return (self.completed_at or now) > self.complete_due


def service_type_of(lines: list[tuple[str, str | None, Decimal]]) -> str:
    """The service type of an order's approved labour lines, each (repair category, operation category,
    standard hours)."""
    if any(category in MAJOR_CATEGORIES for category, _kind, _hours in lines):
        return ServiceType.MAJOR
    hours = sum((hours for _category, _kind, hours in lines), Decimal(0))
    if lines and all(kind in QUICK_CATEGORIES for _category, kind, _hours in lines) and hours <= QUICK_HOURS:
        return ServiceType.QUICK
    return ServiceType.REPAIR


def orders_sla(store: Store, order_ids: list[int], *, calendar: StoreCalendar | None = None) -> dict[int, OrderSla]:
    """Each order's service level (four queries for any number of orders)."""
    calendar = calendar or store_calendar(store)
    levels = service_levels(store.pk)
    lines: dict[int, list[tuple[str, str | None, Decimal]]] = defaultdict(list)
    for order_id, category, kind, hours in Line.all_objects.filter(
        order_id__in=order_ids, kind=Line.Kind.LABOUR, state__in=LABOUR_DONE_OR_ON
    ).values_list("order_id", "repair_category", "operation__category", "quantity"):
        lines[order_id].append((category, kind, hours))
    approved = dict(
        LineApproval.objects.filter(line__order_id__in=order_ids, line__kind=Line.Kind.LABOUR, approved=True)
        .values("line__order_id")
        .annotate(first=Min("at"))
        .values_list("line__order_id", "first")
    )
    dispatched = dict(
        Job.all_objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(first=Min("dispatched_at"))
        .values_list("order_id", "first")
    )
    completed = dict(
        RepairOrderEvent.objects.filter(order_id__in=order_ids, line__isnull=True, action="complete")
        .values("order_id")
        .annotate(first=Min("at"))
        .values_list("order_id", "first")
    )
    found: dict[int, OrderSla] = {}
    for order_id in order_ids:
        service_type = service_type_of(lines.get(order_id, []))
        dispatch_minutes, complete_minutes = levels[service_type]
        start = approved.get(order_id)
        found[order_id] = OrderSla(
            order_id=order_id,
            service_type=service_type,
            approved_at=start,
            dispatch_due=calendar.add_open_time(start, timedelta(minutes=dispatch_minutes)) if start else None,
            dispatched_at=dispatched.get(order_id),
            complete_due=(
                calendar.add_open_time(start, timedelta(minutes=complete_minutes))
                if start and complete_minutes
                else None
            ),
            completed_at=completed.get(order_id),
        )
    return found


def _escalations(calendar: StoreCalendar, due: datetime, allowance: timedelta, now: datetime) -> list[int]:
    """The escalation levels reached by ``now`` for a deadline of ``allowance`` open time due at ``due``."""
    reached = []
    for level, percent in ESCALATION.items():
        at = calendar.add_open_time(due, allowance * percent / 100) if percent else due
        if at is not None and now > at:
            reached.append(level)
    return reached


def sla_check(*, now: datetime | None = None) -> int:
    """Alert, level by level and once each, the orders late against their service level (periodic);
    returns how many alerts were raised."""
    now = now or timezone.now()
    sent = 0
    open_states = (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK)
    store_ids = RepairOrder.all_objects.filter(state__in=open_states).values_list("store_id", flat=True).distinct()
    for store in Store.objects.filter(pk__in=list(store_ids)).order_by("pk"):
        calendar = store_calendar(store)
        levels = service_levels(store.pk)
        orders = {
            order.pk: order
            for order in RepairOrder.all_objects.filter(store=store, state__in=open_states).select_related(
                "vehicle", "advisor", "store"
            )
        }
        alerted = set(SlaAlert.objects.filter(order_id__in=list(orders)).values_list("order_id", "kind", "level"))
        for order_id, sla in orders_sla(store, list(orders), calendar=calendar).items():
            dispatch_minutes, complete_minutes = levels[sla.service_type]
            checks = []
            if sla.dispatch_due and sla.dispatched_at is None:
                checks.append((SlaAlert.Kind.DISPATCH, sla.dispatch_due, timedelta(minutes=dispatch_minutes)))
            if sla.complete_due and sla.completed_at is None and complete_minutes:
                checks.append((SlaAlert.Kind.COMPLETE, sla.complete_due, timedelta(minutes=complete_minutes)))
            for kind, due, allowance in checks:
                for level in _escalations(calendar, due, allowance, now):
                    if (order_id, kind, level) not in alerted:
                        alert_send(orders[order_id], kind, level, due)
                        sent += 1
    return sent


@dataclass(frozen=True)
class OnTime:
    store_id: int
    orders: int
    dispatched_on_time: int
    with_completion_level: int
    completed_on_time: int

    @staticmethod
    def _rate(count: int, total: int) -> Decimal | None:
        return (Decimal(count * 100) / total).quantize(Decimal("0.1")) if total else None

    @property
    def dispatch_rate(self) -> Decimal | None:
        return self._rate(self.dispatched_on_time, self.orders)

    @property
    def complete_rate(self) -> Decimal | None:
        return self._rate(self.completed_on_time, self.with_completion_level)


def on_time_rate(store: Store, start: datetime, end: datetime, *, now: datetime | None = None) -> OnTime:
    """The store's orders whose work was first approved in [start, end): how many were dispatched and
    done in time (an order still open past its deadline counts as late)."""
    now = now or timezone.now()
    order_ids = list(
        LineApproval.objects.filter(store=store, line__kind=Line.Kind.LABOUR, approved=True)
        .values("line__order_id")
        .annotate(first=Min("at"))
        .filter(first__gte=start, first__lt=end)
        .values_list("line__order_id", flat=True)
    )
    rows = orders_sla(store, order_ids).values()
    with_level = [row for row in rows if row.complete_due is not None]
    return OnTime(
        store_id=store.pk,
        orders=len(order_ids),
        dispatched_on_time=sum(1 for row in rows if row.dispatch_due and not row.dispatch_late(now)),
        with_completion_level=len(with_level),
        completed_on_time=sum(1 for row in with_level if not row.complete_late(now)),
    )
