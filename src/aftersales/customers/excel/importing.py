"""The import job: read the sheet, check every row, report the bad ones, save the good ones, audit.

Rows are read as a stream and checked in batches of ``BATCH_ROWS``; the valid rows are parked on
disk and written by ``saving.rows_save`` in one transaction, after every row has been checked (so
that "all or nothing" can refuse the file before anything is written).
"""

from __future__ import annotations

import logging
import pickle
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.xlsx import WorkbookError, XlsxReader, XlsxWriter
from aftersales.customers.excel.checking import Parked, Row, RowChecker
from aftersales.customers.excel.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    ERRORS_HEADER,
    ROW_HEADER,
    SHEET_TITLE,
    first_row,
    header_positions,
    is_english_header,
)
from aftersales.customers.excel.names import NameKeys
from aftersales.customers.excel.saving import rows_save
from aftersales.customers.models import Customer, ImportJob, PlateRegistration, Vehicle
from aftersales.customers.selectors.imports import imports_dir

logger = logging.getLogger(__name__)

BATCH_ROWS = 1000


class _Spill:
    """Valid rows parked on disk between checking and saving, so that memory stays flat for big files.

    The file has no name (it is unlinked at once) and holds no resident ID in clear.
    """

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(dir=imports_dir())  # noqa: SIM115 - closed by close()

    def write(self, batch: list[Parked]) -> None:
        if batch:
            pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def batches(self) -> Iterator[list[Parked]]:
        self.file.seek(0)
        while True:
            try:
                yield pickle.load(self.file)  # noqa: S301 - our own file, written by this job
            except EOFError:
                return

    def close(self) -> None:
        self.file.close()


@dataclass
class ImportResult:
    rows: int = 0
    error_rows: int = 0
    customers: int = 0
    vehicles: int = 0
    error_file: str = ""


