"""Import uploads: the checks before a job is queued, and the job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from aftersales.core.errors import ApplicationError, choose_one_of
from aftersales.core.imports import imports_dir, upload_store
from aftersales.core.models import Store, User
from aftersales.core.xlsx import XlsxReader
from aftersales.customers import tasks
from aftersales.customers.excel.columns import first_row, header_positions
from aftersales.customers.models import (
    ExportJob,
    ImportJob,
)


def workbook_check(path: Path) -> dict[str, int]:
    """Open a stored upload and read its header; return the position of each template column found.

    Raises WorkbookError with a message for the user when it is no workbook of the template.
    """
    with XlsxReader(path) as book:
        return header_positions(first_row(book.rows()))


def import_job_create(
    *,
    actor: User,
    store: Store,
    upload: UploadedFile,
    mode: str,
    dry_run: bool,
    on_match: str = ImportJob.OnMatch.SKIP,
) -> ImportJob:
    """Check and store an uploaded workbook and queue its import job (after the transaction commits).

    The file is refused (ApplicationError on ``file``, nothing stored) when it is larger than 20 MB,
    is not an .xlsx workbook by its content, or its first sheet lacks the template's header.
    """
    if mode not in ImportJob.Mode.values:
        raise ApplicationError(choose_one_of(ImportJob.Mode.values), field="mode", status=422)
    if on_match not in ImportJob.OnMatch.values:
        raise ApplicationError(choose_one_of(ImportJob.OnMatch.values), field="on_match", status=422)
    storage_name, file_name = upload_store(upload, imports_dir(), workbook_check)
    try:
        job = ImportJob.objects.create(
            store=store,
            created_by=actor,
            file_name=file_name,
            storage_name=storage_name,
            mode=mode,
            on_match=on_match,
            dry_run=dry_run,
        )
    except BaseException:
        (imports_dir() / storage_name).unlink(missing_ok=True)
        raise

    transaction.on_commit(lambda: tasks.customer_import_run(job.pk))
    return job


def export_job_create(*, actor: User, store: Store, personal: bool, filters: dict[str, Any]) -> ExportJob:
    """An export of the customer list to write in the background (one too large for the request);
    the job starts after the commit and shows on "my jobs"."""
    job = ExportJob.objects.create(
        store=store,
        created_by=actor,
        personal=personal,
        filters={name: value for name, value in filters.items() if value not in (None, "")},
    )
    transaction.on_commit(lambda: tasks.customer_export_run(job.pk))
    return job
