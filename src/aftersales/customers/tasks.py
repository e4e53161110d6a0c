"""Background jobs of the customer archive: thin, idempotent wrappers around a service.

The consumer discovers this module; it imports the other job modules of the app so that they
are registered too.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from aftersales.customers import (
    excel,
    quality_jobs,  # noqa: F401  (registers the archive-quality jobs)
)


@db_task()
def customer_import_run(job_id: int) -> None:
    """Run one Excel import job; a job that is no longer queued is left alone, so a redelivery is harmless."""
    excel.import_run(job_id)
