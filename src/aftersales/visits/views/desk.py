"""The reception desk (RCP-1): today's bookings to receive, the cars on site and how far each has got,
and receiving a car, from a booking or as a walk-in, against the archive."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from aftersales.appointments.forms import in_store_zone
from aftersales.appointments.models import Appointment
from aftersales.appointments.selectors import booking_parties
from aftersales.campaigns.selectors import vehicle_open_campaigns
from aftersales.core.calendar import store_calendar, store_today
from aftersales.core.forms import form_run
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.customers.models import Customer, Vehicle
from aftersales.customers.selectors import customer_personal
from aftersales.customers.services import mobiles_of
from aftersales.visits import selectors, services
from aftersales.visits.forms import FindForm, VisitForm
from aftersales.visits.services.visits import last_reading, vehicle_is_customers
from aftersales.visits.views.base import WallClock

FIND_MIN = 2


@require_GET
@page("visits.view")
def desk(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    clock = WallClock(store)
    arrivals = [(row, clock(row.starts_at)) for row in selectors.arrivals_to_receive(store, store_today(store))]
    on_site = [
        (row, clock(row.visit.arrived_at), clock.maybe(row.visit.promised_at))
        for row in selectors.visits_on_site(store)
    ]
    return render(
        request,
        "visits/desk.html",
        {
            "arrivals": arrivals,
            "on_site": on_site,
            "may_receive": can_here(request, "visits.receive"),
            "q": request.GET.get("q", "")[:40],
        },
    )


@require_GET
@page("visits.receive")
def vehicle_find(request: HttpRequest) -> HttpResponse:
    """Cars of the archive matching a plate, VIN, mobile or name (an HTMX partial of the desk)."""
    form = FindForm(request.GET)
    if not form.is_valid():
        return render(request, "visits/_find.html", {"form": form, "parties": [], "q": ""}, status=400)
    q = form.cleaned_data["q"].strip()
    personal = can_here(request, "customers.view_personal")
    parties = [p for p in booking_parties(q, personal=personal) if p.vehicle_id] if len(q) >= FIND_MIN else []
    return render(request, "visits/_find.html", {"form": form, "parties": parties, "q": q})


def _archive(
    request: HttpRequest, customer_id: int | None, vehicle_id: int | None
) -> tuple[Customer | None, Vehicle | None]:
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    vehicle = Vehicle.objects.select_related("model__brand").filter(pk=vehicle_id).first() if vehicle_id else None
    return customer, vehicle


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@require_http_methods(["GET", "POST"])
@page("visits.receive")
def receive(request: HttpRequest) -> HttpResponse:
    """Open the visit of a car: its archive (the booking's typed plate and model shown beside the
    archive's), how to address the customer, history, open campaigns, declined work, mileage and the rest."""
    store = page_store(request)
    calendar = store_calendar(store)
    source = request.POST if request.method == "POST" else request.GET
    appointment = (
        Appointment.all_objects.select_related("customer", "vehicle")
        .filter(pk=_int(source.get("appointment")) or 0, store=store)
        .first()
    )
    customer_id = _int(source.get("customer")) or (appointment.customer_id if appointment else None)
    vehicle_id = _int(source.get("vehicle")) or (appointment.vehicle_id if appointment else None)
    customer, vehicle = _archive(request, customer_id, vehicle_id)
    status = 200
    if request.method == "POST":
        form = VisitForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            promised = data["promised_at"]
            saved, visit = form_run(
                form,
                lambda: services.visit_open(
                    actor=request_user(request),
                    data=services.VisitIn(
                        store_id=store.pk,
                        appointment_id=data["appointment"],
                        customer_id=data["customer"],
                        vehicle_id=data["vehicle"],
                        mileage_in=data["mileage_in"],
                        mileage_reason=data["mileage_reason"],
                        fuel_level=data["fuel_level"],
                        contact_name=data["contact_name"],
                        contact_mobile=data["contact_mobile"],
                        contact_verified=data["contact_verified"],
                        address_as=data["address_as"],
                        parking_spot=data["parking_spot"],
                        key_tag=data["key_tag"],
                        waiting=data["waiting"],
                        lounge_notes=data["lounge_notes"],
                        needs=data["needs"],
                        promised_at=in_store_zone(promised, calendar.zone) if promised else None,
                    ),
                ),
            )
            if saved:
                return redirect("visits:visit", visit_id=visit.pk)
            status = 422
    else:
        mobile = appointment.contact_mobile if appointment and appointment.contact_mobile else ""
        if not mobile and customer is not None:
            mobile = (mobiles_of(customer)[:1] or [""])[0]
        form = VisitForm(
            initial={
                "appointment": appointment.pk if appointment else None,
                "customer": customer.pk if customer else None,
                "vehicle": vehicle.pk if vehicle else None,
                "contact_name": (appointment.contact_name if appointment else "")
                or (customer.name if customer else ""),
                "contact_mobile": mobile,
                "needs": appointment.description if appointment else "",
                "mileage_in": appointment.mileage if appointment and appointment.mileage else None,
            }
        )
    return render(
        request, "visits/receive.html", _receive_context(request, form, appointment, customer, vehicle), status=status
    )


def _receive_context(
    request: HttpRequest,
    form: VisitForm,
    appointment: Appointment | None,
    customer: Customer | None,
    vehicle: Vehicle | None,
) -> dict[str, Any]:
    store = page_store(request)
    personal = can_here(request, "customers.view_personal")
    reading = last_reading(vehicle) if vehicle is not None else None
    parties = []
    if appointment is not None and vehicle is None:  # the booking's typed plate, matched against the archive
        typed = appointment.plate_text or appointment.vin_text or appointment.contact_mobile
        parties = [p for p in booking_parties(typed, personal=personal) if p.vehicle_id] if typed else []
    return {
        "form": form,
        "appointment": appointment,
        "customer": customer,
        "vehicle": vehicle,
        "mobiles": customer_personal(customer, personal=personal)["mobiles"] if customer else [],
        "not_theirs": bool(customer and vehicle and not vehicle_is_customers(vehicle, customer.pk)),
        "reading": reading,
        "parties": parties,
        "history": selectors.vehicle_history(vehicle.pk) if vehicle else [],
        "campaigns": vehicle_open_campaigns(group_id=store.group_id, vehicle=vehicle, day=store_today(store))
        if vehicle
        else [],
        "declined": selectors.declined_work(vehicle.pk) if vehicle else [],
        "settings": selectors.reception_settings(store),
        "now": WallClock(store)(timezone.now()),
    }
