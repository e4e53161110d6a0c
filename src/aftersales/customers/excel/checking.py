"""Checking one row of the sheet with the services' rules, into the customer and vehicle to write.

What needs the database (VIN and credit-code clashes) is checked per batch of rows by the import job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.errors import ApplicationError
from aftersales.core.imports import Cells
from aftersales.core.imports import Row as SheetRow
from aftersales.core.models import Brand
from aftersales.customers import encryption, services
from aftersales.customers.excel.columns import LAYOUT, VEHICLE_KEYS
from aftersales.customers.models import Customer, Vehicle, VehicleModel

MILEAGE_MAX_KM = 2_000_000


class CustomerIn(NamedTuple):
    """The cleaned customer fields of one valid row (the resident ID already encrypted)."""

    kind: str
    name: str
    mobiles: tuple[str, ...]
    landline: str
    email: str
    province: str
    city: str
    district: str
    street: str
    resident_id_cipher: str
    resident_id_digest: str
    resident_id_hint: str
    uscc: str
    emergency_contact: str
    emergency_phone: str
    source: str
    customer_class: str
    data_consent: bool
    marketing_consent: bool
    consent_channel: str
    gender: str  # from the resident ID, as the services take it
    birthday: date | None


class VehicleIn(NamedTuple):
    vin: str
    vin_check_override: bool
    vin_override_reason: str
    plate: str
    model_id: int | None
    model_year: int | None
    engine_no: str
    colour: str
    fuel_type: str
    use_type: str
    purchase_date: date | None
    delivery_date: date | None
    km: int | None
    read_on: date | None


@dataclass
class Row(SheetRow):
    customer: CustomerIn | None = None
    vehicle: VehicleIn | None = None
    key: tuple[str, str] | None = None  # the customer: name and primary mobile
    vin: str = ""  # the cleaned VIN, credit code and plate, also of a row that is not valid otherwise
    uscc: str = ""
    plate: str = ""


# customer_clean's field names → the template's columns.
_CLEAN_FIELDS = {
    "name": "name",
    "mobiles.0": "mobile",
    "mobiles.1": "mobile2",
    "email": "email",
    "resident_id": "resident_id",
    "emergency_phone": "emergency_phone",
    "landline": "landline",
    "emergency_contact": "emergency_contact",
    "marketing_consent_channel": "consent_channel",
    "data_consent_channel": "consent_channel",
}
_YES_NO_WORDS = {"y": "yes", "n": "no", "true": "yes", "false": "no", "1": "yes", "0": "no"}


class RowChecker(Cells):
    """Checks one row with the services' rules; what needs the database is checked per batch later."""

    def __init__(self, positions: dict[str, int]) -> None:
        words = dict.fromkeys(("data_consent", "marketing_consent", "vin_check_override"), _YES_NO_WORDS)
        super().__init__(LAYOUT, positions, words=words)
        self.today = timezone.localdate()
        self.brands = {code.upper(): pk for pk, code in Brand.objects.values_list("pk", "code")}
        self.models = {
            (brand_id, series.strip(), name.strip()): (pk, fuel)
            for pk, brand_id, series, name, fuel in VehicleModel.objects.values_list(
                "pk", "brand_id", "series", "name", "fuel_type"
            )
        }

    def check(self, row: Row) -> None:
        """Fill ``row.errors``; for a valid row also ``row.customer``, ``row.vehicle`` and ``row.key``."""
        if not self.read(row):
            return
        texts = row.texts
        customer = self._customer(row)
        vehicle = self._vehicle(row) if any(texts.get(key) for key in VEHICLE_KEYS) else None
        if not row.errors and customer is not None:
            row.customer, row.vehicle = customer, vehicle
            row.key = (customer.name, customer.mobiles[0])

    def _customer(self, row: Row) -> CustomerIn | None:
        kind = self.choice(row, "kind", Customer.Kind.INDIVIDUAL.value)
        channel = self.choice(row, "consent_channel", "")
        data_consent = self.choice(row, "data_consent", "no") == "yes"
        marketing_consent = self.choice(row, "marketing_consent", "no") == "yes"
        mobiles = [self.text(row, "mobile")]
        if self.text(row, "mobile2"):
            mobiles.append(self.text(row, "mobile2"))
        cleaned: dict[str, Any] = {}
        try:
            # Without the credit code, checked below: customer_clean would look each one up in the database.
            cleaned = services.customer_clean(
                {
                    "kind": kind,
                    "name": self.text(row, "name"),
                    "mobiles": mobiles,
                    "email": self.limited(row, "email"),
                    "resident_id": self.text(row, "resident_id"),
                    "emergency_phone": self.text(row, "emergency_phone"),
                    "landline": self.limited(row, "landline"),
                    "emergency_contact": self.limited(row, "emergency_contact"),
                    "data_consent": data_consent,
                    "data_consent_channel": channel,
                    "marketing_consent": marketing_consent,
                    "marketing_consent_channel": channel,
                },
                archive_checks=False,
            )
        except ApplicationError as error:
            for field, messages in error.fields.items():
                for message in messages:
                    row.fail(_CLEAN_FIELDS.get(field, "name"), message)
        uscc = self.text(row, "uscc")
        if uscc:
            try:
                row.uscc = uscc = identifiers.clean_uscc(uscc)
            except ValidationError as error:
                for message in error.messages:
                    row.fail("uscc", message)
            if kind == Customer.Kind.INDIVIDUAL:
                row.fail("uscc", _("Only a company has a unified social credit code."))
        texts = {key: self.limited(row, key) for key in ("province", "city", "district", "street")}
        source = self.choice(row, "source", Customer.Source.WALK_IN.value)
        customer_class = self.choice(row, "customer_class", Customer.CustomerClass.REGULAR.value)
        if row.errors:
            return None
        resident_id = cleaned.get("resident_id", "")
        born = identifiers.birth_date_from_resident_id(resident_id) if resident_id else None
        gender = ("male" if int(resident_id[16]) % 2 else "female") if resident_id else ""
        return CustomerIn(
            kind=kind,
            name=cleaned["name"],
            mobiles=tuple(cleaned["mobiles"]),
            email=cleaned.get("email", ""),
            landline=cleaned.get("landline", ""),
            **texts,
            resident_id_cipher=encryption.encrypt(resident_id),
            resident_id_digest=encryption.digest(resident_id),
            resident_id_hint=identifiers.mask_resident_id(resident_id) if resident_id else "",
            uscc=uscc,
            emergency_contact=cleaned.get("emergency_contact", ""),
            emergency_phone=cleaned.get("emergency_phone", ""),
            source=source,
            customer_class=customer_class,
            data_consent=data_consent,
            marketing_consent=marketing_consent,
            consent_channel=channel,
            gender=gender,
            birthday=born,
        )

    def _vehicle(self, row: Row) -> VehicleIn | None:
        override = self.choice(row, "vin_check_override", "no") == "yes"
        reason = self.limited(row, "vin_override_reason")
        try:
            row.vin = identifiers.clean_vin(self.text(row, "vin"), allow_bad_check_digit=override)
        except ValidationError as error:
            for message in error.messages:
                row.fail("vin", message)
        if override and not reason:
            row.fail(
                "vin_override_reason",
                _("Give the reason why this VIN has no valid check digit (e.g. imported vehicle)."),
            )
        plate = self.text(row, "plate")
        if plate:
            try:
                plate = identifiers.clean_plate(plate)
            except ValidationError as error:
                for message in error.messages:
                    row.fail("plate", message)
        model_id, model_fuel = self._model(row)
        year = self.whole(row, "model_year", low=-(10**9), high=10**9)
        if year is not None and not 1950 <= year <= self.today.year + 1:
            row.fail("model_year", _("Enter a model year between 1950 and next year."))
        fuel = self.choice(row, "fuel_type", model_fuel or Vehicle.FuelType.PETROL.value)
        use = self.choice(row, "use_type", "")
        purchase, delivery = self.day(row, "purchase_date"), self.day(row, "delivery_date")
        for key, day in (("purchase_date", purchase), ("delivery_date", delivery)):
            if day is not None and day > self.today:
                row.fail(key, _("The date cannot be in the future."))
        if purchase and delivery and purchase - delivery > services.DELIVERY_BEFORE_INVOICE_MAX:
            row.fail(
                "delivery_date",
                _("The delivery date is more than a year before the invoice date (%(date)s); check both dates.")
                % {"date": purchase.isoformat()},
            )
        row.plate = plate if "plate" not in row.errors else ""
        km = self.whole(row, "mileage", low=0, high=MILEAGE_MAX_KM)
        read_on = self.day(row, "mileage_date")
        if read_on is not None and km is None and "mileage" not in row.errors:
            row.fail("mileage", _("This field is required."))
        if read_on is not None and read_on > self.today:
            row.fail("mileage_date", _("The reading date cannot be in the future."))
        engine_no, colour = self.limited(row, "engine_no"), self.limited(row, "colour")
        if row.errors:
            return None
        return VehicleIn(
            vin=row.vin,
            vin_check_override=override,
            vin_override_reason=reason,
            plate=plate,
            model_id=model_id,
            model_year=year,
            engine_no=engine_no,
            colour=colour,
            fuel_type=fuel,
            use_type=use,
            purchase_date=purchase,
            delivery_date=delivery,
            km=km,
            read_on=(read_on or self.today) if km is not None else None,
        )

    def _model(self, row: Row) -> tuple[int | None, str]:
        code, series, name = self.text(row, "brand"), self.text(row, "series"), self.text(row, "model")
        if not (code or series or name):
            return None, ""
        for key, value in (("brand", code), ("series", series), ("model", name)):
            if not value:
                row.fail(key, _("This field is required."))
        if not code:
            return None, ""
        brand_id = self.brands.get(code.upper())
        if brand_id is None:
            row.fail("brand", _("Unknown brand code “%(code)s”.") % {"code": code})
            return None, ""
        found = self.models.get((brand_id, series, name))
        if found is None:
            if series and name:
                row.fail("model", _("No such vehicle model."))
            return None, ""
        return found


# A valid row as parked for saving: customer slot, the new customer (None: an earlier row's), vehicle.
Parked = tuple[int, CustomerIn | None, VehicleIn | None]
