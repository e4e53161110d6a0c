"""Booking, moving, cancelling and checking in appointments, and marking no-shows (APT-1..4).

A booking is placed against the day's capacity (``capacity.day_plan``) under the row lock of the
store's booking settings, so that of two agents booking the last slot at once exactly one wins; the
other is told the time is taken and offered the two best times left.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.appointments.capacity import (
    ADVISOR_ROLE,
    DayPlan,
    Need,
    Placement,
    best_two,
    day_plan,
    need_of,
    slots,
    steps_for,
)
from aftersales.appointments.models import Appointment, AppointmentEvent, AppointmentService, BookingSettings
from aftersales.appointments.services.messages import appointment_message
from aftersales.appointments.transitions import APPOINTMENT
from aftersales.catalogue.models import LabourOperation, LabourTime, PackageItem, ServicePackage
from aftersales.core.access import can
from aftersales.core.calendar import StoreCalendar, store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.identifiers import clean_mobile
from aftersales.core.models import StaffMembership, Store, User
from aftersales.core.numbering import number_next
from aftersales.customers.models import Customer, Vehicle
from aftersales.customers.selectors import customer_access, vehicle_access
from aftersales.parts.models import Reservation
from aftersales.parts.services import reservations_release, store_access

logger = logging.getLogger(__name__)
MAX_SERVICES = 20
MAX_DAYS_AHEAD = 180
# What a pre-pick may have reserved for the booking's day (released when the booking moves to another).
MOVED_PARTS = (Appointment.PartsStatus.RESERVED, Appointment.PartsStatus.STAGED, Appointment.PartsStatus.SHORT)


@dataclass
class BookingIn:
    """What a booking records (APT-3); ``services`` are ``operation:<id>`` or ``package:<id>``."""

    starts_at: datetime
    services: list[str]
    channel: str
    customer_id: int | None = None
    vehicle_id: int | None = None
    contact_name: str = ""
    contact_mobile: str = ""
    plate_text: str = ""
    model_text: str = ""
    vin_text: str = ""
    mileage: int | None = None
    marketing_consent: bool = False  # asked apart on the customer's own page (PIPL Art. 14)
    wish_at: datetime | None = None
    description: str = ""
    call_at: datetime | None = None
    documents: str | None = None
    advisor_id: int | None = None
    override_reason: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


def appointment_access(
    *, actor: User | None, appointment_id: int, permission: str, for_update: bool = False
) -> Appointment:
    """The appointment ``actor`` may act on with ``permission``, locked when asked; 404 otherwise
    (missing or of a store not theirs)."""
    rows = Appointment.all_objects.filter(pk=appointment_id)
    if for_update:
        rows = rows.select_for_update()
    appointment = rows.first()
    if appointment is None or (actor is not None and not can(actor, permission, store_id=appointment.store_id)):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return appointment


def _series(vehicle: Vehicle | None) -> str:
    return vehicle.model.series if vehicle is not None and vehicle.model is not None else ""


def needs_for(store: Store, refs: list[str], *, vehicle: Vehicle | None = None) -> list[Need]:
    """The requested services as capacity needs: a labour operation, or the labour items of a package,
    of the store's group, with the vehicle's series' standard hours where the catalogue has them.
    Refused on ``services`` with every unknown one named."""
    if not refs:
        raise ApplicationError(_("Choose at least one service."), field="services")
    if len(refs) > MAX_SERVICES:
        raise ApplicationError(_("At most %(n)s services.") % {"n": MAX_SERVICES}, field="services")
    wanted: list[tuple[str, int]] = []
    unknown: list[str] = []
    for ref in refs:
        kind, _sep, number = str(ref).strip().partition(":")
        if kind in ("operation", "package") and number.isascii() and number.isdigit() and len(number) < 19:
            wanted.append((kind, int(number)))
        else:
            unknown.append(str(ref)[:40])
    operations = LabourOperation.objects.filter(
        group_id=store.group_id, is_active=True, pk__in=[pk for kind, pk in wanted if kind == "operation"]
    ).in_bulk()
    packages = ServicePackage.objects.filter(
        group_id=store.group_id, is_active=True, pk__in=[pk for kind, pk in wanted if kind == "package"]
    ).in_bulk()
    items: dict[int, list[PackageItem]] = {}
    for item in (
        PackageItem.objects.filter(package__in=list(packages), kind=PackageItem.Kind.LABOUR)
        .select_related("operation")
        .order_by("package", "pk")
    ):
        items.setdefault(item.package_id, []).append(item)
    for kind, pk in wanted:
        if (kind == "operation" and pk not in operations) or (kind == "package" and not items.get(pk)):
            unknown.append(f"{kind}:{pk}")
    if unknown:
        raise ApplicationError(
            _("Unknown service: %(services)s.") % {"services": ", ".join(unknown)},
            field="services",
            code="unknown_service",
        )
    series = _series(vehicle)
    chosen: list[tuple[LabourOperation, int | None, Decimal]] = []
    for kind, pk in wanted:
        if kind == "operation":
            chosen.append((operations[pk], None, Decimal(1)))
        else:
            chosen.extend((item.operation, pk, item.quantity) for item in items[pk] if item.operation)
    times = (
        dict(
            LabourTime.objects.filter(
                operation__in=[operation.pk for operation, _p, _q in chosen], series=series
            ).values_list("operation_id", "hours")
        )
        if series
        else {}
    )
    return [
        Need(
            operation_id=operation.pk,
            package_id=package_id,
            name=operation.name,
            hours=(times.get(operation.pk, operation.default_hours) * quantity).quantize(Decimal("0.01")),
            skill_level=operation.skill_level,
            certificate=operation.certificate,
            bay_kind=operation.bay_kind,
        )
        for operation, package_id, quantity in chosen
    ]


def _aware(value: datetime | None, name: str, errors: dict[str, list[str]]) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        errors[name] = [_("Give the time with its time zone, e.g. 2026-12-01T10:00+08:00.")]
        return None
    return value


def _start_problem(calendar: StoreCalendar, starts_at: datetime, now: datetime) -> str | None:
    local = calendar.local(starts_at)
    if starts_at <= now:
        return _("Choose a time in the future.")
    if local.second or local.microsecond or local.minute % 15:
        return _("Choose a time on the quarter hour (e.g. 09:00, 09:15).")
    if local.date() > calendar.local_date(now) + timedelta(days=MAX_DAYS_AHEAD):
        return _("Bookings are taken up to %(n)s days ahead.") % {"n": MAX_DAYS_AHEAD}
    hours = calendar.hours(local.date())
    if hours is None:
        return _("The store is closed on %(day)s.") % {"day": local.date().isoformat()}
    if not hours[0] <= starts_at < hours[1]:
        return _("Choose a time within business hours (%(opens)s–%(closes)s).") % {
            "opens": f"{hours[0]:%H:%M}",
            "closes": f"{hours[1]:%H:%M}",
        }
    return None


def _advisor_problem(store: Store, advisor_id: int) -> str | None:
    if not StaffMembership.all_objects.filter(
        store=store, user_id=advisor_id, is_active=True, role__code=ADVISOR_ROLE
    ).exists():
        return _("Choose a service advisor of this store.")
    return None


def _parties(
    actor: User | None, data: BookingIn, errors: dict[str, list[str]]
) -> tuple[Customer | None, Vehicle | None]:
    customer = vehicle = None
    if actor is None:
        # The customer's own booking names no archive record: reception matches the typed plate later.
        if data.customer_id is not None or data.vehicle_id is not None:
            errors["customer"] = [_("Not found.")]
        return None, None
    if data.customer_id is not None:
        try:
            customer = customer_access(actor=actor, customer_id=data.customer_id)
        except ApplicationError as error:
            errors["customer"] = [error.detail]
    if data.vehicle_id is not None:
        try:
            vehicle = vehicle_access(actor=actor, vehicle_id=data.vehicle_id)
        except ApplicationError as error:
            errors["vehicle"] = [error.detail]
    return customer, vehicle


def _checked(
    actor: User | None, store: Store, calendar: StoreCalendar, data: BookingIn, *, now: datetime
) -> tuple[list[Need], Customer | None, Vehicle | None]:
    """Every field of a booking checked at once (each wrong one named); the needs of its services."""
    errors: dict[str, list[str]] = {}
    if data.channel not in Appointment.Channel.values:
        errors["channel"] = [_("Choose the channel.")]
    starts_at = _aware(data.starts_at, "starts_at", errors)
    _aware(data.wish_at, "wish_at", errors)
    _aware(data.call_at, "call_at", errors)
    if starts_at is not None and (problem := _start_problem(calendar, starts_at, now)):
        errors["starts_at"] = [problem]
    customer, vehicle = _parties(actor, data, errors)
    data.contact_name = (data.contact_name or (customer.name if customer else "")).strip()
    if not data.contact_name:
        errors["contact_name"] = [_("Enter whom to expect.")]
    elif len(data.contact_name) > 60:
        errors["contact_name"] = [_("Enter at most %(n)s characters.") % {"n": 60}]
    if data.contact_mobile:
        try:
            data.contact_mobile = clean_mobile(data.contact_mobile)
        except Exception as error:  # noqa: BLE001 - a ValidationError names the problem
            errors["contact_mobile"] = list(getattr(error, "messages", [str(error)]))
    elif customer is None:
        errors["contact_mobile"] = [_("Enter a mobile number to confirm the booking to.")]
    for name, limit in (
        ("description", 1000),
        ("plate_text", 12),
        ("model_text", 60),
        ("vin_text", 17),
        ("override_reason", 200),
    ):
        value = (getattr(data, name) or "").strip()
        setattr(data, name, value)
        if len(value) > limit:
            errors[name] = [_("Enter at most %(n)s characters.") % {"n": limit}]
    if data.documents is not None and len(data.documents) > 200:
        errors["documents"] = [_("Enter at most %(n)s characters.") % {"n": 200}]
    if data.advisor_id is not None and (problem := _advisor_problem(store, data.advisor_id)):
        errors["advisor"] = [problem]
    needs: list[Need] = []
    try:
        needs = needs_for(store, data.services, vehicle=vehicle)
    except ApplicationError as error:
        errors["services"] = [error.detail]
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors)
    return needs, customer, vehicle


def _offered(
    plan: DayPlan, needs: list[Need], wish: datetime | None, advisor_id: int | None, now: datetime, *, walk_in: bool
) -> list[str]:
    found = slots(plan, needs, not_before=now, advisor_id=advisor_id, walk_in=walk_in)
    return [f"{plan.calendar.local(slot.starts_at):%H:%M}" for slot in best_two(found, wish)]


def _placed(
    actor: User | None, plan: DayPlan, needs: list[Need], data: BookingIn, *, now: datetime
) -> tuple[Placement, bool]:
    """Where the booking goes on the locked plan, or over capacity with a permitted override."""
    start = round(plan.step_of(data.starts_at))
    hours = sum((need.hours for need in needs), Decimal(0))
    walk_in = data.channel == Appointment.Channel.WALK_IN
    placement = (
        plan.place(needs, start, advisor_id=data.advisor_id, walk_in=walk_in)
        if plan.within_reserve(hours, walk_in=walk_in)
        else None
    )
    if placement is not None:
        return placement, False
    if data.override_reason:
        if actor is None or not can(actor, "appointments.overbook", store_id=plan.store.pk):
            raise ApplicationError(
                _("Only a role allowed to overbook may book over capacity."),
                code="forbidden",
                field="override_reason",
                status=403,
            )
        end = start + sum(steps_for(need.hours, Decimal(1)) for need in needs)
        segments, cursor = [], start
        for need in needs:
            length = steps_for(need.hours, Decimal(1))
            segments.append((cursor, cursor + length, None))
            cursor += length
        return Placement(start, end, 0, data.advisor_id, tuple(segments), 0), True
    offered = _offered(plan, needs, data.wish_at or data.starts_at, data.advisor_id, now, walk_in=walk_in)
    if not plan.within_reserve(hours, walk_in=walk_in):
        message = _("The day is fully booked (the rest is kept for walk-ins).")
    else:
        message = _("This time is no longer free.")
    if offered:
        message += " " + _("Free now: %(times)s.") % {"times": ", ".join(offered)}
    raise ConflictError(message, code="no_capacity", field="starts_at", extra={"offered": offered})


def appointment_services_write(
    appointment: Appointment, plan: DayPlan, needs: list[Need], placement: Placement
) -> None:
    """Write the booking's services as ``placement`` places them on ``plan`` (each with its bay and times)."""
    AppointmentService.objects.bulk_create(
        AppointmentService(
            appointment=appointment,
            position=position,
            operation_id=need.operation_id,
            package_id=need.package_id,
            name=need.name,
            hours=need.hours,
            skill_level=need.skill_level,
            certificate=need.certificate,
            bay_kind=need.bay_kind,
            bay_id=bay_id,
            starts_at=plan.at(start),
            ends_at=plan.at(end),
        )
        for position, (need, (start, end, bay_id)) in enumerate(zip(needs, placement.segments, strict=True), 1)
    )


