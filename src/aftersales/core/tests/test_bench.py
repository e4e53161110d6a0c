"""The bench: areas register their scenarios, jobs and generators; the runner finds them without naming one."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

import bench
from aftersales.core.management.commands import bench as bench_command
from aftersales.core.services import roles_install_defaults
from aftersales.core.xlsx import XlsxReader
from aftersales.messaging.models import Message, MessageTemplate
from bench import campaigns as campaign_scenarios
from bench import generate, registry, run
from bench import visits as visit_scenarios
from bench import workshop as workshop_scenarios
from bench.appointments import confirmations
from bench.billing import cash_desk as cash_desk_scenarios
from bench.customers import import_job, values
from bench.customers import scenarios as customer_scenarios
from bench.quality import sanbao as sanbao_scenarios

BENCH_DIR = Path(bench.__file__).parent
# What migration 0002 of appointments installs (the message templates), put back after a flush.
APPOINTMENTS_0002 = importlib.import_module("aftersales.appointments.migrations.0002_grants_and_message_templates")
# And what migration 0009 of messaging installs: the one-time code's SMS that public_booking sends.
MESSAGING_0009 = importlib.import_module("aftersales.messaging.migrations.0009_verification_code_template")
CORE_SCENARIOS = ["health", "me", "stores"]
APPOINTMENT_SCENARIOS = ["public_booking", "slots", "booking_create"]
CAMPAIGN_SCENARIOS = ["campaign_match"]
VISIT_SCENARIOS = ["repair_order_create", "repair_order_detail"]
# Billing's module imports the visits' (its set-up reuses theirs): the visits' scenarios register before billing's.
BILLING_SCENARIOS = ["cash_report", "settle"]
# Quality's module imports the visits' (its set-up reuses theirs): its scenario registers after them.
QUALITY_SCENARIOS = ["comeback_check", "warranty_watch"]
WORKSHOP_SCENARIOS = ["board", "clock"]
CUSTOMER_SCENARIOS = [
    "search_plate",
    "search_vin6",
    "search_mobile4",
    "search_name",
    "search_initials",
    "customer_detail",
    "customer_timeline",
    "pdf_archive_card",
    "search_store_staff",
]


def imported_modules(path: Path) -> set[str]:
    """Every module that the Python file at ``path`` imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_runner_discovers_the_areas_without_naming_one() -> None:
    # Given the runner, imported (which discovers the areas)
    # Then every area's scenarios, jobs and generators are registered, core first
    assert registry.discover_areas() == [
        "core",
        "appointments",
        "billing",
        "campaigns",
        "customers",
        "messaging",
        "parts",
        "purchasing",
        "quality",
        "visits",
        "workshop",
    ]
    assert list(run.SCENARIOS) == (
        CORE_SCENARIOS
        + APPOINTMENT_SCENARIOS
        + VISIT_SCENARIOS
        + BILLING_SCENARIOS
        + CAMPAIGN_SCENARIOS
        + CUSTOMER_SCENARIOS
        + ["stock_balance", "purchase_suggestions"]
        + QUALITY_SCENARIOS
        + WORKSHOP_SCENARIOS
    )
    assert list(run.JOBS) == [
        "import",
        "outbox_1000",
        "receipt_5000",
        "reserve_5000",
        "stocktake_20000",
        "stock_import_20000",
        "replenishment_20000",
        "delivery_note_2000",
    ]
    assert list(registry.GENERATORS) == ["customers", "parts"]
    assert run.unknown_scenarios(["search_plate", "import", "nothing"]) == ["nothing"]
    # And neither the runner, the generator nor the command imports an area
    infrastructure = [BENCH_DIR / f"{name}.py" for name in sorted(registry.INFRASTRUCTURE)]
    for path in [*infrastructure, Path(bench_command.__file__)]:
        areas = {
            name
            for name in imported_modules(path)
            if re.match(r"bench\.(core|appointments|customers|archive|messaging)\b", name)
        }
        assert areas == set(), path
    runner = (BENCH_DIR / "run.py").read_text(encoding="utf-8")
    assert "customers" not in runner
    assert "archive" not in runner


def test_an_area_is_every_module_under_bench_but_the_infrastructure() -> None:
    assert sorted(registry.INFRASTRUCTURE) == ["generate", "loading", "registry", "run"]
    assert registry.area_names() == [
        "core",
        "appointments",
        "billing",
        "campaigns",
        "customers",
        "messaging",
        "parts",
        "purchasing",
        "quality",
        "visits",
        "workshop",
    ]


def test_registering_a_name_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        registry.scenario("health", "again")(lambda bench: lambda: bench.get("/"))
    with pytest.raises(ValueError, match="registered twice"):
        registry.job("search_plate", "a job named like a scenario")(lambda: registry.JobResult([]))
    with pytest.raises(ValueError, match="registered twice"):
        registry.generator("customers")(lambda result, options: [])
    assert registry.SCENARIOS["health"].description.startswith("GET /api/v1/health")


