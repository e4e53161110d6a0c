"""Writing the checked rows of an import in bulk: customers, mobiles, vehicles, owners, readings, keys.

Bulk-written rows bypass ``AuditedModel.save``: no audit entry is written per customer, vehicle or
mobile. The import job writes ONE audit entry instead (object type ``customers.importjob``) with the
counts, and the job row itself records who imported which file when.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from aftersales.core.numbering import numbers_reserve
from aftersales.customers import search, selectors, services
from aftersales.customers.excel.checking import CustomerIn, Parked, VehicleIn
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    ImportJob,
    MileageReading,
    PlateRegistration,
    SearchKey,
    Vehicle,
    VehicleLink,
    VehicleModel,
    WarrantyPolicy,
)

SAVE_ROWS = 10_000  # parked rows written per round of statements (one per table)


class _Table:
    """One table's rows written as a stream: ``COPY`` on PostgreSQL, multi-row ``INSERT`` on SQLite.

    Values come in the order of ``columns`` and already as the database takes them. Model ``save()``
    and ``bulk_create`` are bypassed for speed: bulk_create spends most of its time preparing each
    value, which for the 1.5 million rows of a 100,000-row import is most of a minute. Rows are
    generated while they are sent, so that on PostgreSQL the server stores them while this process
    works out the next ones. On SQLite one statement inserts as many rows as its parameter limit
    allows, which stores 1.4 million search keys about a third faster than a statement per row.
    """

    def __init__(self, model: type[Model], columns: Sequence[str]) -> None:
        fields = {field.attname: field for field in model._meta.concrete_fields}
        quote = connection.ops.quote_name
        names = ", ".join(quote(fields[column].column or column) for column in columns)
        table = quote(model._meta.db_table)
        marks = f"({', '.join(['%s'] * len(columns))})"
        self.per_statement = max(1, min(connection.features.max_query_params or 999, 999) // len(columns))
        self.sql = f"INSERT INTO {table} ({names}) VALUES {marks}"  # noqa: S608 - names from the model
        self.many_sql = f"{self.sql}{f', {marks}' * (self.per_statement - 1)}"
        self.copy_sql = f"COPY {table} ({names}) FROM STDIN"

    def write(self, rows: Iterable[tuple[Any, ...]]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The raw psycopg cursor: its errors become Django's (IntegrityError for a clash) here.
                with connection.wrap_database_errors, cursor.cursor.copy(self.copy_sql) as copy:
                    write_row = copy.write_row
                    for row in rows:
                        write_row(row)
                return
            rest: list[tuple[Any, ...]] = []  # the last rows, fewer than a statement takes

            def statements() -> Iterator[tuple[Any, ...]]:
                iterator, size = iter(rows), self.per_statement
                while len(chunk := list(itertools.islice(iterator, size))) == size:
                    yield tuple(itertools.chain.from_iterable(chunk))
                rest.extend(chunk)

            # An iterator will do for executemany (Django peeks at the first item carefully).
            cursor.executemany(self.many_sql, statements())  # type: ignore[arg-type]
            if rest:
                cursor.executemany(self.sql, rest)


def _ids_reserve(model: type[Model], count: int) -> Sequence[int]:
    """Take ``count`` primary keys for new rows of ``model``, as inserting them one by one would.

    On PostgreSQL they come from the table's sequence (so never twice, even to concurrent inserts; a
    rolled-back import leaves a gap, as any rolled-back insert does). On SQLite they follow the highest
    key ever used (``AUTOINCREMENT``'s counter or the highest row); the caller holds the database's
    write lock (it has written in this transaction), so nobody else can take them before they are
    inserted, and inserting them moves the counter past them.
    """
    if count == 0:
        return ()
    table, column = model._meta.db_table, model._meta.pk.column or "id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT MAX(used) FROM (SELECT MAX({quote(column)}) AS used FROM {quote(table)} "  # noqa: S608 - names from the model
            "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        highest = cursor.fetchone()[0] or 0
    return range(highest + 1, highest + 1 + count)


_CUSTOMER_COLUMNS = (
    "number", "kind", "name", "name_initials", "name_pinyin", "landline", "email", "province", "city", "district",
    "street", "uscc", "resident_id_cipher", "resident_id_digest", "resident_id_hint", "emergency_contact",
    "emergency_phone", "preferences", "tags", "source", "owner_id", "customer_class", "marketing_consent",
    "marketing_consent_at", "marketing_consent_channel", "data_consent", "data_consent_at", "data_consent_channel",
    "sharing_consent", "sharing_consent_at", "sharing_consent_channel",
    "home_store_id", "completeness", "created_at", "updated_at", "version", "gender", "birthday", "wechat_id",
)  # fmt: skip
_VEHICLE_COLUMNS = (
    "vin", "vin_check_override", "vin_override_reason", "plate", "model_id", "model_year", "engine_no", "colour",
    "fuel_type", "use_type", "purchase_date", "delivery_date", "warranty_policy_id", "warranty_start",
    "warranty_end", "warranty_km_limit", "sanbao_end", "sanbao_km_limit", "created_at", "updated_at", "version",
)  # fmt: skip
_READING_COLUMNS = ("vehicle_id", "km", "read_on", "source", "reason", "recorded_by_id", "created_at")


class _CustomerKeys:
    """``search.customer_keys`` with the name's part (its pinyin, about 0.1 ms a name) worked out once per name.

    ``known`` holds that part for names worked out already (``names.NameKeys``, as
    ``search.customer_keys(number="", name=name, mobiles=())``). Checked against
    ``search.customer_keys`` itself on the first customer: should they ever differ, every customer
    goes through ``search.customer_keys``.
    """

    MAX_NAMES = 50_000

    def __init__(self, known: dict[str, list[tuple[str, str]]]) -> None:
        self.known = known
        self.by_name: dict[str, list[tuple[str, str]]] = {}
        self.same: bool | None = None

    def __call__(self, *, number: str, name: str, mobiles: Sequence[str]) -> list[tuple[str, str]]:
        if self.same is False:
            return search.customer_keys(number=number, name=name, mobiles=mobiles)
        named = self.by_name.get(name)
        if named is None:
            found = self.known.get(name)
            if found is None:
                found = search.customer_keys(number="", name=name, mobiles=())
            named = [key for key in found if key[0] != "number"]
            if len(self.by_name) >= self.MAX_NAMES:
                self.by_name.clear()
            self.by_name[name] = named
        keys = [("number", number.upper()), *named]
        for mobile in mobiles:
            keys += [("mobile", mobile), ("mobile4", mobile[-4:])]
        if self.same is None:
            exact = search.customer_keys(number=number, name=name, mobiles=mobiles)
            self.same = sorted(keys) == sorted(exact)
            return exact
        return keys


def rows_save(
    job: ImportJob,
    *,
    batches: Iterable[list[Parked]],
    customers: int,
    vehicles: int,
    has_vehicle: bytearray,
    name_keys: dict[str, list[tuple[str, str]]],
) -> None:
    """Write the parked rows: customers, mobiles, vehicles, owners, mileage readings and search keys.

    ``customers`` and ``vehicles`` are the numbers of new customers and vehicles among them (their
    numbers and primary keys are reserved at once), ``has_vehicle`` tells per customer slot whether
    the customer gets a vehicle and ``name_keys`` holds the name keys worked out already. Run it
    inside the transaction that finishes the job.
    """
    # The numbers first: that update takes SQLite's write lock, which _ids_reserve relies on.
    prefix, first = numbers_reserve(store=job.store, doc_type="CUS", count=customers)
    saving = _Saving(
        job,
        numbers=(prefix, first),
        customer_ids=_ids_reserve(Customer, customers),
        vehicle_ids=_ids_reserve(Vehicle, vehicles),
        has_vehicle=has_vehicle,
        name_keys=name_keys,
    )
    for group in _groups(batches, SAVE_ROWS):
        saving.write(group)


_NewCustomer = tuple[int, int, CustomerIn]  # primary key, slot, fields
_NewVehicle = tuple[int, int, VehicleIn]  # primary key, owner's primary key, fields


class _Saving:
    """The rows of each table, worked out from the parked rows as they are written."""

    def __init__(
        self,
        job: ImportJob,
        *,
        numbers: tuple[str, int],
        customer_ids: Sequence[int],
        vehicle_ids: Sequence[int],
        has_vehicle: bytearray,
        name_keys: dict[str, list[tuple[str, str]]],
    ) -> None:
        self.prefix, self.first = numbers
        self.customer_ids, self.vehicle_ids, self.has_vehicle = customer_ids, vehicle_ids, has_vehicle
        self.vehicles_written = 0
        self.store_id, self.owner = job.store_id, job.created_by_id
        self.stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        self.today = timezone.localdate()
        self.required, _review_days = selectors.rule_for(job.store_id)
        self.scratch = Customer(owner_id=job.created_by_id)  # what selectors.facts_of reads, filled row by row
        self.customer_keys = _CustomerKeys(name_keys)
        # The warranty is derived as services.warranty_derive does, with the policies read once.
        self.brand_of = dict(VehicleModel.objects.values_list("pk", "brand_id"))
        self.policies: dict[int, list[WarrantyPolicy]] = {}
        for policy in WarrantyPolicy.objects.order_by("-valid_from"):
            self.policies.setdefault(policy.brand_id, []).append(policy)
        self.tables = {
            "customers": _Table(Customer, ("id", *_CUSTOMER_COLUMNS)),
            "phones": _Table(CustomerPhone, ("customer_id", "number", "is_primary")),
            "vehicles": _Table(Vehicle, ("id", *_VEHICLE_COLUMNS)),
            "links": _Table(VehicleLink, ("vehicle_id", "customer_id", "role", "valid_from", "valid_to")),
            "plates": _Table(
                PlateRegistration, ("vehicle_id", "plate", "valid_from", "valid_to", "end_reason", "end_note")
            ),
            "readings": _Table(MileageReading, _READING_COLUMNS),
            "keys": _Table(SearchKey, ("key", "kind", "customer_id", "vehicle_id")),
        }

    def write(self, group: list[Parked]) -> None:
        """Write a group of parked rows, parents first (SQLite checks a child's parent as it is written)."""
        new = [(self.customer_ids[slot], slot, customer) for slot, customer, _vehicle in group if customer is not None]
        owners = [self.customer_ids[slot] for slot, _customer, vehicle in group if vehicle is not None]
        ids = self.vehicle_ids[self.vehicles_written : self.vehicles_written + len(owners)]
        vehicles = [vehicle for _slot, _customer, vehicle in group if vehicle is not None]
        owned = list(zip(ids, owners, vehicles, strict=True))
        self.vehicles_written += len(owned)
        keys: list[tuple[str, str, int | None, int | None]] = []  # filled while the customers are written
        self.tables["customers"].write(self._customer_rows(new, keys))
        self.tables["phones"].write(
            (customer_id, mobile, position == 0)
            for customer_id, _slot, customer in new
            for position, mobile in enumerate(customer.mobiles)
        )
        self.tables["vehicles"].write(self._vehicle_rows(owned))
        role, on_day, today = VehicleLink.Role.OWNER.value, connection.ops.adapt_datefield_value, self.today
        self.tables["links"].write(
            (vehicle_id, owner_id, role, on_day(v.purchase_date or today), None) for vehicle_id, owner_id, v in owned
        )
        self.tables["plates"].write(
            (vehicle_id, v.plate, on_day(v.delivery_date or v.purchase_date or today), None, "", "")
            for vehicle_id, _owner_id, v in owned
            if v.plate
        )
        source, owner, stamp = MileageReading.Source.IMPORT.value, self.owner, self.stamp
        self.tables["readings"].write(
            (vehicle_id, v.km, on_day(v.read_on), source, "", owner, stamp)
            for vehicle_id, _owner_id, v in owned
            if v.km is not None
        )
        self.tables["keys"].write(
            itertools.chain(
                keys,
                (
                    (key, kind, None, vehicle_id)
                    for vehicle_id, _owner_id, v in owned
                    for kind, key in search.vehicle_keys(vin=v.vin, plate=v.plate)
                ),
            )
        )

    def _customer_rows(
        self, new: list[_NewCustomer], keys: list[tuple[str, str, int | None, int | None]]
    ) -> Iterator[tuple[Any, ...]]:
        """The customers' rows; their search keys are added to ``keys`` on the way."""
        prefix, first, stamp, owner, store_id = self.prefix, self.first, self.stamp, self.owner, self.store_id
        on_day: Callable[[date | None], Any] = connection.ops.adapt_datefield_value
        scratch, required = self.scratch, self.required
        for customer_id, slot, customer in new:
            number = f"{prefix}{first + slot:06d}"
            found = self.customer_keys(number=number, name=customer.name, mobiles=customer.mobiles)
            keys += [(key, kind, customer_id, None) for kind, key in found]
            # customer_keys has worked the pinyin out already: take it from the keys, not from a second pass.
            initials = " ".join(key for kind, key in found if kind == "initials")
            pinyin = next((key for kind, key in found if kind == "pinyin"), customer.name.lower())
            for name in ("kind", "province", "city", "district", "street", "uscc", "email", "emergency_contact"):
                setattr(scratch, name, getattr(customer, name))
            scratch.emergency_phone, scratch.data_consent = customer.emergency_phone, customer.data_consent
            scratch.resident_id_digest = customer.resident_id_digest
            score, _missing = selectors.completeness(
                selectors.facts_of(scratch, has_mobile=True, has_vehicle=bool(self.has_vehicle[slot])), required
            )
            marketing, data, channel = customer.marketing_consent, customer.data_consent, customer.consent_channel
            yield (
                customer_id, number, customer.kind, customer.name, initials, pinyin, customer.landline,
                customer.email, customer.province, customer.city, customer.district, customer.street, customer.uscc,
                customer.resident_id_cipher, customer.resident_id_digest, customer.resident_id_hint,
                customer.emergency_contact, customer.emergency_phone, "", "[]", customer.source, owner,
                customer.customer_class, marketing, stamp if marketing else None, channel if marketing else "",
                data, stamp if data else None, channel if data else "", False, None, "", store_id, score, stamp,
                stamp, 1,
                customer.gender, on_day(customer.birthday), "",
            )  # fmt: skip

    def _policy(self, model_id: int | None, start: date) -> WarrantyPolicy | None:
        """The brand's policy valid on ``start`` (services.warranty_policy_for, from memory)."""
        brand_id = self.brand_of.get(model_id) if model_id else None
        for policy in self.policies.get(brand_id, []) if brand_id else []:
            if policy.valid_from <= start and (policy.valid_to is None or policy.valid_to >= start):
                return policy
        return None

    def _vehicle_rows(self, owned: list[_NewVehicle]) -> Iterator[tuple[Any, ...]]:
        on_day: Callable[[date | None], Any] = connection.ops.adapt_datefield_value
        stamp = self.stamp
        for vehicle_id, _owner_id, v in owned:
            start = v.delivery_date or v.purchase_date
            policy = self._policy(v.model_id, start) if start else None
            end, km, sanbao_end, sanbao_km = (
                services.warranty_terms(start, policy) if start else (None, None, None, None)
            )
            yield (
                vehicle_id, v.vin, v.vin_check_override, v.vin_override_reason, v.plate, v.model_id, v.model_year,
                v.engine_no, v.colour, v.fuel_type, v.use_type, on_day(v.purchase_date), on_day(v.delivery_date),
                policy.pk if policy else None, on_day(start), on_day(end), km, on_day(sanbao_end), sanbao_km,
                stamp, stamp, 1,
            )  # fmt: skip


def _groups(batches: Iterable[list[Parked]], size: int) -> Iterator[list[Parked]]:
    """The parked rows again, in lists of about ``size`` (whole batches)."""
    group: list[Parked] = []
    for batch in batches:
        group += batch
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group
