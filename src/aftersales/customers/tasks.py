"""Background jobs of the customer archive: thin, idempotent wrappers around a service."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from aftersales.customers import excel, services


@db_task()
def customer_import_run(job_id: int) -> None:
    """Run one Excel import job; a job that is no longer queued is left alone, so a redelivery is harmless."""
    excel.import_run(job_id)


@db_task()
def completeness_recompute(store_id: int) -> int:
    """Recompute a store's archive completeness after its rule changed (scheduled by ``archive_rule_save``)."""
    return services.completeness_recompute_store(store_id)


@db_task()
def warranty_rederive_brand(brand_id: int) -> int:
    """Derive the warranty of a brand's vehicles again after its policies changed (idempotent)."""
    return services.warranty_rederive(brand_id)


@db_task()
def customer_export_run(job_id: int) -> None:
    """Write one export job's file; a job that is no longer queued is left alone (a redelivery is harmless)."""
    excel.export_job_run(job_id)
