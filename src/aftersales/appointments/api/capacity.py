"""What capacity is counted from (APT-1): technicians with their efficiency, weekly shifts and leave, and
the store's booking settings (walk-in reserve, arrival spacing, no-show grace, reminders, script)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, P, PathEx, Query, Router, Schema
from ninja.responses import Status

from aftersales.appointments import selectors, services
from aftersales.appointments.api.common import Moment, local
from aftersales.appointments.models import BookingSettings, Leave
from aftersales.appointments.services.capacity import SETTINGS_FIELDS
from aftersales.core import inputs
from aftersales.core.access import can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of

router = Router(tags=["appointment capacity"])
Weekday = Literal["0", "1", "2", "3", "4", "5", "6"]
USER_ID = "The staff member's user id (``TechnicianOut.user_id``), not the technician's ``id``."
ClockTime = Annotated[str, Field(min_length=4, max_length=8, description="HH:MM, on the quarter hour.")]


class CapacityQuery(InputSchema):
    store: StoreCode


class LeaveOut(Schema):
    id: int
    technician: int = Field(description="The technician's id (``TechnicianOut.id``).")
    starts_at: datetime
    ends_at: datetime
    reason: str | None = Field(
        description="Why (e.g. sick leave): only to a caller who manages the store's capacity "
        "(``appointments.capacity``), null to others."
    )


class TechnicianOut(Schema):
    id: int = Field(description="The technician's id: their leave is recorded under it.")
    user_id: int = Field(
        description="The staff member's user id: their efficiency and shifts are saved under it "
        "(``PUT /appointments/technicians/{user_id}``)."
    )
    user: str = Field(description="The staff member's username.")
    name: str
    skill_level: str = Field(description="junior, intermediate or senior; empty: not recorded (counts as junior).")
    certificates: list[str] = Field(description="The kinds of certificate held and valid today, e.g. ev_hv.")
    efficiency: Decimal = Field(description="Standard hours done per hour worked.")
    is_active: bool
    shifts: dict[str, list[str]] = Field(
        description='Weekday (0 Monday … 6 Sunday) → [from, until], e.g. {"0": ["08:30", "17:30"]}; '
        "a weekday left out is a day off."
    )
    leave: list[LeaveOut] = Field(description="Leave not over yet, soonest first.")


def _leave_out(leave: Leave, store: Store, *, reason: bool) -> dict[str, Any]:
    return {
        "id": leave.pk,
        "technician": leave.technician_id,
        "starts_at": local(leave.starts_at, store),
        "ends_at": local(leave.ends_at, store),
        "reason": leave.reason if reason else None,
    }


def _technicians(request: HttpRequest, store: Store, user_id: int | None = None) -> list[dict[str, Any]]:
    """The store's technicians as answered; the reasons of their leave only to whoever manages the
    store's capacity (a reason may be private: sick leave)."""
    reason = can(request_user(request), "appointments.capacity", store_id=store.pk)
    leave: dict[int, list[dict[str, Any]]] = {}
    for row in selectors.leave_upcoming(store, timezone.now()):
        leave.setdefault(row.technician_id, []).append(_leave_out(row, store, reason=reason))
    return [
        {
            "id": row.technician.pk,
            "user_id": row.technician.user_id,
            "user": row.technician.user.username,
            "name": row.name,
            "skill_level": row.skill_level,
            "certificates": list(row.certificate_kinds),
            "efficiency": row.technician.efficiency,
            "is_active": row.technician.is_active,
            "shifts": {
                str(shift.weekday): [f"{shift.starts:%H:%M}", f"{shift.ends:%H:%M}"]
                for shift in row.technician.shifts.all()
            },
            "leave": leave.get(row.technician.pk, []),
        }
        for row in selectors.technician_rows(store, store_today(store))
        if user_id is None or row.technician.user_id == user_id
    ]


@router.get("/appointments/technicians", response={200: list[TechnicianOut], **ERRORS})
@operation("appointments.view")
def appointment_technicians(request: HttpRequest, query: Query[CapacityQuery]) -> list[dict[str, Any]]:
    """The store's technicians (active first) with skill, certificates, efficiency, shifts and coming leave
    (the leave's reason only to a caller with ``appointments.capacity`` in the store)."""
    return _technicians(request, store_of(request, query.store, "appointments.view"))


