"""Go-live imports, the reads: a job in the actor's scope, recent jobs, "my jobs"."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.core.access import store_record_access
from aftersales.core.imports import job_progress
from aftersales.core.models import User
from aftersales.core.selectors import JobView
from aftersales.parts.imports.layouts import PERMISSION
from aftersales.parts.models import StockImportJob


def stock_import_access(*, actor: User | AnonymousUser, job_id: int) -> StockImportJob:
    """The job if ``actor`` may import in its store; a job of a store they do not see is not found (and
    audited), one they see without the right is refused."""
    jobs = StockImportJob.objects.select_related("store", "created_by")
    return store_record_access(actor=actor, permission=PERMISSION, records=jobs, record_id=job_id)


def stock_imports_recent(*, store_id: int, limit: int = 20) -> QuerySet[StockImportJob]:
    return (
        StockImportJob.objects.filter(store_id=store_id)
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def stock_import_jobs_of(user: User) -> list[JobView]:
    """The person's go-live imports as "my jobs" shows them (the newest 50)."""
    jobs = StockImportJob.objects.filter(created_by=user).order_by("-created_at", "-pk")[:50]
    return [
        JobView(
            kind=str(_("Import")),
            name=f"{job.get_kind_display()} · {job.file_name}",
            status=job.status,
            status_label=job.get_status_display(),
            percent=job_progress(job),
            started_at=job.created_at,
            finished_at=job.finished_at,
            url=reverse("parts:import_job", kwargs={"job_id": job.pk}),
            message=job.message,
        )
        for job in jobs
    ]
