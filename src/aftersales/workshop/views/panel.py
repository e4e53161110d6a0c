"""The workshop's piece of the repair order's page: each labour line's job (who, bay, state, hours on the
clock against standard), the parts the order waits for, and the ways to the dispatch and parts pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from aftersales.core.routing import can_here
from aftersales.visits.models import Line, RepairOrder
from aftersales.workshop.services import shortages


def order_panel(request: HttpRequest, order: RepairOrder) -> SafeString | str:
    if not can_here(request, "workshop.view"):
        return ""
    lines = list(
        Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR)
        .exclude(state__in=(Line.State.DECLINED, Line.State.CANCELLED))
        .select_related("job__technician", "job__team", "job__bay")
        .order_by("position")
    )
    waiting = shortages([order.pk]).get(order.pk, [])
    positions = dict(Line.all_objects.filter(pk__in=[row.line_id for row in waiting]).values_list("pk", "position"))
    undispatched = any(line.state == Line.State.APPROVED and not hasattr(line, "job") for line in lines)
    return render_to_string(
        "workshop/_order_panel.html",
        {
            "order": order,
            "jobs": [(line, getattr(line, "job", None)) for line in lines],
            "waiting": [(positions.get(row.line_id), row) for row in waiting],
            "may_dispatch": undispatched
            and order.state in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK)
            and can_here(request, "workshop.dispatch"),
        },
        request=request,
    )
