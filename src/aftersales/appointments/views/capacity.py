"""What the store's booking capacity is counted from (``appointments.capacity``): its technicians with
their efficiency and weekly shifts, their leave, the booking settings, and a day's capacity summary."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.appointments import selectors, services
from aftersales.appointments.forms import (
    WEEKDAYS,
    BookingSettingsForm,
    DayForm,
    LeaveForm,
    TechnicianForm,
    in_store_zone,
)
from aftersales.appointments.models import Leave, Technician
from aftersales.appointments.views.base import WallClock, day_links
from aftersales.core.calendar import store_calendar, store_today
from aftersales.core.forms import form_run
from aftersales.core.routing import page, page_store, request_user


def week_text(shifts: list[str]) -> list[str]:
    """Monday-to-Sunday shifts as runs of days with the same hours: "Mon–Sat 08:30–17:30", "Sun 09:00–16:00"."""
    runs: list[tuple[int, int, str]] = []
    for day, hours in enumerate(shifts):
        if hours and runs and runs[-1][2] == hours and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day, hours)
        elif hours:
            runs.append((day, day, hours))
    return [
        f"{WEEKDAYS[first]}{'–' + str(WEEKDAYS[last]) if last > first else ''} {hours}" for first, last, hours in runs
    ]


def _active(technicians: list[selectors.TechnicianRow]) -> list[tuple[int, str]]:
    return [(row.technician.pk, row.name) for row in technicians if row.technician.is_active]


def _capacity(request: HttpRequest, *, status: int = 200, **forms: Any) -> HttpResponse:
    store = page_store(request)
    clock = WallClock(store)
    today = store_today(store)
    day_form = DayForm(request.GET or None, initial={"day": today})
    day = today
    if day_form.is_bound:
        if day_form.is_valid():
            day = day_form.cleaned_data["day"] or today
        else:
            status = 400
    technicians = selectors.technician_rows(store, today)
    settings = selectors.booking_settings_of(store)
    summary = None if day_form.errors else selectors.capacity_summary(store, day)
    on_the_day = {line.technician_id: line for line in summary.technicians} if summary else {}
    return render(
        request,
        "appointments/capacity.html",
        {
            "day_form": day_form,
            "day": day,
            "days": day_links(day),
            "summary": summary,
            "technicians": [(row, week_text(row.shifts), on_the_day.get(row.technician.pk)) for row in technicians],
            "leave": [
                (leave, clock(leave.starts_at), clock(leave.ends_at))
                for leave in selectors.leave_upcoming(store, timezone.now())
            ],
            "leave_form": forms.get("leave_form") or LeaveForm(technicians=_active(technicians)),
            "settings_form": forms.get("settings_form") or BookingSettingsForm.of(settings),
        },
        status=status,
    )


@require_http_methods(["GET"])
@page("appointments.capacity")
def capacity(request: HttpRequest) -> HttpResponse:
    return _capacity(request)


@require_http_methods(["GET", "POST"])
@page("appointments.capacity")
def technician_edit(request: HttpRequest, technician_id: int | None = None) -> HttpResponse:
    """Record a staff member as a technician, or change one's efficiency and weekly shifts."""
    store = page_store(request)
    technician = None
    if technician_id is not None:
        technician = Technician.objects.filter(pk=technician_id, store=store).select_related("user").first()
        if technician is None:
            raise Http404
    staff = None if technician is not None else selectors.store_staff(store)
    if request.method == "POST":
        form = TechnicianForm(request.POST, staff=staff)
        if form.is_valid():
            data = form.cleaned_data
            saved, _result = form_run(
                form,
                lambda: services.technician_save(
                    actor=request_user(request),
                    store_id=store.pk,
                    user_id=technician.user_id if technician is not None else data["user"],
                    efficiency=data["efficiency"],
                    shifts=dict(form.shifts()),
                    is_active=data["is_active"],
                ),
            )
            if saved:
                messages.success(request, _("The technician's shifts are saved."))
                return redirect("appointments:capacity")
        status = 400
    else:
        initial: dict[str, Any] = {"efficiency": "1.00", "is_active": True}
        if technician is not None:
            initial = {"efficiency": technician.efficiency, "is_active": technician.is_active}
            for shift in technician.shifts.all():
                initial[f"from_{shift.weekday}"] = shift.starts
                initial[f"until_{shift.weekday}"] = shift.ends
        form = TechnicianForm(initial=initial, staff=staff)
        status = 200
    return render(
        request,
        "appointments/technician.html",
        {"form": form, "technician": technician},
        status=status,
    )


@require_http_methods(["POST"])
@page("appointments.capacity")
def leave_add(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    form = LeaveForm(request.POST, technicians=_active(selectors.technician_rows(store, store_today(store))))
    if form.is_valid():
        data = form.cleaned_data
        zone = store_calendar(store).zone
        saved, _result = form_run(
            form,
            lambda: services.leave_add(
                actor=request_user(request),
                technician_id=data["technician"],
                starts_at=in_store_zone(data["starts_at"], zone),
                ends_at=in_store_zone(data["ends_at"], zone),
                reason=data["reason"],
            ),
        )
        if saved:
            messages.success(request, _("The leave is recorded."))
            return redirect("appointments:capacity")
    return _capacity(request, status=400, leave_form=form)


@require_http_methods(["POST"])
@page("appointments.capacity")
def leave_remove(request: HttpRequest, leave_id: int) -> HttpResponse:
    if not Leave.objects.filter(pk=leave_id, technician__store=page_store(request)).exists():
        raise Http404
    services.leave_remove(actor=request_user(request), leave_id=leave_id)
    messages.success(request, _("The leave is removed."))
    return redirect("appointments:capacity")


@require_http_methods(["POST"])
@page("appointments.capacity")
def settings_save(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    form = BookingSettingsForm(request.POST)
    if form.is_valid():
        saved, _result = form_run(
            form,
            lambda: services.booking_settings_save(
                actor=request_user(request), store_id=store.pk, data=dict(form.cleaned_data)
            ),
        )
        if saved:
            messages.success(request, _("The booking settings are saved."))
            return redirect("appointments:capacity")
    return _capacity(request, status=400, settings_form=form)
