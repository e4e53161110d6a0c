"""Import uploads: the checks before a job is queued, and the job."""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.errors import ApplicationError, choose_one_of
from aftersales.core.models import Store, User
from aftersales.core.xlsx import WorkbookError, XlsxReader
from aftersales.customers import tasks
from aftersales.customers.excel.columns import first_row, header_positions
from aftersales.customers.models import (
    ExportJob,
    ImportJob,
)
from aftersales.customers.selectors.imports import imports_dir

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


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
            on_match=on_match,
            dry_run=dry_run,
        )
    except BaseException:
        path.unlink(missing_ok=True)
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
