"""Stocktakes and the go-live import at benchmark scale (a database from ``bench generate --parts 20000
--stock-moves 2000000``); jobs, as they change the database: ``bench run --db URL stocktake_20000``.

- ``stocktake_20000``: a full stocktake of the first store is planned and counted (untimed), each of
  20,000 lines one more than its book quantity and any others as booked; approved by a second person;
  then posting is timed from the request (``stocktakes.stocktake_post``) to the end of its job
  (``stocktake_post_run``, run here as the worker runs it): every line checked, then one adjustment at
  the moving average. Afterwards (untimed) ``stock verify`` of the store must be clean.
- ``stock_import_20000``: a part master of 20,000 new numbers and their opening stock (20,000 lines
  into 500 new bins of a new warehouse) written as the templates' workbooks, then imported by the
  go-live import's job (``imports.running.stock_import_run``), both timed; ``peak_mb`` is the bench
  process's peak resident set size (run the job alone for a true figure). The parts and the stock stay.
"""

from __future__ import annotations

import gc
import resource
import secrets
import time
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.core.audit import AuditEntry
from aftersales.core.imports import Layout, imports_dir
from aftersales.core.models import Brand, Store, User
from aftersales.core.xlsx import XlsxWriter
from aftersales.parts.imports.layouts import OPENING_STOCK, PARTS
from aftersales.parts.imports.running import stock_import_run
from aftersales.parts.models import StockBalance, StockImportJob, Stocktake, StocktakeLine
from aftersales.parts.selectors.stock import stock_verify
from aftersales.parts.services import stocktakes
from aftersales.parts.services.warehouses import warehouse_save
from bench.parts.stock import stock_store
from bench.registry import BenchFailure, JobResult, ScenarioResult, job

LINES = 20_000
STOCKTAKE_LIMIT_SECONDS = 20
IMPORT_LIMIT_SECONDS = 60
IMPORT_LIMIT_MB = 500
IMPORT_BINS = 500


def _people(store: Store) -> tuple[User, User]:
    """Two superusers: one counts, the other approves and posts (never the one who counted)."""
    users = []
    for name in ("bench_counter", "bench_approver"):
        user = User.objects.filter(username=name).first() or User.objects.create_superuser(username=name, password=None)
        users.append(user)
    return users[0], users[1]


@job("stocktake_20000", f"Post a {LINES:,}-line stocktake (request to the end of its job), then stock verify")
def _stocktake_20000() -> JobResult:
    store = stock_store()
    counter, approver = _people(store)
    open_ones = Stocktake.all_objects.filter(store=store, status__in=stocktakes.OPEN)
    for row in open_ones:  # a run that failed half-way leaves its stocktake open
        Stocktake.all_objects.filter(pk=row.pk).update(status=Stocktake.Status.CANCELLED)
    take = stocktakes.stocktake_create(actor=counter, store_id=store.pk, kind="full", scope=stocktakes.Scope())
    lines = list(StocktakeLine.objects.filter(stocktake=take).order_by("pk").values_list("part_id", "bin_id"))
    books = {
        (part, bin_id): on_hand
        for part, bin_id, on_hand in StockBalance.all_objects.filter(store=store).values_list(
            "part_id", "bin_id", "on_hand"
        )
    }
    # Every line holding stock is counted, LINES of them one more than the book; if fewer hold stock,
    # the count also finds stock in bins that held none (found lines, with their reason), up to LINES.
    entries = [
        stocktakes.CountEntry(part, bin_id, books[(part, bin_id)] + (1 if n < LINES else 0))
        for n, (part, bin_id) in enumerate(lines)
    ]
    planned = set(lines)
    empty = [key for key, on_hand in books.items() if not on_hand and key not in planned]
    found = empty[: max(0, LINES - len(lines))]
    entries += [stocktakes.CountEntry(part, bin_id, Decimal(1), reason="盘点发现") for part, bin_id in found]
    if len(lines) + len(found) < LINES:
        Stocktake.all_objects.filter(pk=take.pk).update(status=Stocktake.Status.CANCELLED)
        raise BenchFailure(f"stocktake_20000: {len(books):,} parts and bins in the store: generate with --parts 20000.")
    for start in range(0, len(entries), 5000):
        stocktakes.stocktake_count(actor=counter, stocktake_id=take.pk, entries=entries[start : start + 5000])
    stocktakes.stocktake_approve(actor=approver, stocktake_id=take.pk)
    audit_before = AuditEntry.objects.count()
    gc.collect()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        stocktakes.stocktake_post(actor=approver, stocktake_id=take.pk)
        posted = stocktakes.stocktake_post_run(take.pk)
        seconds = time.perf_counter() - started
    if posted is None or posted.status != Stocktake.Status.POSTED:
        raise BenchFailure(f"stocktake_20000: not posted: {posted.post_message if posted else 'no job'}")
    entries_written = AuditEntry.objects.count() - audit_before
    verify_started = time.perf_counter()
    differences = stock_verify(store_ids=[store.pk]).differences
    verify_seconds = time.perf_counter() - verify_started
    verdict = (
        "ok"
        if seconds <= STOCKTAKE_LIMIT_SECONDS and not differences and entries_written == 1 and posted.post_done == LINES
        else "FAILED"
    )
    result = ScenarioResult("stocktake_20000", [seconds * 1000], len(captured.captured_queries))
    return JobResult(
        [
            result.line(),
            f"  stocktake_20000: {len(entries):,} lines counted ({len(found):,} found), {posted.post_done:,} "
            f"variances posted as "
            f"{posted.document_no} in {seconds:.2f} s (limit {STOCKTAKE_LIMIT_SECONDS} s), {entries_written} audit "
            f"entr{'y' if entries_written == 1 else 'ies'}; stock verify of the store: "
            f"{len(differences)} differences ({verify_seconds:.1f} s): {verdict}",
        ]
    )


