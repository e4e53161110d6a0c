"""The go-live import job: read the sheet, check every row, report the bad ones, then (unless a dry
run, or all or nothing with a bad row) save the valid ones in one transaction, with one audit entry.

Rows are checked in batches of ``BATCH_ROWS`` and the valid ones parked on disk (``core.imports.Spill``)
until every row is checked, so memory stays flat however long the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.imports import ErrorReport, Sheet, Spill, imports_dir, job_run
from aftersales.core.money import from_fen
from aftersales.core.numbering import number_next
from aftersales.core.xlsx import WorkbookError, XlsxReader
from aftersales.parts.imports.checking import ImportRow, OpeningRows, PartRows, PriceRows, prices_existing
from aftersales.parts.imports.layouts import LAYOUTS
from aftersales.parts.models import Bin, Part, PartPrice, StockImportJob, StockMove
from aftersales.parts.services.ledger import Op, balances_lock, post
from aftersales.parts.services.parts import part_pinyin

BATCH_ROWS = 1000
SAVE_BATCH = 2000
# Opening stock is received in postings of this many lines (one receipt number, in one transaction):
# a posting holds its parts, balances and moves in memory, and 5,000 at a time keeps a 20,000-line
# file's import well under its memory budget at no cost in time.
POST_LINES = 5000


@dataclass
class _Counts:
    rows: int = 0
    errors: int = 0
    matched: int = 0
    parked: int = 0
    created: int = 0
    bins: int = 0
    value_fen: int = 0
    parked_value: int = 0  # the opening stock's value, as checked
    document_no: str = ""
    error_file: str = ""


def stock_import_run(job_id: int) -> StockImportJob | None:
    """Run a queued go-live import to its end (``core.imports.job_run``: claimed once, any failure ends
    it failed with nothing saved, in the uploader's language)."""
    return job_run(StockImportJob, job_id, _import)


def _checker(job: StockImportJob, positions: dict[str, int]) -> PartRows | OpeningRows | PriceRows:
    if job.kind == StockImportJob.Kind.PARTS:
        return PartRows(positions, store=job.store, actor=job.created_by)
    if job.kind == StockImportJob.Kind.OPENING_STOCK:
        return OpeningRows(positions, store=job.store, actor=job.created_by)
    return PriceRows(positions, store=job.store, actor=job.created_by, go_live=_go_live(job))


def _go_live(job: StockImportJob) -> date:
    return job.go_live or timezone.localdate()


def _import(job: StockImportJob) -> None:
    source = imports_dir() / job.storage_name
    if not source.is_file():
        raise WorkbookError(_("The uploaded file is no longer stored; upload it again."))
    layout = LAYOUTS[job.kind]
    book = XlsxReader(source)
    spill = Spill(imports_dir())
    report: ErrorReport | None = None
    done = False
    counts = _Counts()
    try:
        sheet = Sheet(book.rows(), layout)
        checker = _checker(job, sheet.positions)
        report = ErrorReport(layout, imports_dir(), sheet.headers, sheet.positions)
        estimate = max(0, (book.dimension_rows() or 0) - 1)

        def settle(batch: list[ImportRow]) -> None:
            parked = checker.settle(batch)
            for row in batch:
                counts.rows += 1
                if row.errors:
                    counts.errors += 1
                    assert report is not None  # noqa: S101 - made above
                    report.append(row)
                    counts.error_file = report.name
                elif row.data.get("matched"):
                    counts.matched += 1
            spill.write(parked)
            counts.parked += len(parked)
            if job.kind == StockImportJob.Kind.OPENING_STOCK:
                counts.parked_value += sum(line[4] for line in parked)
            StockImportJob.objects.filter(pk=job.pk, status=StockImportJob.Status.RUNNING).update(
                processed_rows=counts.rows, total_rows=max(estimate - len(sheet.headers) + 1, counts.rows)
            )

        batch: list[ImportRow] = []
        for number, values in sheet:
            row = ImportRow(number, values, {})
            checker.check(row)
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                settle(batch)
                batch = []
        settle(batch)
        book.close()  # and with it the sheet's shared strings: saving needs neither
        refused = job.mode == StockImportJob.Mode.ALL_OR_NOTHING and counts.errors > 0
        saving = not job.dry_run and not refused
        try:
            with transaction.atomic():
                if saving:
                    _save(job, checker, spill, counts)
                _finish(job, counts, saved=saving)
        except ApplicationError as error:  # e.g. the go-live date's month was closed meanwhile
            raise WorkbookError(error.detail) from None
        done = True
    finally:
        spill.close()
        if report is not None:
            report.close(keep=done)
        book.close()
    source.unlink(missing_ok=True)  # its bad rows are in the error report


def _save(job: StockImportJob, checker: Any, spill: Spill, counts: _Counts) -> None:
    if job.kind == StockImportJob.Kind.PARTS:
        _parts_save(job, checker, spill, counts)
    elif job.kind == StockImportJob.Kind.OPENING_STOCK:
        _opening_save(job, spill, counts)
    else:
        _prices_save(job, spill, counts)


def _parts_save(job: StockImportJob, checker: PartRows, spill: Spill, counts: _Counts) -> None:
    """New parts in bulk (the import's one audit entry stands for them); parts already in the master
    get their empty fields filled."""
    group_id = job.store.group_id
    for batch in spill.batches():
        Part.objects.bulk_create(
            [
                Part(
                    group_id=group_id, brand_id=brand_id, number=number, number_display=display, name=name,
                    name_en=name_en, name_pinyin=part_pinyin(name), category=category, unit=unit, decimals=decimals,
                    part_class=part_class, standard_cost=cost, tax_code=tax_code, tax_rate=tax_rate,
                )
                for (
                    brand_id, number, display, name, name_en, category, unit, decimals, part_class, cost, tax_code,
                    tax_rate,
                ) in batch
            ],
            batch_size=SAVE_BATCH,
        )  # fmt: skip
        counts.created += len(batch)
    if checker.fills:
        Part.objects.bulk_update(
            list(checker.fills.values()), [*PartRows.FILLABLE, "standard_cost"], batch_size=SAVE_BATCH
        )


def _opening_save(job: StockImportJob, spill: Spill, counts: _Counts) -> None:
    """Opening stock as receipts dated at the go-live date, under one receipt number (in postings of at
    most ``POST_LINES`` lines); bins the file names that the warehouse lacks are added first."""
    lines = [line for batch in spill.batches() for line in batch]
    wanted = {(warehouse_id, code) for _part, warehouse_id, code, _quantity, _value in lines}
    bins = {
        (warehouse_id, code): pk
        for pk, warehouse_id, code in Bin.all_objects.filter(store=job.store).values_list("pk", "warehouse_id", "code")
    }
    missing = sorted(wanted - set(bins))
    if missing:
        Bin.all_objects.bulk_create(
            [Bin(store=job.store, warehouse_id=warehouse_id, code=code) for warehouse_id, code in missing],
            batch_size=SAVE_BATCH,
        )
        bins.update(
            {
                (warehouse_id, code): pk
                for pk, warehouse_id, code in Bin.all_objects.filter(store=job.store).values_list(
                    "pk", "warehouse_id", "code"
                )
            }
        )
        counts.bins = len(missing)
    if not lines:
        return
    # Opening stock is received once per part and bin: checked again here, with the balances locked,
    # for moves posted since the rows were checked (another import of the file, a receipt meanwhile).
    keys = {(part_id, bins[(warehouse_id, code)]) for part_id, warehouse_id, code, _quantity, _value in lines}
    balances_lock(job.store, keys)
    part_ids = sorted({part_id for part_id, _bin in keys})
    moved = {
        key
        for start in range(0, len(part_ids), SAVE_BATCH)
        for key in StockMove.all_objects.filter(part_id__in=part_ids[start : start + SAVE_BATCH])
        .values_list("part_id", "bin_id")
        .distinct()
        if key in keys
    }
    if moved:
        raise ApplicationError(
            _(
                "%(n)s parts and bins of the file got stock moves while it was checked: nothing was received; "
                "upload it again to see them reported."
            )
            % {"n": len(moved)},
            code="moved_meanwhile",
        )
    ops = [
        Op(
            kind=StockMove.Kind.RECEIPT,
            part_id=part_id,
            bin_id=bins[(warehouse_id, code)],
            quantity=quantity,
            value_fen=value_fen,
            line=f"rows.{index}",
        )
        for index, (part_id, warehouse_id, code, quantity, value_fen) in enumerate(lines)
    ]
    go_live = _go_live(job)
    number = number_next(store=job.store, doc_type="GR")
    for start in range(0, len(ops), POST_LINES):
        post(
            actor=job.created_by,
            store=job.store,
            kind=StockMove.Kind.RECEIPT,
            ops=ops[start : start + POST_LINES],
            moved_on=go_live,
            document_type="opening_stock",
            document_id=job.pk,
            document_no=number,
            reason=str(_("Opening stock at go-live %(date)s") % {"date": go_live.isoformat()}),
            audit_extra={"import": job.file_name},
        )
    counts.created = len(ops)
    counts.value_fen = sum(value for *_rest, value in lines)
    counts.document_no = number


def _prices_save(job: StockImportJob, spill: Spill, counts: _Counts) -> None:
    """Prices from their dates; a price the file sets again for the same part, kind, store and day is
    replaced, as setting it on the part's page does."""
    for batch in spill.batches():
        keys = {(part_id, kind, store_id, day) for part_id, kind, store_id, day, _price, _reason in batch}
        existing = prices_existing(keys)
        new: list[PartPrice] = []
        changed: list[PartPrice] = []
        for part_id, kind, store_id, day, price, reason in batch:
            pk = existing.get((part_id, kind, store_id, day))
            row = PartPrice(
                pk=pk, part_id=part_id, kind=kind, store_id=store_id, valid_from=day, price=price,
                reason=reason or str(_("Go-live import")), created_by=job.created_by,
            )  # fmt: skip
            (changed if pk else new).append(row)
        PartPrice.objects.bulk_create(new, batch_size=SAVE_BATCH)
        PartPrice.objects.bulk_update(changed, ["price", "reason", "created_by"], batch_size=SAVE_BATCH)
        counts.created += len(batch)


def _finish(job: StockImportJob, counts: _Counts, *, saved: bool) -> None:
    """Mark the job done with its counts and message, and write the import's one audit entry."""
    shown = saved or job.dry_run
    created = counts.parked if job.dry_run else counts.created
    values = {
        "created": created,
        "matched": counts.matched,
        "errors": counts.errors,
        "value": f"{from_fen(counts.value_fen if saved else counts.parked_value):,.2f}",
        "document": counts.document_no,
        "date": _go_live(job).isoformat(),
    }
    if job.mode == StockImportJob.Mode.ALL_OR_NOTHING and counts.errors and not job.dry_run:
        message = _("Nothing was imported: %(errors)d rows have errors (all or nothing).")
    elif job.kind == StockImportJob.Kind.PARTS:
        message = (
            _(
                "Dry run: %(created)d parts would be created, %(matched)d are in the master already; "
                "%(errors)d rows have errors."
            )
            if job.dry_run
            else _(
                "Created %(created)d parts; %(matched)d were in the master already (their empty fields filled); "
                "%(errors)d rows with errors skipped."
            )
        )
    elif job.kind == StockImportJob.Kind.OPENING_STOCK:
        message = (
            _(
                "Dry run: %(created)d stock lines worth %(value)s yuan would be received, dated %(date)s; "
                "%(errors)d rows have errors."
            )
            if job.dry_run
            else _(
                "Received %(created)d stock lines worth %(value)s yuan as %(document)s, dated %(date)s; "
                "%(errors)d rows with errors skipped."
            )
        )
    else:
        message = (
            _("Dry run: %(created)d prices would be set; %(errors)d rows have errors.")
            if job.dry_run
            else _("Set %(created)d prices; %(errors)d rows with errors skipped.")
        )
    audit_append(
        action="create",
        actor=job.created_by,
        store_id=job.store_id,
        object_type="parts.stockimportjob",
        object_id=str(job.pk),
        object_repr=job.file_name,
        changes={
            "kind": job.kind,
            "created": counts.created if saved else 0,
            "matched": counts.matched,
            "error_rows": counts.errors,
            "dry_run": job.dry_run,
            "document_no": counts.document_no,
        },
    )
    StockImportJob.objects.filter(pk=job.pk).update(
        status=StockImportJob.Status.DONE,
        total_rows=counts.rows,
        processed_rows=counts.rows,
        created_rows=created if shown else 0,
        matched_rows=counts.matched,
        created_bins=counts.bins,
        value_fen=counts.value_fen if saved else 0,
        document_no=counts.document_no,
        error_rows=counts.errors,
        error_file=counts.error_file,
        message=message % values,
        finished_at=timezone.now(),
    )