def _event(appointment: Appointment):  # type: ignore[no-untyped-def]
    return lambda **fields: AppointmentEvent.objects.create(appointment=appointment, **fields)


def booking_settings_lock(store: Store) -> BookingSettings:
    """The store's booking settings, locked: every booking and move of the store waits for this one."""
    locked = BookingSettings.objects.select_for_update().filter(store=store).first()
    if locked is None:
        BookingSettings.objects.get_or_create(store=store)  # exists before it is locked
        locked = BookingSettings.objects.select_for_update().get(store=store)
    return locked


def appointment_book(*, actor: User | None, store_id: int, data: BookingIn) -> Appointment:
    """Book an appointment (``appointments.book``) at a time that fits the store's capacity, or over it
    with an override reason (``appointments.overbook``, recorded); the confirmation goes to the
    customer after the commit (service class). Refused with every wrong field named, or 409 when the
    time is taken (the two best free times offered).

    ``actor`` None: the customer books for themselves (``services.public``, after proving the mobile
    with a one-time code); the audit records no staff member, and no archive record nor override may
    be named."""
    store = store_access(actor=actor, store_id=store_id, permission="appointments.book")
    now = timezone.now()
    calendar = store_calendar(store)
    needs, customer, vehicle = _checked(actor, store, calendar, data, now=now)
    with transaction.atomic():
        settings = booking_settings_lock(store)
        plan = day_plan(store, calendar.local_date(data.starts_at), settings=settings, calendar=calendar)
        placement, over = _placed(actor, plan, needs, data, now=now)
        appointment = Appointment(
            store=store,
            number=number_next(store=store, doc_type="AP"),
            channel=data.channel,
            customer=customer,
            vehicle=vehicle,
            contact_name=data.contact_name,
            contact_mobile=data.contact_mobile,
            plate_text=data.plate_text or (vehicle.plate if vehicle else ""),
            model_text=data.model_text or (str(vehicle.model) if vehicle and vehicle.model else "")[:60],
            vin_text=data.vin_text,
            mileage=data.mileage,
            marketing_consent=data.marketing_consent,
            marketing_consent_at=now if data.marketing_consent else None,
            starts_at=plan.at(placement.start),
            ends_at=plan.at(placement.end),
            wish_at=data.wish_at,
            hours=sum((need.hours for need in needs), Decimal(0)),
            advisor_id=placement.advisor_id,
            technician_id=placement.technician_id or None,
            description=data.description,
            call_at=data.call_at,
            documents=settings.documents_default if data.documents is None else data.documents.strip(),
            overbooked=over,
            override_reason=data.override_reason if over else "",
            override_by=actor if over else None,
            parts_status=_parts_status(needs),
            created_by=actor,
        )
        appointment.save(actor=actor)
        appointment_services_write(appointment, plan, needs, placement)
        AppointmentEvent.objects.create(
            appointment=appointment,
            actor=actor,
            action="book",
            from_state="",
            to_state=appointment.state,
            note=(_("Over capacity: %(reason)s") % {"reason": data.override_reason}) if over else "",
        )
        transaction.on_commit(lambda: appointment_message(appointment, "appointment_booked", actor=actor))
    return appointment


