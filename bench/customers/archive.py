"""The customer archive at benchmark scale: ``bench generate --customers N --vehicles M``.

Registered as the customers area's generator, it runs inside ``bench.generate.generate``'s
transaction, after the dealer group, with the same loading technique (``bench.loading``: rows in
batches through ``Table``, ``executemany`` on SQLite and ``COPY`` on PostgreSQL, plain indexes
dropped for the load and rebuilt from their own definitions). It writes:

- customers spread over the stores, numbered per store and year as ``number_next`` numbers them
  (``CUS-S0001-2019-000001``), with the number sequences set so that later numbers follow on;
  realistic Chinese names (surnames weighted by frequency, so that names repeat as they do), their
  pinyin initials and full pinyin from ``search.name_initials_and_pinyin`` (memoised by name: about
  a quarter of a millisecond a call), mobiles, addresses of the store's city, consents, review dates,
  completeness as ``selectors.completeness`` computes it; one in ten individuals with a valid resident ID (encrypted,
  digested and masked as the services do); one in fifty a company with a unique credit code;
- vehicles with unique, valid VINs (ISO 3779 check digit, the brand's WMI) and unique, valid plates
  of the store's city (new-energy plates for battery and plug-in vehicles, ordinary ones otherwise,
  one in a hundred not registered yet), each with its current owner;
- the search keys exactly as the services write them (``search.customer_keys`` / ``search.vehicle_keys``);
- the detail customer: the first customer of store S0001 (the lowest number of that store) gets,
  through the real services (audited and hash-chained like any change), 20 vehicles, 40 changes of
  its own record, 10 changes of each vehicle and 12 mileage readings per vehicle: exactly 500
  timeline entries.

On PostgreSQL the foreign keys of the loaded tables are dropped for the load too and added back
afterwards (one validating join each instead of a deferred trigger per row and key, which would
queue ~90 million trigger events at full scale), ``maintenance_work_mem`` is raised for the index
builds, and after the commit the tables are vacuumed and analysed, as autovacuum would shortly after
a real load (this server runs with autovacuum off).
"""

from __future__ import annotations

import functools
import itertools
import random
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from aftersales.core.models import AuditEntry, Brand, DocumentSequence, Store, User
from aftersales.customers import search, selectors, services
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    MileageReading,
    PlateRegistration,
    SearchKey,
    Vehicle,
    VehicleLink,
    VehicleModel,
)
from bench.customers.values import (
    CATALOGUE,
    COLOURS,
    NEV_FUELS,
    PREFERENCES,
    REGIONS,
    SURNAMES,
    VIN_CHARS,
    ArchiveValues,
    Region,
)
from bench.loading import (
    GenerateResult,
    Table,
    date_adapter,
    deferred_foreign_keys,
    deferred_indexes,
    flush_in_order,
    load_settings,
    reset_sequences,
)
from bench.registry import GenerateOptions, generator

DETAIL_STORE = "S0001"
FORMER_PLATE_SHARE = 0.05  # vehicles that held another plate before their current one
DETAIL_VEHICLES = 20
DETAIL_CUSTOMER_CHANGES = 40
DETAIL_VEHICLE_CHANGES = 10
DETAIL_READINGS = 12
DETAIL_TIMELINE = DETAIL_CUSTOMER_CHANGES + DETAIL_VEHICLES * (1 + DETAIL_VEHICLE_CHANGES + DETAIL_READINGS)  # 500
CUSTOMER_YEARS = 8  # customers registered over the last 8 years
SEED = "aftersales-bench-archive"
CHUNK = 2000  # customers queued (with their mobiles, vehicles, owners and keys) between writes


@dataclass
class _StoreInfo:
    pk: int
    code: str
    region: Region
    advisor_id: int | None
    models: list[tuple[int, str, str]]  # (vehicle model id, WMI, fuel type) of the brands it serves


