"""Reception opens a visit (RCP-1), from a booking or as a walk-in, and keeps what it records on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.appointments.models import Appointment
from aftersales.appointments.services import appointment_access, appointment_check_in
from aftersales.core import identifiers
from aftersales.core.access import can
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import StaffMembership, Store, User
from aftersales.core.numbering import number_next
from aftersales.customers.models import MileageReading, Vehicle, VehicleLink
from aftersales.customers.selectors import customer_access, vehicle_access
from aftersales.customers.services import mileage_record, mobiles_of
from aftersales.visits.models import Visit, VisitEvent

MAX_MILEAGE = 2_000_000


def visit_access(
    *,
    actor: User | None,
    visit_id: int,
    permission: str = "visits.view",
    for_update: bool = False,
    related: tuple[str, ...] = (),
) -> Visit:
    """The visit ``actor`` may act on with ``permission`` (locked until commit when asked, the visit's row
    alone), with its ``related`` records read along; 404 otherwise, whether it is missing or of a store not
    theirs."""
    rows = Visit.all_objects.filter(pk=visit_id).select_related(*related)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    visit = rows.first()
    if visit is None or (actor is not None and not can(actor, permission, store_id=visit.store_id)):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return visit


def store_for(actor: User, store_id: int, permission: str) -> Store:
    store = Store.all_objects.filter(pk=store_id, is_active=True).first()
    if store is None or not can(actor, permission, store_id=store_id):
        raise ApplicationError(
            _("You may not do this in that store."), code="store_not_allowed", field="store", status=403
        )
    return store


def visit_event(visit: Visit, *, actor: User | None, action: str, note: str = "", state: str | None = None) -> None:
    VisitEvent.objects.create(
        visit=visit,
        actor=actor,
        action=action,
        from_state=visit.state if state is None else state,
        to_state=visit.state,
        note=note[:500],
    )


@dataclass
class VisitIn:
    store_id: int
    customer_id: int
    vehicle_id: int
    mileage_in: int
    fuel_level: int
    appointment_id: int | None = None
    advisor_id: int | None = None
    contact_name: str = ""
    contact_mobile: str = ""
    address_as: str = ""
    contact_verified: bool = False
    mileage_reason: str = ""
    parking_spot: str = ""
    key_tag: str = ""
    waiting: str = Visit.Waiting.LOUNGE
    lounge_notes: str = ""
    needs: str = ""
    promised_at: datetime | None = None


def _mobile(value: str, errors: dict[str, list[str]]) -> str:
    try:
        return identifiers.clean_mobile(value)
    except ValidationError as error:
        errors["contact_mobile"] = list(error.messages)
        return value


def last_reading(vehicle: Vehicle) -> MileageReading | None:
    return vehicle.mileage_readings.order_by("-read_on", "-pk").first()


def _mileage_problems(data: VisitIn, vehicle: Vehicle, errors: dict[str, list[str]]) -> None:
    if not 0 <= data.mileage_in <= MAX_MILEAGE:
        errors["mileage_in"] = [_("Enter the mileage in km, from 0 to %(n)s.") % {"n": f"{MAX_MILEAGE:,}"}]
        return
    latest = last_reading(vehicle)
    if latest is not None and data.mileage_in < latest.km and not data.mileage_reason.strip():
        errors["mileage_reason"] = [
            _("The mileage is lower than the last reading (%(km)s km on %(on)s): give a reason.")
            % {"km": f"{latest.km:,}", "on": latest.read_on.isoformat()}
        ]


def _advisor(store: Store, actor: User, advisor_id: int | None, errors: dict[str, list[str]]) -> User | None:
    if advisor_id is None:
        return actor
    advisor = User.objects.filter(pk=advisor_id, is_active=True).first()
    if advisor is None or not StaffMembership.objects.filter(user=advisor, store=store).exists():
        errors["advisor"] = [_("Choose an advisor of this store.")]
        return None
    return advisor


def _appointment(actor: User, store: Store, appointment_id: int, errors: dict[str, list[str]]) -> Appointment | None:
    try:
        appointment = appointment_access(
            actor=actor, appointment_id=appointment_id, permission="appointments.book", for_update=True
        )
    except ApplicationError:
        errors["appointment"] = [_("Choose a booking of this store.")]
        return None
    if appointment.store_id != store.pk:
        errors["appointment"] = [_("Choose a booking of this store.")]
    elif Visit.all_objects.filter(appointment=appointment).exists():
        errors["appointment"] = [_("This booking has been received already.")]
    elif appointment.state not in (Appointment.State.BOOKED, Appointment.State.NO_SHOW, Appointment.State.ARRIVED):
        errors["appointment"] = [_("This booking was cancelled: receive the car as a walk-in.")]
    return appointment


def visit_open(*, actor: User, data: VisitIn) -> Visit:
    """Open the visit of a car at reception (``visits.receive``): from a booking (checked in, its typed
    plate and model matched to the archive's vehicle) or as a walk-in; the mileage goes to the vehicle's
    history (a lower reading needs a reason). Every wrong field is named at once; nothing is written."""
    store = store_for(actor, data.store_id, "visits.receive")
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        customer = vehicle = None
        try:
            customer = customer_access(actor=actor, customer_id=data.customer_id)
        except ApplicationError:
            errors["customer"] = [_("Choose a customer of the archive.")]
        try:
            vehicle = vehicle_access(actor=actor, vehicle_id=data.vehicle_id, for_update=True)
        except ApplicationError:
            errors["vehicle"] = [_("Choose a vehicle of the archive.")]
        if vehicle is not None:
            if Visit.all_objects.filter(vehicle=vehicle, state=Visit.State.ON_SITE).exists():
                errors["vehicle"] = [_("This vehicle is on site already: open its visit.")]
            _mileage_problems(data, vehicle, errors)
        if not 0 <= data.fuel_level <= 8:
            errors["fuel_level"] = [_("Enter the fuel or charge level in eighths, from 0 to 8.")]
        if data.waiting not in Visit.Waiting.values:
            errors["waiting"] = [_("Choose one of the listed values.")]
        advisor = _advisor(store, actor, data.advisor_id, errors)
        appointment = _appointment(actor, store, data.appointment_id, errors) if data.appointment_id else None
        now = timezone.now()
        if data.promised_at is not None and data.promised_at <= now:
            errors["promised_at"] = [_("Promise a time in the future.")]
        mobile = data.contact_mobile.strip() or (mobiles_of(customer)[:1] or [""])[0] if customer else ""
        if customer is not None and not mobile:
            errors["contact_mobile"] = [_("Enter the mobile to reach the customer on.")]
        elif mobile:
            mobile = _mobile(mobile, errors)
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        if customer is None or vehicle is None or advisor is None:  # named in ``errors`` above
            raise ApplicationError(_("Some fields need attention."), status=422)
        if appointment is not None:
            if appointment.state != Appointment.State.ARRIVED:
                appointment = appointment_check_in(actor=actor, appointment_id=appointment.pk)
            changed = [
                name
                for name, value in (("customer", customer), ("vehicle", vehicle))
                if getattr(appointment, f"{name}_id") != value.pk
            ]
            if changed:  # the booking's typed plate and model matched (or corrected) to the archive's
                appointment.customer, appointment.vehicle = customer, vehicle
                appointment.save(update_fields=["customer", "vehicle"], actor=actor)
        latest = last_reading(vehicle)
        if latest is None or latest.km != data.mileage_in or latest.read_on != store_calendar(store).local_date(now):
            mileage_record(
                actor=actor,
                vehicle_id=vehicle.pk,
                km=data.mileage_in,
                read_on=store_calendar(store).local_date(now),
                source=MileageReading.Source.RECEPTION,
                reason=data.mileage_reason,
            )
        visit = Visit(
            store=store,
            appointment=appointment,
            customer=customer,
            vehicle=vehicle,
            advisor=advisor,
            contact_name=(data.contact_name.strip() or customer.name)[:60],
            contact_mobile=mobile[:20],
            address_as=data.address_as.strip()[:30],
            contact_verified_at=now if data.contact_verified else None,
            arrived_at=appointment.arrived_at if appointment is not None and appointment.arrived_at else now,
            mileage_in=data.mileage_in,
            fuel_level=data.fuel_level,
            parking_spot=data.parking_spot.strip()[:20],
            key_tag=data.key_tag.strip()[:20],
            waiting=data.waiting,
            lounge_notes=data.lounge_notes.strip()[:200],
            needs=data.needs.strip()[:2000] or (appointment.description if appointment is not None else ""),
            promised_at=data.promised_at,
            created_by=actor,
        )
        visit.number = number_next(store=store, doc_type="VS")
        visit.save(actor=actor)
        visit_event(visit, actor=actor, action="open", state="", note=appointment.number if appointment else "")
    return visit


# What reception may change on an open visit, and how each is cleaned.
EDITABLE = (
    "address_as",
    "parking_spot",
    "key_tag",
    "waiting",
    "lounge_notes",
    "needs",
    "promised_at",
    "contact_mobile",
)


def visit_update(*, actor: User, visit_id: int, changes: dict[str, Any], contact_verified: bool = False) -> Visit:
    """Change what reception keeps on a car on site (``visits.receive``): where it is parked, its key tag,
    the promised time, the lounge wishes, the contact; mark the contact details verified."""
    with transaction.atomic():
        visit = visit_access(actor=actor, visit_id=visit_id, permission="visits.receive", for_update=True)
        if visit.state != Visit.State.ON_SITE:
            raise ApplicationError(_("This car has left: its visit is closed."), code="not_allowed", status=409)
        errors: dict[str, list[str]] = {}
        unknown = set(changes) - set(EDITABLE)
        for name in sorted(unknown):
            errors[name] = [_("This cannot be changed here.")]
        if "waiting" in changes and changes["waiting"] not in Visit.Waiting.values:
            errors["waiting"] = [_("Choose one of the listed values.")]
        promised = changes.get("promised_at")
        if promised is not None and promised <= timezone.now() and promised != visit.promised_at:
            errors["promised_at"] = [_("Promise a time in the future.")]
        if "contact_mobile" in changes and not str(changes["contact_mobile"] or "").strip():
            errors["contact_mobile"] = [_("Enter the mobile to reach the customer on.")]
        elif "contact_mobile" in changes:
            changes = {**changes, "contact_mobile": _mobile(str(changes["contact_mobile"]), errors)}
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        limits = {field.name: getattr(field, "max_length", None) for field in Visit._meta.fields}
        fields = []
        for name, value in changes.items():
            if isinstance(value, str):
                value = value.strip()[: limits.get(name) or 2000]
            if getattr(visit, name) != value:
                setattr(visit, name, value)
                fields.append(name)
        if "contact_mobile" in fields and not contact_verified:  # a new number is not verified yet
            visit.contact_verified_at = None
            fields.append("contact_verified_at")
        elif contact_verified and visit.contact_verified_at is None:
            visit.contact_verified_at = timezone.now()
            fields.append("contact_verified_at")
        if fields:
            visit.save(update_fields=fields, actor=actor)
            visit_event(visit, actor=actor, action="update", note=", ".join(fields))
    return visit


def visit_leave(*, actor: User, visit_id: int, reason: str) -> Visit:
    """The customer left without signing an order (``visits.receive``); a reason is required."""
    with transaction.atomic():
        visit = visit_access(actor=actor, visit_id=visit_id, permission="visits.receive", for_update=True)
        if not reason.strip():
            raise ApplicationError(_("Give a reason."), field="reason", status=422)
        if visit.state != Visit.State.ON_SITE:
            raise ApplicationError(_("This car has left: its visit is closed."), code="not_allowed", status=409)
        if visit.orders.exclude(state="cancelled").exists():
            raise ApplicationError(
                _("This visit has a signed order: the car leaves at delivery."), code="not_allowed", status=409
            )
        visit.state, visit.left_at = Visit.State.LEFT, timezone.now()
        visit.save(update_fields=["state", "left_at"], actor=actor)
        visit_event(visit, actor=actor, action="leave", state=Visit.State.ON_SITE, note=reason.strip())
    return visit


def vehicle_is_customers(vehicle: Vehicle, customer_id: int) -> bool:
    """Whether the customer owns or drives the vehicle now (reception warns otherwise)."""
    return VehicleLink.objects.filter(vehicle=vehicle, customer_id=customer_id, valid_to=None).exists()
