"""Time named API scenarios in-process, through the whole stack: middleware, token auth, queries, JSON.

A scenario is registered under a name with ``@scenario``. Its function runs once, untimed, to set
up (look up ids, check the data) and returns the call to time. Every call must answer the expected
status; anything else stops the run. Add a scenario for every feature that adds an endpoint worth
watching::

    @scenario("stores.detail", "GET /api/v1/stores/{id}: one store with departments and bays")
    def _store_detail(bench: BenchContext) -> Call:
        store_id = Store.all_objects.order_by("code").values_list("pk", flat=True).first()
        return lambda: bench.get(f"/api/v1/stores/{store_id}")
"""

from __future__ import annotations

import gc
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aftersales.core import services
from aftersales.core.models import ApiToken, Role, StaffMembership, Store, User

Call = Callable[[], HttpResponse]
Prepare = Callable[["BenchContext"], Call]


class BenchFailure(Exception):
    """A scenario could not run or answered something other than expected."""


@dataclass
class BenchContext:
    """What a scenario works with: an in-process client and a signed-in, group-wide user's token."""

    client: Client
    user: User
    token: str

    def get(self, path: str, *, auth: bool = True) -> HttpResponse:
        """Send a GET as the bench user (or anonymously with ``auth=False``)."""
        headers = {"authorization": f"Bearer {self.token}"} if auth else {}
        return self.client.get(path, headers=headers)  # type: ignore[return-value]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    prepare: Prepare
    expected_status: int = 200


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, description: str, *, expected_status: int = 200) -> Callable[[Prepare], Prepare]:
    """Register the decorated set-up function as the scenario ``name``."""

    def register(prepare: Prepare) -> Prepare:
        if name in SCENARIOS:
            raise ValueError(f"Scenario {name!r} is registered twice.")
        SCENARIOS[name] = Scenario(name, description, prepare, expected_status)
        return prepare

    return register


# --- scenarios --------------------------------------------------------------------------------


@scenario("health", "GET /api/v1/health: public liveness check (database and queue heartbeat)")
def _health(bench: BenchContext) -> Call:
    return lambda: bench.get("/api/v1/health", auth=False)


@scenario("me", "GET /api/v1/me: the token's user with memberships and permissions")
def _me(bench: BenchContext) -> Call:
    return lambda: bench.get("/api/v1/me")


@scenario("stores", "GET /api/v1/stores?limit=500: one page of every store, as a group-wide user")
def _stores(bench: BenchContext) -> Call:
    path = "/api/v1/stores?limit=500"
    expected = min(Store.all_objects.count(), settings.API_PAGE_MAX_LIMIT, 500)
    items = _json(bench.get(path)).get("items")
    listed = len(items) if isinstance(items, list) else -1
    if listed != expected:
        raise BenchFailure(f"stores: the page lists {listed} stores, expected {expected}.")
    return lambda: bench.get(path)


# The customer archive's scenarios (search_*, customer_detail, customer_timeline) register themselves.
import bench.archive  # noqa: E402, F401

# --- jobs: run once, only when named -------------------------------------------------------------------


