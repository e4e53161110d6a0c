"""What the appointments API's modules share: the days and times it takes, an appointment as every answer
shows it (times in the store's zone, with its offset), the 409 of a time that is taken, advisors and
vehicles by reference."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator

from aftersales.appointments.capacity import ADVISOR_ROLE
from aftersales.appointments.days import FIRST_DAY, LAST_DAY, day_problem
from aftersales.appointments.models import Appointment
from aftersales.appointments.transitions import APPOINTMENT
from aftersales.core.access import can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import ErrorOut, StateEventOut
from aftersales.core.errors import ApplicationError
from aftersales.core.models import StaffMembership, Store, User
from aftersales.core.routing import request_user
from aftersales.customers.models import Vehicle
from aftersales.customers.selectors import vehicle_access

Dated = TypeVar("Dated", date, datetime)


def _in_range(value: Dated) -> Dated:
    problem = day_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


_RANGE = {"formatMinimum": FIRST_DAY.isoformat(), "formatMaximum": LAST_DAY.isoformat()}
# A store's day (YYYY-MM-DD), from 2000-01-01 to 2099-12-31; any other is refused on its field (422).
Day = Annotated[date, AfterValidator(_in_range), Field(json_schema_extra=_RANGE)]
# A time with its offset, on a day from 2000-01-01 to 2099-12-31 (as given).
Moment = Annotated[datetime, AfterValidator(_in_range)]

State = Literal["booked", "arrived", "cancelled", "no_show"]
Channel = Literal["phone", "walk_in", "online", "api"]
PartsStatus = Literal["", "to_pick", "reserved", "short", "staged"]


class NoCapacityOut(ErrorOut):
    offered: list[str] = Field(
        description="409 ``no_capacity``: the two best free arrival times (HH:MM) left that day for the same "
        "services, nearest the time asked first; empty when nothing is free."
    )


BOOKING_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: NoCapacityOut}
STATE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}


class ServiceOut(Schema):
    position: int
    operation: int = Field(description="The labour operation (``operation:<id>`` when booking).")
    package: int | None = Field(description="The package it came with (``package:<id>``), if any.")
    name: str
    hours: Decimal = Field(description="Standard hours.")
    skill_level: str
    certificate: str
    bay_kind: str
    bay: int | None = Field(description="The bay planned; null: none needed, or booked over capacity.")
    starts_at: datetime
    ends_at: datetime


class AppointmentOut(Schema):
    id: int
    number: str
    store: str
    state: State
    channel: Channel
    starts_at: datetime = Field(description="Arrival, in the store's zone with its offset.")
    ends_at: datetime = Field(description="Until when its work is planned.")
    time: str = Field(description="The arrival, HH:MM in the store's zone.")
    wish_at: datetime | None
    call_at: datetime | None
    hours: Decimal = Field(description="Standard hours of all its services.")
    customer: int | None
    vehicle: int | None
    contact_name: str
    contact_mobile: str = Field(
        description="Masked (139****5678) unless the call is an API token's with the right to see personal data."
    )
    plate: str
    model: str
    vin: str = Field(description="The VIN as given when booking (unverified; empty: none given).")
    mileage: int | None = Field(description="The mileage in km as given when booking (unverified).")
    marketing_consent: bool = Field(
        description="Marketing consent given when booking online (asked apart, optional; PIPL Art. 14)."
    )
    marketing_consent_at: datetime | None = Field(description="When that consent was given.")
    advisor: str | None = Field(description="The service advisor's username.")
    technician: str | None = Field(description="The planned technician's username.")
    description: str
    documents: str
    overbooked: bool
    override_reason: str
    parts_status: PartsStatus
    reason: str = Field(description="Of the last change or the cancellation.")
    arrived_at: datetime | None
    created_at: datetime
    services: list[ServiceOut]
    actions: list[str] = Field(
        description="What the caller may do to it now (``no_show`` is also marked by the periodic job)."
    )


class AppointmentDetailOut(AppointmentOut):
    created_by: str | None
    override_by: str | None
    staged_at: datetime | None
    events: list[StateEventOut]


def local(moment: datetime | None, store: Store) -> datetime | None:
    """``moment`` in the store's zone: every answer writes its times with the store's offset."""
    return moment.astimezone(store.zone) if moment is not None else None


# How the contact's mobile reads without the right to see personal data (Appointment.personal_fields).
MOBILE_MASK = Appointment.personal_masks["contact_mobile"]


def personal_for(request: HttpRequest, store: Store) -> bool:
    """Whether the contact's mobile goes out in full: to an API token with the right to see personal data
    in the store (as the archive's answers); a browser session sees it masked, as on the pages."""
    if getattr(request, "api_token_id", None) is None:
        return False
    return can(request.user, "customers.view_personal", store_id=store.pk)


def appointment_out(request: HttpRequest, row: Appointment, store: Store, *, personal: bool) -> dict[str, Any]:
    """An appointment with its services (prefetched) as the lists and answers show it."""
    starts_at = row.starts_at.astimezone(store.zone)
    return {
        "id": row.pk,
        "number": row.number,
        "store": store.code,
        "state": row.state,
        "channel": row.channel,
        "starts_at": starts_at,
        "ends_at": local(row.ends_at, store),
        "time": f"{starts_at:%H:%M}",
        "wish_at": local(row.wish_at, store),
        "call_at": local(row.call_at, store),
        "hours": Decimal(row.hours).quantize(Decimal("0.01")),
        "customer": row.customer_id,
        "vehicle": row.vehicle_id,
        "contact_name": row.contact_name,
        "contact_mobile": row.contact_mobile if personal else MOBILE_MASK(row.contact_mobile),
        "plate": row.plate_text,
        "model": row.model_text,
        "vin": row.vin_text,
        "mileage": row.mileage,
        "marketing_consent": row.marketing_consent,
        "marketing_consent_at": local(row.marketing_consent_at, store),
        "advisor": row.advisor.username if row.advisor else None,
        "technician": row.technician.user.username if row.technician else None,
        "description": row.description,
        "documents": row.documents,
        "overbooked": row.overbooked,
        "override_reason": row.override_reason,
        "parts_status": row.parts_status,
        "reason": row.reason,
        "arrived_at": local(row.arrived_at, store),
        "created_at": local(row.created_at, store),
        "services": [
            {
                "position": service.position,
                "operation": service.operation_id,
                "package": service.package_id,
                "name": service.name,
                "hours": Decimal(service.hours).quantize(Decimal("0.01")),
                "skill_level": service.skill_level,
                "certificate": service.certificate,
                "bay_kind": service.bay_kind,
                "bay": service.bay_id,
                "starts_at": local(service.starts_at, store),
                "ends_at": local(service.ends_at, store),
            }
            for service in row.services.all()
        ],
        "actions": APPOINTMENT.actions(row, request_user(request)),
    }


def appointment_detail_out(request: HttpRequest, row: Appointment) -> dict[str, Any]:
    """An appointment read with ``selectors.appointment_detail``: with who booked it and its events."""
    store = row.store
    return {
        **appointment_out(request, row, store, personal=personal_for(request, store)),
        "created_by": row.created_by.username if row.created_by else None,
        "override_by": row.override_by.username if row.override_by else None,
        "staged_at": local(row.staged_at, store),
        "events": [
            {
                "at": local(event.at, store),
                "by": event.actor.username if event.actor else None,
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "note": event.note,
            }
            for event in row.events.all()
        ],
    }


def advisor_user(store: Store, username: str | None) -> User | None:
    """The store's service advisor ``username`` (None: none asked for); refused on ``advisor``."""
    if username is None:
        return None
    advisors = StaffMembership.all_objects.filter(store=store, is_active=True, role__code=ADVISOR_ROLE)
    user = User.objects.filter(username=username, pk__in=advisors.values("user_id")).first()
    if user is None:
        raise ApplicationError(_("Choose a service advisor of this store."), field="advisor")
    return user


def advisor_of(store: Store, username: str | None) -> int | None:
    """The id of the store's service advisor ``username`` (None: none asked for); refused on ``advisor``."""
    user = advisor_user(store, username)
    return user.pk if user is not None else None


def vehicle_of(request: HttpRequest, vehicle_id: int | None) -> Vehicle | None:
    """The archive's vehicle ``vehicle_id`` the caller may see (None: none given); refused on ``vehicle``."""
    if vehicle_id is None:
        return None
    try:
        return vehicle_access(actor=request_user(request), vehicle_id=vehicle_id)
    except ApplicationError as error:
        raise ApplicationError(error.detail, field="vehicle") from None
