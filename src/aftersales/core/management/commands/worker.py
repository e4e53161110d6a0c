"""``aftersales worker``: the Huey consumer with the periodic schedule, and the worker's heartbeat."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection

from aftersales.core.services import heartbeat_record

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60


class Heartbeat(threading.Thread):
    """Records that a worker runs: at once when it starts, then every minute.

    A thread of its own beside the job threads, not a queued job: long jobs on every job thread (an
    import, a store's recomputation) must not make a running worker look stale to ``/api/v1/health``
    and to the pages that warn when no worker runs.
    """

    def __init__(self, interval: float = HEARTBEAT_SECONDS) -> None:
        super().__init__(name="aftersales-heartbeat", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def beat(self) -> None:
        try:
            heartbeat_record(name="queue")
        except DatabaseError:
            logger.exception("The worker could not record its heartbeat; it tries again in a minute.")
        finally:
            connection.close()  # this thread's connection: a server restart must not break the next beat

    def run(self) -> None:
        while True:
            self.beat()
            if self.stopped.wait(self.interval):
                return


class Command(BaseCommand):
    help = "Run the background job consumer (Huey) with the periodic schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=None, help="Worker threads (default from settings).")

    def handle(self, *args: Any, **options: Any) -> None:
        Heartbeat().start()
        extra = ["--workers", str(options["workers"])] if options["workers"] else []
        call_command("run_huey", *extra)