class TechnicianIn(InputSchema):
    store: StoreCode
    efficiency: Decimal = Field(
        default=Decimal("1.00"), max_digits=4, decimal_places=2, description="0.30 to 2.00: standard hours per hour."
    )
    shifts: dict[Weekday, Annotated[list[ClockTime], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict,
        description='Weekday (0 Monday … 6 Sunday) → [from, until], e.g. {"0": ["08:30", "17:30"]}; '
        "the week as a whole (a weekday left out is a day off).",
    )
    is_active: bool = True


@router.put("/appointments/technicians/{id:user_id}", response={200: TechnicianOut, **ERRORS})
@operation("appointments.capacity")
def appointment_technician_save(
    request: HttpRequest,
    user_id: PathEx[int, P(description=USER_ID)],
    payload: TechnicianIn,
) -> dict[str, Any]:
    """Record a member of the store's staff as a technician, with their efficiency and weekly shifts. The
    path names the staff member by their **user id** (``TechnicianOut.user_id``), not the technician's
    ``id``; a user who is not active staff of the store is refused on ``user_id``."""
    store = store_of(request, payload.store, "appointments.capacity")
    try:
        services.technician_save(
            actor=request_user(request),
            store_id=store.pk,
            user_id=user_id,
            efficiency=payload.efficiency,
            shifts={int(weekday): (hours[0], hours[1]) for weekday, hours in payload.shifts.items()},
            is_active=payload.is_active,
        )
    except ApplicationError as error:
        if "user" in error.fields:  # the service's name for the person: here the path's user_id
            error.fields["user_id"] = error.fields.pop("user")
        raise
    return _technicians(request, store, user_id)[0]


class LeaveIn(InputSchema):
    starts_at: Moment = Field(description="With its offset, e.g. 2026-12-01T08:30+08:00.")
    ends_at: Moment
    reason: str = Field(default="", max_length=100)


@router.post("/appointments/technicians/{id:technician_id}/leave", response={201: LeaveOut, **ERRORS})
@operation("appointments.capacity")
def appointment_leave_add(request: HttpRequest, technician_id: int, payload: LeaveIn) -> Status[dict[str, Any]]:
    """Record a technician's leave (no capacity while it lasts); leave that overlaps recorded leave is refused."""
    leave = services.leave_add(
        actor=request_user(request),
        technician_id=technician_id,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        reason=payload.reason,
    )
    return Status(201, _leave_out(leave, leave.technician.store, reason=True))


@router.delete("/appointments/leave/{id:leave_id}", response={204: None, **ERRORS})
@operation("appointments.capacity")
def appointment_leave_remove(request: HttpRequest, leave_id: int) -> Status[None]:
    services.leave_remove(actor=request_user(request), leave_id=leave_id)
    return Status(204, None)


class SettingsOut(Schema):
    store: str
    walk_in_reserve_percent: int = Field(description="Share of the day's technician hours bookings may not take.")
    arrival_spacing_minutes: int = Field(description="Minutes between one advisor's arrivals.")
    no_show_grace_minutes: int = Field(description="A booking nobody came for is a no-show this long after its start.")
    reminder_hours: int = Field(description="The reminder goes this many hours before the arrival.")
    same_day_reminder: bool
    same_day_reminder_hours: int
    booking_script: str = Field(description="What the agent reads on the phone.")
    route: str = Field(description="How to get here, in the confirmation.")
    documents_default: str = Field(description="What to bring, unless a booking says otherwise.")
    updated_at: datetime | None


def _settings_out(settings: BookingSettings, store: Store) -> dict[str, Any]:
    return {
        "store": store.code,
        **{name: getattr(settings, name) for name in SETTINGS_FIELDS},
        "updated_at": local(settings.updated_at, store),
    }


@router.get("/appointments/settings", response={200: SettingsOut, **ERRORS})
@operation("appointments.view")
def appointment_settings(request: HttpRequest, query: Query[CapacityQuery]) -> dict[str, Any]:
    """The store's booking settings (the defaults until someone changes them)."""
    store = store_of(request, query.store, "appointments.view")
    return _settings_out(selectors.booking_settings_of(store), store)


class SettingsIn(InputSchema):
    store: StoreCode
    walk_in_reserve_percent: int | None = Field(default=None, ge=0, le=90)
    arrival_spacing_minutes: int | None = Field(default=None, ge=0, le=120)
    no_show_grace_minutes: int | None = Field(default=None, ge=5, le=480)
    reminder_hours: int | None = Field(default=None, ge=1, le=72)
    same_day_reminder: bool | None = None
    same_day_reminder_hours: int | None = Field(default=None, ge=1, le=12)
    booking_script: str | None = Field(default=None, max_length=4000, json_schema_extra=inputs.MULTILINE)
    route: str | None = Field(default=None, max_length=300)
    documents_default: str | None = Field(default=None, max_length=200)


@router.put("/appointments/settings", response={200: SettingsOut, **ERRORS})
@operation("appointments.capacity")
def appointment_settings_save(request: HttpRequest, payload: SettingsIn) -> dict[str, Any]:
    """Change the store's booking settings: only the fields sent."""
    store = store_of(request, payload.store, "appointments.capacity")
    settings = services.booking_settings_save(
        actor=request_user(request), store_id=store.pk, data=payload.model_dump(exclude_unset=True, exclude={"store"})
    )
    return _settings_out(settings, store)
