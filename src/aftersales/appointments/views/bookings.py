"""Pages of a store's bookings: the day's list, a new booking (the CRM agent on the phone, the front desk
for a walk-in) with its free-times and customer-search partials."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.appointments import selectors, services
from aftersales.appointments.forms import (
    BookingForm,
    DayFilterForm,
    FindForm,
    OffersForm,
    SlotsForm,
    at_store,
    in_store_zone,
)
from aftersales.appointments.models import Appointment
from aftersales.appointments.offers import offers_for
from aftersales.appointments.views.base import WallClock, appointment_of, day_links
from aftersales.core.calendar import store_calendar, store_today
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.forms import form_run
from aftersales.core.identifiers import compact
from aftersales.core.routing import acting_store, can_here, page, page_store, request_user
from aftersales.customers.models import Vehicle
from aftersales.customers.selectors import vehicle_access

STATE_STYLES: dict[str, str] = {
    Appointment.State.BOOKED: "primary",
    Appointment.State.ARRIVED: "success",
    Appointment.State.CANCELLED: "secondary",
    Appointment.State.NO_SHOW: "danger",
}


@require_http_methods(["GET"])
@page("appointments.view")
def appointment_list(request: HttpRequest) -> HttpResponse:
    """The store's bookings of one day, filtered by state and advisor, with the day's count per state."""
    store = page_store(request)
    day, state, advisor, status = store_today(store), "", None, 200
    form = DayFilterForm(request.GET or None, advisors=selectors.store_advisors(store), initial={"day": day})
    if form.is_bound:
        if form.is_valid():
            day = form.cleaned_data["day"] or day
            state, advisor = form.cleaned_data["state"], form.cleaned_data["advisor"]
        else:
            status = 400
    rows = selectors.appointments_between(store, day, day)
    if state:
        rows = rows.filter(state=state)
    if advisor is not None:
        rows = rows.filter(advisor_id=advisor)
    clock = WallClock(store)
    counts = selectors.state_counts(store, day)
    return render(
        request,
        "appointments/list.html",
        {
            "form": form,
            "day": day,
            "days": day_links(day),
            "keep": "&" + urlencode({"state": state, "advisor": advisor or ""}),
            "rows": [(row, clock(row.starts_at), STATE_STYLES[row.state]) for row in rows] if status == 200 else [],
            "counts": [
                (value, label, counts[value], STATE_STYLES[value]) for value, label in Appointment.State.choices
            ],
            "state": state,
            "can_book": can_here(request, "appointments.book"),
        },
        status=status,
    )


def _booking_form(request: HttpRequest, data: Any = None, initial: dict[str, Any] | None = None) -> BookingForm:
    store = page_store(request)
    packages, operations = selectors.service_choices(store)
    return BookingForm(
        data,
        initial=initial,
        packages=packages,
        operations=operations,
        advisors=selectors.store_advisors(store),
        may_overbook=can_here(request, "appointments.overbook"),
    )


def _booking_in(form: BookingForm, zone: Any) -> services.BookingIn:
    data = form.cleaned_data
    return services.BookingIn(
        starts_at=at_store(data["day"], data["time"], zone),
        services=list(data["services"]),
        channel=data["channel"],
        customer_id=data["customer"],
        vehicle_id=data["vehicle"],
        contact_name=data["contact_name"],
        contact_mobile=data["contact_mobile"],
        plate_text=data["plate_text"],
        model_text=data["model_text"],
        wish_at=at_store(data["day"], data["wish"], zone) if data["wish"] else None,
        description=data["description"],
        call_at=in_store_zone(data["call_at"], zone) if data["call_at"] else None,
        documents=data["documents"],
        advisor_id=data["advisor"],
        override_reason=data.get("override_reason") or "",
    )


@require_http_methods(["GET", "POST"])
@page("appointments.book")
def appointment_new(request: HttpRequest) -> HttpResponse:
    """Book: find the customer and car (or type them), pick the services, take one of the free times."""
    store = page_store(request)
    settings = selectors.booking_settings_of(store)
    calendar = store_calendar(store)
    offered: list[str] = []
    status = 200
    if request.method == "POST":
        acting_store(request, permission="appointments.book")
        form = _booking_form(request, request.POST)
        status = 400
        if form.is_valid():
            booking = _booking_in(form, calendar.zone)
            try:
                saved, appointment = form_run(
                    form,
                    lambda: services.appointment_book(actor=request_user(request), store_id=store.pk, data=booking),
                )
            except ConflictError as error:
                form.add_service_errors(error)
                offered, status = list(error.extra.get("offered", [])), error.status
            else:
                if saved:
                    local = calendar.local(appointment.starts_at)
                    messages.success(
                        request,
                        _("Booking %(number)s for %(time)s is recorded.")
                        % {"number": appointment.number, "time": f"{local:%Y-%m-%d %H:%M}"},
                    )
                    return redirect("appointments:detail", appointment_id=appointment.pk)
    else:
        # The front desk books a customer standing there (``?channel=walk_in``); else a call is taken now.
        walk_in = request.GET.get("channel") == Appointment.Channel.WALK_IN
        now = calendar.local(timezone.now()).replace(second=0, microsecond=0, tzinfo=None)
        form = _booking_form(
            request,
            initial={
                "day": store_today(store),
                "channel": Appointment.Channel.WALK_IN if walk_in else Appointment.Channel.PHONE,
                "documents": settings.documents_default,
                "call_at": None if walk_in else now,
            },
        )
    return render(
        request,
        "appointments/new.html",
        {"form": form, "script": settings.booking_script, "offered": offered, "settings": settings},
        status=status,
    )


@require_http_methods(["GET"])
@page("appointments.book")
def slots(request: HttpRequest) -> HttpResponse:
    """The free arrival times for the services and day chosen so far: the two offered first (nearest the
    customer's wish), then every one (an HTMX partial of the booking and the move forms)."""
    store = page_store(request)
    packages, operations = selectors.service_choices(store)
    form = SlotsForm(request.GET, choices=[*packages, *operations])
    context: dict[str, Any] = {"form": form, "times": None, "problems": []}
    if not form.is_valid():
        context["problems"] = [error for errors in form.errors.values() for error in errors]
        return render(request, "appointments/_slots.html", context, status=400)
    data = form.cleaned_data
    moving = appointment_of(request, data["appointment"]) if data["appointment"] else None
    if data["day"] is None or (not data["services"] and moving is None):
        return render(request, "appointments/_slots.html", context)
    vehicle: Vehicle | None = None
    if data["vehicle"] is not None:
        try:
            vehicle = vehicle_access(actor=request_user(request), vehicle_id=data["vehicle"])
        except ApplicationError:
            vehicle = None  # the booking itself names the problem; the times are the catalogue's
    zone = store_calendar(store).zone
    try:
        context["times"] = selectors.free_times(
            store,
            data["day"],
            list(data["services"]),
            wish=at_store(data["day"], wish, zone) if (wish := data["wish"] or data["time"]) else None,
            advisor_id=data["advisor"],
            excluding=moving,
            vehicle=vehicle,
            now=timezone.now(),
            walk_in=data["channel"] == Appointment.Channel.WALK_IN,
        )
    except ApplicationError as error:
        context["problems"] = [error.detail]
        return render(request, "appointments/_slots.html", context, status=400)
    context["chosen"] = f"{data['time']:%H:%M}" if data["time"] else ""
    return render(request, "appointments/_slots.html", context)


@require_http_methods(["GET"])
@page("appointments.book")
def party_find(request: HttpRequest) -> HttpResponse:
    """The customers and cars matching what is typed into the booking form's search box (an HTMX
    partial): each a button that fills the booking's customer, car and contact."""
    form = FindForm(request.GET)
    if not form.is_valid():
        problems = [error for errors in form.errors.values() for error in errors]
        return render(request, "appointments/_parties.html", {"form": form, "problems": problems}, status=400)
    typed = form.cleaned_data["find"]
    parties = (
        selectors.booking_parties(typed, personal=can_here(request, "customers.view_personal"))
        if compact(typed) and can_here(request, "customers.view")
        else []
    )
    return render(request, "appointments/_parties.html", {"form": form, "parties": parties, "typed": typed})


@require_http_methods(["GET"])
@page("appointments.book")
def offers(request: HttpRequest) -> HttpResponse:
    """The work the other areas offer for the car chosen (an open recall or campaign), each with a button
    that ticks its service on the booking form (an HTMX partial)."""
    form = OffersForm(request.GET)
    if not form.is_valid():
        problems = [error for errors in form.errors.values() for error in errors]
        return render(request, "appointments/_offers.html", {"problems": problems}, status=400)
    store = page_store(request)
    vehicle: Vehicle | None = None
    if form.cleaned_data["vehicle"] is not None:
        try:
            vehicle = vehicle_access(actor=request_user(request), vehicle_id=form.cleaned_data["vehicle"])
        except ApplicationError as error:
            return render(request, "appointments/_offers.html", {"problems": [error.detail]}, status=error.status)
    found = offers_for(store, day=store_today(store), vehicle=vehicle) if vehicle is not None else []
    return render(request, "appointments/_offers.html", {"offers": found})
