"""The quality area's scenario ``comeback_check``: the check of a new order's work against the car's earlier
delivered work (``quality.services.comebacks.comeback_check``, run where an order is signed or a line added),
over 3 million vehicles and 10 million past orders.

No generator option: the scenario's set-up (untimed, once per database) writes the workshop's history the
first time it runs on a database with the customer archive (``bench generate --customers N --vehicles M``):
ten past orders for every three vehicles of the archive (10,000,000 for 3,000,000), delivered over the last
three years, each with its visit, one or two done labour lines and their repair guarantees as delivery writes
them (the store's terms per repair category, the law's unless longer; ``watch_to`` the later of the end and
the store's comeback window). Every tenth vehicle, and the detail customer's, has no history. The rows go in
with the loading technique of ``bench.loading``; on PostgreSQL the tables are then vacuumed and analysed.

Then open orders are set up (once, found again by the next run) on cars of three kinds, in turn: inside an
open guarantee with new work repeating it (the check flags a comeback and writes it), inside one with new
work of other categories (compared, nothing flagged), and a car of the archive at random (mostly nothing to
check against: one query). Each call checks the next order's lines in a transaction rolled back afterwards,
so the time is the check's own (the signing around it is ``repair_order_create``'s) and nothing stays.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from array import array
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from django.db import connection, transaction
from django.db.models import Max, Min, Model
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.catalogue.models import LabourOperation
from aftersales.core.calendar import store_calendar
from aftersales.core.models import DocumentSequence, Store, User
from aftersales.core.numbering import numbers_reserve
from aftersales.customers.models import Vehicle, VehicleLink
from aftersales.messaging.models import Signature
from aftersales.messaging.services import signature_store
from aftersales.parts.models import Part
from aftersales.quality.models import Guarantee
from aftersales.quality.services import comeback_check, guarantee_terms, quality_settings
from aftersales.quality.services.comebacks import NOT_COMPARED, watched
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import LineIn
from aftersales.visits.services.lines import LineContext, line_build
from bench.customers.scenarios import detail_customer_id
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
from bench.registry import BenchContext, BenchFailure, Call, scenario
from bench.visits import _catalogue, _signature

PAST_ORDERS, FOR_VEHICLES = 10_000_000, 3_000_000  # ten past orders for every three vehicles of the archive
HISTORY_DAYS = 3 * 365 + 1
NEW_TO_WORKSHOP = 10  # every tenth vehicle of the archive has no past order
SECOND_LINE = 0.2  # past orders with a second labour line
CHUNK = 2000  # past orders queued (with their visits, lines and guarantees) between writes
SLOTS = 54  # arrivals every ten minutes from 08:30
SAMPLES = 240  # open orders the calls check in turn, a third of each kind
SEED = "aftersales-bench-comebacks"
MARK = "bench_past_orders"  # what the history's shared signature signed: found again by the next run
CUSTOMER = "基准客户"
OPEN_CONTACT = "基准返修检查"
KINDS = ("repeat", "other", "random")
STATEMENTS = {"repeat": "上次修过的地方又有问题", "other": "保养，顺便检查一下", "random": "保养"}
# Repair categories of the past work (机动车维修管理规定's guarantee per category), per cent of labour lines.
CATEGORY_SHARE = {"first_level": 40, "minor": 30, "second_level": 12, "special": 10, "assembly": 7, "whole_vehicle": 1}
FAULTY = frozenset({"engine", "transmission", "chassis", "electrical", "ac", "ev"})  # repairs with a fault code
FAULT_CODES = ("P0301", "P0420", "P0171", "P0700", "C0035", "C1234", "B1318", "U0100", "P0A80", "C0040")
FAULT_SHARE = 0.35
PART_SHARE = 0.4  # past orders that fitted parts of the group's part master (when it has one)
# What the pricing service sets on a labour line (``line_build``), copied into the history's lines.
PRICED = ["kind", "source", "pay_type", "operation_id", "description", "repair_category", "quantity", "unit_price"]
PRICED += ["amount", "net", "tax", "tax_code", "tax_rate", "price_basis", "guide_price", "price_source"]
Wanted = tuple[str, int, list[LineIn]]  # an open order to write: its kind, the car and the new work
Row = list[object]  # a row of a table in column order, as ``Table.template`` gives it
LOADED: list[type[Model]] = [Visit, RepairOrder, Line, Guarantee]


def _km(vehicle_id: int, day: int) -> int:
    """Return the car's odometer ``day`` days into the history: 3,000-43,000 km at first, then 20-59 km a day."""
    return 3_000 + vehicle_id * 7_919 % 40_000 + (20 + vehicle_id % 40) * day


