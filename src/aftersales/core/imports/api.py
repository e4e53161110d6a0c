"""What every import job shows through the API; an area's job adds its own counts and options."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from aftersales.core.imports.jobs import job_progress
from aftersales.core.models.jobs import ImportJobBase


class ImportJobBaseOut(Schema):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    mode: Literal["valid_rows", "all_or_nothing"]
    dry_run: bool
    file_name: str
    store: str
    created_by: str | None
    created_at: datetime
    finished_at: datetime | None
    total_rows: int = Field(description="Data rows in the file (an estimate from the sheet while running).")
    processed_rows: int = Field(description="Rows checked so far.")
    progress: int = Field(description="Percent of the rows checked; 100 when the job has finished.")
    error_rows: int
    errors_url: str | None = Field(description="The error report (.xlsx) when rows had errors.")
    message: str


def import_job_base_out(job: ImportJobBase, *, errors_url: str) -> dict[str, Any]:
    """The common members of a job's body; ``errors_url`` is where its error report is downloaded."""
    return {
        "id": job.pk,
        "status": job.status,
        "mode": job.mode,
        "dry_run": job.dry_run,
        "file_name": job.file_name,
        "store": job.store.code,
        "created_by": job.created_by.username if job.created_by else None,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "progress": job_progress(job),
        "error_rows": job.error_rows,
        "errors_url": errors_url if job.error_file else None,
        "message": job.message,
    }