class ArchiveGenerator(ArchiveValues):
    """Writes the archive rows; ``run`` is the whole job."""

    def __init__(self, result: GenerateResult, *, customers: int, vehicles: int) -> None:
        if customers < 0 or vehicles < 0:
            raise ValueError("customers and vehicles must be at least 0.")
        if vehicles and not customers:
            raise ValueError("vehicles need customers to own them.")
        self.result = result
        self.customers = customers
        self.vehicles = vehicles
        self.rng = random.Random(SEED)
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.vins: set[str] = set()
        self.plates: set[str] = set()
        self.resident_ids: set[str] = set()
        self.surname_weights = list(itertools.accumulate(1 / (rank + 5) for rank in range(len(SURNAMES))))
        self.name_keys = functools.cache(search.name_initials_and_pinyin)
        self.detail_start = self.today - timedelta(days=DETAIL_READINGS * 120 + 30)
        self.detail_vehicles: list[tuple[str, str, int, str]] = []  # VIN, plate, model id, fuel

    # --- the job ------------------------------------------------------------------------------

    def run(self) -> list[str]:
        """Write the archive; return lines describing it for the summary."""
        if not self.customers:
            return []
        notes: list[str] = []
        started = time.perf_counter()
        stores = self.stores()
        loaded = [Customer, CustomerPhone, Vehicle, VehicleLink, SearchKey]
        with ExitStack() as stack:
            stack.enter_context(load_settings())
            stack.enter_context(deferred_foreign_keys(loaded))
            for model in loaded:
                stack.enter_context(deferred_indexes(model))
            # search.customer_keys runs as it is, with the slow pinyin of a name computed once per name.
            stack.enter_context(mock.patch.object(search, "name_initials_and_pinyin", self.name_keys))
            detail = self.bulk(stores)
            written = time.perf_counter()
        indexed = time.perf_counter()
        reset_sequences(
            [
                VehicleModel,
                Customer,
                CustomerPhone,
                Vehicle,
                VehicleLink,
                PlateRegistration,
                SearchKey,
                DocumentSequence,
            ]
        )
        if detail is not None:
            notes.append(self.detail_customer(detail, stores[0]))
        notes.append(
            f"  archive: rows {written - started:.2f} s ({self.name_keys.cache_info().currsize:,} distinct names), "
            f"indexes and foreign keys {indexed - written:.2f} s, detail customer "
            f"{time.perf_counter() - indexed:.2f} s"
        )
        return notes

    def stores(self) -> list[_StoreInfo]:
        """The generated stores with their city, advisor and the vehicle models of their brands."""
        models_of = self.catalogue()
        serves: dict[int, list[str]] = {}
        for store_id, code in Store.brands.through.objects.values_list("store_id", "brand__code").order_by("pk"):
            serves.setdefault(store_id, []).append(code)
        everything = [entry for entries in models_of.values() for entry in entries]
        rows = list(Store.all_objects.order_by("code").values_list("pk", "code", "name"))
        advisors = dict(
            User.objects.filter(username__in=[f"advisor_{code.lower()}" for _pk, code, _name in rows]).values_list(
                "username", "pk"
            )
        )
        stores = []
        for pk, code, name in rows:
            region = next((region for city, region in REGIONS.items() if name.startswith(city)), REGIONS["上海"])
            served = [entry for brand in serves.get(pk, []) for entry in models_of.get(brand, [])]
            stores.append(_StoreInfo(pk, code, region, advisors.get(f"advisor_{code.lower()}"), served or everything))
        if not stores:
            raise ValueError("The archive needs stores: generate them in the same run.")
        return stores

    def catalogue(self) -> dict[str, list[tuple[int, str, str]]]:
        """Write the vehicle models of the generated brands; return (id, WMI, fuel) per brand code."""
        table = Table(VehicleModel, self.result, "vehicle_models")
        brands = dict(Brand.objects.filter(code__in=CATALOGUE).values_list("code", "pk"))
        found: dict[str, list[tuple[int, str, str]]] = {}
        for code, (wmi, entries) in CATALOGUE.items():
            if code not in brands:
                continue
            for series, name, fuel in entries:
                pk = table.add(brand_id=brands[code], series=series, name=name, fuel_type=fuel)
                found.setdefault(code, []).append((pk, wmi, fuel))
        table.flush()
        return found

    # --- bulk rows ----------------------------------------------------------------------------

    def bulk(self, stores: list[_StoreInfo]) -> tuple[int, int] | None:
        """Write customers, mobiles, vehicles, owners and search keys; return the detail customer (id, version)."""
        rng = self.rng
        random_ = rng.random
        customers = Table(Customer, self.result, "customers")
        phones = Table(CustomerPhone, self.result, "customer_phones")
        vehicles = Table(Vehicle, self.result, "vehicles")
        links = Table(VehicleLink, self.result, "vehicle_links")
        plates = Table(PlateRegistration, self.result, "plate_registrations")
        keys = Table(SearchKey, self.result, "search_keys")
        sequences = Table(DocumentSequence, self.result, "document_sequences")
        moment = customers.datetime_adapter("created_at")
        vehicle_moment = vehicles.datetime_adapter("created_at")
        day = date_adapter(vehicles, "purchase_date")
        link_day = date_adapter(links, "valid_from")
        plate_day = date_adapter(plates, "valid_from")
        tag_options = [
            customers.adapt("tags", tags) for tags in ([], [], [], [], ["prefers WeChat"], ["waits in lounge"])
        ]
        cu, ph, ve, li, sk = customers.positions, phones.positions, vehicles.positions, links.positions, keys.positions
        key_template = keys.template()
        phone_template = phones.template()
        link_template = links.template(role=VehicleLink.Role.OWNER.value)
        pl = plates.positions
        plate_template = plates.template(end_reason="", end_note="")
        # No brand policy in the bench: the periods are the law's minimum (services.warranty_terms).
        vehicle_template = vehicles.template(
            version=1, use_type=Vehicle.UseType.HOUSEHOLD.value, warranty_km_limit=60_000, sanbao_km_limit=50_000
        )

        def add_plate(vehicle_id: int, plate: str, start: date, end: date | None) -> None:
            row = plate_template.copy()
            row[pl["id"]] = plates.allocate()
            row[pl["vehicle_id"]] = vehicle_id
            row[pl["plate"]] = plate
            row[pl["valid_from"]] = plate_day(start)
            row[pl["valid_to"]] = plate_day(end) if end is not None else None
            if end is not None:
                row[pl["end_reason"]] = PlateRegistration.EndReason.REPLACED.value
            plates.rows.append(tuple(row))

        completeness_of: dict[tuple[bool, ...], int] = {}

        def add_keys(pairs: list[tuple[str, str]], customer_id: int | None, vehicle_id: int | None) -> None:
            for kind, key in pairs:
                row = key_template.copy()
                row[sk["id"]] = keys.allocate()
                row[sk["key"]] = key
                row[sk["kind"]] = kind
                row[sk["customer_id"]] = customer_id
                row[sk["vehicle_id"]] = vehicle_id
                keys.rows.append(tuple(row))

        span = timedelta(days=365 * CUSTOMER_YEARS).total_seconds()
        first_moment = self.now - timedelta(days=365 * CUSTOMER_YEARS + 1)
        remaining_customers = self.customers
        detail: tuple[int, int] | None = None
        bulk_vehicles = self.vehicles - DETAIL_VEHICLES if self.vehicles >= DETAIL_VEHICLES else self.vehicles
        remaining_vehicles = bulk_vehicles
        per_store, extra = divmod(self.customers, len(stores))
        serial = 0
        for position, store in enumerate(stores):
            count = per_store + (1 if position < extra else 0)
            region = store.region
            template = customers.template(
                province=region.province, city=region.city, home_store_id=store.pk, owner_id=store.advisor_id, version=1
            )
            numbers_in_year: dict[int, int] = {}
            for index in range(count):
                serial += 1
                created = first_moment + timedelta(seconds=span * (index + random_()) / count)
                year = created.astimezone(self.zone).year
                numbers_in_year[year] = numbers_in_year.get(year, 0) + 1
                number = f"CUS-{store.code}-{year}-{numbers_in_year[year]:06d}"
                company = serial % 50 == 17
                name = self.company_name(region) if company else self.person_name()
                initials, full = self.name_keys(name)
                row = template.copy()
                customer_id = row[cu["id"]] = customers.allocate()
                row[cu["number"]] = number
                row[cu["kind"]] = Customer.Kind.COMPANY.value if company else Customer.Kind.INDIVIDUAL.value
                row[cu["name"]] = name
                row[cu["name_initials"]] = " ".join(initials)
                row[cu["name_pinyin"]] = full
                has_street = random_() < 0.9
                row[cu["district"]] = region.districts[int(random_() * len(region.districts))]
                if has_street:
                    row[cu["street"]] = (
                        f"{region.streets[int(random_() * len(region.streets))]}{1 + int(random_() * 1999)}号"
                    )
                has_email = random_() < 0.2
                if has_email:
                    row[cu["email"]] = (
                        f"{full[:20] or 'kehu'}{serial % 997}@{'qq.com' if random_() < 0.6 else '163.com'}"
                    )
                if random_() < 0.1:
                    row[cu["landline"]] = f"{region.area_code}-{int(random_() * 90_000_000) + 10_000_000}"
                has_identity = company
                if company:
                    row[cu["uscc"]] = self.uscc(region, serial)
                elif serial % 10 == 3:
                    self.resident_id(row, cu, region, serial)
                    has_identity = True
                has_emergency = not company and random_() < 0.3
                if has_emergency:
                    row[cu["emergency_contact"]] = self.person_name()
                    row[cu["emergency_phone"]] = self.mobile()
                row[cu["preferences"]] = PREFERENCES[int(random_() * len(PREFERENCES))]
                row[cu["tags"]] = tag_options[int(random_() * len(tag_options))]
                row[cu["source"]] = ("sales", "sales", "sales", "walk_in", "referral", "online", "phone")[
                    int(random_() * 7)
                ]
                chance = random_()
                row[cu["customer_class"]] = (
                    "fleet" if company else ("vip" if chance < 0.08 else "lapsed" if chance < 0.15 else "regular")
                )
                created_db = moment(created)
                row[cu["created_at"]] = created_db
                has_consent = random_() < 0.92
                if has_consent:
                    row[cu["data_consent"]] = True
                    row[cu["data_consent_at"]] = created_db
                    row[cu["data_consent_channel"]] = "paper" if random_() < 0.7 else "app"
                if random_() < 0.6:
                    row[cu["marketing_consent"]] = True
                    row[cu["marketing_consent_at"]] = created_db
                    row[cu["marketing_consent_channel"]] = "paper"
                updated = created
                if random_() < 0.7:
                    reviewed = min(created + timedelta(days=1 + int(random_() * 400)), self.now)
                    row[cu["reviewed_at"]] = moment(reviewed)
                    updated = reviewed
                row[cu["updated_at"]] = moment(updated)

                # Vehicles: on average what is left per customer left, more for companies, none for a few.
                if detail is None and store.code == DETAIL_STORE and index == 0:
                    owned = 0
                    detail = (customer_id, 1)
                elif remaining_customers == 1:
                    owned = remaining_vehicles
                else:
                    weight = 4.0 if company else (0.0 if random_() < 0.06 else 1.0)
                    owned = min(remaining_vehicles, int(remaining_vehicles / remaining_customers * weight + random_()))
                remaining_customers -= 1
                remaining_vehicles -= owned
                facts = (
                    has_street,
                    has_identity,
                    has_email,
                    has_emergency,
                    store.advisor_id is not None,
                    has_consent,
                    owned > 0,
                )
                score = completeness_of.get(facts)
                if score is None:
                    score = completeness_of[facts] = selectors.completeness(
                        selectors.ArchiveFacts(
                            has_mobile=True,
                            has_address=facts[0],
                            has_identity=facts[1],
                            has_email=facts[2],
                            has_emergency_contact=facts[3],
                            has_owner=facts[4],
                            has_data_consent=facts[5],
                            has_vehicle=facts[6],
                        ),
                        selectors.DEFAULT_REQUIRED,
                    )[0]
                row[cu["completeness"]] = score
                customers.rows.append(tuple(row))
                if len(customers.rows) >= CHUNK:
                    flush_in_order(customers, phones, vehicles, links, keys)

                mobiles = [self.mobile()]
                if random_() < 0.15:
                    second = self.mobile()
                    if second != mobiles[0]:
                        mobiles.append(second)
                for primary, mobile in enumerate(mobiles):
                    phone = phone_template.copy()
                    phone[ph["id"]] = phones.allocate()
                    phone[ph["customer_id"]] = customer_id
                    phone[ph["number"]] = mobile
                    phone[ph["is_primary"]] = primary == 0
                    phones.rows.append(tuple(phone))
                add_keys(search.customer_keys(number=number, name=name, mobiles=mobiles), customer_id, None)

                for _car in range(owned):
                    model_id, wmi, fuel = store.models[int(random_() * len(store.models))]
                    model_year = self.model_year(created)
                    purchase = min(date(model_year, 1, 1) + timedelta(days=int(random_() * 300)), self.today)
                    vin = self.vin(wmi, model_year)
                    plate = "" if random_() < 0.01 else self.plate(region, fuel in NEV_FUELS)
                    vehicle = vehicle_template.copy()
                    vehicle_id = vehicle[ve["id"]] = vehicles.allocate()
                    vehicle[ve["vin"]] = vin
                    vehicle[ve["plate"]] = plate
                    vehicle[ve["model_id"]] = model_id
                    vehicle[ve["model_year"]] = model_year
                    vehicle[ve["engine_no"]] = f"{VIN_CHARS[int(random_() * 23)]}{int(random_() * 10_000_000):07d}"
                    vehicle[ve["colour"]] = COLOURS[int(random_() * len(COLOURS))]
                    vehicle[ve["fuel_type"]] = fuel
                    vehicle[ve["purchase_date"]] = day(purchase)
                    vehicle[ve["delivery_date"]] = day(purchase)
                    vehicle[ve["selling_store_id"]] = (
                        store.pk if random_() < 0.9 else stores[int(random_() * len(stores))].pk
                    )
                    vehicle[ve["warranty_start"]] = day(purchase)
                    vehicle[ve["warranty_end"]] = day(_years_later(purchase, 3) - timedelta(days=1))
                    vehicle[ve["sanbao_end"]] = day(_years_later(purchase, 2) - timedelta(days=1))
                    vehicle_created = vehicle_moment(max(created, _noon(purchase, self.zone)))
                    vehicle[ve["created_at"]] = vehicle_created
                    vehicle[ve["updated_at"]] = vehicle_created
                    vehicles.rows.append(tuple(vehicle))
                    link = link_template.copy()
                    link[li["id"]] = links.allocate()
                    link[li["vehicle_id"]] = vehicle_id
                    link[li["customer_id"]] = customer_id
                    link[li["valid_from"]] = link_day(purchase)
                    links.rows.append(tuple(link))
                    # One vehicle in twenty had another plate before (plate history: searchable as former).
                    former: list[str] = []
                    if plate and random_() < FORMER_PLATE_SHARE and purchase < self.today - timedelta(days=2):
                        changed = purchase + timedelta(days=1 + int(random_() * ((self.today - purchase).days - 1)))
                        former.append(self.plate(region, fuel in NEV_FUELS))
                        add_plate(vehicle_id, former[0], purchase, changed)
                        add_plate(vehicle_id, plate, changed, None)
                    elif plate:
                        add_plate(vehicle_id, plate, purchase, None)
                    add_keys(search.vehicle_keys(vin=vin, plate=plate, former_plates=former), None, vehicle_id)
            for year, last in sorted(numbers_in_year.items()):
                sequences.add(store_id=store.pk, doc_type="CUS", year=year, last_value=last)
        flush_in_order(customers, phones, vehicles, links, plates, keys, sequences)
        if self.vehicles < DETAIL_VEHICLES:
            return None
        models = itertools.islice(itertools.cycle(stores[0].models), DETAIL_VEHICLES)
        for slot, (model_id, wmi, fuel) in enumerate(models):
            vin = self.vin(wmi, self.detail_purchase(slot).year)
            self.detail_vehicles.append((vin, self.plate(stores[0].region, fuel in NEV_FUELS), model_id, fuel))
        return detail

    def detail_purchase(self, number: int) -> date:
        """The purchase date of the detail customer's ``number``-th vehicle: early enough for 12 readings."""
        return self.detail_start - timedelta(days=7 * number)

    # --- values ---------------------------------------------------------------------------------

    # --- the detail customer --------------------------------------------------------------------

    def detail_customer(self, detail: tuple[int, int], store: _StoreInfo) -> str:
        """Give the detail customer 20 vehicles and 500 timeline entries through the real services."""
        customer_id, version = detail
        actor = User.objects.filter(pk=store.advisor_id or 0).first() or User.objects.order_by("pk").first()
        if actor is None:
            raise ValueError("The detail customer needs a user to act as.")
        owner = Customer.objects.get(pk=customer_id)
        audit_before = AuditEntry.objects.count()
        for step in range(DETAIL_CUSTOMER_CHANGES):
            changed = services.customer_update(
                actor=actor,
                customer_id=customer_id,
                version=version,
                data={"preferences": f"第{step + 1}次回访：{PREFERENCES[3 + step % 5]}"},
            )
            version = changed.version
        vehicle_ids = []
        for number, (vin, plate, model_id, fuel) in enumerate(self.detail_vehicles):
            purchase = self.detail_purchase(number)
            vehicle = services.vehicle_create(
                actor=actor,
                owner=owner,
                data={
                    "vin": vin,
                    "plate": plate,
                    "model_id": model_id,
                    "model_year": purchase.year,
                    "fuel_type": fuel,
                    "colour": COLOURS[0],
                    "purchase_date": purchase,
                    "delivery_date": purchase,
                    "use_type": Vehicle.UseType.HOUSEHOLD.value,
                    "selling_store_id": store.pk,
                },
            )
            vehicle_ids.append(vehicle.pk)
            vehicle_version = vehicle.version
            for step in range(DETAIL_VEHICLE_CHANGES):
                vehicle = services.vehicle_update(
                    actor=actor,
                    vehicle_id=vehicle.pk,
                    version=vehicle_version,
                    data={"colour": COLOURS[(step + 1) % len(COLOURS)]},
                )
                vehicle_version = vehicle.version
            for reading in range(DETAIL_READINGS):
                services.mileage_record(
                    actor=actor,
                    vehicle_id=vehicle.pk,
                    km=3_000 + reading * 4_500 + number * 10,
                    read_on=purchase + timedelta(days=120 * (reading + 1)),
                    source=MileageReading.Source.REPAIR_ORDER.value,
                )
        owner.refresh_from_db()
        timeline = selectors.customer_timeline(owner)
        vehicles = VehicleLink.objects.filter(customer_id=customer_id, valid_to=None).count()
        if len(timeline) != DETAIL_TIMELINE or vehicles != DETAIL_VEHICLES:
            raise ValueError(
                f"Detail customer {owner.number}: {vehicles} vehicles and {len(timeline)} timeline entries, "
                f"expected {DETAIL_VEHICLES} and {DETAIL_TIMELINE}."
            )
        counts = self.result.counts
        counts["detail_vehicles"] = len(vehicle_ids)
        counts["detail_vehicle_links"] = vehicles
        counts["detail_mileage_readings"] = MileageReading.objects.filter(vehicle_id__in=vehicle_ids).count()
        counts["detail_search_keys"] = SearchKey.objects.filter(vehicle_id__in=vehicle_ids).count()
        counts["detail_audit_entries"] = AuditEntry.objects.count() - audit_before
        return (
            f"  detail customer {owner.number} (id {owner.pk}): {vehicles} vehicles, {len(timeline)} timeline "
            "entries, written through the services"
        )


