"""Bookings: the store's list, one booking, booking (APT-3), moving, cancelling and checking in (APT-4)."""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.appointments import selectors, services
from aftersales.appointments.api.common import (
    BOOKING_ERRORS,
    STATE_ERRORS,
    AppointmentDetailOut,
    AppointmentOut,
    Channel,
    Day,
    Moment,
    State,
    advisor_of,
    appointment_detail_out,
    appointment_out,
    personal_for,
    vehicle_of,
)
from aftersales.appointments.offers import offers_for
from aftersales.core import inputs
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema, ListQuery, Page, paginate
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of

router = Router(tags=["appointments"])
ServiceRef = Annotated[str, Field(min_length=1, max_length=40, description="operation:<id> or package:<id>")]
MAX_LIST_DAYS = 92


class AppointmentQuery(ListQuery):
    store: StoreCode
    date_from: Day | None = Field(default=None, description="The store's first day; default: today.")
    date_to: Day | None = Field(default=None, description="The store's last day; default: date_from.")
    state: State | None = None
    advisor: str | None = Field(default=None, min_length=1, max_length=150, description="The advisor's username.")


@router.get("/appointments", response={200: Page[AppointmentOut], **ERRORS})
@operation("appointments.view")
def appointment_list(request: HttpRequest, query: Query[AppointmentQuery]) -> dict[str, Any]:
    """The store's appointments arriving from ``date_from`` to ``date_to`` (at most 92 days), in time order."""
    store = store_of(request, query.store, "appointments.view")
    first = query.date_from or store_today(store)
    last = query.date_to or first
    if last < first:
        raise ApplicationError(_("The last day must not be before the first."), field="date_to")
    if (last - first).days >= MAX_LIST_DAYS:
        raise ApplicationError(_("Ask for at most %(n)s days at once.") % {"n": MAX_LIST_DAYS}, field="date_to")
    rows = selectors.appointments_between(store, first, last)
    if query.state:
        rows = rows.filter(state=query.state)
    if query.advisor:
        rows = rows.filter(advisor__username=query.advisor)
    page = paginate(rows, query, ordering_fields=("starts_at", "number"), default_ordering=("starts_at",))
    personal = personal_for(request, store)
    page["items"] = [appointment_out(request, row, store, personal=personal) for row in page["items"]]
    return page


def _detail(request: HttpRequest, appointment_id: int, permission: str = "appointments.view") -> dict[str, Any]:
    services.appointment_access(actor=request_user(request), appointment_id=appointment_id, permission=permission)
    return appointment_detail_out(request, selectors.appointment_detail(appointment_id))


