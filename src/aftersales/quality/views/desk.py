"""The quality desk: the page store's cars whose work is finished, by their next step on the way to the
customer (inspect, wash, hand over, check before delivery, deliver), each with the way to its step for
those who take it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from aftersales.core.routing import can_here, page, page_store
from aftersales.quality.models import FinalInspection
from aftersales.quality.selectors import VisitStage
from aftersales.quality.selectors import desk as desk_queues
from aftersales.quality.views.base import STEPS, WallClock
from aftersales.visits.models import RepairOrder


def _passed(order_ids: list[int]) -> set[int]:
    """The orders whose latest final inspection passed (one query; selectors.desk tells it per visit only)."""
    latest: dict[int, bool] = {}
    for order_id, passed in (
        FinalInspection.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "at", "pk")
        .values_list("order_id", "passed")
    ):
        latest[order_id] = passed
    return {order_id for order_id, passed in latest.items() if passed}


def _row(stage: VisitStage, clock: WallClock, now: Any, passed: set[int]) -> dict[str, Any]:
    visit = stage.visit
    promised = clock.maybe(visit.promised_at)
    return {
        "stage": stage,
        "visit": visit,
        "promised": promised,
        "late": promised is not None and promised < now,
        "orders": [
            {
                "order": order,
                "to_inspect": order.state == RepairOrder.State.COMPLETED and order.pk not in passed,
            }
            for order in stage.orders
        ],
    }


@require_GET
@page("quality.view")
def desk(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    queues = desk_queues(store.pk)
    clock = WallClock(store)
    now = clock(timezone.now())
    to_inspect = [order.pk for stage in queues["inspect"] for order in stage.orders]
    passed = _passed(to_inspect) if to_inspect else set()
    columns = [
        {
            "step": step,
            "may": can_here(request, step.permission),
            "rows": [_row(stage, clock, now, passed) for stage in queues[step.key]],
        }
        for step in STEPS
    ]
    context = {"columns": columns, "store": store, "may_keep_rules": can_here(request, "quality.settings")}
    return render(request, "quality/desk.html", context)
