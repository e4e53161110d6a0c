"""What the bench runs, registered by the areas: scenarios, jobs and data generators.

Each business area keeps its benchmarks in one module (or package) of its own under ``bench/``,
``bench/<area>.py``, and registers them there with the decorators below::

    @scenario("stores.detail", "GET /api/v1/stores/{id}: one store with departments and bays")
    def _store_detail(bench: BenchContext) -> Call:
        store_id = Store.all_objects.order_by("code").values_list("pk", flat=True).first()
        return lambda: bench.get(f"/api/v1/stores/{store_id}")

The runner (``bench.run``) and ``bench.generate`` never import an area: ``discover_areas`` imports
every module and package directly under ``bench/`` except the infrastructure (``INFRASTRUCTURE``:
this registry, the runner, the generator and its loading technique), ``core`` first and then the
others by name, so that scenarios are listed and run in that order.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.test import Client

import bench
from aftersales.core.models import User
from bench.loading import GenerateResult

Call = Callable[[], HttpResponse]
Prepare = Callable[["BenchContext"], Call]

# The modules of bench/ that run the areas' benchmarks rather than register any.
INFRASTRUCTURE = frozenset({"generate", "loading", "registry", "run"})
FIRST_AREA = "core"


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


# --- scenarios: timed calls --------------------------------------------------------------------


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


# --- jobs: run once, only when named -------------------------------------------------------------


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


# --- generators: an area's rows for bench generate ---------------------------------------------


@dataclass(frozen=True)
class GenerateOptions:
    """The options of ``bench generate``, as every area's generator receives them."""

    scale: int
    users_per_store: int
    years: int
    customers: int
    vehicles: int
    parts: int = 0
    stock_moves: int = 0


Fill = Callable[[GenerateResult, GenerateOptions], list[str]]
Settle = Callable[[GenerateOptions], list[str]]


def _nothing_to_settle(options: GenerateOptions) -> list[str]:
    return []


@dataclass(frozen=True)
class AreaGenerator:
    """An area's part of ``bench generate``.

    ``fill`` writes the area's rows after the dealer group, inside the same transaction, and returns
    summary lines (none when the options ask for nothing of the area); ``settle`` runs after the commit.
    """

    name: str
    fill: Fill
    settle: Settle


GENERATORS: dict[str, AreaGenerator] = {}


def generator(name: str, *, settle: Settle = _nothing_to_settle) -> Callable[[Fill], Fill]:
    """Register the decorated function as the generator ``name`` (with ``settle`` to run after the commit)."""

    def register(fill: Fill) -> Fill:
        if name in GENERATORS:
            raise ValueError(f"Generator {name!r} is registered twice.")
        GENERATORS[name] = AreaGenerator(name, fill, settle)
        return fill

    return register


# --- discovery ------------------------------------------------------------------------------------


def area_names() -> list[str]:
    """Name the area modules and packages under ``bench/``: ``core`` first, then the others by name."""
    names = sorted(info.name for info in pkgutil.iter_modules(bench.__path__) if info.name not in INFRASTRUCTURE)
    return sorted(names, key=lambda name: name != FIRST_AREA)


def discover_areas() -> list[str]:
    """Import every area module, which registers its scenarios, jobs and generators; return their names."""
    names = area_names()
    for name in names:
        importlib.import_module(f"bench.{name}")
    return names
