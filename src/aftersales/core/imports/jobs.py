"""Running an import job: claimed once, in its uploader's language, any failure ending it as failed;
its progress; valid rows parked on disk between checking and saving."""

from __future__ import annotations

import logging
import pickle
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.core.imports.upload import imports_dir
from aftersales.core.models.jobs import ImportJobBase
from aftersales.core.xlsx import WorkbookError

logger = logging.getLogger(__name__)

Job = TypeVar("Job", bound=ImportJobBase)


def job_run(model: type[Job], job_id: int, work: Callable[[Job], None]) -> Job | None:
    """Run a queued job to its end with ``work``; a job that is not queued (any more) is left alone.

    The job is claimed with a conditional UPDATE (queued → running), so a job delivered twice runs
    once. Any failure marks the job failed with its message (and logs it); ``work`` saves in one
    transaction, so nothing is saved then. Messages and reports are in the uploader's language.
    """
    claimed = model._default_manager.filter(pk=job_id, status=ImportJobBase.Status.QUEUED).update(
        status=ImportJobBase.Status.RUNNING
    )
    if not claimed:
        return None
    job = model._default_manager.select_related("store", "created_by").get(pk=job_id)
    language = job.created_by.preferred_language if job.created_by else settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            work(job)
        except WorkbookError as error:
            job_fail(job, str(error))
        except Exception as error:  # any failure must end as a failed job, never a stuck one
            logger.exception("Import job %s %s failed", model.__name__, job.pk)
            job_fail(job, _("The import failed: %(error)s") % {"error": f"{type(error).__name__}: {error}"[:500]})
    job.refresh_from_db()
    return job


def job_fail(job: ImportJobBase, message: str) -> None:
    type(job)._default_manager.filter(pk=job.pk).update(
        status=ImportJobBase.Status.FAILED, message=message, finished_at=timezone.now()
    )


def job_progress(job: ImportJobBase) -> int:
    """Percent of rows checked (100 once the job is finished)."""
    if job.status in {ImportJobBase.Status.DONE, ImportJobBase.Status.FAILED}:
        return 100
    if not job.total_rows:
        return 0
    return min(99, job.processed_rows * 100 // job.total_rows)


def job_saving(job: ImportJobBase) -> bool:
    """Every row checked and the job still running: it is saving the valid rows."""
    return job.status == ImportJobBase.Status.RUNNING and bool(job.total_rows) and job.processed_rows >= job.total_rows


class Spill:
    """Valid rows parked on disk between checking and saving, so that memory stays flat for big files.

    The file has no name (it is unlinked at once)."""

    def __init__(self, folder: Path) -> None:
        self.file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by close()

    def write(self, batch: list[Any]) -> None:
        if batch:
            pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def batches(self) -> Iterator[list[Any]]:
        self.file.seek(0)
        while True:
            try:
                yield pickle.load(self.file)  # noqa: S301 - our own file, written by this job
            except EOFError:
                return

    def close(self) -> None:
        self.file.close()


def error_report_path(job: ImportJobBase) -> Path:
    """The stored error report of a job; 404 when it has none (any more)."""
    path = imports_dir() / job.error_file if job.error_file else None
    if path is None or not path.is_file():
        raise Http404(_("Not found."))
    return path
