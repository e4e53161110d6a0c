"""Purchasing at benchmark scale (the stock of ``bench generate --parts 20000 --stock-moves 2000000``).

- ``replenishment_20000`` (job): the reorder points of the first store's 20,000 parts computed from its
  last 90 days of issues (``purchasing.services.reorder_points_compute``, as the nightly job runs it);
  its time and ``peak_mb``, the bench process's peak resident memory (run the job alone for a true figure).
- ``purchase_suggestions`` (scenario): ``GET /api/v1/replenishment`` of that store, the parts at or below
  their reorder point with what to order; the rules are computed first when the store has none.
- ``delivery_note_2000`` (job): a local supplier's 2,000-line delivery note (an .xlsx file) imported
  against a sent 2,000-line order of that store, inspected (one line in ten with a rejected piece) and
  received: every line matched, into stock through the ledger, the rejected to a supplier return.
"""

from __future__ import annotations

import gc
import io
import json
import resource
import time
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.core.xlsx import XlsxWriter
from aftersales.parts.models import Part, StockBalance
from aftersales.purchasing import services
from aftersales.purchasing.models import PurchaseOrder, ReorderRule, Supplier, SupplierReturn
from aftersales.purchasing.services import reorder_points_compute, suggestions
from bench.parts.stock import stock_store
from bench.registry import BenchContext, BenchFailure, Call, JobResult, ScenarioResult, job, scenario

REPLENISHMENT_LIMIT_SECONDS = 30
REPLENISHMENT_LIMIT_MB = 500
DELIVERY_LINES = 2000
DELIVERY_LIMIT_SECONDS = 10


@job("replenishment_20000", "Reorder points of the first store's parts from its last 90 days of issues")
def _replenishment_20000() -> JobResult:
    store = stock_store()
    gc.collect()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        rules = reorder_points_compute(store_id=store.pk)
        seconds = time.perf_counter() - started
    if rules < 20_000:
        raise BenchFailure(f"replenishment_20000: {rules:,} parts in stock: generate with --parts 20000.")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    below = len(suggestions(store_id=store.pk))
    verdict = "ok" if seconds <= REPLENISHMENT_LIMIT_SECONDS and peak_mb <= REPLENISHMENT_LIMIT_MB else "FAILED"
    return JobResult(
        [
            ScenarioResult("replenishment_20000", [seconds * 1000], len(captured.captured_queries)).line(),
            f"  replenishment_20000: {rules:,} reorder points in {seconds:.2f} s "
            f"(limit {REPLENISHMENT_LIMIT_SECONDS} s), "
            f"{below:,} parts at or below theirs, peak_mb={peak_mb:.0f} (limit {REPLENISHMENT_LIMIT_MB}): {verdict}",
        ]
    )


@scenario("purchase_suggestions", "GET /api/v1/replenishment: the first store's replenishment suggestions")
def _purchase_suggestions(bench: BenchContext) -> Call:
    store = stock_store()
    if not ReorderRule.objects.filter(store=store).exists():
        reorder_points_compute(store_id=store.pk)
    path = f"/api/v1/replenishment?store={store.code}"
    response = bench.get(path)
    if response.status_code != 200:
        raise BenchFailure(f"purchase_suggestions: HTTP {response.status_code}: {response.content[:200]!r}")
    suggested = json.loads(response.content)["count"]
    print(f"  purchase_suggestions: {ReorderRule.objects.filter(store=store).count():,} rules, {suggested:,} suggested")
    return lambda: bench.get(path)


def _delivery_setting() -> tuple[PurchaseOrder, list[Part]]:
    """A sent order of the first store to the bench supplier, one line per part kept in the store (the
    first 2,000 whole-unit parts by number), untimed."""
    store = stock_store()
    supplier, _created = Supplier.objects.get_or_create(
        group=store.group,
        code="BENCH-DN",
        defaults={"kind": "local", "name": "基准送货供应商", "over_delivery_percent": 0},
    )
    kept = StockBalance.all_objects.filter(store=store, part__decimals=0, part__is_active=True).values("part_id")
    parts = list(Part.objects.filter(pk__in=kept).order_by("number")[:DELIVERY_LINES])
    if len(parts) < DELIVERY_LINES:
        raise BenchFailure(f"delivery_note_2000: {len(parts):,} parts in stock: generate with --parts 20000.")
    order = services.order_create(
        actor=None,
        store_id=store.pk,
        supplier_id=supplier.pk,
        order_type="stock",
        lines=[services.OrderLineIn(part.pk, Decimal(5), Decimal("11.30")) for part in parts],
    )
    PurchaseOrder.all_objects.filter(pk=order.pk).update(status="sent", sent_at=timezone.now())
    return order, parts


def _delivery_file(order: PurchaseOrder, parts: list[Part]) -> bytes:
    buffer = io.BytesIO()
    writer = XlsxWriter(buffer, title="送货单")
    writer.append(["零件号", "数量", "单价", "箱号", "订单号"])
    for index, part in enumerate(parts):
        writer.append([part.number_display, 5, "11.30", f"C{index // 50 + 1:03d}", order.number])
    writer.close()
    return buffer.getvalue()


@job("delivery_note_2000", "A 2,000-line delivery note imported, inspected and received against its order")
def _delivery_note_2000() -> JobResult:
    order, parts = _delivery_setting()
    content = _delivery_file(order, parts)
    gc.collect()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        note = services.delivery_note_import(
            actor=None,
            store_id=order.store_id,
            supplier_id=order.supplier_id,
            number=f"DN-BENCH-{order.number}",
            upload=SimpleUploadedFile("delivery-note.xlsx", content),
        )
        imported = time.perf_counter() - started
        lines = list(note.lines.order_by("pk"))
        services.delivery_note_check(
            actor=None,
            note_id=note.pk,
            checks=[
                services.LineCheck(
                    line.pk, None, Decimal(1) if index % 10 == 0 else Decimal(0),
                    "外包装破损" if index % 10 == 0 else "", line.bin_id,
                )
                for index, line in enumerate(lines)
            ],
        )  # fmt: skip
        receipts = services.delivery_note_receive(actor=None, note_id=note.pk)
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Every piece received but the rejected ones, which are still owed (the order stays partly received).
    received = sum(line.received for line in PurchaseOrder.all_objects.get(pk=order.pk).lines.all())
    rejected = sum(line.quantity for line in SupplierReturn.all_objects.get(receipt=receipts[0]).lines.all())
    expected = DELIVERY_LINES * 5 - DELIVERY_LINES // 10
    matched = len(lines) == DELIVERY_LINES and received == expected and rejected == DELIVERY_LINES // 10
    verdict = "ok" if seconds <= DELIVERY_LIMIT_SECONDS and matched else "FAILED"
    return JobResult(
        [
            ScenarioResult("delivery_note_2000", [seconds * 1000], len(captured.captured_queries)).line(),
            f"  delivery_note_2000: {len(lines):,} lines imported and matched in {imported:.2f} s, inspected and "
            f"received in {seconds:.2f} s in all (limit {DELIVERY_LIMIT_SECONDS} s), {received:,.0f} pieces into "
            f"stock, {rejected:,.0f} to the supplier return, peak_mb={peak_mb:.0f}: {verdict}",
        ]
    )
