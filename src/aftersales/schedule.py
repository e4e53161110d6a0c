"""Every periodic job of the product, declared in one place.

Each job is a thin, idempotent wrapper around a service; ``aftersales worker`` runs them.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import close_db, db_periodic_task, on_startup

from aftersales.core.services import heartbeat_record


# First in line, so that jobs waiting in the queue do not make a running worker look stale.
@db_periodic_task(crontab(minute="*"), priority=100)
def queue_heartbeat() -> None:
    """Record that the job queue is alive; /api/v1/health reports the age of this beat."""
    heartbeat_record(name="queue")


@on_startup()
@close_db
def queue_heartbeat_on_start() -> None:
    """Beat as soon as a worker starts, before the queue's first periodic beat reaches it."""
    heartbeat_record(name="queue")
