"""Visits and repair orders on the archive's timelines (a customer's and a vehicle's): registered as
sources from AppConfig.ready, so the archive never imports this area."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.money import money_round
from aftersales.customers.selectors import TimelineItem, TimelineQuery, TimelineSource
from aftersales.visits.models import Line, RepairOrder, Visit


def _visit_items(query: TimelineQuery) -> list[TimelineItem]:
    condition = Q(vehicle_id__in=query.vehicle_ids)
    if query.customer is not None:
        condition |= Q(customer=query.customer)
    rows = (
        Visit.all_objects.filter(condition).select_related("store", "advisor", "vehicle").order_by("-arrived_at", "-pk")
    )
    return [
        TimelineItem(
            at=row.arrived_at,
            kind="visit",
            title=_("Visit %(number)s at %(store)s: %(state)s")
            % {"number": row.number, "store": row.store.name, "state": row.get_state_display()},
            note=_("%(km)s km in, %(plate)s")
            % {"km": f"{row.mileage_in:,}", "plate": row.vehicle.plate or row.vehicle.vin},
            actor=row.advisor.username,
            actor_name=row.advisor.full_name or row.advisor.username,
        )
        for row in rows[: query.limit]
    ]


# The lines the customer (or their payer) agreed to: what the order's total on the timeline counts.
AGREED = (Line.State.APPROVED, Line.State.DISPATCHED, Line.State.IN_PROGRESS, Line.State.DONE)


def _order_items(query: TimelineQuery) -> list[TimelineItem]:
    condition = Q(vehicle_id__in=query.vehicle_ids)
    if query.customer is not None:
        condition |= Q(customer=query.customer)
    rows = (
        RepairOrder.all_objects.filter(condition)
        .select_related("store", "advisor")
        .annotate(
            line_count=Count("lines", filter=Q(lines__state__in=AGREED)),
            total=Sum("lines__amount", filter=Q(lines__state__in=AGREED)),
        )
        .order_by("-signed_at", "-pk")
    )
    return [
        TimelineItem(
            at=row.signed_at,
            kind="repair_order",
            title=_("Repair order %(number)s at %(store)s: %(state)s")
            % {"number": row.number, "store": row.store.name, "state": row.get_state_display()},
            note=_("%(n)s lines agreed, %(total)s yuan: %(statement)s")
            % {"n": row.line_count, "total": money_round(row.total or 0), "statement": row.customer_statement[:80]},
            actor=row.advisor.username,
            actor_name=row.advisor.full_name or row.advisor.username,
        )
        for row in rows[: query.limit]
    ]


VISITS = TimelineSource("visit", gettext_lazy("Visits"), "car-front", _visit_items)
ORDERS = TimelineSource("repair_order", gettext_lazy("Repair orders"), "clipboard-check", _order_items)
