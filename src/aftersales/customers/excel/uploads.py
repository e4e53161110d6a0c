"""Uploads of import files: where they are kept, the checks before a job is queued, the job's lookups."""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.access import store_record_access
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.core.xlsx import WorkbookError, XlsxReader
from aftersales.customers.excel.columns import first_row, header_positions
from aftersales.customers.models import ImportJob

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def imports_dir() -> Path:
    """Where uploads and error reports are kept: under the data directory, outside the web root."""
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# What the first bytes of common files say, to tell the user what they sent instead of a workbook.
_NOT_A_WORKBOOK: tuple[tuple[bytes, Any], ...] = (
    (
        b"\xd0\xcf\x11\xe0",
        gettext_lazy("This is an old Excel 97-2003 workbook (.xls); save it as .xlsx and upload again."),
    ),
    (b"MZ", gettext_lazy("This is a Windows program, not an Excel workbook (.xlsx).")),
    (b"\x7fELF", gettext_lazy("This is a Linux program, not an Excel workbook (.xlsx).")),
    (b"%PDF-", gettext_lazy("This is a PDF document, not an Excel workbook (.xlsx).")),
)


def _file_error(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_file", field="file", status=422)


def _safe_name(name: str) -> str:
    base = unicodedata.normalize("NFC", Path(name or "").name).strip()
    base = re.sub(r"[^\w\s.()（）\-]", "_", base)[:200]
    return base or "import.xlsx"


def workbook_check(path: Path) -> dict[str, int]:
    """Open a stored upload and read its header; return the position of each template column found.

    Raises WorkbookError with a message for the user when it is no workbook of the template.
    """
    with XlsxReader(path) as book:
        return header_positions(first_row(book.rows()))


def import_job_create(*, actor: User, store: Store, upload: UploadedFile, mode: str, dry_run: bool) -> ImportJob:
    """Check and store an uploaded workbook and queue its import job (after the transaction commits).

    The file is refused (ApplicationError on ``file``, nothing stored) when it is larger than 20 MB,
    is not an .xlsx workbook by its content, or its first sheet lacks the template's header.
    """
    if mode not in ImportJob.Mode.values:
        raise ApplicationError(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(ImportJob.Mode.values)}, field="mode", status=422
        )
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
    upload.seek(0)
    head = upload.read(8)
    if not head.startswith(b"PK\x03\x04"):
        known = next((message for magic, message in _NOT_A_WORKBOOK if head.startswith(magic)), None)
        raise _file_error(str(known) if known else _("The file is not an Excel workbook (.xlsx)."))
    storage_name = f"{secrets.token_hex(16)}.xlsx"
    path = imports_dir() / storage_name
    size = 0
    upload.seek(0)
    with path.open("xb") as target:
        for chunk in upload.chunks():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                break
            target.write(chunk)
    try:
        if size > MAX_UPLOAD_BYTES:
            raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
        try:
            workbook_check(path)
        except WorkbookError as error:
            raise _file_error(str(error)) from None
        job = ImportJob.objects.create(
            store=store,
            created_by=actor,
            file_name=_safe_name(upload.name or ""),
            storage_name=storage_name,
            mode=mode,
            dry_run=dry_run,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    from aftersales.customers.tasks import customer_import_run

    transaction.on_commit(lambda: customer_import_run(job.pk))
    return job


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
    if not job.error_file:
        raise Http404(_("Not found."))
    path = imports_dir() / job.error_file
    if not path.is_file():
        raise Http404(_("Not found."))
    return path


def job_progress(job: ImportJob) -> int:
    """Percent of rows checked (100 once the job is finished)."""
    if job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}:
        return 100
    if not job.total_rows:
        return 0
    return min(99, job.processed_rows * 100 // job.total_rows)