def _write(path: Path, layout: Layout, rows: Sequence[Sequence[object]]) -> None:
    writer = XlsxWriter(path, title=layout.title)
    writer.append([column.zh for column in layout.columns])
    for row in rows:
        writer.append(row)
    writer.close()


@job("stock_import_20000", f"Go-live import of {LINES:,} new parts, then their opening stock ({LINES:,} lines)")
def _stock_import_20000() -> JobResult:
    store = stock_store()
    admin = User.objects.filter(username="bench_approver").first() or _people(store)[1]
    brand = Brand.objects.filter(pk__in=store.brands.values("pk")).order_by("code").first() or Brand.objects.first()
    if brand is None:
        raise BenchFailure("stock_import_20000: no brand: run bench generate first.")
    run = secrets.token_hex(3).upper()
    warehouse = warehouse_save(actor=None, store_id=store.pk, code=f"GL{run}", name="上线导入")
    parts = [
        [brand.code, f"GL{run}-{n:05d}", f"上线零件{n}", "", "滤清器" if n % 2 else "制动", "件", 0, "常用",
         f"{10 + n % 90}.5", "", "13%"]
        for n in range(LINES)
    ]  # fmt: skip
    stock = [
        ["", f"GL{run}-{n:05d}", warehouse.code, f"G-{n % IMPORT_BINS:03d}", 1 + n % 7, f"{10 + n % 90}.5"]
        for n in range(LINES)
    ]
    go_live = timezone.localdate() - timedelta(days=1)
    jobs = []
    for kind, layout, rows in (("parts", PARTS, parts), ("opening_stock", OPENING_STOCK, stock)):
        name = f"bench-{secrets.token_hex(8)}.xlsx"
        _write(imports_dir() / name, layout, rows)
        jobs.append(
            StockImportJob.objects.create(
                store=store, created_by=admin, kind=kind, file_name=f"{kind}.xlsx", storage_name=name, go_live=go_live
            )
        )
    del parts, stock
    gc.collect()
    seconds: list[float] = []
    with CaptureQueriesContext(connection) as captured:
        for created in jobs:
            started = time.perf_counter()
            finished = stock_import_run(created.pk)
            seconds.append(time.perf_counter() - started)
            if finished is None or finished.status != StockImportJob.Status.DONE or finished.created_rows != LINES:
                raise BenchFailure(f"stock_import_20000: {finished.message if finished else 'not run'}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(seconds)
    value = sum(
        StockBalance.all_objects.filter(store=store, bin__warehouse=warehouse).values_list("value_fen", flat=True)
    )
    verdict = "ok" if total <= IMPORT_LIMIT_SECONDS and peak_mb <= IMPORT_LIMIT_MB else "FAILED"
    result = ScenarioResult("stock_import_20000", [total * 1000], len(captured.captured_queries))
    return JobResult(
        [
            result.line(),
            f"  stock_import_20000: {LINES:,} parts in {seconds[0]:.2f} s, their opening stock ({LINES:,} lines "
            f"into {IMPORT_BINS} new bins, {value / 100:,.2f} yuan) in {seconds[1]:.2f} s: {total:.2f} s "
            f"(limit {IMPORT_LIMIT_SECONDS} s), peak_mb={peak_mb:.0f} (limit {IMPORT_LIMIT_MB}): {verdict}",
        ]
    )
