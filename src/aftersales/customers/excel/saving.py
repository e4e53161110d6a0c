"""Writing the checked rows of an import in bulk: customers, mobiles, vehicles, owners, readings, keys.

Bulk-written rows bypass ``AuditedModel.save``: no audit entry is written per customer, vehicle or
mobile. The import job writes ONE audit entry instead (object type ``customers.importjob``) with the
counts, and the job row itself records who imported which file when.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from aftersales.core.models import DocumentSequence, Store
from aftersales.customers import quality, search
from aftersales.customers.excel.checking import CustomerIn, Parked
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    ImportJob,
    MileageReading,
    SearchKey,
    Vehicle,
    VehicleLink,
)


class _Inserts:
    """Rows of one table written in batches: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

    Values come in the order of ``columns`` and already as the database takes them. Model ``save()``
    and ``bulk_create`` are bypassed for speed: bulk_create spends most of its time preparing each
    value, which for the 1.5 million rows of a 100,000-row import is most of a minute.
    """

    def __init__(self, model: type[Model], columns: Sequence[str]) -> None:
        fields = {field.attname: field for field in model._meta.concrete_fields}
        quote = connection.ops.quote_name
        names = ", ".join(quote(fields[column].column or column) for column in columns)
        table = quote(model._meta.db_table)
        marks = ", ".join(["%s"] * len(columns))
        self.sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names from the model
        self.copy_sql = f"COPY {table} ({names}) FROM STDIN"
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        self.rows.append(values)

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.rows = []


_CUSTOMER_COLUMNS = (
    "number", "kind", "name", "name_initials", "name_pinyin", "landline", "email", "province", "city", "district",
    "street", "uscc", "resident_id_cipher", "resident_id_digest", "resident_id_hint", "emergency_contact",
    "emergency_phone", "preferences", "tags", "source", "owner_id", "customer_class", "marketing_consent",
    "marketing_consent_at", "marketing_consent_channel", "data_consent", "data_consent_at", "data_consent_channel",
    "home_store_id", "completeness", "created_at", "updated_at", "version",
)  # fmt: skip
_VEHICLE_COLUMNS = (
    "vin", "vin_check_override", "vin_override_reason", "plate", "model_id", "model_year", "engine_no", "colour",
    "fuel_type", "purchase_date", "warranty_start", "warranty_end", "created_at", "updated_at", "version",
)  # fmt: skip
_READING_COLUMNS = ("vehicle_id", "km", "read_on", "source", "reason", "recorded_by_id", "created_at")


class _CustomerKeys:
    """``search.customer_keys`` with the name's part (its pinyin, about 0.1 ms a name) worked out once per name.

    Checked against ``search.customer_keys`` itself on the first customer: should they ever differ,
    every customer goes through ``search.customer_keys``.
    """

    MAX_NAMES = 50_000

    def __init__(self) -> None:
        self.by_name: dict[str, list[tuple[str, str]]] = {}
        self.same: bool | None = None

    def __call__(self, *, number: str, name: str, mobiles: Sequence[str]) -> list[tuple[str, str]]:
        if self.same is False:
            return search.customer_keys(number=number, name=name, mobiles=mobiles)
        named = self.by_name.get(name)
        if named is None:
            if len(self.by_name) >= self.MAX_NAMES:
                self.by_name.clear()
            named = [key for key in search.customer_keys(number="", name=name, mobiles=()) if key[0] != "number"]
            self.by_name[name] = named
        keys = [("number", number.upper()), *named]
        for mobile in mobiles:
            keys += [("mobile", mobile), ("mobile4", mobile[-4:])]
        if self.same is None:
            exact = search.customer_keys(number=number, name=name, mobiles=mobiles)
            self.same = sorted(keys) == sorted(exact)
            return exact
        return keys


def _numbers_reserve(store: Store, count: int) -> tuple[str, int]:
    """Take ``count`` customer numbers of the store's sequence at once; return the prefix and the first.

    The numbers are those ``core.services.number_next`` would issue one by one. The sequence row stays
    locked until the caller's transaction ends, so the block is never handed out twice.
    """
    year = timezone.now().astimezone(store.zone).year
    sequences = DocumentSequence.objects.filter(store=store, doc_type="CUS", year=year)
    if not sequences.exists():
        with contextlib.suppress(IntegrityError), transaction.atomic():
            DocumentSequence.objects.create(store=store, doc_type="CUS", year=year, last_value=0)
    sequence = sequences.select_for_update().get()
    sequences.update(last_value=F("last_value") + count)
    return f"CUS-{store.code}-{year}-", sequence.last_value + 1


def rows_save(job: ImportJob, *, batches: Iterable[list[Parked]], customers: int, has_vehicle: bytearray) -> None:
    """Write the parked rows: customers, mobiles, vehicles, owners, mileage readings and search keys.

    ``customers`` is the number of new customers among them (their numbers are reserved at once) and
    ``has_vehicle`` tells per customer slot whether the customer gets a vehicle. Run it inside the
    transaction that finishes the job.
    """
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    today = timezone.localdate()
    on_day: Callable[[date | None], Any] = connection.ops.adapt_datefield_value
    required, _review_days = quality.rule_for(job.store_id)
    prefix, first = _numbers_reserve(job.store, customers)
    customer_rows = _Inserts(Customer, _CUSTOMER_COLUMNS)
    phones = _Inserts(CustomerPhone, ("customer_id", "number", "is_primary"))
    vehicles = _Inserts(Vehicle, _VEHICLE_COLUMNS)
    links = _Inserts(VehicleLink, ("vehicle_id", "customer_id", "role", "valid_from", "valid_to"))
    readings = _Inserts(MileageReading, _READING_COLUMNS)
    keys = _Inserts(SearchKey, ("key", "kind", "customer_id", "vehicle_id"))
    scratch = Customer(owner_id=job.created_by_id)  # what quality.facts_of reads, filled row by row
    customer_keys = _CustomerKeys()
    customer_ids: list[int] = []  # by slot
    owner, role, source = job.created_by_id, VehicleLink.Role.OWNER.value, MileageReading.Source.IMPORT.value
    for batch in batches:
        new: list[tuple[str, CustomerIn, list[tuple[str, str]]]] = []
        for slot, customer, _vehicle in batch:
            if customer is None:
                continue
            number = f"{prefix}{first + slot:06d}"
            found = customer_keys(number=number, name=customer.name, mobiles=customer.mobiles)
            new.append((number, customer, found))
            # customer_keys has worked the pinyin out already: take it from the keys, not from a second pass.
            initials = " ".join(key for kind, key in found if kind == "initials")
            pinyin = next((key for kind, key in found if kind == "pinyin"), customer.name.lower())
            for name in ("kind", "province", "city", "district", "street", "uscc", "email", "emergency_contact"):
                setattr(scratch, name, getattr(customer, name))
            scratch.emergency_phone, scratch.data_consent = customer.emergency_phone, customer.data_consent
            scratch.resident_id_digest = customer.resident_id_digest
            score, _missing = quality.completeness(
                quality.facts_of(scratch, has_mobile=True, has_vehicle=bool(has_vehicle[slot])), required
            )
            marketing, data = customer.marketing_consent, customer.data_consent
            customer_rows.add(
                number, customer.kind, customer.name, initials, pinyin, customer.landline, customer.email,
                customer.province, customer.city, customer.district, customer.street, customer.uscc,
                customer.resident_id_cipher, customer.resident_id_digest, customer.resident_id_hint,
                customer.emergency_contact, customer.emergency_phone, "", "[]", customer.source, owner,
                customer.customer_class, marketing, stamp if marketing else None,
                customer.consent_channel if marketing else "", data, stamp if data else None,
                customer.consent_channel if data else "", job.store_id, score, stamp, stamp, 1,
            )  # fmt: skip
        customer_rows.flush()
        ids = dict(Customer.objects.filter(number__in=[number for number, *_rest in new]).values_list("number", "pk"))
        for number, customer, found in new:
            customer_ids.append(ids[number])
            for position, mobile in enumerate(customer.mobiles):
                phones.add(ids[number], mobile, position == 0)
            keys.rows += [(key, kind, ids[number], None) for kind, key in found]
        owned = [(customer_ids[slot], vehicle) for slot, _customer, vehicle in batch if vehicle is not None]
        for _owner_id, v in owned:
            vehicles.add(
                v.vin, v.vin_check_override, v.vin_override_reason, v.plate, v.model_id, v.model_year, v.engine_no,
                v.colour, v.fuel_type, on_day(v.purchase_date), on_day(v.purchase_date if v.warranty_end else None),
                on_day(v.warranty_end), stamp, stamp, 1,
            )  # fmt: skip
        vehicles.flush()
        vehicle_ids = dict(Vehicle.objects.filter(vin__in=[v.vin for _o, v in owned]).values_list("vin", "pk"))
        for owner_id, v in owned:
            vehicle_id = vehicle_ids[v.vin]
            links.add(vehicle_id, owner_id, role, on_day(v.purchase_date or today), None)
            if v.km is not None:
                readings.add(vehicle_id, v.km, on_day(v.read_on), source, "", owner, stamp)
            keys.rows += [(key, kind, None, vehicle_id) for kind, key in search.vehicle_keys(vin=v.vin, plate=v.plate)]
        for table in (phones, links, readings, keys):
            table.flush()
