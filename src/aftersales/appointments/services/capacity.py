"""Writes to what capacity is counted from: technicians (efficiency, weekly shifts), their leave, and
the store's booking settings (``appointments.capacity``). Every wrong field is named at once and
nothing is written."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.db import transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.appointments.models import BookingSettings, Leave, Shift, Technician
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import StaffMembership, User
from aftersales.parts.services import store_access

SETTINGS_FIELDS = (
    "walk_in_reserve_percent",
    "arrival_spacing_minutes",
    "no_show_grace_minutes",
    "reminder_hours",
    "same_day_reminder",
    "same_day_reminder_hours",
    "booking_script",
    "route",
    "documents_default",
    "online_booking",
)
PERMISSION = "appointments.capacity"


def _invalid(errors: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors)


def _time(value: Any) -> time | None:
    """A time of day in the store's zone; None for anything else (one with an offset too: a shift is
    the store's wall-clock time, and it could not be compared with one without)."""
    if not isinstance(value, time):
        try:
            value = time.fromisoformat(str(value))
        except ValueError:
            return None
    return value if value.tzinfo is None else None


def technician_save(
    *,
    actor: User,
    store_id: int,
    user_id: int,
    efficiency: Decimal,
    shifts: dict[int, tuple[Any, Any]],
    is_active: bool = True,
) -> Technician:
    """Record a staff member of the store as a technician with their efficiency and weekly shifts
    (weekday 0 Monday … 6 Sunday → from, until; a weekday left out is a day off)."""
    store = store_access(actor=actor, store_id=store_id, permission=PERMISSION)
    errors: dict[str, list[str]] = {}
    if not StaffMembership.all_objects.filter(store=store, user_id=user_id, is_active=True).exists():
        errors["user"] = [_("Choose a member of this store's staff.")]
    try:
        efficiency = Decimal(str(efficiency))
    except InvalidOperation:
        efficiency = Decimal(-1)
    if (
        not efficiency.is_finite()
        or not Decimal("0.30") <= efficiency <= Decimal("2.00")
        or efficiency != efficiency.quantize(Decimal("0.01"))
    ):
        errors["efficiency"] = [_("Enter an efficiency from 0.30 to 2.00 (two decimals).")]
    rows: list[tuple[int, time, time]] = []
    # Sorted as text: a weekday given as anything but a number is named below, not a TypeError here.
    for weekday, (starts, ends) in sorted(shifts.items(), key=lambda item: str(item[0])):
        start, end = _time(starts), _time(ends)
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            errors["shifts"] = [_("A weekday is 0 (Monday) to 6 (Sunday).")]
        elif start is None or end is None or end <= start:
            errors[f"shifts.{weekday}"] = [_("Enter hours like 08:30-17:30 that end after they start.")]
        elif any(moment.minute % 15 or moment.second or moment.microsecond for moment in (start, end)):
            errors[f"shifts.{weekday}"] = [_("Shifts start and end on the quarter hour.")]
        else:
            rows.append((weekday, start, end))
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        technician = Technician.all_objects.select_for_update().filter(store=store, user_id=user_id).first()
        if technician is None:
            technician = Technician(store=store, user_id=user_id)
        technician.efficiency, technician.is_active = efficiency, is_active
        technician.save(actor=actor)
        Shift.objects.filter(technician=technician).delete()
        Shift.objects.bulk_create(Shift(technician=technician, weekday=d, starts=s, ends=e) for d, s, e in rows)
        audit_append(
            action="update",  # the shifts, after the technician row's own entry
            store_id=store.pk,
            actor=actor,
            object_type="appointments.technician",
            object_id=str(technician.pk),
            object_repr=str(technician),
            changes={"shifts": {str(d): f"{s:%H:%M}-{e:%H:%M}" for d, s, e in rows}},
        )
    return technician


def _technician(actor: User, technician_id: int) -> Technician:
    technician = Technician.all_objects.filter(pk=technician_id).select_related("store", "user").first()
    if technician is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    try:
        store_access(actor=actor, store_id=technician.store_id, permission=PERMISSION)
    except ApplicationError:
        raise ApplicationError(_("Not found."), code="not_found", status=404) from None
    return technician