@dataclass
class JobResult:
    """The report of a job: the scenario line (one run: p50 = p95 = max) and the job's own lines."""

    lines: list[str]

    def line(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: Callable[[], JobResult]


# Jobs change the database (and take a while), so they run only when named: ``bench run --db URL import``.
JOBS: dict[str, Job] = {}


def job(name: str, description: str) -> Callable[[Callable[[], JobResult]], Callable[[], JobResult]]:
    """Register the decorated function as the job ``name``."""

    def register(run: Callable[[], JobResult]) -> Callable[[], JobResult]:
        if name in JOBS or name in SCENARIOS:
            raise ValueError(f"Scenario {name!r} is registered twice.")
        JOBS[name] = Job(name, description, run)
        return run

    return register


IMPORT_ROWS = 100_000


@job("import", f"Excel import of {IMPORT_ROWS:,} rows (customers with vehicles) by excel.import_run, synchronously")
def _import() -> JobResult:
    """Generate a valid 100,000-row file, import it into the first store as its manager, time it, then remove
    the imported rows again (the job row, its audit entry and the customer numbers it used stay; on
    PostgreSQL the tables are vacuumed afterwards, untimed).

    The file is generated in a child process, so that ``peak_mb``, this process's peak resident set
    size (``getrusage(RUSAGE_SELF).ru_maxrss``), is the loaded application plus the import;
    ``helper_peak_mb`` is the peak of the import's helper process for pinyin, as it reports it (0: no
    helper ran), which is in memory at the same time. ``queries``
    counts the statements sent through Django's cursor (a COPY on PostgreSQL counts as none).
    """
    import os
    import resource
    import secrets
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from aftersales.customers import excel, selectors
    from aftersales.customers.models import (
        Customer,
        CustomerPhone,
        ImportJob,
        MileageReading,
        SearchKey,
        Vehicle,
        VehicleLink,
    )

    store = Store.all_objects.filter(is_active=True).order_by("code").first()
    if store is None:
        raise BenchFailure("No store: fill the database with `bench generate` first.")
    members = StaffMembership.all_objects.filter(store=store, is_active=True).select_related("user")
    member = members.filter(role__code="manager").first() or members.first()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-import.xlsx"
        code = (
            "import sys, django; django.setup(); from pathlib import Path; from bench.generate import import_workbook; "
            "import_workbook(Path(sys.argv[1]), rows=int(sys.argv[2]), run=int(sys.argv[3]))"
        )
        run = str(ImportJob.objects.count() % 1000)
        subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code, str(path), str(IMPORT_ROWS), run], check=True, env=dict(os.environ)
        )
        storage_name = f"bench-{secrets.token_hex(8)}.xlsx"
        shutil.move(path, selectors.imports_dir() / storage_name)
    created = ImportJob.objects.create(
        store=store,
        created_by=member.user if member else None,
        file_name="bench-import.xlsx",
        storage_name=storage_name,
    )
    tables = (SearchKey, MileageReading, VehicleLink, CustomerPhone, Vehicle, Customer)
    last_ids = {model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for model in tables}
    # The helper process that works out the names' pinyin reports its peak memory in a log record.
    helper_log = logging.getLogger("aftersales.customers.excel.names")
    helper_peaks = _Collected("helper_peak_mb")
    helper_log.addHandler(helper_peaks)
    level = helper_log.level
    if not helper_log.isEnabledFor(logging.INFO):
        helper_log.setLevel(logging.INFO)
    gc.collect()
    started = time.perf_counter_ns()
    try:
        with CaptureQueriesContext(connection) as captured:
            finished = excel.import_run(created.pk)
    finally:
        helper_log.removeHandler(helper_peaks)
        helper_log.setLevel(level)
    elapsed_ms = (time.perf_counter_ns() - started) / 1_000_000
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    helper_mb = max(helper_peaks.values, default=0)
    if finished is None or finished.status != ImportJob.Status.DONE or finished.error_rows:
        raise BenchFailure(f"import: the job did not import every row: {finished.message if finished else 'not run'}")
    if (finished.created_customers, finished.created_vehicles) != (IMPORT_ROWS, IMPORT_ROWS):
        raise BenchFailure(f"import: {finished.message}")
    with connection.cursor() as cursor:
        for model in tables:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE id > %s", [last_ids[model]])  # noqa: S608 - a model's table
        if connection.vendor == "postgresql":
            # Autovacuum may be off (it is on the bench machine): without this, every run would leave
            # 1.9 million dead rows behind for the next one to step over.
            names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
            cursor.execute(f"VACUUM (ANALYZE) {names}")
    seconds = elapsed_ms / 1000
    result = ScenarioResult("import", [elapsed_ms], len(captured.captured_queries))
    return JobResult(
        [
            result.line(),
            f"import rows={IMPORT_ROWS} seconds={seconds:.2f} rows_per_s={IMPORT_ROWS / seconds:.0f} "
            f"peak_mb={peak_mb:.0f} helper_peak_mb={helper_mb}",
        ]
    )