def _priced(context: LineContext, data: LineIn) -> Line:
    """Check and price a new line as the signing builds it."""
    errors: dict[str, list[str]] = {}
    line = line_build(context, data, "", errors)
    if line is None:
        raise BenchFailure(f"comeback_check: a line could not be priced: {errors}")
    return line


@dataclass
class _StoreRow:
    pk: int
    code: str
    advisor_id: int
    technician_id: int | None
    terms: dict[str, tuple[int, int]]
    window: int


def _stores() -> list[_StoreRow]:
    """Return every store with its advisor and technician (as generated), guarantee terms and comeback window."""
    stores = list(Store.all_objects.order_by("code"))
    names = [f"{role}_{store.code.lower()}" for store in stores for role in ("advisor", "technician")]
    users = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    fallback = User.objects.order_by("pk").values_list("pk", flat=True).first()
    if not stores or fallback is None:
        raise BenchFailure("comeback_check: no stores: run bench generate first.")
    return [
        _StoreRow(
            store.pk,
            store.code,
            users.get(f"advisor_{store.code.lower()}", fallback),
            users.get(f"technician_{store.code.lower()}"),
            guarantee_terms(store.pk),
            quality_settings(store.pk).comeback_days,
        )
        for store in stores
    ]


class _History:
    """Write the past orders; ``run`` is the whole job (in the caller's transaction)."""

    def __init__(self, first: Store, operations: list[LabourOperation]) -> None:
        self.result = GenerateResult()
        self.rng = random.Random(SEED)
        self.zone = first.zone
        self.first_day = store_calendar(first).local_date(timezone.now()) - timedelta(days=HISTORY_DAYS)
        self.stores = _stores()
        self.operations = operations
        weights = Counter(operation.repair_category for operation in operations)
        shares = (CATEGORY_SHARE.get(op.repair_category, 1) / weights[op.repair_category] for op in operations)
        self.cumulative = list(itertools.accumulate(shares))
        pool = list(Part.objects.filter(group_id=first.group_id).order_by("pk").values_list("pk", flat=True)[:300])
        self.part_lists = [sorted(self.rng.sample(pool, min(len(pool), 1 + n % 2))) for n in range(500 if pool else 0)]
        try:
            self.detail = detail_customer_id()
        except BenchFailure:  # no archive: refused below, saying what to generate
            self.detail = 0
        self.watched_today = 0

    def operation(self) -> int:
        """Draw the index of a labour operation by the repair categories' shares."""
        return min(bisect.bisect(self.cumulative, self.rng.random() * self.cumulative[-1]), len(self.operations) - 1)

    def vehicles(self) -> tuple[array[int], array[int], array[int]]:
        """Read the archive's vehicles by id (the detail customer's aside) with their owner and home store's index."""
        positions = {store.pk: index for index, store in enumerate(self.stores)}
        vehicle_ids, customer_ids, store_of = array("q"), array("q"), array("l")
        rows = (
            VehicleLink.objects.filter(role=VehicleLink.Role.OWNER, valid_to=None)
            .exclude(customer_id=self.detail)
            .order_by("vehicle_id")
            .values_list("vehicle_id", "customer_id", "customer__home_store_id")
        )
        for vehicle_id, customer_id, store_id in rows.iterator(chunk_size=50_000):
            vehicle_ids.append(vehicle_id)
            customer_ids.append(customer_id)
            store_of.append(positions.get(store_id, 0))
        return vehicle_ids, customer_ids, store_of

    def run(self, signature_id: int) -> tuple[int, int]:
        """Write the past orders of the archive's vehicles, oldest first; return the orders and guarantees."""
        vehicle_ids, customer_ids, store_of = self.vehicles()
        detail = VehicleLink.objects.filter(customer_id=self.detail, role=VehicleLink.Role.OWNER, valid_to=None)
        total = (len(vehicle_ids) + detail.count()) * PAST_ORDERS // FOR_VEHICLES
        serviced = len(vehicle_ids) - (len(vehicle_ids) + NEW_TO_WORKSHOP - 1) // NEW_TO_WORKSHOP
        if serviced < 1 or total < 1:
            raise BenchFailure("comeback_check: no vehicles: generate with --customers and --vehicles.")
        visits = Table(Visit, self.result, "visits")
        orders = Table(RepairOrder, self.result, "repair_orders")
        lines = Table(Line, self.result, "lines")
        guarantees = Table(Guarantee, self.result, "guarantees")
        moment = visits.datetime_adapter("arrived_at")
        day_of = date_adapter(guarantees, "delivered_on")
        # Each date adapted once: the history's days and after them the longest guarantee a store may give
        # (3,650 days) or comeback window (730).
        on = [day_of(self.first_day + timedelta(days=offset)) for offset in range(HISTORY_DAYS + 3651)]
        vi, ro, li, gu = visits.positions, orders.positions, lines.positions, guarantees.positions
        visit_of, order_of, line_of, guarantee_of, reach = self.templates(visits, orders, lines, guarantees)
        for template in order_of:
            template[ro["signature_id"]] = signature_id
        sequences = {
            (row.store_id, row.doc_type, row.year): row.last_value
            for row in DocumentSequence.objects.filter(doc_type__in=("VS", "RO"))
        }
        numbers: dict[tuple[int, str, int], int] = {}
        random_ = self.rng.random
        # Each list's JSON once (the same few hundred lists of parts recur), and the empty list's.
        part_lists = [guarantees.adapt("part_ids", parts) for parts in self.part_lists]
        no_parts = guarantees.adapt("part_ids", [])
        faulty = [operation.category in FAULTY for operation in self.operations]
        written = guaranteed = 0
        for day in range(HISTORY_DAYS):
            local = self.first_day + timedelta(days=day)
            year = local.year
            start = datetime.combine(local, clock_time(8, 30), self.zone).astimezone(UTC)
            # Per ten-minute slot: arrived, signed, promised and left (delivered), each adapted once per day.
            moments = [
                [moment(start + timedelta(minutes=10 * slot + after)) for after in (0, 15, 240, 300)]
                for slot in range(SLOTS)
            ]
            delivered = on[day]
            for _order in range((day + 1) * total // HISTORY_DAYS - day * total // HISTORY_DAYS):
                k = int(random_() * serviced)
                position = k + k // (NEW_TO_WORKSHOP - 1) + 1  # skips every tenth vehicle
                vehicle_id, customer_id, s = vehicle_ids[position], customer_ids[position], store_of[position]
                store = self.stores[s]
                km = _km(vehicle_id, day)
                arrived, signed, promised, left = moments[int(random_() * SLOTS)]
                visit_number = numbers[(store.pk, "VS", year)] = (
                    numbers.get((store.pk, "VS", year), sequences.get((store.pk, "VS", year), 0)) + 1
                )
                order_number = numbers[(store.pk, "RO", year)] = (
                    numbers.get((store.pk, "RO", year), sequences.get((store.pk, "RO", year), 0)) + 1
                )
                row = visit_of[s].copy()
                visit_id = row[vi["id"]] = visits.allocate()
                row[vi["number"]] = f"VS-{store.code}-{year}-{visit_number:06d}"
                row[vi["customer_id"]], row[vi["vehicle_id"]], row[vi["mileage_in"]] = customer_id, vehicle_id, km
                row[vi["arrived_at"]], row[vi["created_at"]], row[vi["promised_at"]] = arrived, arrived, promised
                row[vi["left_at"]] = left
                visits.rows.append(tuple(row))
                chosen = [self.operation()]
                if random_() < SECOND_LINE and (second := self.operation()) != chosen[0]:
                    chosen.append(second)
                row = order_of[s].copy()
                order_id = row[ro["id"]] = orders.allocate()
                row[ro["number"]] = f"RO-{store.code}-{year}-{order_number:06d}"
                row[ro["visit_id"]], row[ro["customer_id"]], row[ro["vehicle_id"]] = visit_id, customer_id, vehicle_id
                row[ro["mileage_in"]], row[ro["signed_at"]], row[ro["created_at"]] = km, signed, signed
                row[ro["customer_statement"]] = self.operations[chosen[0]].name
                orders.rows.append(tuple(row))
                parts = part_lists[int(random_() * len(part_lists))] if part_lists and random_() < PART_SHARE else None
                for number, index in enumerate(chosen, start=1):
                    row = line_of[s][index].copy()
                    line_id = row[li["id"]] = lines.allocate()
                    row[li["order_id"]], row[li["vehicle_id"]], row[li["position"]] = order_id, vehicle_id, number
                    row[li["priced_at"]], row[li["created_at"]] = signed, signed
                    fault = ""
                    if faulty[index] and random_() < FAULT_SHARE:
                        fault = row[li["fault_code"]] = FAULT_CODES[int(random_() * len(FAULT_CODES))]
                    lines.rows.append(tuple(row))
                    row = guarantee_of[s][index].copy()
                    row[gu["id"]] = guarantees.allocate()
                    row[gu["vehicle_id"]], row[gu["order_id"]], row[gu["line_id"]] = vehicle_id, order_id, line_id
                    row[gu["fault_code"]], row[gu["part_ids"]] = fault, no_parts if parts is None else parts
                    days, km_limit, watch = reach[s][index]
                    row[gu["delivered_on"]], row[gu["mileage_out"]] = delivered, km
                    row[gu["valid_to"]], row[gu["km_to"]], row[gu["watch_to"]] = (
                        on[day + days],
                        km + km_limit,
                        on[day + watch],
                    )
                    guarantees.rows.append(tuple(row))
                    guaranteed += 1
                    self.watched_today += day + watch >= HISTORY_DAYS
                written += 1
                if len(orders.rows) >= CHUNK:
                    flush_in_order(visits, orders, lines, guarantees)
        flush_in_order(visits, orders, lines, guarantees)
        for (store_id, doc_type, year), last in numbers.items():
            DocumentSequence.objects.update_or_create(
                store_id=store_id, doc_type=doc_type, year=year, defaults={"last_value": last}
            )
        return written, guaranteed

    def templates(
        self, visits: Table, orders: Table, lines: Table, guarantees: Table
    ) -> tuple[list[Row], list[Row], list[list[Row]], list[list[Row]], list[list[tuple[int, int, int]]]]:
        """Make the rows per store (visit, order) and per store and operation (priced line, guarantee, reach)."""
        vehicle = Vehicle.objects.select_related("model").order_by("pk").first()
        if vehicle is None:
            raise BenchFailure("comeback_check: no vehicles: generate with --customers and --vehicles.")
        # Priced once at the first store: the bench's labour rate is the group's, the same at every store.
        first, advisor = Store.all_objects.get(pk=self.stores[0].pk), User.objects.get(pk=self.stores[0].advisor_id)
        context = LineContext(store=first, vehicle=vehicle, actor=advisor)
        priced = [
            {name: getattr(_priced(context, LineIn(kind="labour", operation_id=op.pk)), name) for name in PRICED}
            for op in self.operations
        ]
        visit_of, order_of, line_of, guarantee_of, reach = [], [], [], [], []
        for store in self.stores:
            staff = {"store_id": store.pk, "advisor_id": store.advisor_id, "created_by_id": store.advisor_id}
            visit_of.append(
                visits.template(
                    **staff,
                    state=Visit.State.DELIVERED.value,
                    contact_name=CUSTOMER,
                    contact_mobile="13800000000",
                    fuel_level=4,
                )
            )
            order_of.append(
                orders.template(
                    **staff, state=RepairOrder.State.DELIVERED.value, signed_name=CUSTOMER, signed_hash="0" * 64
                )
            )
            line_of.append(
                [
                    lines.template(
                        store_id=store.pk, state=Line.State.DONE.value, created_by_id=store.advisor_id, **values
                    )
                    for values in priced
                ]
            )
            terms = [store.terms[op.repair_category] for op in self.operations]
            guarantee_of.append(
                [
                    guarantees.template(
                        store_id=store.pk,
                        technician_id=store.technician_id,
                        operation_id=op.pk,
                        repair_category=op.repair_category,
                        operation_category=op.category,
                        days=days,
                        km=km,
                    )
                    for op, (days, km) in zip(self.operations, terms, strict=True)
                ]
            )
            reach.append([(days, km, max(days, store.window)) for days, km in terms])
        return visit_of, order_of, line_of, guarantee_of, reach


@transaction.atomic
def past_orders() -> tuple[Signature, str]:
    """Write the archive's past orders with their guarantees once; return the signature they share and a note."""
    found = Signature.objects.filter(object_type="visits.visit", object_id=0, what=MARK).first()
    if found is not None:
        return found, ""
    first = Store.all_objects.order_by("code").first()
    if first is None:
        raise BenchFailure("comeback_check: no stores: run bench generate first.")
    operations = _catalogue(first)
    history = _History(first, operations)
    # One signature for every past order (each would have its own PNG); its row marks the history as written.
    signature = signature_store(
        data_url=_signature(),
        store=first,
        signer_type=Signature.SignerType.CUSTOMER,
        signer_name=CUSTOMER,
        object_type="visits.visit",
        object_id=0,
        what=MARK,
        snapshot_hash="0" * 64,
        user=User.objects.get(pk=history.stores[0].advisor_id),
        audited=False,
    )
    started = time.perf_counter()
    with ExitStack() as stack:
        stack.enter_context(load_settings())
        # The foreign keys first: on PostgreSQL the checks still pending are run before any index is dropped.
        stack.enter_context(deferred_foreign_keys(LOADED))
        for model in LOADED:
            stack.enter_context(deferred_indexes(model))
        orders, guaranteed = history.run(signature.pk)
        rows = time.perf_counter()
    indexed = time.perf_counter()
    reset_sequences(LOADED)
    return signature, (
        f"{orders:,} past orders at {len(history.stores)} stores written ({history.result.rows:,} rows: "
        f"{guaranteed:,} guarantees, {history.watched_today:,} still watched) in {indexed - started:.0f} s "
        f"(rows {rows - started:.0f} s, indexes and keys {indexed - rows:.0f} s)"
    )


def history() -> tuple[Signature, str]:
    """Return the past orders' signature and a note, analysing the tables on PostgreSQL once written."""
    signature, written = past_orders()
    if not written:
        return signature, "past orders there already"
    if connection.vendor == "postgresql":
        # As autovacuum (off on this machine's server) would shortly after a load: the planner's statistics
        # (a car has a handful of the guarantees) and the visibility map.
        started = time.perf_counter()
        tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in LOADED)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
        written += f", vacuumed and analysed in {time.perf_counter() - started:.0f} s"
    return signature, written