def archive_generate(result: GenerateResult, *, customers: int, vehicles: int) -> list[str]:
    """Write ``customers`` customers and ``vehicles`` vehicles into the generated group; return summary lines."""
    return ArchiveGenerator(result, customers=customers, vehicles=vehicles).run()


def _noon(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone).astimezone(UTC)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def archive_settle() -> list[str]:
    """After the commit, on PostgreSQL: VACUUM (ANALYZE) the loaded tables, as autovacuum would after a load.

    Planner statistics for the new rows, and a visibility map and hint bits so that the first reads
    do not pay for them (this server runs with autovacuum off). SQLite needs nothing.
    """
    if connection.vendor != "postgresql":
        return []
    started = time.perf_counter()
    written = [Customer, CustomerPhone, Vehicle, VehicleLink, SearchKey, VehicleModel, DocumentSequence]
    written += [MileageReading, AuditEntry]
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in written)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return [f"  archive tables vacuumed and analysed in {time.perf_counter() - started:.2f} s"]


def _settle(options: GenerateOptions) -> list[str]:
    return archive_settle() if options.customers else []


@generator("customers", settle=_settle)
def _generate_archive(result: GenerateResult, options: GenerateOptions) -> list[str]:
    """``--customers N --vehicles M``: the archive, after the dealer group, in the same transaction."""
    if not options.customers:
        return []
    return archive_generate(result, customers=options.customers, vehicles=options.vehicles)
