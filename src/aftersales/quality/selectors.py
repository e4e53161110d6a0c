"""Every read of quality and delivery: the queues of the desk (orders to inspect, cars to wash, to hand
over, to check and to deliver), an order's inspections, a visit's path to delivery, the comeback queue,
and the comeback and rework rates per technician, labour operation and store."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q

from aftersales.core.models import User
from aftersales.quality.models import (
    Comeback,
    ComebackLine,
    Delivery,
    FinalInspection,
    Guarantee,
    Handover,
    ReleaseCertificate,
    Rework,
    Wash,
)
from aftersales.quality.services.common import no_labour
from aftersales.visits.models import Line, RepairOrder, Visit

R = RepairOrder.State


@dataclass
class VisitStage:
    """Where a visit on site stands on its way to delivery."""

    visit: Visit
    orders: list[RepairOrder]
    inspected: bool  # every order's final inspection passed
    wash: Wash | None = None
    handover: Handover | None = None

    @property
    def stage(self) -> str:
        if not self.inspected:
            return "inspect"
        if self.wash is None:
            return "wash"
        if self.handover is None:
            return "handover"
        if self.handover.checked_at is None:
            return "check"
        return "deliver"


def _passed(order_ids: list[int]) -> set[int]:
    """The orders whose latest final inspection passed."""
    latest: dict[int, bool] = {}
    for order_id, passed in (
        FinalInspection.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "at", "pk")
        .values_list("order_id", "passed")
    ):
        latest[order_id] = passed
    return {order_id for order_id, passed in latest.items() if passed}


def desk(store_id: int) -> dict[str, list[VisitStage]]:
    """The visits on site whose orders are all finished by the workshop, by the next step: inspect (an
    order completed and not passed), wash, hand over, check before delivery, deliver. Five queries."""
    orders = list(
        RepairOrder.all_objects.filter(
            store_id=store_id, visit__state=Visit.State.ON_SITE, state__in=(R.OPEN, R.IN_WORK, R.COMPLETED, R.READY)
        )
        .select_related("visit__vehicle", "visit__customer", "visit__advisor")
        .order_by("visit__promised_at", "visit_id", "pk")
    )
    by_visit: dict[int, list[RepairOrder]] = defaultdict(list)
    for order in orders:
        by_visit[order.visit_id].append(order)
    # An open order with no labour (the customer declined the repair: a diagnosis fee) waits for nobody.
    with_labour = set(
        Line.all_objects.filter(order__in=[o for o in orders if o.state == R.OPEN], kind=Line.Kind.LABOUR)
        .exclude(state__in=(Line.State.DECLINED, Line.State.CANCELLED))
        .values_list("order_id", flat=True)
    )
    no_labour = {order.pk for order in orders if order.state == R.OPEN and order.pk not in with_labour}
    finished = {
        visit_id: rows
        for visit_id, rows in by_visit.items()
        if all(order.state in (R.COMPLETED, R.READY) or order.pk in no_labour for order in rows)
    }
    passed = _passed([order.pk for rows in finished.values() for order in rows])
    washes = {wash.visit_id: wash for wash in Wash.objects.filter(visit_id__in=finished).select_related("washer")}
    handovers = {row.visit_id: row for row in Handover.objects.filter(visit_id__in=finished)}
    stages: dict[str, list[VisitStage]] = {key: [] for key in ("inspect", "wash", "handover", "check", "deliver")}
    for visit_id, rows in finished.items():
        stage = VisitStage(
            visit=rows[0].visit,
            orders=rows,
            inspected=all(order.state == R.READY or order.pk in passed or order.pk in no_labour for order in rows),
            wash=washes.get(visit_id),
            handover=handovers.get(visit_id),
        )
        stages[stage.stage].append(stage)
    return stages


def visit_stage(visit: Visit) -> VisitStage:
    orders = list(RepairOrder.all_objects.filter(visit=visit).exclude(state=R.CANCELLED).order_by("pk"))
    passed = _passed([order.pk for order in orders])
    return VisitStage(
        visit=visit,
        orders=orders,
        inspected=bool(orders)
        and all(
            order.state in (R.READY, R.DELIVERED, R.CLOSED)
            or (order.state == R.COMPLETED and order.pk in passed)
            or (order.state == R.OPEN and no_labour(order))
            for order in orders
        ),
        wash=Wash.objects.filter(visit=visit).select_related("washer").first(),
        handover=Handover.objects.filter(visit=visit).first(),
    )


def inspections_of(order: RepairOrder) -> list[FinalInspection]:
    return list(
        FinalInspection.objects.filter(order=order)
        .select_related("inspector")
        .prefetch_related("reworks")
        .order_by("-at", "-pk")
    )


def certificate_of(order: RepairOrder) -> ReleaseCertificate | None:
    return ReleaseCertificate.objects.filter(order=order).select_related("signed_by").first()


def delivery_of(visit: Visit) -> Delivery | None:
    return Delivery.objects.filter(visit=visit).select_related("delivered_by").first()


def comeback_queue(store_ids: list[int] | None, *, state: str = Comeback.State.FLAGGED) -> list[Comeback]:
    """Comebacks of the stores (None: every store) in ``state``, newest first, with their lines."""
    rows = Comeback.all_objects.filter(state=state)
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    return list(
        rows.select_related("order", "original", "vehicle", "decided_by", "store")
        .prefetch_related("lines__line", "lines__original_line", "lines__technician", "lines__operation")
        .order_by("-flagged_at", "-pk")[:200]
    )


@dataclass
class Rate:
    """Work delivered, confirmed comebacks and internal reworks of one technician, operation or store."""

    key: int | None
    name: str
    delivered: int = 0
    comebacks: int = 0
    reworks: int = 0

    @property
    def comeback_rate(self) -> Decimal:
        return (
            (Decimal(100) * self.comebacks / self.delivered).quantize(Decimal("0.1")) if self.delivered else Decimal(0)
        )


@dataclass
class Rates:
    technicians: list[Rate] = field(default_factory=list)
    operations: list[Rate] = field(default_factory=list)
    stores: list[Rate] = field(default_factory=list)


def comeback_rates(store_ids: list[int], *, since: date, until: date) -> Rates:
    """Per technician, labour operation and store, over the labour lines delivered from ``since`` to
    ``until``: how many were delivered, how many came back (confirmed comebacks of that work, whenever
    confirmed) and how many were sent back by the final inspection (internal rework). Four queries."""
    delivered = Guarantee.objects.filter(store_id__in=store_ids, delivered_on__gte=since, delivered_on__lte=until)
    names: dict[str, dict[int | None, str]] = {"technician": {}, "operation": {}, "store": {}}
    counts: dict[str, Counter[int | None]] = {"technician": Counter(), "operation": Counter(), "store": Counter()}
    for row in delivered.values(
        "technician_id",
        "technician__full_name",
        "technician__username",
        "operation_id",
        "operation__code",
        "operation__name",
        "store_id",
        "store__name",
    ).annotate(n=Count("pk")):
        counts["technician"][row["technician_id"]] += row["n"]
        names["technician"][row["technician_id"]] = row["technician__full_name"] or row["technician__username"] or "—"
        counts["operation"][row["operation_id"]] += row["n"]
        names["operation"][row["operation_id"]] = (
            f"{row['operation__code'] or ''} {row['operation__name'] or ''}".strip() or "—"
        )
        counts["store"][row["store_id"]] += row["n"]
        names["store"][row["store_id"]] = row["store__name"]
    came_back: dict[str, Counter[int | None]] = {key: Counter() for key in counts}
    for back in (
        ComebackLine.objects.filter(
            comeback__state=Comeback.State.CONFIRMED,
            original_line__guarantee__in=delivered,
        )
        .values("original_line_id", "technician_id", "operation_id", "original_line__store_id")
        .distinct()
    ):
        came_back["technician"][back["technician_id"]] += 1
        came_back["operation"][back["operation_id"]] += 1
        came_back["store"][back["original_line__store_id"]] += 1
    reworked: dict[str, Counter[int | None]] = {key: Counter() for key in counts}
    for rework in Rework.objects.filter(Q(store_id__in=store_ids) & Q(line__guarantee__in=delivered)).values(
        "technician_id", "operation_id", "store_id"
    ):
        reworked["technician"][rework["technician_id"]] += 1
        reworked["operation"][rework["operation_id"]] += 1
        reworked["store"][rework["store_id"]] += 1

    def table(kind: str) -> list[Rate]:
        rows = [
            Rate(
                key=key, name=names[kind][key], delivered=n, comebacks=came_back[kind][key], reworks=reworked[kind][key]
            )
            for key, n in counts[kind].items()
        ]
        return sorted(rows, key=lambda rate: (-rate.comeback_rate, -rate.comebacks, rate.name))

    return Rates(technicians=table("technician"), operations=table("operation"), stores=table("store"))


def washers(store_id: int) -> list[User]:
    """Who may be named as the washer: the store's active staff, washers first."""
    rows = (
        User.objects.filter(memberships__store_id=store_id, memberships__is_active=True, is_active=True)
        .annotate(
            washer=Count("memberships", filter=Q(memberships__role__code="washer", memberships__store_id=store_id))
        )
        .distinct()
        .order_by("-washer", "full_name", "username")
    )
    return list(rows)
