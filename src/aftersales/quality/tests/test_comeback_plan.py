"""The comeback check's first query, ``watched``, reads the index ``guarantee_vehicle_watch`` (an index scan,
never a sequential scan of the guarantees) on both databases; and the bench of the check
(``bench.quality.comebacks``) writes a valid history and times the check without leaving anything behind."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.conftest import World
from aftersales.core.calendar import store_calendar
from aftersales.core.models import DocumentSequence, Store
from aftersales.core.tests.test_bench import bench_database, database_url  # noqa: F401  (the fixture, shared)
from aftersales.customers.models import Customer, Vehicle, VehicleLink
from aftersales.customers.tests.factories import CustomerFactory, valid_vin
from aftersales.messaging.models import Signature
from aftersales.messaging.services import signature_store
from aftersales.quality.models import Comeback, Guarantee
from aftersales.quality.services.comebacks import comeback_check, watched
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.tests.conftest import signature_png
from bench.customers.scenarios import detail_customer_id
from bench.quality import comebacks as quality_bench

VEHICLES, LINES_EACH = 400, 5


def _plan(sql: str) -> list[str]:
    """The plan of ``sql`` as the database explains it: SQLite's steps, PostgreSQL's lines without costs."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = [row[3] for row in cursor.fetchall()]
        else:
            cursor.execute("EXPLAIN (COSTS OFF) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
    return plan


def _check_sql(order: RepairOrder) -> str:
    """Return the SQL of the check's read of the car's watched guarantees, exactly as the check sends it."""
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        comeback_check(order, [], None)
        transaction.set_rollback(True)
    (sql,) = [query["sql"] for query in queries.captured_queries if 'FROM "quality_guarantee"' in query["sql"]]
    return sql


def _guarantees_read(sql: str) -> list[str]:
    """Explain ``sql`` and return how it reads the guarantees (whatever way it looks up their stores): SQLite's
    steps on the table; PostgreSQL's scan of it with its condition and filter, then any other scan of it."""
    plan = _plan(sql)
    if connection.vendor == "sqlite":
        return [step for step in plan if "quality_guarantee" in step]
    lines = [line.strip().removeprefix("->").strip() for line in plan]  # a node's text, not where it hangs
    first = next(index for index, line in enumerate(lines) if " on quality_guarantee" in line)
    return lines[first : first + 3] + [line for line in lines[first + 3 :] if " on quality_guarantee" in line]


def _index_scan(vehicle_id: int, day: date, exclude_order: int) -> list[str]:
    """The read the check's query must make: a range of the index (the car, ``watch_to`` from ``day``), the
    order being checked filtered out, and nothing else read of the guarantees."""
    if connection.vendor == "sqlite":
        return ["SEARCH quality_guarantee USING INDEX guarantee_vehicle_watch (vehicle_id=? AND watch_to>?)"]
    return [
        "Index Scan using guarantee_vehicle_watch on quality_guarantee",
        f"Index Cond: ((vehicle_id = {vehicle_id}) AND (watch_to >= '{day.isoformat()}'::date))",
        f"Filter: (order_id <> {exclude_order})",
    ]


def _orders(world: World, cars: list[Vehicle], customer: Customer, signature: Signature) -> list[RepairOrder]:
    """One delivered visit and order per car (in bulk: the rows as delivery leaves them)."""
    store, advisor, now = world.sh, world.user("advisor"), timezone.now()
    visits = Visit.all_objects.bulk_create(
        Visit(
            store=store,
            number=f"VS-SH01-2026-{index:06d}",
            state=Visit.State.DELIVERED,
            customer=customer,
            vehicle=car,
            advisor=advisor,
            contact_name="张伟",
            contact_mobile="13912345678",
            arrived_at=now,
            mileage_in=40_000,
            fuel_level=4,
        )
        for index, car in enumerate(cars, start=1)
    )
    return RepairOrder.all_objects.bulk_create(
        RepairOrder(
            store=store,
            number=f"RO-SH01-2026-{index:06d}",
            state=RepairOrder.State.DELIVERED,
            visit=visit,
            customer=customer,
            vehicle_id=visit.vehicle_id,
            advisor=advisor,
            customer_statement="保养",
            mileage_in=40_000,
            signed_name="张伟",
            signature=signature,
            signed_at=now,
            signed_hash="0" * 64,
        )
        for index, visit in enumerate(visits, start=1)
    )


def _guarantees(orders: list[RepairOrder], operation: LabourOperation, delivered: list[list[date]]) -> None:
    """Per order, a done labour line and its 10-day guarantee (watched 30 days) per delivery day given."""
    lines = Line.all_objects.bulk_create(
        Line(
            store_id=order.store_id,
            order=order,
            vehicle_id=order.vehicle_id,
            position=position,
            kind=Line.Kind.LABOUR,
            state=Line.State.DONE,
            source=Line.Source.REQUESTED,
            pay_type="customer",
            operation=operation,
            description=operation.name,
            repair_category="first_level",
            unit_price=Decimal("200.00"),
            amount=Decimal("200.00"),
            net=Decimal("176.99"),
            tax=Decimal("23.01"),
            tax_rate=Decimal("0.13"),
        )
        for order, order_days in zip(orders, delivered, strict=True)
        for position in range(1, len(order_days) + 1)
    )
    days = [day for order_days in delivered for day in order_days]
    Guarantee.objects.bulk_create(
        Guarantee(
            store_id=line.store_id,
            vehicle_id=line.vehicle_id,
            order_id=line.order_id,
            line=line,
            operation=operation,
            repair_category="first_level",
            operation_category="maintenance",
            delivered_on=day,
            mileage_out=40_000,
            days=10,
            km=2_000,
            valid_to=day + timedelta(days=10),
            km_to=42_000,
            watch_to=day + timedelta(days=30),
        )
        for line, day in zip(lines, days, strict=True)
    )


@pytest.mark.django_db
def test_the_watched_guarantees_of_a_car_are_one_index_scan_of_vehicle_and_watch_to(world: World) -> None:
    # Given 400 cars, each with a delivered order of five guarantees delivered over the last three years
    # (about one in twenty still watched), and a car with two orders: two guarantees watched, one not
    store = world.sh
    today = store_calendar(store).local_date(timezone.now())
    customer = CustomerFactory.create(name="张伟", mobiles=["13912345678"])
    cars = Vehicle.objects.bulk_create(Vehicle(vin=valid_vin(700_000 + n)) for n in range(VEHICLES))
    operation = LabourOperationFactory.create(group=store.group)
    signature = signature_store(
        data_url=signature_png(),
        store=store,
        signer_type="customer",
        signer_name="张伟",
        object_type="visits.visit",
        object_id=0,
        what="repair_order",
        snapshot_hash="0" * 64,
        user=world.user("advisor"),
        audited=False,
    )
    car, *others = cars
    history = [[today - timedelta(days=5), today - timedelta(days=200)], [today - timedelta(days=1)]]
    history += [
        [today - timedelta(days=1 + (index * 37 + line * 211) % 1096) for line in range(LINES_EACH)]
        for index in range(len(others))
    ]
    orders = _orders(world, [car, car, *others], customer, signature)
    _guarantees(orders, operation, history)
    if connection.vendor == "postgresql":
        # The statistics autovacuum keeps: the planner then knows a car has a handful of the 2,000 rows.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE quality_guarantee")

    # When the car's order being signed is checked (its own guarantees aside)
    sql = _check_sql(orders[1])

    # Then it is checked against the one guarantee of its other order still watched, read by a range of the index
    found = watched(car.pk, day=today, exclude_order=orders[1].pk, group_id=store.group_id)
    assert [(row.order_id, row.delivered_on) for row in found] == [(orders[0].pk, today - timedelta(days=5))]
    assert Guarantee.objects.count() == 3 + LINES_EACH * len(others)
    assert _guarantees_read(sql) == _index_scan(car.pk, today, orders[1].pk)
    if connection.vendor == "sqlite":  # and each one's store by its primary key (the dealer group's)
        assert _plan(sql)[1:] == ["SEARCH core_store USING INTEGER PRIMARY KEY (rowid=?)"]
    # And so is a car with nothing watched (every guarantee long expired)
    quiet = next(order for order, days in zip(orders, history, strict=True) if max(days) < today - timedelta(days=40))
    assert watched(quiet.vehicle_id, day=today, exclude_order=quiet.pk, group_id=store.group_id) == []
    assert _guarantees_read(_check_sql(quiet)) == _index_scan(quiet.vehicle_id, today, quiet.pk)


@pytest.mark.usefixtures("bench_database")
def test_the_bench_writes_the_history_and_checks_open_orders_without_leaving_comebacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given four open orders of each kind (the same kinds in turn as the 240), on a small generated group
    monkeypatch.setattr(quality_bench, "SAMPLES", 12)
    url = database_url()
    call_command(
        "bench",
        "generate",
        "--db",
        url,
        "--scale",
        "2",
        "--customers",
        "300",
        "--vehicles",
        "450",
        "--parts",
        "50",
        stdout=StringIO(),
    )

    # When the check is benchmarked
    out = StringIO()
    call_command("bench", "run", "--db", url, "comeback_check", "--iterations", "6", "--warmup", "1", stdout=out)

    # Then the set-up wrote ten past orders for every three vehicles, with a guarantee per done labour line
    # (the set-up prints as every scenario's does; the runner writes the scenario's line)
    printed = capsys.readouterr().out + out.getvalue()
    lines = [line for line in printed.splitlines() if line.startswith(("  comeback_check:", "scenario="))]
    written = re.fullmatch(
        r"  comeback_check: 1,500 past orders at 2 stores written \(([0-9,]+) rows: ([0-9,]+) guarantees, "
        r"([0-9,]+) still watched\) in \d+ s \(rows \d+ s, indexes and keys \d+ s\)"
        r"(, vacuumed and analysed in \d+ s)?; 12 open orders in turn: 4 repeating work under an open guarantee "
        r"\(each flags a comeback; [0-9-]+ queries\), 4 other work under one \([0-9-]+ queries\), 4 cars at "
        r"random \(\d flag one; [0-9-]+ queries\)",
        lines[0],
    )
    assert written is not None, lines
    rows, guaranteed, still = (int(value.replace(",", "")) for value in written.groups()[:3])
    assert bool(written.group(4)) == (connection.vendor == "postgresql")
    assert re.fullmatch(r"scenario=comeback_check p50_ms=[0-9.]+ p95_ms=[0-9.]+ max_ms=[0-9.]+ queries=\d+", lines[1])
    today = store_calendar(Store.all_objects.order_by("code")[0]).local_date(timezone.now())
    delivered = RepairOrder.all_objects.filter(state=RepairOrder.State.DELIVERED)
    assert delivered.count() == Visit.all_objects.filter(state=Visit.State.DELIVERED).count() == 1500
    assert Line.all_objects.filter(state=Line.State.DONE).count() == Guarantee.objects.count() == guaranteed
    assert rows == 2 * 1500 + 2 * guaranteed
    assert Guarantee.objects.filter(watch_to__gte=today).count() == still
    assert 0 < still < guaranteed // 10
    # each store's numbers follow on from the history's
    for store in Store.all_objects.all():
        for doc_type, model in (("VS", Visit), ("RO", RepairOrder)):
            numbered = model.all_objects.filter(
                store=store, number__startswith=f"{doc_type}-{store.code}-{today.year}-"
            )
            sequence = DocumentSequence.objects.get(store=store, doc_type=doc_type, year=today.year)
            assert sequence.last_value == numbered.count()
    # and no history on every tenth car of the archive nor on the detail customer's 20 (their timeline stays 500)
    detail = detail_customer_id()
    archive = list(
        VehicleLink.objects.filter(role="owner", valid_to=None)
        .exclude(customer_id=detail)
        .order_by("vehicle_id")
        .values_list("vehicle_id", flat=True)
    )
    spared = archive[::10] + list(VehicleLink.objects.filter(customer_id=detail).values_list("vehicle_id", flat=True))
    assert len(spared) == 43 + 20  # 430 cars of the archive's bulk, and the detail customer's
    assert not delivered.filter(vehicle_id__in=spared).exists()
    # And the watched guarantees of a car are one index scan on the generated data (analysed on PostgreSQL)
    order = RepairOrder.all_objects.filter(customer_statement=quality_bench.STATEMENTS["repeat"]).order_by("pk")[0]
    group = Store.all_objects.get(pk=order.store_id).group_id
    assert watched(order.vehicle_id, day=today, exclude_order=order.pk, group_id=group) != []
    assert _guarantees_read(_check_sql(order)) == _index_scan(order.vehicle_id, today, order.pk)
    # And every comeback flagged by the calls was rolled back
    assert Comeback.all_objects.count() == 0

    # When it runs again
    out = StringIO()
    call_command("bench", "run", "--db", url, "comeback_check", "--iterations", "3", "--warmup", "0", stdout=out)

    # Then the history and the open orders are found again
    again = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  comeback_check:")]
    assert again[0].startswith("  comeback_check: past orders there already; 12 open orders in turn: 4 repeating")
    assert delivered.count() == 1500
    assert RepairOrder.all_objects.filter(state=RepairOrder.State.OPEN).count() == 12
    assert Comeback.all_objects.count() == 0