def leave_add(*, actor: User, technician_id: int, starts_at: datetime, ends_at: datetime, reason: str = "") -> Leave:
    """Record a technician's leave; refused when it ends before it starts or overlaps leave already
    recorded (that one is named). Bookings already planned on them are left for the foreman to move."""
    technician = _technician(actor, technician_id)
    errors: dict[str, list[str]] = {}
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if timezone.is_naive(value):
            errors[name] = [_("Give the time with its time zone, e.g. 2026-12-01T10:00+08:00.")]
    if not errors and ends_at <= starts_at:
        errors["ends_at"] = [_("The leave must end after it starts.")]
    reason = (reason or "").strip()
    if len(reason) > 100:
        errors["reason"] = [_("Enter at most %(n)s characters.") % {"n": 100}]
    if errors:
        raise _invalid(errors)
    zone = technician.store.zone
    with transaction.atomic():
        Technician.all_objects.select_for_update().filter(pk=technician.pk).first()  # one writer per technician
        clash = Leave.objects.filter(technician=technician, starts_at__lt=ends_at, ends_at__gt=starts_at).first()
        if clash is not None:
            raise _invalid(
                {
                    "starts_at": [
                        _("Overlaps leave already recorded from %(start)s to %(end)s.")
                        % {
                            "start": f"{clash.starts_at.astimezone(zone):%Y-%m-%d %H:%M}",
                            "end": f"{clash.ends_at.astimezone(zone):%Y-%m-%d %H:%M}",
                        }
                    ]
                }
            )
        leave = Leave.objects.create(
            technician=technician, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=actor
        )
        audit_append(
            action="create",
            store_id=technician.store_id,
            actor=actor,
            object_type="appointments.leave",
            object_id=str(leave.pk),
            object_repr=str(technician),
            changes={"from": starts_at.isoformat(), "until": ends_at.isoformat(), "reason": reason},
        )
    return leave


def leave_remove(*, actor: User, leave_id: int) -> None:
    leave = Leave.objects.filter(pk=leave_id).first()
    if leave is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    technician = _technician(actor, leave.technician_id)
    with transaction.atomic():
        leave.delete()
        audit_append(
            action="delete",
            store_id=technician.store_id,
            actor=actor,
            object_type="appointments.leave",
            object_id=str(leave_id),
            object_repr=str(technician),
            changes={"from": leave.starts_at.isoformat(), "until": leave.ends_at.isoformat()},
        )


def booking_settings_save(*, actor: User, store_id: int, data: dict[str, Any]) -> BookingSettings:
    """Change the store's booking settings (only the fields given); each is checked by its field's rules."""
    store = store_access(actor=actor, store_id=store_id, permission=PERMISSION)
    unknown = sorted(set(data) - set(SETTINGS_FIELDS))
    if unknown:
        raise _invalid({name: [_("Unknown field.")] for name in unknown})
    with transaction.atomic():
        BookingSettings.objects.get_or_create(store=store)
        settings = BookingSettings.objects.select_for_update().get(store=store)
        before = {name: getattr(settings, name) for name in data}
        errors: dict[str, list[str]] = {}
        for name, value in data.items():
            model_field = cast("Field[Any, Any]", BookingSettings._meta.get_field(name))
            try:
                cleaned = model_field.clean(value, settings)
            except Exception as error:  # noqa: BLE001 - Django's ValidationError names the problem
                errors[name] = list(getattr(error, "messages", [str(error)]))
                continue
            setattr(settings, name, cleaned.strip() if isinstance(cleaned, str) else cleaned)
        if errors:
            raise _invalid(errors)
        settings.save()
        audit_append(
            action="update",
            store_id=store.pk,
            actor=actor,
            object_type="appointments.bookingsettings",
            object_id=str(settings.pk),
            object_repr=store.code,
            changes={name: [str(before[name]), str(getattr(settings, name))] for name in data},
        )
    return settings