class _Checking:
    """The first pass: every row checked, duplicates found, bad rows reported, valid rows parked."""

    def __init__(self, book: XlsxReader) -> None:
        self.book = book
        self.result = ImportResult()
        self.spill = _Spill()
        self.vin_rows: dict[str, int] = {}
        self.plate_rows: dict[str, int] = {}
        self.uscc_rows: dict[str, tuple[int, tuple[str, str] | None]] = {}
        self.groups: dict[tuple[str, str], int] = {}
        self.has_vehicle = bytearray()  # per customer slot
        self.names = NameKeys()  # the new customers' names, whose search keys a helper works out meanwhile
        self.headers: list[list[Any]] = []
        self.report: XlsxWriter | None = None
        self.report_path: Path | None = None
        self.width = 0

    def run(self, on_progress: Callable[[int], None]) -> None:
        rows = self.book.rows()
        self.headers = [first_row(rows)]
        self.positions = header_positions(self.headers[0])
        self.checker = RowChecker(self.positions)
        self.width = max([len(self.headers[0]), *(position + 1 for position in self.positions.values())])
        batch: list[Row] = []
        for number, values in rows:
            first = len(self.headers) == 1 and not self.result.rows and not batch
            if first and is_english_header(values, self.positions):
                self.headers.append(values)
                continue
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
                continue
            row = Row(number, values, {})
            self.checker.check(row)
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                self._settle(batch)
                batch = []
                on_progress(self.result.rows)
        self._settle(batch)
        on_progress(self.result.rows)

    def _settle(self, batch: list[Row]) -> None:
        """Check a batch against the archive and the rows before it; then report or park each row."""
        vins = {row.vin for row in batch if row.vin}
        in_archive = set(Vehicle.objects.filter(vin__in=vins).values_list("vin", flat=True)) if vins else set()
        usccs = {row.uscc for row in batch if row.uscc}
        taken = dict(_holding_credit_codes(usccs).values_list("uscc", "number")) if usccs else {}
        plates = {row.plate for row in batch if row.plate}
        held = (
            dict(PlateRegistration.objects.filter(plate__in=plates, valid_to=None).values_list("plate", "vehicle__vin"))
            if plates
            else {}
        )
        parked: list[Parked] = []
        for row in batch:
            self.result.rows += 1
            if row.vin in in_archive:
                row.fail("vin", _("A vehicle with this VIN is already in the archive."))
            elif row.vin in self.vin_rows:
                row.fail("vin", _("This VIN is already in row %(row)d of this file.") % {"row": self.vin_rows[row.vin]})
            if row.vin:
                self.vin_rows.setdefault(row.vin, row.number)
            if row.plate in held:
                # Moving a plate needs a date and a reason: done on the vehicle's page, not by an import.
                row.fail(
                    "plate",
                    _("The plate is on the vehicle %(vin)s in the archive; end it there first.")
                    % {"vin": held[row.plate]},
                )
            elif row.plate in self.plate_rows:
                row.fail(
                    "plate",
                    _("This plate is already in row %(row)d of this file.") % {"row": self.plate_rows[row.plate]},
                )
            if row.plate:
                self.plate_rows.setdefault(row.plate, row.number)
            if row.uscc in taken:
                row.fail("uscc", _("Customer %(number)s already has this credit code.") % {"number": taken[row.uscc]})
            elif row.uscc in self.uscc_rows and self.uscc_rows[row.uscc][1] != row.key:
                earlier = self.uscc_rows[row.uscc][0]
                row.fail("uscc", _("This credit code is already in row %(row)d of this file.") % {"row": earlier})
            if row.uscc:
                self.uscc_rows.setdefault(row.uscc, (row.number, row.key))
            if row.errors or row.key is None:
                self._report(row)
                continue
            slot = self.groups.get(row.key)
            customer = row.customer if slot is None else None
            if slot is None:
                slot = self.groups[row.key] = self.result.customers
                self.result.customers += 1
                self.has_vehicle.append(0)
                self.names.add(row.key[0])
            if row.vehicle is not None:
                self.result.vehicles += 1
                self.has_vehicle[slot] = 1
            parked.append((slot, customer, row.vehicle))
        self.spill.write(parked)
        self.names.send()

    def _report(self, row: Row) -> None:
        """Add the row to the error report: its values as read, then "column: message; …" and its number."""
        self.result.error_rows += 1
        if self.report is None:
            name = f"{secrets.token_hex(16)}-errors.xlsx"
            self.report_path = imports_dir() / name
            self.result.error_file = name
            widths = [*(COLUMNS[0].width for _position in range(self.width)), 60, 10]
            self.report = XlsxWriter(self.report_path, title=SHEET_TITLE, widths=widths, frozen_rows=len(self.headers))
            for index, header in enumerate(self.headers):
                labels = (ERRORS_HEADER[index], ROW_HEADER[index])
                self.report.append([*_padded(header, self.width), *labels], style="header" if index == 0 else "note")
        order = sorted(row.errors, key=lambda key: self.positions.get(key, len(COLUMNS)))
        described = "; ".join(
            f"{COLUMN_BY_KEY[key].label()}: {message}" for key in order for message in row.errors[key]
        )
        self.report.append([*_padded(row.values, self.width), described, row.number])

    def forget(self) -> None:
        """Let go of what only the checking needed (saving needs the spill and ``has_vehicle``)."""
        self.vin_rows, self.plate_rows, self.uscc_rows, self.groups = {}, {}, {}, {}

    def close(self, *, keep_report: bool) -> None:
        self.names.close()
        self.spill.close()
        if self.report is not None:
            self.report.close()
            if not keep_report and self.report_path is not None:
                self.report_path.unlink(missing_ok=True)


def _holding_credit_codes(codes: set[str]) -> QuerySet[Customer]:
    """The customers that hold any of these (non-empty) credit codes.

    "Not empty" repeats the condition of the partial unique index on ``uscc``: without it SQLite (and
    PostgreSQL for more than 100 codes) cannot tell that the index applies and reads every customer,
    once per batch of rows.
    """
    return Customer.objects.filter(uscc__in=codes).exclude(uscc="")


