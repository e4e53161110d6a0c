"""The page of one appointment, with what may be done to it now: move it, cancel it, check the customer in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.appointments import selectors, services
from aftersales.appointments.forms import CancelForm, RescheduleForm, at_store
from aftersales.appointments.models import Appointment
from aftersales.appointments.transitions import ACTION_LABELS, APPOINTMENT
from aftersales.appointments.views.base import WallClock, appointment_of
from aftersales.appointments.views.bookings import STATE_STYLES
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.forms import form_run
from aftersales.core.routing import can_here, page, request_user
from aftersales.customers.selectors import customer_personal
from aftersales.messaging.selectors import message_shown

STATES = dict(Appointment.State.choices)


def _mobile(appointment: Appointment, *, personal: bool) -> str:
    """The number the booking is confirmed to: as given, else the customer's first (masked unless ``personal``)."""
    if appointment.contact_mobile:
        mask = Appointment.personal_masks["contact_mobile"]
        return appointment.contact_mobile if personal else mask(appointment.contact_mobile)
    if appointment.customer is not None:
        return next(iter(customer_personal(appointment.customer, personal=personal)["mobiles"]), "")
    return ""


def _detail(request: HttpRequest, appointment: Appointment, *, status: int = 200, **forms: Any) -> HttpResponse:
    clock = WallClock(appointment.store)
    personal = can_here(request, "customers.view_personal")
    user = request_user(request)
    sent = selectors.appointment_messages(appointment.pk)
    return render(
        request,
        "appointments/detail.html",
        {
            "appointment": appointment,
            "starts": clock(appointment.starts_at),
            "ends": clock(appointment.ends_at),
            "wish": clock.maybe(appointment.wish_at),
            "call": clock.maybe(appointment.call_at),
            "consent_at": clock.maybe(appointment.marketing_consent_at),
            "mobile": _mobile(appointment, personal=personal),
            "plate": (appointment.vehicle.plate if appointment.vehicle else "") or appointment.plate_text,
            "style": STATE_STYLES[appointment.state],
            "services": [(row, clock(row.starts_at), clock(row.ends_at)) for row in appointment.services.all()],
            "events": [
                (
                    event,
                    clock(event.at),
                    ACTION_LABELS.get(event.action, event.action),
                    STATES.get(event.to_state, event.to_state),
                )
                for event in appointment.events.all()
            ],
            # Each address masked by its kind (an e-mail hidden, a mobile's middle digits), as the outbox shows it.
            "sent": [
                (message, clock(message.created_at), message_shown(message, personal=personal)[0]) for message in sent
            ],
            "actions": APPOINTMENT.actions(appointment, user),
            "may_move": appointment.state == Appointment.State.BOOKED and can_here(request, "appointments.book"),
            "cancel_form": forms.get("cancel_form") or CancelForm(),
        },
        status=status,
    )


@require_http_methods(["GET"])
@page("appointments.view")
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _detail(request, appointment_of(request, appointment_id))


@require_http_methods(["POST"])
@page("appointments.book")
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Cancel with a reason (the customer is told; pre-picked parts go back to stock)."""
    appointment = appointment_of(request, appointment_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            saved, _result = form_run(
                form,
                lambda: services.appointment_cancel(
                    actor=request_user(request), appointment_id=appointment.pk, reason=form.cleaned_data["reason"]
                ),
            )
        except ConflictError as error:
            messages.error(request, error.detail)
            return _detail(request, appointment_of(request, appointment_id), status=error.status, cancel_form=form)
        if saved:
            messages.success(request, _("Booking %(number)s is cancelled.") % {"number": appointment.number})
            return redirect("appointments:detail", appointment_id=appointment.pk)
    return _detail(request, appointment, status=400, cancel_form=form)


@require_http_methods(["POST"])
@page("appointments.book")
def appointment_check_in(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The customer is here: a booking, or one marked no-show and come late."""
    appointment = appointment_of(request, appointment_id)
    try:
        services.appointment_check_in(actor=request_user(request), appointment_id=appointment.pk)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return _detail(request, appointment_of(request, appointment_id), status=error.status)
    messages.success(request, _("%(name)s has arrived.") % {"name": appointment.contact_name})
    return redirect("appointments:detail", appointment_id=appointment.pk)


@require_http_methods(["GET", "POST"])
@page("appointments.book")
def appointment_reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Move a booking to another time (with a reason), with the free times of its services shown."""
    appointment = appointment_of(request, appointment_id)
    calendar = store_calendar(appointment.store)
    starts = calendar.local(appointment.starts_at)
    advisors = selectors.store_advisors(appointment.store)
    may_overbook = can_here(request, "appointments.overbook")
    offered: list[str] = []
    status = 200
    if request.method == "POST":
        form = RescheduleForm(request.POST, advisors=advisors, may_overbook=may_overbook)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved, _result = form_run(
                    form,
                    lambda: services.appointment_reschedule(
                        actor=request_user(request),
                        appointment_id=appointment.pk,
                        starts_at=at_store(data["day"], data["time"], calendar.zone),
                        reason=data["reason"],
                        advisor_id=data["advisor"],
                        override_reason=data.get("override_reason") or "",
                    ),
                )
            except ConflictError as error:
                form.add_service_errors(error)
                offered, status = list(error.extra.get("offered", [])), error.status
            else:
                if saved:
                    messages.success(request, _("Booking %(number)s is moved.") % {"number": appointment.number})
                    return redirect("appointments:detail", appointment_id=appointment.pk)
    else:
        form = RescheduleForm(
            initial={"day": starts.date(), "time": starts.time()}, advisors=advisors, may_overbook=may_overbook
        )
    return render(
        request,
        "appointments/reschedule.html",
        {
            "appointment": appointment,
            "starts": starts.replace(tzinfo=None),
            "form": form,
            "offered": offered,
            "movable": appointment.state == Appointment.State.BOOKED,
        },
        status=status,
    )
