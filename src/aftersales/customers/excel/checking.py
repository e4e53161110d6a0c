"""Checking one row of the sheet with the services' rules, into the customer and vehicle to write.

What needs the database (VIN and credit-code clashes) is checked per batch of rows by the import job.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core import identifiers, inputs
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand
from aftersales.customers import encryption, services
from aftersales.customers.excel.columns import COLUMN_BY_KEY, COLUMNS, VEHICLE_KEYS, header_key
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
class Row:
    number: int
    values: list[Any]
    errors: dict[str, list[str]]
    customer: CustomerIn | None = None
    vehicle: VehicleIn | None = None
    key: tuple[str, str] | None = None  # the customer: name and primary mobile
    vin: str = ""  # the cleaned VIN, credit code and plate, also of a row that is not valid otherwise
    uscc: str = ""
    plate: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # each column's value as text

    def fail(self, column: str, message: str) -> None:
        messages = self.errors.setdefault(column, [])
        if message not in messages:
            messages.append(message)


def cell_text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
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
_WHOLE_NUMBER = re.compile(r"-?\d+")


class RowChecker:
    """Checks one row with the services' rules; what needs the database is checked per batch later."""

    def __init__(self, positions: dict[str, int]) -> None:
        self.positions = positions
        self.today = timezone.localdate()
        self.brands = {code.upper(): pk for pk, code in Brand.objects.values_list("pk", "code")}
        self.models = {
            (brand_id, series.strip(), name.strip()): (pk, fuel)
            for pk, brand_id, series, name, fuel in VehicleModel.objects.values_list(
                "pk", "brand_id", "series", "name", "fuel_type"
            )
        }
        self.choices = {
            column.key: {header_key(option): value for value, label in column.choices for option in (value, label)}
            for column in COLUMNS
            if column.choices
        }
        for key in ("data_consent", "marketing_consent", "vin_check_override"):
            self.choices[key].update(_YES_NO_WORDS)
        # Each distinct text of a choice column is looked up once (a sheet repeats a few labels).
        self.chosen: dict[str, dict[str, str | None]] = {key: {} for key in self.choices}
        self.limits = {column.key: column.max_length for column in COLUMNS if column.max_length is not None}
        self.columns = list(positions.items())

    def raw(self, row: Row, key: str) -> Any:
        position = self.positions.get(key)
        return row.values[position] if position is not None and position < len(row.values) else None

    def text(self, row: Row, key: str) -> str:
        return row.texts.get(key, "")

    def choice(self, row: Row, key: str, default: str) -> str:
        text = row.texts.get(key, "")
        if not text:
            return default
        chosen = self.chosen[key]
        if text in chosen:
            value = chosen[text]
        else:
            value = chosen[text] = self.choices[key].get(header_key(text))
        if value is None:
            labels = ", ".join(label for _value, label in COLUMN_BY_KEY[key].choices)
            row.fail(key, _("Choose one of: %(choices)s.") % {"choices": labels})
            return default
        return value

    def limited(self, row: Row, key: str) -> str:
        text = row.texts.get(key, "")
        limit = self.limits.get(key)
        if limit is not None and len(text) > limit:
            row.fail(key, _("Enter at most %(n)s characters.") % {"n": limit})
        return text

    def day(self, row: Row, key: str) -> date | None:
        value = self.raw(row, key)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        if not text:
            return None
        if isinstance(value, str):
            for pattern in _DATE_FORMATS:
                with contextlib.suppress(ValueError):
                    return datetime.strptime(text, pattern).date()
        row.fail(key, _("Enter a valid date (YYYY-MM-DD)."))
        return None

    def whole(self, row: Row, key: str, *, low: int, high: int) -> int | None:
        value = self.raw(row, key)
        text = cell_text(value).replace(",", "")
        if not text:
            return None
        if isinstance(value, bool) or not _WHOLE_NUMBER.fullmatch(text):
            row.fail(key, _("Enter a whole number."))
            return None
        number = int(text)
        if number < low:
            row.fail(key, _("Enter a value of at least %(n)s.") % {"n": low})
        elif number > high:
            row.fail(key, _("Enter a value of at most %(n)s.") % {"n": high})
        return number

    def check(self, row: Row) -> None:
        """Fill ``row.errors``; for a valid row also ``row.customer``, ``row.vehicle`` and ``row.key``."""
        values, count = row.values, len(row.values)
        row.texts = texts = {
            key: value.strip() if type(value) is str else "" if value is None else cell_text(value)
            for key, position in self.columns
            if position < count
            for value in (values[position],)
        }
        # The input rules of every form and API field (core.inputs), checked once on the whole row first:
        # a cell with a control or direction-override character is refused like a typed one, and the
        # row's other checks wait until it is corrected.
        if inputs.text_problem("".join(texts.values())) is not None:
            for key, text in texts.items():
                if problem := inputs.text_problem(text):
                    row.fail(key, problem)
            return
        # A formula whose result the file does not hold (core.xlsx reads it as its text, "=…"): the
        # error report keeps it as text, and the user enters the value itself.
        formulas = [key for key, text in texts.items() if text.startswith("=")]
        for key in formulas:
            row.fail(
                key,
                _("This cell holds a formula (%(formula)s), not a value; enter the value itself.")
                % {"formula": texts[key][:60]},
            )
        if formulas:
            return
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