def _parts_status(needs: list[Need]) -> str:
    packages = {need.package_id for need in needs if need.package_id}
    if packages and PackageItem.objects.filter(package__in=packages).exclude(kind=PackageItem.Kind.LABOUR).exists():
        return Appointment.PartsStatus.TO_PICK
    return Appointment.PartsStatus.NONE


def appointment_reschedule(
    *,
    actor: User,
    appointment_id: int,
    starts_at: datetime,
    reason: str,
    advisor_id: int | None = None,
    override_reason: str = "",
) -> Appointment:
    """Move a booked appointment to another time (with a reason), placed afresh against capacity; its
    reminders are sent again for the new time (those already due count as sent: the change message says
    it), parts pre-picked for another day go back to stock, and the customer is told."""
    reason = (reason or "").strip()
    probe = appointment_access(actor=actor, appointment_id=appointment_id, permission="appointments.book")
    store = probe.store
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Give the reason.")]
    elif len(reason) > 200:
        errors["reason"] = [_("Enter at most %(n)s characters.") % {"n": 200}]
    now = timezone.now()
    calendar = store_calendar(store)
    if _aware(starts_at, "starts_at", errors) is not None and (problem := _start_problem(calendar, starts_at, now)):
        errors["starts_at"] = [problem]
    if advisor_id is not None and (problem := _advisor_problem(store, advisor_id)):
        errors["advisor"] = [problem]
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors)
    with transaction.atomic():
        settings = booking_settings_lock(store)
        appointment = appointment_access(
            actor=actor, appointment_id=appointment_id, permission="appointments.book", for_update=True
        )
        if appointment.state != Appointment.State.BOOKED:
            raise ConflictError(
                _("This cannot be done while it is “%(state)s”.") % {"state": appointment.get_state_display()},
                code="not_allowed",
            )
        rows = list(appointment.services.order_by("position"))
        needs = [need_of(row) for row in rows]
        plan = day_plan(
            store, calendar.local_date(starts_at), settings=settings, excluding=appointment.pk, calendar=calendar
        )
        data = BookingIn(
            starts_at=starts_at,
            services=[],
            channel=appointment.channel,
            advisor_id=advisor_id if advisor_id is not None else appointment.advisor_id,
            wish_at=starts_at,
            override_reason=(override_reason or "").strip()[:200],
        )
        placement, over = _placed(actor, plan, needs, data, now=now)
        before = calendar.local(appointment.starts_at)
        appointment.starts_at, appointment.ends_at = plan.at(placement.start), plan.at(placement.end)
        appointment.advisor_id = placement.advisor_id
        appointment.technician_id = placement.technician_id or None
        appointment.overbooked = over
        appointment.override_reason = data.override_reason if over else ""
        appointment.override_by = actor if over else None
        # Reminders for the new time; one already due would repeat the change message sent now.
        appointment.reminder_sent_at = _due_now(appointment.starts_at, settings.reminder_hours, now)
        appointment.same_day_sent_at = _due_now(appointment.starts_at, settings.same_day_reminder_hours, now)
        if before.date() != calendar.local_date(appointment.starts_at) and appointment.parts_status in MOVED_PARTS:
            # The pre-pick expires with its old day: given back, to be picked again for the new one.
            _release_parts(appointment)
            appointment.parts_status = Appointment.PartsStatus.TO_PICK
            appointment.staged_at, appointment.staged_by = None, None
        appointment.reason = reason
        appointment.save(actor=actor)
        AppointmentService.objects.filter(appointment=appointment).delete()
        appointment_services_write(appointment, plan, needs, placement)
        AppointmentEvent.objects.create(
            appointment=appointment,
            actor=actor,
            action="reschedule",
            from_state=appointment.state,
            to_state=appointment.state,
            note=f"{before:%Y-%m-%d %H:%M} → {calendar.local(appointment.starts_at):%Y-%m-%d %H:%M}: {reason}"[:500],
        )
        transaction.on_commit(lambda: appointment_message(appointment, "appointment_changed", actor=actor))
    return appointment


