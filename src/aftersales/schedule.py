"""Every periodic job of the product, declared in one place.

Each job is a thin, idempotent wrapper around a service; ``aftersales worker`` runs them. (The
worker's heartbeat is no job: it beats from a thread of its own, see ``commands/worker.py``.)
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.core import services


@db_periodic_task(crontab(minute="*/15"))
def login_throttles_prune() -> None:
    """Forget sign-in counters whose window has passed (they would only ever be started afresh)."""
    services.login_throttles_prune()