# --- the open orders the calls check -------------------------------------------------------------------


@dataclass
class _Open:
    kind: str
    order: RepairOrder
    lines: list[Line]
    actor: User


def _chosen_cars(today: date, operations: list[LabourOperation]) -> list[Wanted]:
    """Choose the cars of each kind with their new work."""
    rng = random.Random(f"{SEED}-open")
    per_kind = SAMPLES // len(KINDS)
    compared = [operation for operation in operations if operation.category not in NOT_COMPARED]
    # The newest guarantees were delivered in the last weeks, so still watched (pks are in delivery order).
    top = Guarantee.objects.aggregate(top=Max("pk"))["top"] or 0
    recent = max(per_kind * 6, top * 20 // HISTORY_DAYS)
    picks = sorted({rng.randint(max(1, top - recent), top) for _pick in range(per_kind * 6)})
    candidates = list(
        Guarantee.objects.filter(pk__in=picks, watch_to__gte=today)
        .exclude(operation_category__in=NOT_COMPARED)
        .order_by("pk")
    )
    rng.shuffle(candidates)
    chosen: list[Wanted] = []
    used: set[int] = set()
    counts = Counter[str]()
    for guarantee in candidates:
        car = guarantee.vehicle_id
        if car in used or guarantee.operation_id is None:
            continue
        used.add(car)
        if counts["repeat"] < per_kind:
            # The same work again (with its fault code and the part it fitted), and other work besides.
            causal = guarantee.part_ids[0] if guarantee.part_ids and guarantee.fault_code else None
            again = LineIn(
                "labour", operation_id=guarantee.operation_id, fault_code=guarantee.fault_code, causal_part_id=causal
            )
            besides = rng.choice([op for op in compared if op.pk != guarantee.operation_id])
            chosen.append(("repeat", car, [again, LineIn("labour", operation_id=besides.pk)]))
            counts["repeat"] += 1
        elif counts["other"] < per_kind:
            seen = {row.operation_category for row in watched(car, day=today)}
            others = [operation for operation in compared if operation.category not in seen]
            if len(others) >= 2:
                chosen.append(("other", car, [LineIn("labour", operation_id=op.pk) for op in rng.sample(others, 2)]))
                counts["other"] += 1
    if not chosen:
        raise BenchFailure("comeback_check: no guarantee is watched today: the history was not written.")
    # Cars of the archive at random (the detail customer's aside): most have nothing to be checked against.
    detail = set(VehicleLink.objects.filter(customer_id=detail_customer_id()).values_list("vehicle_id", flat=True))
    bounds = Vehicle.objects.aggregate(low=Min("pk"), high=Max("pk"))
    cars = sorted({rng.randint(bounds["low"], bounds["high"]) for _pick in range(per_kind * 3)} - used - detail)
    rng.shuffle(cars)
    for car in cars[: per_kind * 2]:
        chosen.append(("random", car, [LineIn("labour", operation_id=op.pk) for op in rng.sample(operations, 2)]))
    return chosen


@transaction.atomic
def _write_open_orders(signature: Signature) -> None:
    """Open an order on each chosen car at its owner's store, its lines priced as the signing prices them."""
    first = Store.all_objects.order_by("code").first()
    if first is None:
        raise BenchFailure("comeback_check: no stores: run bench generate first.")
    chosen = _chosen_cars(store_calendar(first).local_date(timezone.now()), _catalogue(first))
    owners = {
        car: (customer_id, store_id)
        for car, customer_id, store_id in VehicleLink.objects.filter(
            role=VehicleLink.Role.OWNER, valid_to=None, vehicle_id__in=[car for _kind, car, _lines in chosen]
        ).values_list("vehicle_id", "customer_id", "customer__home_store_id")
        if store_id is not None
    }
    per_kind = SAMPLES // len(KINDS)
    kept = [row for kind in KINDS for row in [row for row in chosen if row[0] == kind and row[1] in owners][:per_kind]]
    vehicles = Vehicle.objects.select_related("model").in_bulk([car for _kind, car, _lines in kept])
    stores = Store.all_objects.in_bulk({owners[car][1] for _kind, car, _lines in kept})
    advisor_of = {row.pk: row.advisor_id for row in _stores()}
    advisors = User.objects.in_bulk(set(advisor_of.values()))
    now = timezone.now()
    by_store: dict[int, list[Wanted]] = {}
    for row in kept:
        by_store.setdefault(owners[row[1]][1], []).append(row)
    for store_id, rows in sorted(by_store.items()):
        store, advisor = stores[store_id], advisors[advisor_of[store_id]]
        visit_prefix, visit_first = numbers_reserve(store=store, doc_type="VS", count=len(rows))
        order_prefix, order_first = numbers_reserve(store=store, doc_type="RO", count=len(rows))
        staff = {"store": store, "advisor": advisor, "created_by": advisor}
        made = Visit.all_objects.bulk_create(
            Visit(
                **staff,
                number=f"{visit_prefix}{visit_first + index:06d}",
                customer_id=owners[car][0],
                vehicle_id=car,
                contact_name=OPEN_CONTACT,
                contact_mobile="13800000000",
                arrived_at=now,
                mileage_in=_km(car, HISTORY_DAYS),
                fuel_level=4,
                promised_at=now + timedelta(hours=4),
            )
            for index, (_kind, car, _lines) in enumerate(rows)
        )
        orders = RepairOrder.all_objects.bulk_create(
            RepairOrder(
                **staff,
                number=f"{order_prefix}{order_first + index:06d}",
                visit=visit,
                customer_id=visit.customer_id,
                vehicle_id=visit.vehicle_id,
                customer_statement=STATEMENTS[kind],
                mileage_in=visit.mileage_in,
                signed_name=CUSTOMER,
                signature=signature,
                signed_at=now,
                signed_hash="0" * 64,
            )
            for index, (visit, (kind, _car, _lines)) in enumerate(zip(made, rows, strict=True))
        )
        built = []
        for order, (_kind, car, wanted) in zip(orders, rows, strict=True):
            context = LineContext(store=store, vehicle=vehicles[car], actor=advisor)
            for position, data in enumerate(wanted, start=1):
                line = _priced(context, data)
                line.order, line.position = order, position
                built.append(line)
        Line.all_objects.bulk_create(built)


def open_orders(signature: Signature) -> list[_Open]:
    """Return the open orders the calls check (written once, found again later), their kinds in turn."""
    stores = list(Store.all_objects.values_list("pk", flat=True))
    visits = Visit.all_objects.filter(store_id__in=stores, state=Visit.State.ON_SITE, contact_name=OPEN_CONTACT)
    if not visits.exists():
        _write_open_orders(signature)
    orders = list(RepairOrder.all_objects.filter(visit__in=visits).select_related("store").order_by("pk"))
    lines: dict[int, list[Line]] = {}
    for line in Line.all_objects.filter(order__in=orders).select_related("operation").order_by("order_id", "position"):
        lines.setdefault(line.order_id, []).append(line)
    actors = User.objects.in_bulk({order.advisor_id for order in orders})
    kind_of = {statement: kind for kind, statement in STATEMENTS.items()}
    found = [_Open(kind_of[o.customer_statement], o, lines[o.pk], actors[o.advisor_id]) for o in orders]
    by_kind = [[row for row in found if row.kind == kind] for kind in KINDS]
    return [row for group in itertools.zip_longest(*by_kind) for row in group if row is not None]


def check(sample: _Open) -> int:
    """Check the order's lines as its signing does, roll back what the check wrote; return how many it flagged."""
    with transaction.atomic():
        flagged = comeback_check(sample.order, sample.lines, sample.actor)
        transaction.set_rollback(True)
    return len(flagged)


def _tally(samples: list[_Open]) -> str:
    """Check every order once (what each kind must flag); describe what each kind flags and queries."""
    flagged: dict[str, list[int]] = {kind: [] for kind in KINDS}
    queries: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for sample in samples:
        with CaptureQueriesContext(connection) as captured:
            flagged[sample.kind].append(check(sample))
        queries[sample.kind].add(len(captured.captured_queries))
    if 0 in flagged["repeat"] or any(flagged["other"]):
        raise BenchFailure(f"comeback_check: repeated work flagged {flagged['repeat']}, other work {flagged['other']}.")
    spread = {
        kind: "-".join(str(n) for n in sorted({min(found), max(found)})) for kind, found in queries.items() if found
    }
    return (
        f"{len(samples)} open orders in turn: {len(flagged['repeat'])} repeating work under an open guarantee "
        f"(each flags a comeback; {spread.get('repeat')} queries), {len(flagged['other'])} other work under one "
        f"({spread.get('other')} queries), {len(flagged['random'])} cars at random "
        f"({sum(1 for n in flagged['random'] if n)} flag one; {spread.get('random')} queries)"
    )


@scenario(
    "comeback_check",
    "quality.services.comeback_check: the comeback check of a new order's lines against the car's delivered "
    "work (3 million vehicles, 10 million past orders), cars inside an open guarantee and at random, rolled back",
)
def _comeback_check(bench: BenchContext) -> Call:
    signature, written = history()
    samples = open_orders(signature)
    print(f"  comeback_check: {written}; {_tally(samples)}")
    cycle = itertools.cycle(samples)

    def call() -> HttpResponse:
        return HttpResponse(str(check(next(cycle))))

    return call
