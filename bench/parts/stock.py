"""Stock at benchmark scale: ``bench generate --parts 20000 --stock-moves 2000000``, and the stock
scenarios and jobs.

The generator gives the first store (by code) a part master of ``--parts`` numbers of its first brand,
a parts warehouse with bins, and a year of moves (a first stocking, issues to repair orders each working
day, weekly receipts), valued by the posting engine's own arithmetic (``ledger.stock_in`` /
``ledger.stock_out``) through ``parts.demo.simulate_year``, so that ``aftersales stock verify`` is
clean; the balances they leave; and, after the commit, the month closings up to the month before last
through the closing service (snapshots per part and bin), so that a report of a day last month starts
from a snapshot.

- ``stock_balance`` (scenario): the store's stock as of the 15th of last month, snapshot plus moves.
- ``receipt_5000`` (job): a 5,000-line receipt through the API; its time, its queries against a
  1,000-line receipt's (they grow linearly) and its audit entries (one).
- ``reserve_5000`` (job): 5,000 demand lines reserved in one API call.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.core.audit import AuditEntry
from aftersales.core.models import Brand, Store, User
from aftersales.parts.demo import FAMILIES, FLUIDS, SimulatedMove, simulate_year
from aftersales.parts.models import Bin, Part, StockBalance, StockMove, Warehouse
from aftersales.parts.selectors.stock import month_end
from aftersales.parts.services import stock_month_close
from bench.loading import (
    GenerateResult,
    Table,
    date_adapter,
    deferred_foreign_keys,
    deferred_indexes,
    flush_in_order,
    reset_sequences,
)
from bench.registry import BenchContext, BenchFailure, Call, GenerateOptions, JobResult, generator, job, scenario

BINS = 600
# Issues per working day for a given number of moves: a little over half of the moves are issues, the
# rest the weekly receipts that refill what was issued.
ISSUE_SHARE = 0.70
WORKING_DAYS = 312
RECEIPT_LIMIT_SECONDS = 10
RESERVE_LIMIT_SECONDS = 5


def stock_store() -> Store:
    store = Store.all_objects.filter(is_active=True).order_by("code").first()
    if store is None:
        raise BenchFailure("No stores: run bench generate first.")
    return store


def _window() -> tuple[date, date]:
    today = timezone.localdate()
    return (today - timedelta(days=365)).replace(day=1), today - timedelta(days=1)


def parts_generate(result: GenerateResult, *, parts: int, moves: int) -> list[str]:
    """The first store's part master, bins and a year of stock moves (see the module's docstring)."""
    started = time.perf_counter()
    store = stock_store()
    brand = store.brands.order_by("code").first() or Brand.objects.order_by("code").first()
    if brand is None:
        raise BenchFailure("No brands in the generated group.")
    part_table = Table(Part, result, "parts")
    master: list[Part] = []
    for index in range(parts):
        if index < len(FLUIDS):
            name, _en, category, price = FLUIDS[index]
            unit, decimals, part_class = "litre", 1, "common"
        else:
            name, _en, category, unit, decimals, price, part_class = FAMILIES[index % len(FAMILIES)]
            name = f"{name} {index // len(FAMILIES):04d}"
        number = f"BN{index:07d}"
        cost = (Decimal(price) * Decimal("0.62")).quantize(Decimal("0.0001"))
        pk = part_table.add(
            group_id=store.group_id,
            brand_id=brand.pk,
            number=number,
            number_display=f"BN-{index:07d}",
            name=name,
            name_pinyin="",
            category=category,
            unit=unit,
            decimals=decimals,
            part_class=part_class,
            standard_cost=cost,
            tax_rate=Decimal("0.13"),
        )
        master.append(Part(pk=pk, decimals=decimals, part_class=part_class, standard_cost=cost))
    part_table.flush()
    warehouse = Warehouse.all_objects.create(store=store, code="MAIN", name="配件库")
    oil = Warehouse.all_objects.create(store=store, code="OIL", name="油品库")
    Bin.all_objects.bulk_create(
        [Bin(store=store, warehouse=warehouse, code=f"{n // 100:02d}-{n % 100:02d}") for n in range(BINS)]
        + [Bin(store=store, warehouse=oil, code="OIL-01")]
    )
    bins = list(Bin.all_objects.filter(warehouse=warehouse).order_by("pk"))
    oil_bin = Bin.all_objects.get(warehouse=oil)

    move_table = Table(StockMove, result, "stock moves")
    base = move_table.template(store_id=store.pk, posted_by_id=None, reason="")
    position = move_table.positions
    at = move_table.datetime_adapter("posted_at")
    on = date_adapter(move_table, "moved_on")
    quantities: dict[Decimal, object] = {}

    def emit(move: SimulatedMove) -> None:
        row = list(base)
        row[move_table.pk_position] = move_table.allocate()
        row[position["part_id"]] = move.part_id
        row[position["bin_id"]] = move.bin_id
        row[position["kind"]] = move.kind
        if move.quantity not in quantities:
            quantities[move.quantity] = move_table.adapt("quantity", move.quantity)
        row[position["quantity"]] = quantities[move.quantity]
        row[position["value_fen"]] = move.value_fen
        row[position["moved_on"]] = on(move.moved_on)
        row[position["posted_at"]] = at(move.posted_at.astimezone(UTC))
        row[position["posting"]] = move_table.adapt("posting", move.posting)
        row[position["document_type"]] = move.document_type
        row[position["document_id"]] = move.document_id
        row[position["document_line_id"]] = move.document_line_id
        row[position["document_no"]] = move.document_no
        move_table.append(row)

    start, end = _window()
    with deferred_indexes(StockMove), deferred_foreign_keys([StockMove]):
        balances = simulate_year(
            store=store,
            parts=master,
            bins=bins,
            oil_bin=oil_bin,
            start=start,
            end=end,
            issues_per_day=max(1, round(moves * ISSUE_SHARE / WORKING_DAYS)),
            seed="bench-stock",
            emit=emit,
            max_moves=moves,
        )
        move_table.flush()
    balance_table = Table(StockBalance, result, "stock balances")
    for balance in balances.values():
        balance_table.add(
            store_id=store.pk,
            part_id=balance.part_id,
            bin_id=balance.bin_id,
            on_hand=balance.on_hand,
            reserved=Decimal(0),
            value_fen=balance.value_fen,
        )
    flush_in_order(balance_table)
    # The ids above were assigned here: the sequences move past them before any service inserts a row.
    reset_sequences([Part, StockMove, StockBalance])
    written = result.counts.get("stock moves", 0)
    return [
        f"  stock of {store.code}: {parts:,} parts, {written:,} moves from {start} to {end}, "
        f"{len(balances):,} balances in {time.perf_counter() - started:.1f} s"
    ]


def parts_settle(options: GenerateOptions) -> list[str]:
    """After the commit: close every month up to the month before last (snapshots), then analyse."""
    if not options.parts:
        return []
    started = time.perf_counter()
    store = stock_store()
    month, _end = _window()
    last = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    closed = 0
    while month <= last:
        stock_month_close(actor=None, store_id=store.pk, month=month)
        month = month_end(month) + timedelta(days=1)
        closed += 1
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in (Part, StockMove, StockBalance))
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {tables}, parts_stocksnapshot")
    return [f"  {closed} stock months closed (snapshots) in {time.perf_counter() - started:.1f} s"]


@generator("parts", settle=parts_settle)
def _generate_parts(result: GenerateResult, options: GenerateOptions) -> list[str]:
    """``--parts N --stock-moves M``: the first store's stock, after the group, in the same transaction."""
    if not options.parts:
        return []
    return parts_generate(result, parts=options.parts, moves=options.stock_moves)


