"""Background jobs of the outbox: thin, idempotent wrappers around its services."""

from __future__ import annotations

from datetime import datetime

from huey.contrib.djhuey import db_task

from aftersales.messaging import services


@db_task(retries=0)
def message_deliver_job(message_id: int) -> str | None:
    """Send one queued message; a message no longer queued (sent, or taken by another worker) is left
    alone, so a redelivered job is harmless."""
    return services.message_deliver(message_id)


def _enqueue(message_id: int, at: datetime | None) -> None:
    if at is None:
        message_deliver_job(message_id)
    else:
        message_deliver_job.schedule((message_id,), eta=at)


services.DELIVER[:] = [_enqueue]
