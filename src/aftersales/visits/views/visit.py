"""A visit's page: the car on site, what reception has recorded, its orders, open campaigns and declined
work, and what may be done next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.appointments.forms import in_store_zone
from aftersales.campaigns.selectors import vehicle_open_campaigns
from aftersales.core import identifiers
from aftersales.core.calendar import store_calendar, store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import form_run
from aftersales.core.routing import can_here, page, request_user
from aftersales.visits import documents, selectors, services
from aftersales.visits.forms import ReasonForm, VisitEditForm
from aftersales.visits.models import Recommendation, RepairOrder, Visit
from aftersales.visits.views.base import WallClock, visit_of

EVENT_LABELS = {
    "open": pgettext_lazy("visit event", "Received"),
    "update": gettext_lazy("Changed"),
    "walk_around": gettext_lazy("Walk-around recorded"),
    "walk_around_done": gettext_lazy("Walk-around signed"),
    "diagnosis": gettext_lazy("Diagnosis recorded"),
    "recommend": gettext_lazy("Work recommended"),
    "order": gettext_lazy("Repair order signed"),
    "leave": gettext_lazy("Left without an order"),
}


# What later areas show beside a visit (quality: the car's open repair guarantees and its way to delivery):
# each renders a piece of the page for the reader, or "" when it has nothing to show.
VISIT_PANELS: list[Callable[[HttpRequest, Visit], SafeString | str]] = []


def _context(request: HttpRequest, visit: Visit, **forms: Any) -> dict[str, Any]:
    clock = WallClock(visit.store)
    orders = list(RepairOrder.all_objects.filter(visit=visit).order_by("pk"))
    walk = getattr(visit, "walk_around", None)
    diagnosis = getattr(visit, "diagnosis", None)
    open_orders = [o for o in orders if o.state in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK)]
    stage = selectors.visit_stage(
        visit,
        orders,
        walked=walk is not None and walk.completed_at is not None,
        diagnosed=diagnosis is not None and diagnosis.diagnosed_at is not None,
        waiting=False,
    )
    return {
        "visit": visit,
        "stage": stage,
        "arrived": clock(visit.arrived_at),
        "promised": clock.maybe(visit.promised_at),
        "orders": orders,
        "open_order": open_orders[0] if open_orders else None,
        "walk": walk,
        "diagnosis": diagnosis,
        "codes": list(diagnosis.codes.all()) if diagnosis else [],
        "recommendations": list(Recommendation.objects.filter(visit=visit, line=None).select_related("operation")),
        "campaigns": vehicle_open_campaigns(
            group_id=visit.store.group_id, vehicle=visit.vehicle, day=store_today(visit.store)
        ),
        "declined": selectors.declined_work(visit.vehicle_id),
        "panels": [panel(request, visit) for panel in VISIT_PANELS],
        "history": selectors.vehicle_history(visit.vehicle_id, exclude_visit=visit.pk),
        "events": [
            (event, clock(event.at), EVENT_LABELS.get(event.action, event.action))
            for event in visit.events.select_related("actor")
        ],
        "on_site": visit.state == Visit.State.ON_SITE,
        "may_receive": can_here(request, "visits.receive"),
        "edit_form": forms.get("edit_form")
        or VisitEditForm(
            initial={
                "parking_spot": visit.parking_spot,
                "key_tag": visit.key_tag,
                "address_as": visit.address_as,
                "contact_mobile": visit.contact_mobile,
                "waiting": visit.waiting,
                "lounge_notes": visit.lounge_notes,
                "promised_at": clock.maybe(visit.promised_at),
            }
        ),
        "leave_form": forms.get("leave_form") or ReasonForm(),
        "mobile": visit.contact_mobile
        if can_here(request, "customers.view_personal")
        else identifiers.mask_mobile(visit.contact_mobile),
    }


@require_GET
@page("visits.view")
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    return render(request, "visits/visit.html", _context(request, visit_of(request, visit_id)))


@require_POST
@page("visits.receive")
def visit_edit(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = visit_of(request, visit_id)
    form = VisitEditForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        verified = data.pop("contact_verified")
        if data["promised_at"] is not None:
            data["promised_at"] = in_store_zone(data["promised_at"], store_calendar(visit.store).zone)
        try:
            saved, _result = form_run(
                form,
                lambda: services.visit_update(
                    actor=request_user(request), visit_id=visit.pk, changes=data, contact_verified=verified
                ),
            )
        except ApplicationError as error:
            messages.error(request, error.detail)
            return render(request, "visits/visit.html", _context(request, visit, edit_form=form), status=error.status)
        if saved:
            messages.success(request, _("Saved."))
            return redirect("visits:visit", visit_id=visit.pk)
    return render(request, "visits/visit.html", _context(request, visit, edit_form=form), status=422)


@require_http_methods(["POST"])
@page("visits.receive")
def visit_leave(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = visit_of(request, visit_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            saved, _result = form_run(
                form,
                lambda: services.visit_leave(
                    actor=request_user(request), visit_id=visit.pk, reason=form.cleaned_data["reason"]
                ),
            )
        except ApplicationError as error:
            messages.error(request, error.detail)
            return render(request, "visits/visit.html", _context(request, visit, leave_form=form), status=error.status)
        if saved:
            messages.success(request, _("The car has left."))
            return redirect("visits:visit", visit_id=visit.pk)
    return render(request, "visits/visit.html", _context(request, visit, leave_form=form), status=422)


@require_GET
@page("visits.view")
def inspection_pdf(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The inspection report (检查报告): walk-around and diagnosis, for the customer to keep."""
    visit = visit_of(request, visit_id)
    user = request_user(request)
    return documents.pdf_response(
        documents.inspection_report_pdf(visit, printed_by=user.full_name or user.username),
        f"{visit.number}-inspection.pdf",
    )
