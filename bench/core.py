"""The core area's scenarios: the public health check, the signed-in user, the list of stores."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse

from aftersales.core.models import Store
from bench.registry import BenchContext, BenchFailure, Call, scenario


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


def _json(response: HttpResponse) -> dict[str, object]:
    if response.status_code != 200:
        raise BenchFailure(f"GET answered {response.status_code}: {response.content[:500].decode(errors='replace')}")
    data = json.loads(response.content)
    if not isinstance(data, dict):
        raise BenchFailure("Expected a JSON object.")
    return data
