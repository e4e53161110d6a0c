"""Quality's pieces of the repair order's and the visit's pages. The order's: its final inspections (who,
when, passed or what was sent back and why), its release certificate, the comebacks it is flagged as or
was flagged against, and the way to the inspection. The visit's: the car's running repair guarantees, the
comebacks on its orders, its next step to delivery."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from aftersales.core.calendar import store_calendar
from aftersales.core.routing import can_here
from aftersales.quality.models import Comeback
from aftersales.quality.selectors import certificate_of, inspections_of, visit_stage
from aftersales.quality.services.common import inspection_passed
from aftersales.quality.services.guarantees import open_guarantees
from aftersales.visits.models import RepairOrder, Visit


def order_panel(request: HttpRequest, order: RepairOrder) -> SafeString | str:
    if not can_here(request, "quality.view"):
        return ""
    inspections = inspections_of(order)
    comebacks = list(
        Comeback.all_objects.filter(Q(order=order) | Q(original=order))
        .select_related("order", "original")
        .order_by("-flagged_at", "-pk")
    )
    if not inspections and not comebacks and order.state != RepairOrder.State.COMPLETED:
        return ""
    return render_to_string(
        "quality/_order_panel.html",
        {
            "order": order,
            "inspections": inspections,
            "certificate": certificate_of(order),
            "comebacks": comebacks,
            "may_inspect": order.state == RepairOrder.State.COMPLETED
            and not inspection_passed(order)
            and can_here(request, "quality.inspect"),
        },
        request=request,
    )


def visit_panel(request: HttpRequest, visit: Visit) -> SafeString | str:
    """The visit's piece of quality: the car's repair guarantees still running when it came in (at the
    mileage it came in with: reception sees at once what may be a comeback), the comebacks flagged on its
    orders, and where it stands on its way to delivery."""
    if not can_here(request, "quality.view"):
        return ""
    calendar = store_calendar(visit.store)
    day = calendar.local_date(visit.arrived_at)
    guarantees = [
        g
        for g in open_guarantees(visit.vehicle_id, day=day, km=visit.mileage_in, group_id=visit.store.group_id)
        if g.order.visit_id != visit.pk
    ]
    comebacks = list(Comeback.all_objects.filter(order__visit=visit).select_related("order", "original").order_by("pk"))
    stage = visit_stage(visit)
    delivered = visit.state == Visit.State.DELIVERED
    if not guarantees and not comebacks and not stage.orders:
        return ""
    return render_to_string(
        "quality/_visit_panel.html",
        {
            "visit": visit,
            "guarantees": guarantees,
            "comebacks": comebacks,
            "stage": "delivered" if delivered else (stage.stage if stage.orders and stage.inspected else ""),
            "delivered": delivered,
        },
        request=request,
    )
