"""Background jobs of archive quality (imported by ``customers.tasks`` so the worker registers them)."""

from huey.contrib.djhuey import db_task

from aftersales.customers.quality import completeness_recompute_store


@db_task()
def completeness_recompute(store_id: int) -> int:
    """Recompute a store's archive completeness after its rule changed."""
    return completeness_recompute_store(store_id)