def _padded(values: list[Any], width: int) -> list[Any]:
    return (values + [None] * width)[:width]


def import_run(job_id: int) -> ImportJob | None:
    """Run a queued import job to its end; a job that is not queued (any more) is left alone.

    The job is claimed with a conditional UPDATE (queued → running), so a job delivered twice runs
    once. Any failure marks the job failed with its message (and logs it); nothing is saved then.
    Messages and the error report are in the language of the user who uploaded the file.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("store", "created_by").get(pk=job_id)
    language = job.created_by.preferred_language if job.created_by else settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            _import(job)
        except WorkbookError as error:
            _fail(job, str(error))
        except Exception as error:  # any failure must end as a failed job, never a stuck one
            logger.exception("Import job %s failed", job.pk)
            _fail(job, _("The import failed: %(error)s") % {"error": f"{type(error).__name__}: {error}"[:500]})
    job.refresh_from_db()
    return job


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, message=message, finished_at=timezone.now()
    )


def _import(job: ImportJob) -> None:
    source = imports_dir() / job.storage_name
    if not source.is_file():
        raise WorkbookError(_("The uploaded file is no longer stored; upload it again."))
    book = XlsxReader(source)
    checking = _Checking(book)
    estimate = max(0, (book.dimension_rows() or 0) - 1)
    done = False

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
            processed_rows=rows, total_rows=max(estimate - len(checking.headers) + 1, rows)
        )

    try:
        checking.run(progress)
        checking.forget()
        book.close()  # and with it the sheet's shared strings: saving needs neither
        result = checking.result
        refused = job.mode == ImportJob.Mode.ALL_OR_NOTHING and result.error_rows > 0
        saving = not job.dry_run and not refused and result.customers > 0
        try:
            with transaction.atomic():
                if saving:
                    rows_save(
                        job,
                        batches=checking.spill.batches(),
                        customers=checking.result.customers,
                        vehicles=checking.result.vehicles,
                        has_vehicle=checking.has_vehicle,
                        name_keys=checking.names.collect(),
                    )
                _finish(job, result, saved=saving)
        except IntegrityError:
            raise WorkbookError(
                _("A VIN or credit code of this file was added to the archive during the import; upload it again.")
            ) from None
        done = True
    finally:
        checking.close(keep_report=done)
        book.close()
    # The file is no longer needed: its bad rows are in the error report. Personal data is not kept longer.
    source.unlink(missing_ok=True)


def _finish(job: ImportJob, result: ImportResult, *, saved: bool) -> None:
    """Mark the job done with its counts and message, and write the import's one audit entry."""
    counts = {"customers": result.customers, "vehicles": result.vehicles, "errors": result.error_rows}
    if job.dry_run:
        message = _(
            "Dry run: %(customers)d customers and %(vehicles)d vehicles would be imported; %(errors)d rows have errors."
        )
    elif job.mode == ImportJob.Mode.ALL_OR_NOTHING and result.error_rows:
        message = _("Nothing was imported: %(errors)d rows have errors (all or nothing).")
    else:
        message = _("Imported %(customers)d customers and %(vehicles)d vehicles; %(errors)d rows with errors skipped.")
    shown = saved or job.dry_run
    audit_append(
        action="create",
        actor=job.created_by,
        store_id=job.store_id,
        object_type="customers.importjob",
        object_id=str(job.pk),
        object_repr=job.file_name,
        changes={
            "customers": result.customers if saved else 0,
            "vehicles": result.vehicles if saved else 0,
            "error_rows": result.error_rows,
            "dry_run": job.dry_run,
        },
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        total_rows=result.rows,
        processed_rows=result.rows,
        created_customers=result.customers if shown else 0,
        created_vehicles=result.vehicles if shown else 0,
        error_rows=result.error_rows,
        error_file=result.error_file,
        message=message % counts,
        finished_at=timezone.now(),
    )
