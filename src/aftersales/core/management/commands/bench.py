"""``aftersales bench``: fill a database with a large synthetic dealer group, and time API scenarios on it.

Both actions work on the database named by ``--db``. When the running settings point elsewhere,
the command runs itself again in a child process with ``DATABASE_URL`` set to that URL, so that
settings load it exactly as a deployment would; the child checks that they did.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from bench.generate import GenerateRefused, generate, summary_lines
from bench.registry import SCENARIOS, BenchFailure
from bench.run import run_scenarios, unknown_scenarios  # importing the runner registers every area's scenarios
from config.env import database_from_url

CHILD_MARK = "AFTERSALES_BENCH_CHILD_DB"
CHILD_CODE = "import sys; from aftersales.cli import main; sys.exit(main())"


class Command(BaseCommand):
    help = (
        "Benchmarks. 'generate --db URL --scale N' fills an empty database with N stores of synthetic data; "
        "'run --db URL [SCENARIO ...]' times API scenarios on it and prints one line per scenario."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{generate,run}")
        generate = actions.add_parser("generate", help="Fill an empty database with a synthetic dealer group.")
        generate.add_argument("--db", required=True, help="DATABASE_URL of the database to fill.")
        generate.add_argument("--scale", type=int, default=400, help="Number of stores (default 400).")
        generate.add_argument("--users-per-store", type=int, default=12, help="Staff per store (default 12).")
        generate.add_argument(
            "--years", type=int, default=1, help="Years of audit history, one entry per store and day (default 1)."
        )
        generate.add_argument(
            "--customers", type=int, default=0, help="Customers of the archive, spread over the stores (default 0)."
        )
        generate.add_argument(
            "--vehicles", type=int, default=0, help="Vehicles of the archive, owned by those customers (default 0)."
        )
        generate.add_argument(
            "--parts", type=int, default=0, help="Parts of the first store's brand in the part master (default 0)."
        )
        generate.add_argument(
            "--stock-moves", type=int, default=0, help="Stock moves of the first store over a year (default 0)."
        )
        run = actions.add_parser(
            "run",
            help="Time API scenarios on a generated database.",
            epilog="scenarios:\n" + "\n".join(f"  {name:<16} {spec.description}" for name, spec in SCENARIOS.items()),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        run.add_argument("--db", required=True, help="DATABASE_URL of a database filled by 'bench generate'.")
        run.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="Scenarios to run (default: all).")
        run.add_argument("--iterations", type=int, default=200, help="Timed calls per scenario (default 200).")
        run.add_argument("--warmup", type=int, default=10, help="Untimed calls first (default 10).")

    def handle(self, *args: Any, **options: Any) -> None:
        url: str = options["db"]
        try:
            wanted = database_from_url(url)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        if not _is_default_database(wanted):
            if os.environ.get(CHILD_MARK) == url:
                raise CommandError(
                    f"DATABASE_URL is {_shown(url)} but the settings module {os.environ.get('DJANGO_SETTINGS_MODULE')} "
                    "does not use it for the default database."
                )
            self._run_child(url, options["action"], _child_arguments(options))
            return
        if options["action"] == "generate":
            self._generate(url, options)
        else:
            self._run(url, options)

    def _run_child(self, url: str, action: str, arguments: list[str]) -> None:
        """Run this command again with ``DATABASE_URL`` set to ``url``, passing its output through."""
        env = {**os.environ, "DATABASE_URL": url, CHILD_MARK: url, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
        command = [sys.executable, "-c", CHILD_CODE, *arguments]
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
            with subprocess.Popen(  # noqa: S603 - our own interpreter and command line
                command, env=env, stdout=subprocess.PIPE, stderr=errors, encoding="utf-8"
            ) as child:
                if child.stdout is not None:
                    for line in child.stdout:
                        self.stdout.write(line, ending="")
                        self.stdout.flush()
            errors.seek(0)
            messages = errors.read().rstrip().splitlines()
        failure = (
            messages.pop() if child.returncode and messages and messages[-1].startswith("CommandError: ") else None
        )
        if messages:
            self.stderr.write("\n".join(messages))
        if failure is not None:
            raise CommandError(failure.removeprefix("CommandError: "), returncode=child.returncode)
        if child.returncode:
            raise CommandError(
                f"bench {action} on {_shown(url)} failed (exit status {child.returncode}).",
                returncode=child.returncode,
            )

    def _generate(self, url: str, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"Database {_shown(url)} migrated in {time.perf_counter() - started:.2f} s.")
        try:
            result = generate(
                scale=options["scale"],
                users_per_store=options["users_per_store"],
                years=options["years"],
                customers=options["customers"],
                vehicles=options["vehicles"],
                parts=options["parts"],
                stock_moves=options["stock_moves"],
            )
        except (GenerateRefused, ValueError) as error:
            raise CommandError(str(error)) from None
        for line in summary_lines(result):
            self.stdout.write(line)

    def _run(self, url: str, options: dict[str, Any]) -> None:
        names: list[str] = options["scenarios"] or list(SCENARIOS)
        missing = unknown_scenarios(names)
        if missing:
            raise CommandError(f"Unknown scenario(s): {', '.join(missing)}. Known: {', '.join(SCENARIOS)}.")
        _ensure_generated(url)
        try:
            for result in run_scenarios(names, iterations=options["iterations"], warmup=options["warmup"]):
                self.stdout.write(result.line())
                self.stdout.flush()
        except (BenchFailure, ValueError) as error:
            raise CommandError(str(error)) from None


def _is_default_database(wanted: dict[str, object]) -> bool:
    """Tell whether the default database of the running settings is the one ``wanted`` describes."""
    current = settings.DATABASES["default"]
    if current.get("ENGINE") != wanted["ENGINE"]:
        return False
    if wanted["ENGINE"] == "django.db.backends.sqlite3":
        return Path(str(current.get("NAME"))).resolve() == Path(str(wanted["NAME"])).resolve()
    return all(str(current.get(key) or "") == str(wanted.get(key) or "") for key in ("NAME", "HOST", "PORT", "USER"))


def _ensure_generated(url: str) -> None:
    """Refuse a database that does not exist or was never migrated; apply migrations it lacks."""
    if connection.vendor == "sqlite" and not Path(str(connection.settings_dict["NAME"])).exists():
        raise CommandError(f"{_shown(url)} does not exist: run `aftersales bench generate --db URL` first.")
    try:
        executor = MigrationExecutor(connection)
        applied = executor.loader.applied_migrations
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        raise CommandError(f"Cannot read {_shown(url)}: {error}") from None
    if not applied:
        raise CommandError(f"{_shown(url)} is empty: run `aftersales bench generate --db URL` first.")
    if pending:
        call_command("migrate", interactive=False, verbosity=0)


def _child_arguments(options: dict[str, Any]) -> list[str]:
    """Rebuild the command line of this invocation from its parsed options."""
    arguments = ["bench", "--verbosity", str(options["verbosity"])]
    if options.get("traceback"):
        arguments.append("--traceback")
    arguments += [options["action"], "--db", options["db"]]
    if options["action"] == "generate":
        arguments += ["--scale", str(options["scale"]), "--users-per-store", str(options["users_per_store"])]
        arguments += ["--years", str(options["years"])]
        arguments += ["--customers", str(options["customers"]), "--vehicles", str(options["vehicles"])]
        arguments += ["--parts", str(options["parts"]), "--stock-moves", str(options["stock_moves"])]
    else:
        arguments += ["--iterations", str(options["iterations"]), "--warmup", str(options["warmup"])]
        arguments += options["scenarios"]
    return arguments


def _shown(url: str) -> str:
    """Return ``url`` without its password, for messages."""
    parsed = urlparse(url)
    if not parsed.password:
        return url
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return urlunparse(parsed._replace(netloc=netloc))
