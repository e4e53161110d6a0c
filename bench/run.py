"""Time named API scenarios in-process, through the whole stack: middleware, token auth, queries, JSON.

The scenarios and jobs are registered by the area modules under ``bench/`` (``bench.registry``);
importing this runner discovers them (``discover_areas``), so ``SCENARIOS`` and ``JOBS`` are complete
once it is imported, in the order ``core`` first, then the other areas by name. The runner never
names an area. A scenario's function runs once, untimed, to set up (look up ids, check the data)
and returns the call to time. Every call must answer the expected status; anything else stops the
run. Add a scenario, in the area's own module, for every feature that adds an endpoint worth watching::

    @scenario("stores.detail", "GET /api/v1/stores/{id}: one store with departments and bays")
    def _store_detail(bench: BenchContext) -> Call:
        store_id = Store.all_objects.order_by("code").values_list("pk", flat=True).first()
        return lambda: bench.get(f"/api/v1/stores/{store_id}")
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator

from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aftersales.core import services
from aftersales.core.models import ApiToken, Role, StaffMembership, User
from bench.registry import (
    JOBS,
    SCENARIOS,
    BenchContext,
    BenchFailure,
    JobResult,
    Scenario,
    ScenarioResult,
    discover_areas,
)

discover_areas()


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