def test_no_bench_module_grows_past_600_lines() -> None:
    sizes = {
        str(path.relative_to(BENCH_DIR)): len(path.read_text(encoding="utf-8").splitlines())
        for path in BENCH_DIR.rglob("*.py")
    }
    assert "customers/archive.py" in sizes
    assert {name: size for name, size in sizes.items() if size > 600} == {}


def test_percentiles_interpolate_between_samples() -> None:
    assert registry.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert registry.percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    result = registry.ScenarioResult("me", [4.0, 1.0, 3.0, 2.0], queries=4)
    assert result.line() == "scenario=me p50_ms=2.50 p95_ms=3.85 max_ms=4.00 queries=4"


def database_url() -> str:
    """The URL of the test database, as ``bench --db`` takes it (so the command runs in this process)."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(database['NAME']).resolve()}"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{database['USER']}@{database['HOST']}{port}/{database['NAME']}"


def is_test_database() -> bool:
    """Tell whether the default connection points at the test database (never at a real one)."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return bool(database["NAME"]) and database["NAME"] == database.get("TEST", {}).get("NAME")
    return str(database["NAME"]).startswith("test_")


@pytest.mark.django_db
def test_the_runner_refuses_a_database_without_a_group_wide_user() -> None:
    with pytest.raises(run.BenchFailure, match="No active user with a group-wide role"):
        run.bench_user()