def _fifteenth_of_last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=15)


@scenario(
    "stock_balance",
    "GET /api/v1/stock/as-of: the first store's stock (--parts, --stock-moves) as of the 15th of last month",
)
def _stock_balance(bench: BenchContext) -> Call:
    store = stock_store()
    moves = StockMove.all_objects.filter(store=store).count()
    if not moves:
        raise BenchFailure("stock_balance: no stock moves: generate with --parts and --stock-moves.")
    day = _fifteenth_of_last_month()
    path = f"/api/v1/stock/as-of?store={store.code}&date={day}"
    body = json.loads(bench.get(path).content)
    if body.get("snapshot") is None:
        raise BenchFailure("stock_balance: no closed month before the date: the generator's settle step did not run.")
    print(
        f"  stock_balance: {moves:,} moves, {StockBalance.all_objects.filter(store=store).count():,} balances, "
        f"as of {day}: {body['lines']:,} lines worth {body['value']} from snapshot {body['snapshot']}"
    )
    return lambda: bench.get(path)


def _clerk() -> tuple[Client, Store]:
    """A signed-in superuser client (jobs change the database; the bench user may not post stock)."""
    user = User.objects.filter(username="bench_stock").first()
    if user is None:
        user = User.objects.create_superuser(username="bench_stock", password=None)
    client = Client()
    client.force_login(user)
    return client, stock_store()


