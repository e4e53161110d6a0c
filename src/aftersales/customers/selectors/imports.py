"""Import jobs, the reads: where uploads are kept, a job in the actor's scope, recent jobs, progress."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.core.access import store_record_access
from aftersales.core.imports import error_report_path, job_progress
from aftersales.core.models import User
from aftersales.core.selectors import JobView
from aftersales.customers.models import (
    ExportJob,
    ImportJob,
)


def import_job_access(*, actor: User | AnonymousUser, job_id: int) -> ImportJob:
    """The job if ``actor`` may import in its store; a job of a store they do not see is not found
    (and audited, ``core.access.store_record_access``), one they see without the right is refused."""
    jobs = ImportJob.objects.select_related("store", "created_by")
    return store_record_access(actor=actor, permission="customers.import", records=jobs, record_id=job_id)


def import_jobs_recent(*, store_id: int, limit: int = 20) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.filter(store_id=store_id).select_related("created_by").order_by("-created_at", "-pk")[:limit]
    )


def import_error_path(job: ImportJob) -> Path:
    """The stored error report of a job; 404 when it has none."""
    return error_report_path(job)


def import_jobs_of(user: User) -> list[JobView]:
    """The person's imports as "my jobs" shows them (the newest 50)."""
    jobs = ImportJob.objects.filter(created_by=user).order_by("-created_at", "-pk")[:50]
    return [
        JobView(
            kind=str(_("Import")),
            name=job.file_name,
            status=job.status,
            status_label=job.get_status_display(),
            percent=job_progress(job),
            started_at=job.created_at,
            finished_at=job.finished_at,
            url=reverse("customer_imports:job", kwargs={"job_id": job.pk}),
            message=job.message,
        )
        for job in jobs
    ]


def export_jobs_of(user: User) -> list[JobView]:
    """The person's background exports as "my jobs" shows them (the newest 50)."""
    jobs = ExportJob.objects.filter(created_by=user).order_by("-created_at", "-pk")[:50]
    return [
        JobView(
            kind=str(_("Export")),
            name=_("Customer list (Excel)"),
            status=job.status,
            status_label=job.get_status_display(),
            percent=100
            if job.status in {ExportJob.Status.DONE, ExportJob.Status.FAILED}
            else (min(99, job.processed_rows * 100 // job.total_rows) if job.total_rows else 0),
            started_at=job.created_at,
            finished_at=job.finished_at,
            url=reverse("customer_imports:export_job", kwargs={"job_id": job.pk}),
            message=job.message,
        )
        for job in jobs
    ]


def export_job_file(*, actor: User, job_id: int) -> tuple[ExportJob, Path]:
    """A finished export of ``actor``'s and its file (404 for another person's, an unfinished one, or a
    file no longer kept)."""
    job = ExportJob.objects.filter(pk=job_id, created_by=actor, status=ExportJob.Status.DONE).first()
    path = Path(settings.DATA_DIR) / "exports" / job.storage_name if job is not None and job.storage_name else None
    if job is None or path is None or not path.is_file():
        raise Http404(_("Not found."))
    return job, path