def appointment_cancel(*, actor: User, appointment_id: int, reason: str) -> Appointment:
    """Cancel a booked appointment with a reason; its pre-picked parts go back to stock."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give the reason."), field="reason")
    if len(reason) > 200:
        raise ApplicationError(_("Enter at most %(n)s characters.") % {"n": 200}, field="reason")
    with transaction.atomic():
        appointment = appointment_access(
            actor=actor, appointment_id=appointment_id, permission="appointments.book", for_update=True
        )
        appointment.reason = reason
        APPOINTMENT.apply(
            appointment, "cancel", actor=actor, event=_event(appointment), note=reason, save_fields=["reason"]
        )
        _release_parts(appointment)
        transaction.on_commit(lambda: appointment_message(appointment, "appointment_cancelled", actor=actor))
    return appointment


def _due_now(starts_at: datetime, hours_before: int, now: datetime) -> datetime | None:
    """``now`` when a reminder ``hours_before`` the start is already due (to count it as sent), else None."""
    return now if starts_at - timedelta(hours=hours_before) <= now else None


def _release_parts(appointment: Appointment) -> None:
    """Give back what was pre-picked for the appointment (no actor: the booking's own consequence)."""
    if Reservation.all_objects.filter(
        store_id=appointment.store_id, demand_type=Reservation.DemandType.APPOINTMENT, demand_id=appointment.pk
    ).exists():
        reservations_release(
            actor=None, store_id=appointment.store_id, demand_type="appointment", demand_id=appointment.pk
        )


def appointment_check_in(*, actor: User, appointment_id: int) -> Appointment:
    """The customer is here (``appointments.book``): a booking, or one marked no-show and come late."""
    with transaction.atomic():
        appointment = appointment_access(
            actor=actor, appointment_id=appointment_id, permission="appointments.book", for_update=True
        )
        appointment.arrived_at = timezone.now()
        late = appointment.state == Appointment.State.NO_SHOW
        APPOINTMENT.apply(
            appointment,
            "check_in",
            actor=actor,
            event=_event(appointment),
            note=_("Came late") if late else "",
            save_fields=["arrived_at"],
        )
    return appointment


def appointments_mark_no_show(*, now: datetime | None = None) -> int:
    """Mark as no-show every booking whose start plus its store's grace period has passed (a periodic
    job). Each is a conditional update from ``booked`` at the start it was read with, so a check-in or
    a move at the same moment wins; run twice, the second run finds nothing."""
    now = now or timezone.now()
    marked = 0
    graces = dict(BookingSettings.objects.values_list("store_id", "no_show_grace_minutes"))
    default_grace = BookingSettings._meta.get_field("no_show_grace_minutes").default
    candidates = Appointment.all_objects.filter(
        state=Appointment.State.BOOKED, starts_at__lte=now - timedelta(minutes=5)
    ).values_list("pk", "store_id", "starts_at")
    for appointment_id, store_id, starts_at in candidates.order_by("starts_at")[:5000]:
        grace = timedelta(minutes=graces.get(store_id, default_grace))
        if starts_at + grace > now:
            continue
        with transaction.atomic():
            # The start read above is part of the condition: a booking moved meanwhile is not marked.
            updated = Appointment.all_objects.filter(
                pk=appointment_id, state=Appointment.State.BOOKED, starts_at=starts_at
            ).update(state=Appointment.State.NO_SHOW)
            if updated == 1:
                AppointmentEvent.objects.create(
                    appointment_id=appointment_id,
                    action="no_show",
                    from_state=Appointment.State.BOOKED,
                    to_state=Appointment.State.NO_SHOW,
                    note=_("Not arrived %(n)s minutes after the start") % {"n": int(grace.total_seconds() // 60)},
                )
                marked += 1
    return marked
