"""Writes of the archive: customers, their mobiles, vehicles, owners and drivers, mileage."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Store, User
from aftersales.core.services import number_next
from aftersales.customers import identifiers, privacy, quality, search
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    MileageReading,
    SearchKey,
    Vehicle,
    VehicleLink,
    VehicleModel,
)

# Letters of any script, digits, spaces and the punctuation real names and company names use.
_NAME_PUNCTUATION = set(" ·•.-&()（）")


def _clean_name(value: str, *, kind: str) -> str:
    name = re.sub(r"\s+", " ", identifiers.normalise(value)).strip()
    if not name:
        raise ValidationError(_("This field is required."))
    if len(name) > 100:
        raise ValidationError(_("Enter at most %(n)s characters.") % {"n": 100})
    bad = sorted(
        {
            char
            for char in name
            if not (unicodedata.category(char)[0] in {"L", "N"} or char in _NAME_PUNCTUATION)
            or (kind == Customer.Kind.INDIVIDUAL and unicodedata.category(char)[0] == "N")
        }
    )
    if bad:
        raise ValidationError(
            _("The name contains characters that are not allowed: %(chars)s") % {"chars": " ".join(bad)}
        )
    return name


def _collect(errors: dict[str, list[str]], field: str, error: ValidationError) -> None:
    errors.setdefault(field, []).extend(str(message) for message in error.messages)


_CHOICES = {
    "kind": frozenset(Customer.Kind.values),
    "source": frozenset(Customer.Source.values),
    "customer_class": frozenset(Customer.CustomerClass.values),
    "marketing_consent_channel": frozenset(Customer.ConsentChannel.values),
    "data_consent_channel": frozenset(Customer.ConsentChannel.values),
}
_OPTIONAL_CHOICES = frozenset({"marketing_consent_channel", "data_consent_channel"})


def customer_clean(data: dict[str, Any], *, instance: Customer | None = None) -> dict[str, Any]:
    """Normalise and validate customer fields; raise one ApplicationError listing every bad field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = dict(data.items())
    kind = data.get("kind") or (instance.kind if instance else Customer.Kind.INDIVIDUAL)
    cleaned["kind"] = kind
    if "name" in data or instance is None:
        try:
            cleaned["name"] = _clean_name(data.get("name") or "", kind=kind)
        except ValidationError as error:
            _collect(errors, "name", error)
    if "mobiles" in data:
        mobiles: list[str] = []
        for index, raw in enumerate(data.get("mobiles") or []):
            try:
                mobile = identifiers.clean_mobile(raw)
            except ValidationError as error:
                _collect(errors, f"mobiles.{index}", error)
                continue
            if mobile in mobiles:
                errors.setdefault(f"mobiles.{index}", []).append(_("This mobile number is listed twice."))
            mobiles.append(mobile)
        cleaned["mobiles"] = mobiles
    for field, cleaner in (
        ("email", identifiers.clean_email),
        ("uscc", identifiers.clean_uscc),
        ("resident_id", identifiers.clean_resident_id),
    ):
        value = (data.get(field) or "").strip()
        if field in data and value:
            try:
                cleaned[field] = cleaner(value)
            except ValidationError as error:
                _collect(errors, field, error)
        elif field in data:
            cleaned[field] = ""
    if data.get("emergency_phone"):
        try:
            cleaned["emergency_phone"] = identifiers.clean_mobile(data["emergency_phone"])
        except ValidationError as error:
            _collect(errors, "emergency_phone", error)
    if data.get("landline"):
        try:
            cleaned["landline"] = identifiers.clean_landline(data["landline"])
        except ValidationError as error:
            _collect(errors, "landline", error)
    if data.get("emergency_contact"):
        try:
            cleaned["emergency_contact"] = _clean_name(data["emergency_contact"], kind=Customer.Kind.INDIVIDUAL)
        except ValidationError as error:
            _collect(errors, "emergency_contact", error)
    for field, choices in _CHOICES.items():
        if field in data and data[field] not in choices and (data[field] or field not in _OPTIONAL_CHOICES):
            errors.setdefault(field, []).append(_("Choose one of the listed values."))
    if "tags" in data:
        tags = data["tags"] if data["tags"] is not None else []
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            errors.setdefault("tags", []).append(_("Enter a list of tags."))
        cleaned["tags"] = tags
    if data.get("owner_id") is not None and not User.objects.filter(pk=data["owner_id"], is_active=True).exists():
        errors.setdefault("owner_id", []).append(_("No such staff member."))
    if kind == Customer.Kind.COMPANY and cleaned.get("resident_id"):
        errors.setdefault("resident_id", []).append(_("A company has no resident ID; enter its credit code."))
    if kind == Customer.Kind.INDIVIDUAL and cleaned.get("uscc"):
        errors.setdefault("uscc", []).append(_("Only a company has a unified social credit code."))
    for flag in ("marketing", "data"):
        if data.get(f"{flag}_consent") and not data.get(f"{flag}_consent_channel"):
            errors.setdefault(f"{flag}_consent_channel", []).append(_("Record how the consent was given."))
        withdrawn = f"{flag}_consent" in data and not data[f"{flag}_consent"]
        if instance is not None and withdrawn and getattr(instance, f"{flag}_consent"):
            # A withdrawal is a personal-information request: the customer's home store handles it, and
            # withdrawing data-processing consent deletes the document copies (pi_requests).
            errors.setdefault(f"{flag}_consent", []).append(
                _(
                    "A consent is withdrawn among the customer's personal-information requests, "
                    "by the store that registered the customer."
                )
            )
    if cleaned.get("uscc"):
        # ~Q(uscc="") repeats the unique index's condition, so that the lookup can use that partial index.
        clash = Customer.objects.filter(~Q(uscc=""), uscc=cleaned["uscc"], merged_into=None)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors.setdefault("uscc", []).append(
                _("Customer %(number)s already has this credit code.") % {"number": clash.first().number}  # type: ignore[union-attr]
            )
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    return cleaned


