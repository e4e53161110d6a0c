"""Writes of vehicles: checked input, create, update, owner transfer, drivers, mileage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Store, User
from aftersales.customers import search
from aftersales.customers.models import (
    Customer,
    MileageReading,
    PlateRegistration,
    SearchKey,
    Vehicle,
    VehicleLink,
    VehicleModel,
)
from aftersales.customers.selectors.customers import vehicle_access
from aftersales.customers.services.customers import error_collect
from aftersales.customers.services.quality import completeness_refresh
from aftersales.customers.services.warranty import warranty_derive

# What a null in a vehicle change means per field: optional fields are cleared to this value; the
# others (vin, vin_check_override, fuel_type) cannot be cleared and are refused by vehicle_clean.
_VEHICLE_CLEARED: dict[str, Any] = {
    "plate": "",
    "model_id": None,
    "model_year": None,
    "engine_no": "",
    "colour": "",
    "vin_override_reason": "",
    "use_type": "",
    "purchase_date": None,
    "delivery_date": None,
    "production_date": None,
    "selling_store_id": None,
}

# A plate held by another vehicle is taken from it only with these reasons (PlateRegistration.EndReason).
PLATE_RELEASE_REASONS = (
    PlateRegistration.EndReason.MOVED,
    PlateRegistration.EndReason.TRANSFERRED,
    PlateRegistration.EndReason.CORRECTED,
)

# The delivery may precede the invoice (a car handed over before it is invoiced), but not by this much.
DELIVERY_BEFORE_INVOICE_MAX = timedelta(days=365)


@dataclass(frozen=True)
class PlateRelease:
    """Ending a plate on the vehicle that holds it, so that another vehicle can take it."""

    registration: PlateRegistration
    on: date
    reason: str


_VIN_FIELDS = frozenset({"vin", "vin_check_override", "vin_override_reason"})


def _vehicle_value(field: str, cleaned: dict[str, Any], instance: Vehicle | None, default: Any = None) -> Any:
    """The value a field will have: the one sent, else the stored one."""
    if field in cleaned:
        return cleaned[field]
    return getattr(instance, field) if instance is not None else default


def _owner_number(found: tuple[int, str] | None) -> str | None:
    """A vehicle owner's customer number, as a refusal may name it: not a customer the actor may not see
    (another company's, without consent to sharing), who is named as such."""
    if found is None:
        return None
    customer_id, number = found
    return str(Customer.audit_hidden_name) if Customer.audit_hidden([customer_id]) else number


def _vin_taken_message(vin: str) -> str:
    """A VIN already in the archive: name its current owner, whom a transfer (not a copy) moves it from."""
    owner = _owner_number(
        VehicleLink.objects.filter(vehicle__vin=vin, role=VehicleLink.Role.OWNER, valid_to=None)
        .values_list("customer_id", "customer__number")
        .first()
    )
    if owner is None:
        return _("A vehicle with this VIN is already in the archive.")
    return _(
        "A vehicle with this VIN is already in the archive, owned by customer %(number)s; "
        "record a transfer instead of adding it again."
    ) % {"number": owner}


def _plate_check(
    cleaned: dict[str, Any], data: dict[str, Any], instance: Vehicle | None, errors: dict[str, list[str]]
) -> None:
    """A plate another vehicle holds is taken only by ending it there, with a date and a reason
    (``plate_release_on``, ``plate_release_reason``); ``cleaned["plate_release"]`` says how."""
    plate = cleaned["plate"]
    held_by = PlateRegistration.objects.select_related("vehicle").filter(plate=plate, valid_to=None)
    if instance is not None:
        held_by = held_by.exclude(vehicle_id=instance.pk)
    held = held_by.first()
    if held is None:
        return
    on, reason = data.get("plate_release_on"), data.get("plate_release_reason") or ""
    if not on and not reason:
        owner = _owner_number(
            VehicleLink.objects.filter(vehicle_id=held.vehicle_id, role=VehicleLink.Role.OWNER, valid_to=None)
            .values_list("customer_id", "customer__number")
            .first()
        )
        errors.setdefault("plate", []).append(
            _(
                "The plate %(plate)s is on the vehicle %(vin)s (customer %(owner)s) since %(since)s. To move it "
                "here, give the date and the reason it ended there."
            )
            % {"plate": plate, "vin": held.vehicle.vin, "owner": owner or "—", "since": held.valid_from.isoformat()}
        )
        return
    if reason not in PLATE_RELEASE_REASONS:
        errors.setdefault("plate_release_reason", []).append(
            _("Choose one of: %(choices)s.")
            % {"choices": ", ".join(str(PlateRegistration.EndReason(r).label) for r in PLATE_RELEASE_REASONS)}
        )
    if not isinstance(on, date):
        errors.setdefault("plate_release_on", []).append(_("Give the date the plate left the other vehicle."))
        return
    if on > timezone.localdate():
        errors.setdefault("plate_release_on", []).append(_("The date cannot be in the future."))
    elif on < held.valid_from:
        errors.setdefault("plate_release_on", []).append(
            _("The other vehicle has held the plate since %(date)s; the date cannot be before that.")
            % {"date": held.valid_from.isoformat()}
        )
    cleaned["plate_release"] = PlateRelease(held, on, reason)


def _facts_check(
    cleaned: dict[str, Any], data: dict[str, Any], instance: Vehicle | None, errors: dict[str, list[str]]
) -> None:
    """Use type, and the invoice and delivery dates the statutory periods run from."""
    if cleaned.get("use_type") and cleaned["use_type"] not in Vehicle.UseType.values:
        errors.setdefault("use_type", []).append(_("Choose one of the listed values."))
    today = timezone.localdate()
    for field in ("purchase_date", "delivery_date", "production_date"):
        if isinstance(cleaned.get(field), date) and cleaned[field] > today:
            errors.setdefault(field, []).append(_("The date cannot be in the future."))
    if {"purchase_date", "delivery_date"} & set(data):
        invoiced = _vehicle_value("purchase_date", cleaned, instance)
        delivered = _vehicle_value("delivery_date", cleaned, instance)
        if invoiced and delivered and invoiced - delivered > DELIVERY_BEFORE_INVOICE_MAX:
            errors.setdefault("delivery_date", []).append(
                _("The delivery date is more than a year before the invoice date (%(date)s); check both dates.")
                % {"date": invoiced.isoformat()}
            )


def _plate_apply(actor: User, vehicle: Vehicle, plate: str, *, on: date, release: PlateRelease | None) -> None:
    """Make ``plate`` the vehicle's current one in its history (ending its former plate on ``on``) after
    ending it on the vehicle that held it; both vehicles' search keys follow (the caller saves ``vehicle``)."""
    current = PlateRegistration.objects.select_related("vehicle").filter(vehicle=vehicle, valid_to=None).first()
    if current is not None and current.plate == plate:
        return
    if release is not None:
        held = release.registration
        held.valid_to, held.end_reason = release.on, release.reason
        held.save(actor=actor)
        other = held.vehicle
        if other.plate == held.plate:
            other.plate = ""
            other.version += 1
            other.save(actor=actor)
        vehicle_search_keys_rebuild(other)
        on = max(on, release.on)
    if current is not None:
        current.valid_to = max(on, current.valid_from)
        current.end_reason = PlateRegistration.EndReason.REPLACED if plate else PlateRegistration.EndReason.DEREGISTERED
        current.save(actor=actor)
        on = max(on, current.valid_to)
    if plate:
        PlateRegistration(vehicle=vehicle, plate=plate, valid_from=on).save(actor=actor)


def _plate_taken() -> ApplicationError:
    return ApplicationError(
        _("Some fields are not valid."),
        fields={"plate": [_("Another vehicle took this plate a moment ago; reload and try again.")]},
        status=422,
    )


def vehicle_clean(data: dict[str, Any], *, instance: Vehicle | None = None) -> dict[str, Any]:
    """Normalise and validate vehicle fields; raise one ApplicationError listing every bad field.

    With ``instance`` (a change) only the fields in ``data`` change, and rules that tie fields
    together (VIN and its override, warranty start and end) are checked against the stored values.
    """
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    for field, cleared in _VEHICLE_CLEARED.items():
        if field in data and data[field] is None:
            cleaned[field] = cleared
    if "fuel_type" in data and data["fuel_type"] not in Vehicle.FuelType.values:
        errors.setdefault("fuel_type", []).append(_("Choose one of the listed values."))
    if instance is None or _VIN_FIELDS & set(data):
        override = _vehicle_value("vin_check_override", cleaned, instance, default=False)
        if not isinstance(override, bool):
            errors.setdefault("vin_check_override", []).append(_("Enter true or false."))
            override = bool(override)
        reason = (_vehicle_value("vin_override_reason", cleaned, instance, default="") or "").strip()
        try:
            cleaned["vin"] = identifiers.clean_vin(
                _vehicle_value("vin", cleaned, instance) or "", allow_bad_check_digit=override
            )
        except ValidationError as error:
            error_collect(errors, "vin", error)
        if override and not reason:
            errors.setdefault("vin_override_reason", []).append(
                _("Give the reason why this VIN has no valid check digit (e.g. imported vehicle).")
            )
        # A reason is kept only while the check digit is overridden.
        cleaned["vin_check_override"], cleaned["vin_override_reason"] = override, reason if override else ""
        if "vin" not in errors:
            clash = Vehicle.objects.filter(vin=cleaned["vin"])
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                errors.setdefault("vin", []).append(_vin_taken_message(cleaned["vin"]))
    if cleaned.get("plate"):
        try:
            cleaned["plate"] = identifiers.clean_plate(cleaned["plate"])
        except ValidationError as error:
            error_collect(errors, "plate", error)
    cleaned.pop("plate_release_on", None)
    cleaned.pop("plate_release_reason", None)
    if cleaned.get("plate") and "plate" not in errors:
        _plate_check(cleaned, data, instance, errors)
    _facts_check(cleaned, data, instance, errors)
    if cleaned.get("model_id"):
        model = VehicleModel.objects.filter(pk=cleaned["model_id"]).first()
        if model is None:
            errors.setdefault("model_id", []).append(_("No such vehicle model."))
        elif "fuel_type" not in data and model.fuel_type in Vehicle.FuelType.values:
            cleaned["fuel_type"] = model.fuel_type  # the model's, unless the person chose one
    if cleaned.get("selling_store_id") and not Store.all_objects.filter(pk=cleaned["selling_store_id"]).exists():
        errors.setdefault("selling_store_id", []).append(_("No such store."))
    year = cleaned.get("model_year")
    if year is not None and not 1950 <= int(year) <= timezone.localdate().year + 1:
        errors.setdefault("model_year", []).append(_("Enter a model year between 1950 and next year."))
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    return cleaned


_VEHICLE_FIELDS = (
    "vin",
    "vin_check_override",
    "vin_override_reason",
    "plate",
    "model_id",
    "model_year",
    "engine_no",
    "colour",
    "fuel_type",
    "use_type",
    "purchase_date",
    "delivery_date",
    "production_date",
    "selling_store_id",
)


def vehicle_search_keys_rebuild(vehicle: Vehicle) -> None:
    """The vehicle's search keys from its VIN, current plate and former plates (its plate history)."""
    former = PlateRegistration.objects.filter(vehicle=vehicle).exclude(valid_to=None).values_list("plate", flat=True)
    SearchKey.objects.filter(vehicle=vehicle).delete()
    SearchKey.objects.bulk_create(
        SearchKey(key=key, kind=kind, vehicle=vehicle)
        for kind, key in search.vehicle_keys(vin=vehicle.vin, plate=vehicle.plate, former_plates=former)
    )


@transaction.atomic
def vehicle_create(*, actor: User, owner: Customer, data: dict[str, Any], owned_from: date | None = None) -> Vehicle:
    """Add a vehicle to the archive with its current owner."""
    if owner.merged_into_id or owner.anonymised_at:
        raise ApplicationError(_("No such active customer."), field="owner_id", status=422)
    cleaned = vehicle_clean(data)
    vehicle = Vehicle()
    for field in _VEHICLE_FIELDS:
        if field in cleaned and cleaned[field] is not None:
            setattr(vehicle, field, cleaned[field])
    warranty_derive(vehicle)
    try:
        with transaction.atomic():
            vehicle.save(actor=actor)
    except IntegrityError:
        raise ApplicationError(
            _("Some fields are not valid."),
            fields={"vin": [_("A vehicle with this VIN is already in the archive.")]},
            status=422,
        ) from None
    if vehicle.plate:
        try:
            with transaction.atomic():
                _plate_apply(
                    actor,
                    vehicle,
                    vehicle.plate,
                    on=vehicle.delivery_date or vehicle.purchase_date or timezone.localdate(),
                    release=cleaned.get("plate_release"),
                )
        except IntegrityError:
            raise _plate_taken() from None
    VehicleLink(
        vehicle=vehicle,
        customer=owner,
        role="owner",
        valid_from=owned_from or vehicle.purchase_date or timezone.localdate(),
    ).save(actor=actor)
    vehicle_search_keys_rebuild(vehicle)
    completeness_refresh(owner)
    return vehicle


@transaction.atomic
def vehicle_update(*, actor: User, vehicle_id: int, version: int, data: dict[str, Any]) -> Vehicle:
    """Change a vehicle (its VIN too). ``version`` is the one the editor loaded: a newer one means
    someone else saved first, and the change is refused (409) instead of overwriting theirs.

    Only the fields in ``data`` change; a null clears an optional field (see ``vehicle_clean``).
    """
    vehicle = vehicle_access(actor=actor, vehicle_id=vehicle_id, for_update=True)
    if vehicle.version != version:
        raise ConflictError(
            _("Someone else changed this vehicle after you opened it. Reload to see their changes."), code="conflict"
        )
    cleaned = vehicle_clean(data, instance=vehicle)
    former_plate = vehicle.plate
    for field in _VEHICLE_FIELDS:
        if field in cleaned:
            setattr(vehicle, field, cleaned[field])
    if {"purchase_date", "delivery_date", "model_id"} & set(cleaned):
        warranty_derive(vehicle)
    vehicle.version += 1
    if vehicle.plate != former_plate or cleaned.get("plate_release"):
        release = cleaned.get("plate_release")
        try:
            with transaction.atomic():
                _plate_apply(
                    actor, vehicle, vehicle.plate, on=release.on if release else timezone.localdate(), release=release
                )
        except IntegrityError:
            raise _plate_taken() from None
    try:
        with transaction.atomic():
            vehicle.save(actor=actor)
    except IntegrityError:
        # Another vehicle took the corrected VIN between the check and the save.
        raise ApplicationError(
            _("Some fields are not valid."),
            fields={"vin": [_("A vehicle with this VIN is already in the archive.")]},
            status=422,
        ) from None
    vehicle_search_keys_rebuild(vehicle)
    return vehicle


@transaction.atomic
def vehicle_transfer(*, actor: User, vehicle_id: int, new_owner: Customer, on: date) -> VehicleLink:
    """End the current ownership on ``on`` and start the new owner's; history is kept."""
    vehicle = vehicle_access(actor=actor, vehicle_id=vehicle_id, for_update=True)
    if new_owner.merged_into_id or new_owner.anonymised_at:
        raise ApplicationError(_("No such active customer."), field="customer_id", status=422)
    if on > timezone.localdate():
        raise ApplicationError(_("The transfer date cannot be in the future."), field="on", status=422)
    current = VehicleLink.objects.filter(vehicle=vehicle, role="owner", valid_to=None).first()
    if current is not None:
        if current.customer_id == new_owner.pk:
            raise ApplicationError(_("This customer already owns the vehicle."), field="customer_id", status=422)
        if on < current.valid_from:
            raise ApplicationError(_("The transfer date is before the current owner's start."), field="on", status=422)
        current.valid_to = on
        current.save(actor=actor)
    # A driver who becomes the owner drives it as its owner from then on.
    for driving in VehicleLink.objects.filter(vehicle=vehicle, customer=new_owner, role="driver", valid_to=None):
        driving.valid_to = max(on, driving.valid_from)
        driving.save(actor=actor)
    link = VehicleLink(vehicle=vehicle, customer=new_owner, role="owner", valid_from=on)
    link.save(actor=actor)
    completeness_refresh(new_owner)
    if current is not None:
        completeness_refresh(current.customer)
    return link


@transaction.atomic
def vehicle_driver_add(*, actor: User, vehicle_id: int, customer_id: int, valid_from: date) -> VehicleLink:
    """Record a customer as a driver of the vehicle from ``valid_from`` (audited as a new link).

    The vehicle row stays locked until commit, so two editors cannot add the same driver twice.
    """
    vehicle = vehicle_access(actor=actor, vehicle_id=vehicle_id, for_update=True)
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or customer.merged_into_id or customer.anonymised_at:
        raise ApplicationError(_("No such active customer."), field="customer_id", status=422)
    if valid_from > timezone.localdate():
        raise ApplicationError(_("The start date cannot be in the future."), field="valid_from", status=422)
    links = VehicleLink.objects.filter(vehicle=vehicle, customer=customer)
    if links.filter(role=VehicleLink.Role.OWNER, valid_to=None).exists():
        raise ApplicationError(
            _("This customer owns the vehicle; an owner is not also recorded as a driver."),
            field="customer_id",
            status=422,
        )
    # A period that ended on the new start date does not overlap it (the same rule as a transfer).
    overlapping = (
        links.filter(role=VehicleLink.Role.DRIVER)
        .filter(Q(valid_to=None) | Q(valid_to__gt=valid_from))
        .order_by(F("valid_to").desc(nulls_first=True))
        .first()
    )
    if overlapping is not None and overlapping.valid_to is None:
        raise ApplicationError(_("This customer is already a driver of this vehicle."), field="customer_id", status=422)
    if overlapping is not None:
        raise ApplicationError(
            _("This customer drove this vehicle until %(date)s; a new period cannot start before that.")
            % {"date": overlapping.valid_to.isoformat()},  # type: ignore[union-attr]
            field="valid_from",
            status=422,
        )
    link = VehicleLink(vehicle=vehicle, customer=customer, role=VehicleLink.Role.DRIVER, valid_from=valid_from)
    link.save(actor=actor)
    completeness_refresh(customer)
    return link


@transaction.atomic
def vehicle_driver_end(*, actor: User, vehicle_id: int, link_id: int, valid_to: date) -> VehicleLink:
    """End a current driver's period on ``valid_to`` (audited as a change of the link); history is kept.

    The vehicle row stays locked until commit, as for every change of its owners and drivers.
    """
    vehicle = vehicle_access(actor=actor, vehicle_id=vehicle_id, for_update=True)
    link = (
        VehicleLink.objects.select_related("customer")
        .filter(pk=link_id, vehicle=vehicle, role=VehicleLink.Role.DRIVER)
        .first()
    )
    if link is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    if link.valid_to is not None:
        raise ConflictError(
            _("This driver's period already ended on %(date)s.") % {"date": link.valid_to.isoformat()}, code="ended"
        )
    if valid_to > timezone.localdate():
        raise ApplicationError(_("The end date cannot be in the future."), field="valid_to", status=422)
    if valid_to < link.valid_from:
        raise ApplicationError(
            _("The end date cannot be before the start (%(date)s).") % {"date": link.valid_from.isoformat()},
            field="valid_to",
            status=422,
        )
    link.valid_to = valid_to
    link.save(actor=actor)
    completeness_refresh(link.customer)
    return link


@transaction.atomic
def mileage_record(
    *, actor: User, vehicle_id: int, km: int, read_on: date, source: str, reason: str = ""
) -> MileageReading:
    """Add an odometer reading. A reading below the latest one needs a reason."""
    vehicle = vehicle_access(actor=actor, vehicle_id=vehicle_id, for_update=True)
    if read_on > timezone.localdate():
        raise ApplicationError(_("The reading date cannot be in the future."), field="read_on", status=422)
    if source not in MileageReading.Source.values:
        raise ApplicationError(_("Choose one of the listed values."), field="source", status=422)
    latest = vehicle.mileage_readings.order_by("-read_on", "-pk").first()
    if latest is not None and km < latest.km and not reason.strip():
        raise ApplicationError(
            _("This reading is lower than the last one (%(km)s km on %(on)s); give a reason.")
            % {"km": latest.km, "on": latest.read_on.isoformat()},
            field="reason",
            status=422,
        )
    reading = MileageReading.objects.create(
        vehicle=vehicle, km=km, read_on=read_on, source=source, reason=reason.strip(), recorded_by=actor
    )

    audit_append(
        action="create",
        actor=actor,
        store_id=vehicle.selling_store_id,
        object_type="customers.mileagereading",
        object_id=str(reading.pk),
        object_repr=f"{vehicle.plate or vehicle.vin}: {km} km",
        changes={"km": [None, km], "read_on": [None, read_on.isoformat()], "vehicle_id": [None, vehicle.pk]},
    )
    return reading


@transaction.atomic
def next_service_set(*, actor: User, vehicle_id: int, on: date | None, km: int | None) -> Vehicle:
    """Record when the car is next due for service (agreed with the customer at a delivery)."""
    vehicle = vehicle_access(actor=actor, vehicle_id=vehicle_id, for_update=True)
    if (vehicle.next_service_on, vehicle.next_service_km) != (on, km):
        vehicle.next_service_on, vehicle.next_service_km = on, km
        vehicle.version += 1
        vehicle.save(update_fields=["next_service_on", "next_service_km", "version", "updated_at"], actor=actor)
    return vehicle
