"""From the final inspection to the car leaving, per visit: the wash (a tablet in the wash bay), the
workshop's handover of the car and keys to the advisor, the advisor's check before delivery, the
customer's arrival at pick-up and the delivery at the advisor's desk (交车)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.routing import page, request_user
from aftersales.quality.forms import DeliveryForm, HandoverForm, ReadyForm, WashForm
from aftersales.quality.models import Delivery, FinalInspection, Guarantee, OldPartsOutcome
from aftersales.quality.selectors import delivery_of, visit_stage, washers
from aftersales.quality.services import (
    delivery_record,
    handover_record,
    pickup_arrived,
    quality_settings,
    ready_check,
    wash_record,
)
from aftersales.quality.services.common import live_orders
from aftersales.quality.services.delivery import TEXT_MAX, agreed_lines, order_types
from aftersales.quality.views.base import WallClock, not_yet, refusal_status, visit_of
from aftersales.visits.models import Line, RepairOrder, Visit

EXPLANATION_MAX = 1000


# --- reads the selectors do not offer -------------------------------------------------------------------


def _advice(orders: list[RepairOrder], field: str) -> list[str]:
    """The latest final inspection's ``field`` (repair or driving advice) of each order, each text once."""
    texts = []
    for order in orders:
        text = FinalInspection.objects.filter(order=order).order_by("-at", "-pk").values_list(field, flat=True).first()
        if text:
            texts.append(text)
    return list(dict.fromkeys(texts))


def _work(orders: list[RepairOrder]) -> list[dict[str, Any]]:
    """Per order the work done (its done labour lines) and the parts replaced (done part lines)."""
    done: dict[int, dict[str, list[Line]]] = {order.pk: {"labour": [], "parts": []} for order in orders}
    for line in Line.all_objects.filter(order__in=orders, state=Line.State.DONE).order_by("order_id", "position"):
        if line.kind == Line.Kind.LABOUR:
            done[line.order_id]["labour"].append(line)
        elif line.kind in (Line.Kind.PART, Line.Kind.CONSUMABLE):
            done[line.order_id]["parts"].append(line)
    return [{"order": order, **done[order.pk]} for order in orders]


def _act(
    request: HttpRequest,
    form: StyledForm,
    run: Callable[[], Any],
    done: str,
    to: str,
    again: Callable[[StyledForm, int], HttpResponse],
    **kwargs: Any,
) -> HttpResponse:
    """Run the service for a valid form: on to ``to`` with ``done``, else the page again with the form's
    errors (400, or the service's 403 or 409), nothing changed."""
    status = 400
    if form.is_valid():
        try:
            run()
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, done)
            return redirect(to, **kwargs)
    return again(form, status)


def _base(request: HttpRequest, visit: Visit, step: str) -> dict[str, Any]:
    stage = visit_stage(visit)
    clock = WallClock(visit.store)
    return {
        "visit": visit,
        "stage": stage,
        "waiting": not_yet(stage, step),
        "promised": clock.maybe(visit.promised_at),
        "clock": clock,
    }


# --- the wash ---------------------------------------------------------------------------------------------


def _wash_form(request: HttpRequest, visit: Visit, *, bound: bool) -> WashForm:
    rules = quality_settings(visit.store_id)
    people = washers(visit.store_id)
    user = request_user(request)
    return WashForm(
        request.POST if bound else None,
        points=[str(point) for point in rules.wash_checks],
        washers=[(person.pk, person.full_name or person.username) for person in people],
        initial={"washer": user.pk} if any(person.pk == user.pk for person in people) else {},
    )