_SIMPLE_FIELDS = (
    "kind",
    "name",
    "landline",
    "email",
    "province",
    "city",
    "district",
    "street",
    "uscc",
    "emergency_contact",
    "emergency_phone",
    "preferences",
    "tags",
    "source",
    "customer_class",
)


def _apply(customer: Customer, cleaned: dict[str, Any], *, actor: User) -> None:
    for field in _SIMPLE_FIELDS:
        if field in cleaned:
            setattr(customer, field, cleaned[field] if cleaned[field] is not None else "")
    if "owner_id" in cleaned:
        customer.owner_id = cleaned["owner_id"]
    if "resident_id" in cleaned:
        value = cleaned["resident_id"]
        customer.resident_id_cipher = privacy.encrypt(value)
        customer.resident_id_digest = privacy.digest(value)
        customer.resident_id_hint = identifiers.mask_resident_id(value) if value else ""
    now = timezone.now()
    for flag in ("marketing", "data"):
        if f"{flag}_consent" in cleaned:
            given = bool(cleaned[f"{flag}_consent"])
            channel = cleaned.get(f"{flag}_consent_channel") or ""
            if given != getattr(customer, f"{flag}_consent"):
                setattr(customer, f"{flag}_consent", given)
                setattr(customer, f"{flag}_consent_at", now)
                setattr(customer, f"{flag}_consent_channel", channel)
            elif given and channel and channel != getattr(customer, f"{flag}_consent_channel"):
                # The same consent re-recorded through another channel: a new consent record.
                setattr(customer, f"{flag}_consent_at", now)
                setattr(customer, f"{flag}_consent_channel", channel)
    initials, full = search.name_initials_and_pinyin(customer.name)
    customer.name_initials = " ".join(initials)
    customer.name_pinyin = full


def _mobiles(customer: Customer) -> list[str]:
    """The customer's mobiles, primary first."""
    return list(customer.phones.order_by("-is_primary", "pk").values_list("number", flat=True))