@router.get("/appointments/{id:appointment_id}", response={200: AppointmentDetailOut, **ERRORS})
@operation("appointments.view")
def appointment_detail(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    """One appointment with its services, who booked it and its history."""
    return _detail(request, appointment_id)


class BookingIn(InputSchema):
    store: StoreCode
    starts_at: Moment = Field(
        description="The arrival, with its offset (e.g. 2026-12-01T09:00+08:00), on the quarter hour."
    )
    services: list[ServiceRef] = Field(
        min_length=1,
        max_length=20,
        description="``operation:<id>`` or ``package:<id>`` (a package: its labour is booked, its parts pre-picked).",
    )
    channel: Channel = "api"
    customer: int | None = Field(default=None, ge=1, le=2**62, description="The archive's customer.")
    vehicle: int | None = Field(default=None, ge=1, le=2**62, description="The archive's vehicle.")
    contact_name: str = Field(default="", max_length=60, description="Whom to expect; default: the customer's name.")
    contact_mobile: str = Field(
        default="", max_length=20, description="Where the confirmation goes; required without a customer."
    )
    plate_text: str = Field(default="", max_length=12, description="The plate as given; default: the vehicle's.")
    model_text: str = Field(default="", max_length=60, description="The model as given; default: the vehicle's.")
    wish_at: Moment | None = Field(default=None, description="The time the customer wished, if another.")
    description: str = Field(
        default="", max_length=1000, json_schema_extra=inputs.MULTILINE, description="The problem as described."
    )
    call_at: Moment | None = Field(default=None, description="When to call the customer back.")
    documents: str | None = Field(default=None, max_length=200, description="What to bring; default: the store's.")
    advisor: str | None = Field(
        default=None,
        min_length=1,
        max_length=150,
        description="The service advisor (username); default: the least busy.",
    )
    override_reason: str = Field(
        default="",
        max_length=200,
        description="Book over capacity with this reason (``appointments.overbook``; recorded).",
    )


@router.post("/appointments", response={201: AppointmentDetailOut, **BOOKING_ERRORS})
@operation("appointments.book")
def appointment_create(request: HttpRequest, payload: BookingIn) -> Status[dict[str, Any]]:
    """Book an arrival that fits the store's capacity; the customer gets the confirmation (date, address,
    route, what to bring). A time no longer free is a 409 ``no_capacity`` with the two best times left."""
    store = store_of(request, payload.store, "appointments.book")
    appointment = services.appointment_book(
        actor=request_user(request),
        store_id=store.pk,
        data=services.BookingIn(
            starts_at=payload.starts_at,
            services=payload.services,
            channel=payload.channel,
            customer_id=payload.customer,
            vehicle_id=payload.vehicle,
            contact_name=payload.contact_name,
            contact_mobile=payload.contact_mobile,
            plate_text=payload.plate_text,
            model_text=payload.model_text,
            wish_at=payload.wish_at,
            description=payload.description,
            call_at=payload.call_at,
            documents=payload.documents,
            advisor_id=advisor_of(store, payload.advisor),
            override_reason=payload.override_reason,
        ),
    )
    return Status(201, _detail(request, appointment.pk))


class RescheduleIn(InputSchema):
    starts_at: Moment = Field(description="The new arrival, with its offset, on the quarter hour.")
    reason: str = Field(min_length=1, max_length=200)
    advisor: str | None = Field(default=None, min_length=1, max_length=150, description="Another advisor (username).")
    override_reason: str = Field(default="", max_length=200, description="Move over capacity with this reason.")


@router.post("/appointments/{id:appointment_id}/reschedule", response={200: AppointmentDetailOut, **BOOKING_ERRORS})
@operation("appointments.book")
def appointment_reschedule(request: HttpRequest, appointment_id: int, payload: RescheduleIn) -> dict[str, Any]:
    """Move a booking (with the reason) to a time that fits; the customer is told and reminded again."""
    user = request_user(request)
    appointment = services.appointment_access(actor=user, appointment_id=appointment_id, permission="appointments.book")
    services.appointment_reschedule(
        actor=user,
        appointment_id=appointment.pk,
        starts_at=payload.starts_at,
        reason=payload.reason,
        advisor_id=advisor_of(appointment.store, payload.advisor),
        override_reason=payload.override_reason,
    )
    return _detail(request, appointment_id)


class CancelIn(InputSchema):
    reason: str = Field(min_length=1, max_length=200)


@router.post("/appointments/{id:appointment_id}/cancel", response={200: AppointmentDetailOut, **STATE_ERRORS})
@operation("appointments.book")
def appointment_cancel(request: HttpRequest, appointment_id: int, payload: CancelIn) -> dict[str, Any]:
    """Cancel a booking with the reason; its pre-picked parts go back to stock and the customer is told."""
    services.appointment_cancel(actor=request_user(request), appointment_id=appointment_id, reason=payload.reason)
    return _detail(request, appointment_id)


@router.post("/appointments/{id:appointment_id}/check-in", response={200: AppointmentDetailOut, **STATE_ERRORS})
@operation("appointments.book")
def appointment_check_in(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    """The customer is here: a booking, or one marked no-show that came late."""
    services.appointment_check_in(actor=request_user(request), appointment_id=appointment_id)
    return _detail(request, appointment_id)


class OffersQuery(InputSchema):
    store: StoreCode
    vehicle: int | None = Field(default=None, ge=1, le=2**62, description="The archive's vehicle (its id).")
    vin: str = Field(default="", max_length=30, description="A VIN typed, for a car the archive does not know.")


class OfferOut(Schema):
    source: str = Field(description="The area offering it, e.g. ``campaign``.")
    kind: str = Field(description="Within the source, e.g. ``recall``, ``service``, ``inspection``, ``promotion``.")
    kind_label: str
    code: str = Field(description="The issuer's number.")
    title: str
    service_ref: str = Field(description="What the booking adds to ``services``: ``operation:<id>``.")
    note: str
    valid_until: dt.date | None


@router.get("/appointments/offers", response={200: list[OfferOut], **ERRORS})
@operation("appointments.book")
def appointment_offers(request: HttpRequest, query: Query[OffersQuery]) -> list[Any]:
    """The work to offer on a booking of the vehicle (or the VIN typed) today at the store: the open
    recalls and campaigns it is affected by; adding one adds its ``service_ref`` to ``services``."""
    store = store_of(request, query.store, "appointments.book")
    vehicle = vehicle_of(request, query.vehicle)
    return list(offers_for(store, day=store_today(store), vehicle=vehicle, vin=query.vin))
