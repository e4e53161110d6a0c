"""The parts desk's pre-pick list of a day's bookings (default tomorrow): reserve their package parts,
mark them staged, raise an urgent order for what is short, print the staging label."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.appointments import documents, selectors, services
from aftersales.appointments.forms import DayForm
from aftersales.appointments.models import Appointment
from aftersales.appointments.services.prepick import PartNeed
from aftersales.appointments.views.base import WallClock, appointment_of, day_links
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.parts.services import qty_text

PARTS_STYLES: dict[str, str] = {
    Appointment.PartsStatus.TO_PICK: "warning",
    Appointment.PartsStatus.RESERVED: "info",
    Appointment.PartsStatus.SHORT: "danger",
    Appointment.PartsStatus.STAGED: "success",
}


def _parts(needs: list[PartNeed]) -> list[tuple[PartNeed, str, str, str]]:
    return [(need, qty_text(need.quantity), qty_text(need.reserved), qty_text(need.short)) for need in needs]


@require_http_methods(["GET"])
@page("appointments.prepick")
def prepick_list(request: HttpRequest) -> HttpResponse:
    """Each live booking of the day whose packages bring parts: the parts needed and reserved, its status
    and what the clerk can do next."""
    store = page_store(request)
    day, status = store_today(store) + timedelta(days=1), 200
    form = DayForm(request.GET or None, initial={"day": day})
    if form.is_bound:
        if form.is_valid():
            day = form.cleaned_data["day"] or day
        else:
            status = 400
    rows = list(selectors.prepick_list(store, day)) if status == 200 else []
    needed = services.parts_needed(rows)
    clock = WallClock(store)
    return render(
        request,
        "appointments/prepick.html",
        {
            "form": form,
            "day": day,
            "days": day_links(day),
            "rows": [
                (row, clock(row.starts_at), _parts(needed.get(row.pk, [])), PARTS_STYLES.get(row.parts_status, "light"))
                for row in rows
            ],
            "can_order": can_here(request, "purchasing.order"),
        },
        status=status,
    )


def _act(request: HttpRequest, appointment_id: int, action: Callable[..., Any], done: str) -> HttpResponse:
    """Do one of the parts desk's actions and go back to the list it was done from; a refusal is
    flashed there (the list shows the booking as it now is)."""
    appointment = appointment_of(request, appointment_id)
    shown = DayForm(request.GET)  # the day of the list it was done from (in the action's address)
    back = reverse("appointments:prepick")
    if shown.is_valid() and shown.cleaned_data["day"]:
        back += f"?day={shown.cleaned_data['day'].isoformat()}"
    try:
        action(actor=request_user(request), appointment_id=appointment.pk)
    except ApplicationError as error:
        messages.error(request, f"{appointment.number}: {error.detail}")
    else:
        messages.success(request, done % {"number": appointment.number})
    return redirect(back)


@require_http_methods(["POST"])
@page("appointments.prepick")
def prepick_reserve(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _act(request, appointment_id, services.appointment_prepick, _("Parts for %(number)s: reserved."))


@require_http_methods(["POST"])
@page("appointments.prepick")
def prepick_stage(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _act(request, appointment_id, services.appointment_stage, _("Parts for %(number)s: staged."))


@require_http_methods(["POST"])
@page("purchasing.order")
def prepick_order(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Draft urgent orders for what the booking still lacks: whoever writes the store's purchase orders."""
    return _act(request, appointment_id, services.appointment_parts_order, _("Urgent order for %(number)s: drafted."))


@require_http_methods(["GET"])
@page("appointments.prepick")
def staging_label(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The label on the staged parts: customer, arrival, number, plate and the parts (80 mm roll)."""
    appointment = appointment_of(request, appointment_id)
    user = request_user(request)
    return documents.staging_label_response(appointment, printed_by=user.full_name or user.username)