def _audit_mobiles(customer: Customer, before: list[str], after: list[str], **extra: Any) -> None:
    """One entry on the customer for a change of its mobiles (the first is the primary), erasable."""
    if before == after and not extra:
        return
    audit_append(
        action="update",
        store_id=customer.home_store_id,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=customer.number,
        changes={"mobiles": [before, after], **extra},
        subject=customer.audit_subject(),
        personal=frozenset({"mobiles"}),
    )


def _sync_phones(customer: Customer, mobiles: list[str]) -> None:
    existing = {phone.number: phone for phone in customer.phones.all()}
    for number, phone in existing.items():
        if number not in mobiles:
            phone.delete()
    for number in mobiles:
        if number not in existing:
            CustomerPhone.objects.create(customer=customer, number=number, is_primary=False)
    # The first number listed is the primary one.
    CustomerPhone.objects.filter(customer=customer).exclude(number=mobiles[0] if mobiles else "").update(
        is_primary=False
    )
    if mobiles:
        CustomerPhone.objects.filter(customer=customer, number=mobiles[0]).update(is_primary=True)


def customer_search_keys_rebuild(customer: Customer) -> None:
    SearchKey.objects.filter(customer=customer).delete()
    if customer.merged_into_id or customer.anonymised_at:
        return
    mobiles = list(customer.phones.values_list("number", flat=True))
    keys = search.customer_keys(number=customer.number, name=customer.name, mobiles=mobiles)
    keys += [("number", alias) for alias in customer.aliases.values_list("number", flat=True)]
    SearchKey.objects.bulk_create(SearchKey(key=key, kind=kind, customer=customer) for kind, key in keys)


@transaction.atomic
def customer_create(*, actor: User, store: Store, data: dict[str, Any]) -> Customer:
    """Register a customer at ``store``; the number comes from that store's sequence."""
    cleaned = customer_clean(data)
    customer = Customer(home_store=store, number=number_next(store=store, doc_type="CUS"), owner=actor)
    # The archive owner (责任人) is whoever registers the customer unless someone else is named.
    _apply(customer, cleaned, actor=actor)
    if cleaned.get("owner_id") is None:
        customer.owner = actor
    customer.audit_mobiles = list(cleaned.get("mobiles", []))  # recorded in the creation entry
    customer.save()
    _sync_phones(customer, cleaned.get("mobiles", []))
    customer_search_keys_rebuild(customer)
    quality.completeness_refresh(customer)
    return customer