def _wash_page(request: HttpRequest, visit: Visit, form: WashForm, *, status: int = 200) -> HttpResponse:
    context = _base(request, visit, "wash")
    stage = context["stage"]
    rules = quality_settings(visit.store_id)
    orders = stage.orders
    skip_all = bool(orders) and all(kind in rules.wash_skip for kind in order_types(orders).values())
    context |= {
        "form": form,
        "wash": stage.wash,
        "washed_at": context["clock"].maybe(stage.wash.at if stage.wash else None),
        "may_skip": skip_all or bool(form.errors.get("skip")),
        "open": form.is_bound or (not context["waiting"] and stage.wash is None),
    }
    return render(request, "quality/wash.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page("quality.wash")
def wash(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The wash to the store's standard (or not washed, for the order types the store does not wash)."""
    visit = visit_of(request, visit_id)
    if request.method == "GET":
        return _wash_page(request, visit, _wash_form(request, visit, bound=False))
    form = _wash_form(request, visit, bound=True)
    return _act(
        request,
        form,
        lambda: wash_record(actor=request_user(request), visit_id=visit.pk, data=form.data_in()),
        _("The wash is recorded; the advisor is told where the car stands."),
        "quality:desk",
        lambda bound, status: _wash_page(request, visit_of(request, visit.pk), form, status=status),
    )


# --- the handover to the advisor --------------------------------------------------------------------------


def _handover_page(request: HttpRequest, visit: Visit, form: HandoverForm, *, status: int = 200) -> HttpResponse:
    context = _base(request, visit, "handover")
    stage = context["stage"]
    handover = stage.handover
    context |= {
        "form": form,
        "handover": handover,
        "handed_at": context["clock"].maybe(handover.handed_at if handover else None),
        "work": _work(stage.orders),
        "open": form.is_bound or (not context["waiting"] and handover is None),
    }
    return render(request, "quality/handover.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page("quality.handover")
def handover(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The workshop hands the car and its keys over to the advisor and explains the work and recommendations."""
    visit = visit_of(request, visit_id)
    if request.method == "GET":
        advice = "\n".join(_advice(live_orders(visit), "repair_advice"))[:EXPLANATION_MAX]
        form = HandoverForm(initial={"keys": visit.key_tag, "explanation": advice})
        return _handover_page(request, visit, form)
    bound = HandoverForm(request.POST)
    return _act(
        request,
        bound,
        lambda: handover_record(actor=request_user(request), visit_id=visit.pk, data=bound.data_in()),
        _("The car and its keys are handed over to the advisor."),
        "quality:desk",
        lambda form, status: _handover_page(request, visit_of(request, visit.pk), bound, status=status),
    )


# --- the advisor's check before delivery ------------------------------------------------------------------


def _check_page(request: HttpRequest, visit: Visit, form: ReadyForm, *, status: int = 200) -> HttpResponse:
    context = _base(request, visit, "check")
    stage = context["stage"]
    handover = stage.handover
    checked = handover is not None and handover.checked_at is not None
    context |= {
        "form": form,
        "handover": handover,
        "checked": checked,
        "checked_at": context["clock"].maybe(handover.checked_at if checked and handover else None),
        "open": form.is_bound or (not context["waiting"] and not checked),
    }
    return render(request, "quality/check.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page("quality.deliver")
def check(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The advisor goes through every line and the car; the orders become ready and the customer is told."""
    visit = visit_of(request, visit_id)
    lines = agreed_lines(live_orders(visit))
    if request.method == "GET":
        return _check_page(request, visit, ReadyForm(lines=lines))
    form = ReadyForm(request.POST, lines=lines)
    return _act(
        request,
        form,
        lambda: ready_check(actor=request_user(request), visit_id=visit.pk, data=form.data_in()),
        _("The car is ready for pick-up; the customer is told."),
        "quality:delivery",
        lambda bound, status: _check_page(request, visit_of(request, visit.pk), form, status=status),
        visit_id=visit.pk,
    )


# --- the customer's arrival and the delivery -----------------------------------------------------------


def _delivery_form(request: HttpRequest, visit: Visit, orders: list[RepairOrder], *, bound: bool) -> DeliveryForm:
    checks = [str(check) for check in quality_settings(visit.store_id).delivery_checks]
    if bound:
        return DeliveryForm(request.POST, orders=orders, checks=checks)
    advice = "；".join(_advice(orders, "driving_advice"))[:TEXT_MAX]
    initial = {
        "mileage_out": visit.mileage_in,
        "collector": Delivery.Collector.CUSTOMER,
        "collector_name": visit.contact_name,
        "driving_advice": advice,
    }
    return DeliveryForm(initial=initial, orders=orders, checks=checks)


def _delivery_page(
    request: HttpRequest,
    visit: Visit,
    *,
    form: DeliveryForm | None = None,
    arrived_form: StyledForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _base(request, visit, "deliver")
    stage, clock = context["stage"], context["clock"]
    handover = stage.handover
    delivery = delivery_of(visit)
    orders = stage.orders
    form = form or _delivery_form(request, visit, orders, bound=False)
    context |= {
        "form": form,
        "arrived_form": arrived_form or StyledForm(),
        "handover": handover,
        "arrived": clock.maybe(handover.customer_arrived_at if handover else None),
        "delivery": delivery,
        "work": _work(orders),
        "open": delivery is None and (form.is_bound or not context["waiting"]),
    }
    if delivery is not None:
        outcomes = dict(OldPartsOutcome.objects.filter(delivery=delivery).values_list("order_id", "outcome"))
        context |= {
            "waiting": "",
            "delivered_at": clock(delivery.delivered_at),
            "arrived": clock(delivery.arrived_at),
            "old_parts": [
                (order, RepairOrder.OldParts(outcomes[order.pk]).label if order.pk in outcomes else "—")
                for order in orders
            ],
            "guarantees": list(
                Guarantee.objects.filter(order__visit=visit)
                .select_related("order", "line")
                .order_by("order_id", "line__position")
            ),
        }
    return render(request, "quality/delivery.html", context, status=status)


@require_POST
@page("quality.deliver")
def arrived(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The customer came to collect the car: the waiting time at pick-up starts."""
    visit = visit_of(request, visit_id)
    form = StyledForm(request.POST)
    if form.is_valid():
        try:
            pickup_arrived(actor=request_user(request), visit_id=visit.pk)
        except ApplicationError as error:
            status = refusal_status(form, error)
            return _delivery_page(request, visit, arrived_form=form, status=status)
    return redirect("quality:delivery", visit_id=visit.pk)


@require_http_methods(["GET", "POST"])
@page("quality.deliver")
def delivery(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The delivery sheet before the car leaves; the delivery, its guarantees and documents after."""
    visit = visit_of(request, visit_id)
    if request.method == "GET":
        return _delivery_page(request, visit)
    orders = live_orders(visit)
    form = _delivery_form(request, visit, orders, bound=True)
    return _act(
        request,
        form,
        lambda: delivery_record(actor=request_user(request), visit_id=visit.pk, data=form.data_in()),
        _("The car is delivered; its repair guarantees run from today."),
        "quality:delivery",
        lambda bound, status: _delivery_page(request, visit_of(request, visit.pk), form=form, status=status),
        visit_id=visit.pk,
    )
