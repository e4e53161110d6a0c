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
    return [name for name in names if name not in SCENARIOS]


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


def run_scenarios(names: list[str], *, iterations: int, warmup: int) -> Iterator[ScenarioResult]:
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
