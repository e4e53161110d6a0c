"""Every periodic job of the product, declared in one place.

Each job is a thin, idempotent wrapper around a service; ``aftersales worker`` runs them.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.core.services import heartbeat_record


@db_periodic_task(crontab(minute="*"))
def queue_heartbeat() -> None:
    """Record that the job queue is alive; /api/v1/health reports the age of this beat."""
    heartbeat_record(name="queue")
