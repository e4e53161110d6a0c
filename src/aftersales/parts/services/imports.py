"""The go-live import: an upload checked and stored, and its job queued."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from aftersales.core.errors import ApplicationError, choose_one_of
from aftersales.core.imports import Sheet, imports_dir, upload_store
from aftersales.core.models import Store, User
from aftersales.core.xlsx import XlsxReader
from aftersales.parts import tasks
from aftersales.parts.imports.layouts import KIND_PERMISSIONS, LAYOUTS, PERMISSION
from aftersales.parts.models import StockImportJob
from aftersales.parts.services.ledger import closed_month_problem, store_access


def stock_import_create(
    *,
    actor: User,
    store: Store,
    kind: str,
    upload: UploadedFile,
    mode: str,
    dry_run: bool,
    go_live: date | None = None,
) -> StockImportJob:
    """Check and store an uploaded go-live workbook and queue its import job (after the commit).

    Refused with the field named, nothing stored: an unknown kind or mode, no right to import in the
    store (``stock.import``, and for the part master ``parts.manage``, for opening stock
    ``stock.adjust``), a go-live date in the future or in a closed month, a file that is no .xlsx
    workbook, larger than 20 MB, or whose first sheet lacks the template's header."""
    if kind not in StockImportJob.Kind.values:
        raise ApplicationError(choose_one_of(StockImportJob.Kind.values), field="kind", status=422)
    if mode not in StockImportJob.Mode.values:
        raise ApplicationError(choose_one_of(StockImportJob.Mode.values), field="mode", status=422)
    store_access(actor=actor, store_id=store.pk, permission=PERMISSION)
    if kind in KIND_PERMISSIONS:  # what the same change needs on the part or stock pages
        store_access(actor=actor, store_id=store.pk, permission=KIND_PERMISSIONS[kind])
    if go_live is not None and (problem := closed_month_problem(store, go_live)):
        raise ApplicationError(problem, code="closed_month", field="go_live")
    layout = LAYOUTS[kind]

    def check(path: Path) -> None:
        with XlsxReader(path) as book:
            Sheet(book.rows(), layout)

    storage_name, file_name = upload_store(upload, imports_dir(), check)
    try:
        job = StockImportJob.objects.create(
            store=store,
            created_by=actor,
            kind=kind,
            file_name=file_name,
            storage_name=storage_name,
            mode=mode,
            dry_run=dry_run,
            go_live=go_live,
        )
    except BaseException:
        (imports_dir() / storage_name).unlink(missing_ok=True)
        raise
    transaction.on_commit(lambda: tasks.stock_import_run(job.pk))
    return job