@transaction.atomic
def customer_update(*, actor: User, customer_id: int, version: int, data: dict[str, Any]) -> Customer:
    """Change a customer. ``version`` is the one the editor loaded: a newer one means someone else
    saved first, and the change is refused (409) instead of overwriting theirs."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id, merged_into=None).first()
    if customer is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    if customer.anonymised_at is not None:
        # Editing would bring personal data back into a record the person asked to have removed.
        raise ApplicationError(
            _("This customer was anonymised on request; the record can no longer be edited."),
            code="anonymised",
            status=409,
        )
    if customer.version != version:
        raise ConflictError(
            _("Someone else changed this customer after you opened it. Reload to see their changes."),
            code="conflict",
        )
    cleaned = customer_clean(data, instance=customer)
    _apply(customer, cleaned, actor=actor)
    customer.version += 1
    customer.save()
    if "mobiles" in cleaned:
        before = _mobiles(customer)
        _sync_phones(customer, cleaned["mobiles"])
        _audit_mobiles(customer, before, cleaned["mobiles"])
    customer_search_keys_rebuild(customer)
    quality.completeness_refresh(customer)
    return customer


@transaction.atomic
def customer_mark_reviewed(*, actor: User, customer_id: int) -> Customer:
    customer = Customer.objects.select_for_update().filter(pk=customer_id, merged_into=None).first()
    if customer is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    customer.reviewed_at = timezone.now()
    customer.save()
    return customer


# What a null in a vehicle change means per field: optional fields are cleared to this value; the
# others (vin, vin_check_override, fuel_type) cannot be cleared and are refused by vehicle_clean.
_VEHICLE_CLEARED: dict[str, Any] = {
    "plate": "",
    "model_id": None,
    "model_year": None,
    "engine_no": "",
    "colour": "",
    "vin_override_reason": "",
    "purchase_date": None,
    "selling_store_id": None,
    "warranty_start": None,
    "warranty_end": None,
    "warranty_km_limit": None,
}
_VIN_FIELDS = frozenset({"vin", "vin_check_override", "vin_override_reason"})


def _vehicle_value(field: str, cleaned: dict[str, Any], instance: Vehicle | None, default: Any = None) -> Any:
    """The value a field will have: the one sent, else the stored one."""
    if field in cleaned:
        return cleaned[field]
    return getattr(instance, field) if instance is not None else default


def _vin_taken_message(vin: str) -> str:
    """A VIN already in the archive: name its current owner, whom a transfer (not a copy) moves it from."""
    owner = (
        VehicleLink.objects.filter(vehicle__vin=vin, role=VehicleLink.Role.OWNER, valid_to=None)
        .values_list("customer__number", flat=True)
        .first()
    )
    if owner is None:
        return _("A vehicle with this VIN is already in the archive.")
    return _(
        "A vehicle with this VIN is already in the archive, owned by customer %(number)s; "
        "record a transfer instead of adding it again."
    ) % {"number": owner}


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
            _collect(errors, "vin", error)
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
            _collect(errors, "plate", error)
    if {"warranty_start", "warranty_end"} & set(data):
        start = _vehicle_value("warranty_start", cleaned, instance)
        end = _vehicle_value("warranty_end", cleaned, instance)
        if start and end and end < start:
            errors.setdefault("warranty_end", []).append(_("The warranty cannot end before it starts."))
    if cleaned.get("model_id") and not VehicleModel.objects.filter(pk=cleaned["model_id"]).exists():
        errors.setdefault("model_id", []).append(_("No such vehicle model."))
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
    "purchase_date",
    "selling_store_id",
    "warranty_start",
    "warranty_end",
    "warranty_km_limit",
)


def vehicle_search_keys_rebuild(vehicle: Vehicle) -> None:
    SearchKey.objects.filter(vehicle=vehicle).delete()
    SearchKey.objects.bulk_create(
        SearchKey(key=key, kind=kind, vehicle=vehicle)
        for kind, key in search.vehicle_keys(vin=vehicle.vin, plate=vehicle.plate)
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
    try:
        with transaction.atomic():
            vehicle.save()
    except IntegrityError:
        raise ApplicationError(
            _("Some fields are not valid."),
            fields={"vin": [_("A vehicle with this VIN is already in the archive.")]},
            status=422,
        ) from None
    VehicleLink.objects.create(
        vehicle=vehicle,
        customer=owner,
        role="owner",
        valid_from=owned_from or vehicle.purchase_date or timezone.localdate(),
    )
    vehicle_search_keys_rebuild(vehicle)
    quality.completeness_refresh(owner)
    return vehicle


@transaction.atomic
def vehicle_update(*, actor: User, vehicle_id: int, version: int, data: dict[str, Any]) -> Vehicle:
    """Change a vehicle (its VIN too). ``version`` is the one the editor loaded: a newer one means
    someone else saved first, and the change is refused (409) instead of overwriting theirs.

    Only the fields in ``data`` change; a null clears an optional field (see ``vehicle_clean``).
    """
    vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
    if vehicle is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    if vehicle.version != version:
        raise ConflictError(
            _("Someone else changed this vehicle after you opened it. Reload to see their changes."), code="conflict"
        )
    cleaned = vehicle_clean(data, instance=vehicle)
    for field in _VEHICLE_FIELDS:
        if field in cleaned:
            setattr(vehicle, field, cleaned[field])
    vehicle.version += 1
    try:
        with transaction.atomic():
            vehicle.save()
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
    vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
    if vehicle is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
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
        current.save()
    # A driver who becomes the owner drives it as its owner from then on.
    for driving in VehicleLink.objects.filter(vehicle=vehicle, customer=new_owner, role="driver", valid_to=None):
        driving.valid_to = max(on, driving.valid_from)
        driving.save()
    link = VehicleLink.objects.create(vehicle=vehicle, customer=new_owner, role="owner", valid_from=on)
    quality.completeness_refresh(new_owner)
    if current is not None:
        quality.completeness_refresh(current.customer)
    return link


@transaction.atomic
def vehicle_driver_add(*, actor: User, vehicle_id: int, customer_id: int, valid_from: date) -> VehicleLink:
    """Record a customer as a driver of the vehicle from ``valid_from`` (audited as a new link).

    The vehicle row stays locked until commit, so two editors cannot add the same driver twice.
    """
    vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
    if vehicle is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
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
    link.save()
    quality.completeness_refresh(customer)
    return link


@transaction.atomic
def vehicle_driver_end(*, actor: User, vehicle_id: int, link_id: int, valid_to: date) -> VehicleLink:
    """End a current driver's period on ``valid_to`` (audited as a change of the link); history is kept.

    The vehicle row stays locked until commit, as for every change of its owners and drivers.
    """
    vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
    link = (
        VehicleLink.objects.select_related("customer")
        .filter(pk=link_id, vehicle=vehicle, role=VehicleLink.Role.DRIVER)
        .first()
        if vehicle is not None
        else None
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
    link.save()
    quality.completeness_refresh(link.customer)
    return link


@transaction.atomic
def mileage_record(
    *, actor: User, vehicle_id: int, km: int, read_on: date, source: str, reason: str = ""
) -> MileageReading:
    """Add an odometer reading. A reading below the latest one needs a reason."""
    vehicle = Vehicle.objects.select_for_update().filter(pk=vehicle_id).first()
    if vehicle is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
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
    from aftersales.core.audit import audit_append

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


# --- duplicates and merge ------------------------------------------------------------------------

# Fields the merging user picks from either record ("survivor" keeps the surviving record's value).
MERGEABLE_FIELDS = (
    "name",
    "kind",
    "landline",
    "email",
    "province",
    "city",
    "district",
    "street",
    "uscc",
    "resident_id",
    "emergency_contact",
    "emergency_phone",
    "preferences",
    "source",
    "owner_id",
    "customer_class",
    "marketing_consent",
    "data_consent",
)


def _links_settle_for_merge(survivor: Customer, merged: Customer) -> None:
    """Before the merged record's vehicle links move to the survivor, end the open driver periods that
    would make one person drive a vehicle twice, or drive the vehicle they own (audited link changes)."""
    today = timezone.localdate()
    open_links = VehicleLink.objects.filter(customer__in=[survivor, merged], valid_to=None).order_by("pk")
    held: dict[int, dict[int, VehicleLink]] = {survivor.pk: {}, merged.pk: {}}
    roles: dict[tuple[int, int], set[str]] = {}
    for link in open_links:
        roles.setdefault((link.customer_id, link.vehicle_id), set()).add(link.role)
        if link.role == VehicleLink.Role.DRIVER:
            held[link.customer_id][link.vehicle_id] = link
    for vehicle_id, link in list(held[merged.pk].items()):
        if roles.get((survivor.pk, vehicle_id)):  # the survivor already drives or owns it
            link.valid_to = max(today, link.valid_from)
            link.save()
    for vehicle_id, link in list(held[survivor.pk].items()):
        if VehicleLink.Role.OWNER in roles.get((merged.pk, vehicle_id), set()):  # it becomes the survivor's own
            link.valid_to = max(today, link.valid_from)
            link.save()


@transaction.atomic
def customer_merge(*, actor: User, survivor_id: int, merged_id: int, choices: dict[str, str]) -> Customer:
    """Merge ``merged_id`` into ``survivor_id``: the user's picked values, then mobiles, vehicles,
    documents and history move to the survivor; the merged number stays findable as an alias.

    Both rows are locked (in primary-key order) for the whole merge.
    """
    if survivor_id == merged_id:
        raise ApplicationError(
            _("A customer cannot be merged into itself."), code="invalid", field="merged_id", status=422
        )
    unknown = sorted(set(choices) - set(MERGEABLE_FIELDS))
    bad_values = sorted(field for field, side in choices.items() if side not in {"survivor", "merged"})
    if unknown or bad_values:
        raise ApplicationError(
            _("Some fields are not valid."),
            fields={f"choices.{field}": [_("Unknown field.")] for field in unknown}
            | {f"choices.{field}": [_("Choose survivor or merged.")] for field in bad_values},
            status=422,
        )
    locked = {
        c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor_id, merged_id]).order_by("pk")
    }
    survivor, merged = locked.get(survivor_id), locked.get(merged_id)
    for field, customer in (("survivor_id", survivor), ("merged_id", merged)):
        if customer is None or customer.merged_into_id or customer.anonymised_at:
            raise ApplicationError(_("No such active customer."), code="invalid", field=field, status=422)
    assert survivor is not None and merged is not None  # noqa: S101 - narrowed by the loop above
    taken = [field for field, side in choices.items() if side == "merged"]
    if "uscc" in taken and merged.uscc:
        uscc = merged.uscc
        merged.uscc = ""
        merged.save()
        survivor.uscc = uscc
    for field in taken:
        if field == "resident_id":
            survivor.resident_id_cipher = merged.resident_id_cipher
            survivor.resident_id_digest = merged.resident_id_digest
            survivor.resident_id_hint = merged.resident_id_hint
        elif field in {"marketing_consent", "data_consent"}:
            # A consent goes with when and how it was given.
            for part in ("", "_at", "_channel"):
                setattr(survivor, field + part, getattr(merged, field + part))
        elif field != "uscc":
            setattr(survivor, field, getattr(merged, field))
    survivor.tags = list(dict.fromkeys([*(survivor.tags or []), *(merged.tags or [])]))  # no tag is lost
    clashes: dict[str, list[str]] = {}
    if survivor.kind == Customer.Kind.INDIVIDUAL and survivor.uscc:
        clashes["choices.uscc"] = [_("Only a company has a unified social credit code.")]
    if survivor.kind == Customer.Kind.COMPANY and survivor.resident_id_cipher:
        clashes["choices.resident_id"] = [_("A company has no resident ID; enter its credit code.")]
    if clashes:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=clashes, status=422)
    survivor_mobiles = _mobiles(survivor)
    survivor_numbers = set(survivor_mobiles)
    for phone in merged.phones.all():
        if phone.number in survivor_numbers:
            phone.delete()
        else:
            CustomerPhone.objects.filter(pk=phone.pk).update(customer=survivor, is_primary=False)
    _links_settle_for_merge(survivor, merged)
    moved_links = VehicleLink.objects.filter(customer=merged).update(customer=survivor)
    moved_documents = merged.documents.update(customer=survivor)
    from aftersales.customers.models import CustomerAlias

    merged.aliases.update(customer=survivor)
    CustomerAlias.objects.create(customer=survivor, number=merged.number, merged_by=actor)
    merged.merged_into = survivor
    merged.save()
    customer_search_keys_rebuild(merged)
    initials, full = search.name_initials_and_pinyin(survivor.name)
    survivor.name_initials, survivor.name_pinyin = " ".join(initials), full
    survivor.version += 1
    survivor.save()
    customer_search_keys_rebuild(survivor)
    quality.completeness_refresh(survivor)
    _audit_mobiles(survivor, survivor_mobiles, _mobiles(survivor))
    audit_append(
        action="merge",
        actor=actor,
        store_id=survivor.home_store_id,
        object_type="customers.customer",
        object_id=str(survivor.pk),
        object_repr=survivor.number,
        changes={
            "merged": merged.number,
            "fields_taken": sorted(taken),
            "vehicle_links": moved_links,
            "documents": moved_documents,
        },
    )
    return survivor
