"""Purchasing at benchmark scale (the stock of ``bench generate --parts 20000 --stock-moves 2000000``).

- ``replenishment_20000`` (job): the reorder points of the first store's 20,000 parts computed from its
  last 90 days of issues (``purchasing.services.reorder_points_compute``, as the nightly job runs it);
  its time and ``peak_mb``, the bench process's peak resident memory (run the job alone for a true figure).
- ``purchase_suggestions`` (scenario): ``GET /api/v1/replenishment`` of that store, the parts at or below
  their reorder point with what to order; the rules are computed first when the store has none.
"""

from __future__ import annotations

import gc
import json
import resource
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.purchasing.models import ReorderRule
from aftersales.purchasing.services import reorder_points_compute, suggestions
from bench.parts.stock import stock_store
from bench.registry import BenchContext, BenchFailure, Call, JobResult, ScenarioResult, job, scenario

REPLENISHMENT_LIMIT_SECONDS = 30
REPLENISHMENT_LIMIT_MB = 500


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