class _Collected(logging.Handler):
    """Collects one ``extra`` value of the log records it sees."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.INFO)
        self.name_of_value = name
        self.values: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        value = getattr(record, self.name_of_value, None)
        if isinstance(value, int):
            self.values.append(value)


# --- running ----------------------------------------------------------------------------------


@dataclass
class ScenarioResult:
    name: str
    samples_ms: list[float] = field(default_factory=list)
    queries: int = 0

    def line(self) -> str:
        """Return the one-line report: ``scenario=NAME p50_ms=X p95_ms=Y max_ms=Z queries=Q``."""
        ordered = sorted(self.samples_ms)
        return (
            f"scenario={self.name} p50_ms={percentile(ordered, 50):.2f} p95_ms={percentile(ordered, 95):.2f} "
            f"max_ms={ordered[-1]:.2f} queries={self.queries}"
        )


def percentile(ordered: list[float], rank: float) -> float:
    """Return the ``rank``-th percentile of sorted samples, interpolating linearly between neighbours."""
    if not ordered:
        raise ValueError("No samples.")
    position = (len(ordered) - 1) * rank / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def unknown_scenarios(names: Iterable[str]) -> list[str]:
    """Return the names that are not registered."""
    return [name for name in names if name not in SCENARIOS and name not in JOBS]


def bench_user() -> User:
    """Return the user the scenarios run as: the first HQ auditor, else any group-wide user who may view stores."""
    memberships = (
        StaffMembership.all_objects.filter(
            is_active=True, store__is_active=True, user__is_active=True, role__scope=Role.Scope.GROUP
        )
        .select_related("user", "role")
        .order_by("store__code", "role_id")
    )
    for narrowed in (memberships.filter(role__code="auditor"), memberships):
        for membership in narrowed[:50]:
            if "stores.view" in (membership.role.permissions or []):
                return membership.user
    raise BenchFailure(
        "No active user with a group-wide role that may view stores: fill the database with `bench generate` first."
    )


def run_scenarios(names: list[str], *, iterations: int, warmup: int) -> Iterator[ScenarioResult | JobResult]:
    """Time each scenario: ``warmup`` untimed calls, ``iterations`` timed ones, then one call with queries counted."""
    if iterations < 1 or warmup < 0:
        raise ValueError("iterations must be at least 1 and warmup at least 0.")
    missing = unknown_scenarios(names)
    if missing:
        raise BenchFailure(f"Unknown scenario(s): {', '.join(missing)}. Known: {', '.join(SCENARIOS)}.")
    user = bench_user()
    token, raw = services.token_create(user=user, name="bench")
    bench = BenchContext(client=Client(), user=user, token=raw)
    # Full collections would otherwise rescan the ~100k long-lived objects of the loaded application
    # (about 50-60 ms each here) on whichever call triggers them; freezing them, as a server can after
    # preloading the app, keeps collection of what the calls themselves allocate in the figures.
    gc.collect()
    gc.freeze()
    try:
        for name in names:
            if name in JOBS:
                yield JOBS[name].run()
            else:
                yield _run_one(SCENARIOS[name], bench, iterations=iterations, warmup=warmup)
    finally:
        gc.unfreeze()
        if ApiToken.objects.filter(pk=token.pk, revoked_at=None).exists():
            services.token_revoke(user=user, token_id=token.pk)


def _run_one(spec: Scenario, bench: BenchContext, *, iterations: int, warmup: int) -> ScenarioResult:
    """Prepare, warm up, time and count the queries of one scenario."""
    call = spec.prepare(bench)
    result = ScenarioResult(spec.name)
    for _ in range(warmup):
        _check(spec, call())
    clock = time.perf_counter_ns
    for _ in range(iterations):
        started = clock()
        response = call()
        elapsed = clock() - started
        _check(spec, response)
        result.samples_ms.append(elapsed / 1_000_000)
    with CaptureQueriesContext(connection) as captured:
        _check(spec, call())
    result.queries = len(captured.captured_queries)
    return result


def _check(spec: Scenario, response: HttpResponse) -> None:
    if response.status_code != spec.expected_status:
        body = response.content[:500].decode(errors="replace")
        raise BenchFailure(
            f"scenario {spec.name}: expected HTTP {spec.expected_status}, got {response.status_code}: {body}"
        )


def _json(response: HttpResponse) -> dict[str, object]:
    if response.status_code != 200:
        raise BenchFailure(f"GET answered {response.status_code}: {response.content[:500].decode(errors='replace')}")
    data = json.loads(response.content)
    if not isinstance(data, dict):
        raise BenchFailure("Expected a JSON object.")
    return data