def _receipt(client: Client, store: Store, parts: list[str], bin_id: int) -> tuple[float, int, int, Any]:
    lines = [{"part": number, "bin": bin_id, "quantity": "2", "unit_cost": "12.3456"} for number in parts]
    entries = AuditEntry.objects.count()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(
            "/api/v1/stock/receipts", {"store": store.code, "lines": lines}, content_type="application/json"
        )
        seconds = time.perf_counter() - started
    if response.status_code != 201:
        raise BenchFailure(f"receipt: HTTP {response.status_code}: {response.content[:300]!r}")
    return seconds, len(queries.captured_queries), AuditEntry.objects.count() - entries, response


def _numbers(store: Store, count: int) -> list[str]:
    numbers = list(
        Part.objects.filter(group_id=store.group_id, decimals=0).order_by("pk").values_list("number", flat=True)[:count]
    )
    if len(numbers) < count:
        raise BenchFailure(f"only {len(numbers)} parts: generate with --parts of at least {count}.")
    return numbers


@job("receipt_5000", "POST /api/v1/stock/receipts with 5,000 lines (after one of 1,000 lines, to compare queries)")
def _receipt_5000() -> JobResult:
    client, store = _clerk()
    bin_id = Bin.all_objects.filter(store=store, is_active=True).order_by("pk").values_list("pk", flat=True).first()
    if bin_id is None:
        raise BenchFailure("receipt_5000: no bins: generate with --parts.")
    numbers = _numbers(store, 5000)
    small_seconds, small_queries, _entries, _response = _receipt(client, store, numbers[:1000], bin_id)
    seconds, queries, entries, response = _receipt(client, store, numbers, bin_id)
    moves = len(json.loads(response.content)["moves"])
    verdict = "ok" if seconds <= RECEIPT_LIMIT_SECONDS and entries == 1 and moves == 5000 else "FAILED"
    return JobResult(
        [
            f"scenario=receipt_5000 p50_ms={seconds * 1000:.2f} p95_ms={seconds * 1000:.2f} "
            f"max_ms={seconds * 1000:.2f} queries={queries}",
            f"  receipt_5000: {moves:,} lines posted in {seconds:.2f} s (limit {RECEIPT_LIMIT_SECONDS} s), "
            f"{entries} audit entr{'y' if entries == 1 else 'ies'}; queries {small_queries} for 1,000 lines "
            f"({small_seconds:.2f} s), {queries} for 5,000: {verdict}",
        ]
    )


@job("reserve_5000", "POST /api/v1/stock/reservations with 5,000 demand lines in one call")
def _reserve_5000() -> JobResult:
    client, store = _clerk()
    stocked = list(
        StockBalance.all_objects.filter(store=store, on_hand__gte=2, part__decimals=0)
        .order_by("pk")
        .values_list("part__number", flat=True)[:5000]
    )
    if len(stocked) < 5000:
        raise BenchFailure(
            f"reserve_5000: only {len(stocked)} parts in stock: generate with --parts and --stock-moves."
        )
    demand = int(time.time())
    payload = {
        "store": store.code,
        "demands": [
            {
                "part": number,
                "quantity": "1",
                "demand_type": "repair_order",
                "demand_id": demand,
                "demand_line_id": n + 1,
            }
            for n, number in enumerate(stocked)
        ],
    }
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post("/api/v1/stock/reservations", payload, content_type="application/json")
        seconds = time.perf_counter() - started
    query_count = len(queries.captured_queries)
    if response.status_code != 201:
        raise BenchFailure(f"reserve_5000: HTTP {response.status_code}: {response.content[:300]!r}")
    body = json.loads(response.content)
    release = client.post(
        "/api/v1/stock/reservations/release",
        {"store": store.code, "demand_type": "repair_order", "demand_id": demand},
        content_type="application/json",
    )
    verdict = "ok" if seconds <= RESERVE_LIMIT_SECONDS and body["reservations"] == 5000 else "FAILED"
    return JobResult(
        [
            f"scenario=reserve_5000 p50_ms={seconds * 1000:.2f} p95_ms={seconds * 1000:.2f} "
            f"max_ms={seconds * 1000:.2f} queries={query_count}",
            f"  reserve_5000: {body['reservations']:,} reservations in {seconds:.2f} s "
            f"(limit {RESERVE_LIMIT_SECONDS} s), released again ({release.status_code}): {verdict}",
        ]
    )