@pytest.fixture
def bench_database(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The test database, outside any test transaction (as ``bench`` runs), emptied again afterwards.

    ``bench generate`` commits, changes SQLite pragmas and vacuums on PostgreSQL, so it cannot run
    inside a test's transaction; a transactional test's flush would take the roles of migration
    0002 with it for the tests after it. Without a ``django_db`` mark this test runs after every
    database test, and it flushes and puts the built-in roles back itself.
    """
    with django_db_blocker.unblock():
        created = None
        if not is_test_database():
            # pytest-django sets the test database up only when a selected test is marked for it: run
            # alone, this test sets it up (and removes it) itself, never touching a real database.
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set())
        assert is_test_database(), connection.settings_dict["NAME"]
        roles_install_defaults()
        APPOINTMENTS_0002.install(apps, None)  # the templates of booking_create's confirmations
        MESSAGING_0009.install(apps, None)  # public_booking's one-time code
        try:
            yield database_url()
        finally:
            call_command("flush", interactive=False, verbosity=0)
            roles_install_defaults()
            if created is not None:
                teardown_databases(created, verbosity=0)


def test_bench_generates_the_archive_and_runs_every_scenario(
    bench_database: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a few samples per search scenario (the scenarios are the same, just quicker to set up)
    monkeypatch.setattr(customer_scenarios, "SAMPLES", 20)
    # and a registry of 12 campaigns covering 260 VINs (the same shape as the 500 covering 5 million)
    for name, value in {"LISTS": 4, "LISTED_EACH": 50, "RANGED": 6, "RANGE_SERIALS": 10, "MODELLED": 2}.items():
        monkeypatch.setattr(campaign_scenarios, name, value)
    # and a few cars on site for repair_order_create's calls (the same order, on fewer visits)
    monkeypatch.setattr(visit_scenarios, "VISITS_AHEAD", 12)
    # and a board of 8 open orders (the same states in turn as the 200)
    monkeypatch.setattr(workshop_scenarios, "ORDERS", 8)
    # and the 三包 pages of 3 household cars with their 50 past orders each (the same history as the 20 cars')
    monkeypatch.setattr(sanbao_scenarios, "VEHICLES", 3)
    # and a cash desk of 100 payments a day over two days on 5 cars (the same day's shape as the 2,000)
    for name, value in {"PAYMENTS": 100, "DAYS": 2, "CARS": 5}.items():
        monkeypatch.setattr(cash_desk_scenarios, name, value)
    url = bench_database

    # When a small group with an archive is generated through the command
    out = StringIO()
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
        "--stock-moves",
        "2000",
        stdout=out,
    )

    # Then the group, the archive and the detail customer went in, through the registered generator
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"Database .* migrated in [0-9.]+ s\.", lines[0])
    assert re.fullmatch(r"Inserted [0-9,]+ rows in [0-9.]+ s \([0-9,]+ rows/s\)\.", lines[1])
    counts = dict(item.rsplit(" ", 1) for item in lines[2].strip().split(", "))
    assert counts["stores"] == "2"
    assert counts["audit_entries"] == "730"
    assert counts["customers"] == "300"
    assert int(counts["vehicles"]) + int(counts["detail_vehicles"]) == 450
    assert counts["detail_vehicles"] == "20"
    assert re.fullmatch(
        r"  detail customer CUS-S0001-\d{4}-000001 \(id \d+\): 20 vehicles, 500 timeline entries, "
        r"written through the services",
        lines[3],
    )
    assert lines[4].startswith("  archive: rows ")
    assert counts["parts"] == "50" and counts["stock moves"] == "2,000" and counts["stock balances"] == "50"
    assert re.fullmatch(r"  stock of S0001: 50 parts, 2,000 moves from .* in [0-9.]+ s", lines[5])
    if connection.vendor == "postgresql":
        assert re.fullmatch(r"  archive tables vacuumed and analysed in [0-9.]+ s", lines[6])
    assert re.fullmatch(r"  1[12] stock months closed \(snapshots\) in [0-9.]+ s", lines[-1])
    assert len(lines) == (8 if connection.vendor == "postgresql" else 7)

    # When every scenario is run on it
    out = StringIO()
    call_command("bench", "run", "--db", url, "--iterations", "2", "--warmup", "1", stdout=out)

    # Then there is one line per scenario, in the registered order, with the queries of one call
    reports = [line for line in out.getvalue().splitlines() if line.startswith("scenario=")]
    pattern = r"scenario=(\w+) p50_ms=[0-9.]+ p95_ms=[0-9.]+ max_ms=[0-9.]+ queries=(\d+)"
    matches = [re.fullmatch(pattern, line) for line in reports]
    assert all(matches), reports
    queries = {match.group(1): int(match.group(2)) for match in matches if match}
    assert list(queries) == (
        CORE_SCENARIOS
        + APPOINTMENT_SCENARIOS
        + VISIT_SCENARIOS
        + BILLING_SCENARIOS
        + CAMPAIGN_SCENARIOS
        + CUSTOMER_SCENARIOS
        + ["stock_balance", "purchase_suggestions"]
        + QUALITY_SCENARIOS
        + WORKSHOP_SCENARIOS
    )
    pinned = (
        "health",
        "me",
        "stores",
        "slots",
        "campaign_match",
        "customer_detail",
        "purchase_suggestions",
        "repair_order_detail",
        "cash_report",
    )
    assert {name: queries[name] for name in pinned} == {
        "health": 2,
        "me": 4,
        "stores": 5,
        # the token's, the actor's memberships and the store's (4), the services, the store's settings and
        # calendar (3), then the day's plan (5): whatever the bookings' number
        "slots": 12,
        "campaign_match": 6,  # whatever the registry's size: the open campaigns of the VIN are one query
        "customer_detail": 5,  # with the actor's stores, which the archive's visibility rule reads
        "purchase_suggestions": 7,  # whatever the number of parts: the suggestions are one query
        # the token's and the actor's memberships, the order with its store, visit, vehicle and advisor, its lines
        # with their parts, their approvals, its events, the stock reserved per line: whatever the number of lines
        "repair_order_detail": 8,
        # the token's, the actor's memberships, the store (twice), the report's four (the day's takings, refunds,
        # drawers and payments not counted) and the staff's usernames: whatever the number of payments
        "cash_report": 9,
    }
    assert all(count > 0 for count in queries.values())
    # And each of booking_create's and public_booking's four calls (a warm-up, two timed, one counted)
    # wrote its booking's confirmation SMS, with the bench's signature; none is left for a worker to send
    templates = MessageTemplate.objects.filter(event__startswith="appointment_", channel="sms", is_active=True)
    assert templates.filter(sms_sign_name=confirmations.SIGN_NAME).count() == 5
    confirmations_written = Message.objects.filter(event="appointment_booked").order_by("pk")
    assert [(row.channel, row.status, row.error) for row in confirmations_written] == [
        ("sms", "cancelled", confirmations.NOT_SENT)
    ] * 8
    assert all(row.body.startswith(row.recipient_name + "您好，您已预约") for row in confirmations_written)
    assert not Message.objects.filter(status__in=["queued", "held"]).exists()

    # When the confirmation's SMS template is one the outbox refuses (it declares a variable nobody gives)
    sms = MessageTemplate.objects.get(event="appointment_booked", channel="sms")
    MessageTemplate.objects.filter(pk=sms.pk).update(variables=[*sms.variables, "parking"])
    booked = Message.objects.count()

    # Then booking_create fails at its first call, with the outbox's refusal logged, and nothing is sent
    with pytest.raises(CommandError, match=r"booking_create: booking AP-\S+ was made, but 0 confirmation SMS"):
        call_command("bench", "run", "--db", url, "booking_create", "--iterations", "1", "--warmup", "0", stdout=out)
    refusals = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any(
        re.fullmatch(r"appointment_booked of appointment AP-\S+ not put in the outbox: .*", line) for line in refusals
    )
    assert Message.objects.count() == booked


def test_generate_refuses_vehicles_without_customers() -> None:
    with pytest.raises(ValueError, match="vehicles need customers"):
        generate.generate(scale=1, customers=0, vehicles=5)


def test_an_import_files_credit_codes_never_meet_the_archives(tmp_path: Path) -> None:
    """The archive's credit codes use each region's area code; the import files use one it never does."""
    assert import_job.IMPORT_CREDIT_AREA not in {region.id_area for region in values.REGIONS.values()}
    path = tmp_path / "run0.xlsx"
    import_job.import_workbook(path, rows=200, run=0)
    with XlsxReader(path.open("rb")) as reader:
        rows = [row for _number, row in reader.rows()]
    codes = [cell for row in rows[2:] for cell in row if isinstance(cell, str) and cell.startswith("91")]
    assert len(codes) >= 2
    assert all(code.startswith("91310230000") and len(code) == 18 for code in codes)
