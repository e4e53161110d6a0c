"""Background jobs of parts and stock: thin, idempotent wrappers around a service."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from aftersales.parts.imports import running
from aftersales.parts.services import stocktakes


@db_task()
def stocktake_post_run(stocktake_id: int) -> None:
    """Post one stocktake's variances; a stocktake that is not posting (any more) is left alone, so a
    redelivery is harmless."""
    stocktakes.stocktake_post_run(stocktake_id)


@db_task()
def stock_import_run(job_id: int) -> None:
    """Run one go-live import job; a job that is no longer queued is left alone (a redelivery is harmless)."""
    running.stock_import_run(job_id)
