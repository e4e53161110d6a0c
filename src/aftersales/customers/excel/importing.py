"""The import job: read the sheet, check every row, report the bad ones, save the good ones, audit.

Rows are read as a stream and checked in batches of ``BATCH_ROWS``; the valid rows are parked on
disk and written by ``saving.rows_save`` in one transaction, after every row has been checked (so
that "all or nothing" can refuse the file before anything is written).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.grants import visible_store_ids
from aftersales.core.imports import ErrorReport, Sheet, Spill, imports_dir, job_run
from aftersales.core.xlsx import WorkbookError, XlsxReader
from aftersales.customers import services
from aftersales.customers.excel.checking import Parked, Row, RowChecker, VehicleIn
from aftersales.customers.excel.columns import LAYOUT
from aftersales.customers.excel.names import NameKeys
from aftersales.customers.excel.saving import rows_save
from aftersales.customers.models import Customer, CustomerPhone, ImportJob, PlateRegistration, Vehicle
from aftersales.customers.visibility import ArchiveVisibility, archive_visibility

logger = logging.getLogger(__name__)

BATCH_ROWS = 1000


@dataclass
class ImportResult:
    rows: int = 0
    error_rows: int = 0
    customers: int = 0
    vehicles: int = 0
    error_file: str = ""
    matched_rows: int = 0  # rows whose customer is already in the archive
    updated_customers: int = 0  # of those, customers whose empty fields the rows filled
    added_vehicles: int = 0  # vehicles of matched rows, added to the customer in the archive


# What a matched row may fill on the customer in the archive (empty there): CustomerIn fields.
_FILLABLE = (
    "email",
    "landline",
    "province",
    "city",
    "district",
    "street",
    "emergency_contact",
    "emergency_phone",
    "uscc",
)
_RESIDENT_ID_FIELDS = ("resident_id_cipher", "resident_id_digest", "resident_id_hint", "gender", "birthday")


@dataclass
class _Update:
    """What a matched row brings to a customer in the archive (``on_match`` = update)."""

    customer_id: int
    fills: dict[str, Any] = field(default_factory=dict)
    mobiles: tuple[str, ...] = ()
    vehicles: list[VehicleIn] = field(default_factory=list)


class _Checking:
    """The first pass: every row checked, duplicates found, bad rows reported, valid rows parked."""

    def __init__(
        self,
        book: XlsxReader,
        *,
        on_match: str = ImportJob.OnMatch.SKIP,
        visibility: ArchiveVisibility | None = None,
    ) -> None:
        self.book = book
        self.on_match = on_match
        # The importer's view of the archive: a customer registered by another company of the group
        # without consent to sharing is neither named nor given the file's data (PIPL Art. 23).
        self.visibility = visibility
        self.updates: dict[int, _Update] = {}  # by customer id, in the order first matched
        self.result = ImportResult()
        self.spill = Spill(imports_dir())
        self.vin_rows: dict[str, int] = {}
        self.plate_rows: dict[str, int] = {}
        self.resident_rows: dict[str, tuple[int, tuple[str, str] | None]] = {}
        self.uscc_rows: dict[str, tuple[int, tuple[str, str] | None]] = {}
        self.groups: dict[tuple[str, str], int] = {}
        self.has_vehicle = bytearray()  # per customer slot
        self.names = NameKeys()  # the new customers' names, whose search keys a helper works out meanwhile
        self.headers: list[list[Any]] = []
        self.report: ErrorReport | None = None

    def run(self, on_progress: Callable[[int], None]) -> None:
        sheet = Sheet(self.book.rows(), LAYOUT)
        self.headers, self.positions = sheet.headers, sheet.positions
        self.checker = RowChecker(self.positions)
        self.report = ErrorReport(LAYOUT, imports_dir(), self.headers, self.positions)
        batch: list[Row] = []
        for number, values in sheet:
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
        matches = self._matches(batch)
        parked: list[Parked] = []
        for row in batch:
            self.result.rows += 1
            match = matches.get(row.number)
            if match is not None and self._matched(row, match, in_archive):
                continue
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
            digest = row.customer.resident_id_digest if row.customer is not None else ""
            if digest and digest in self.resident_rows and self.resident_rows[digest][1] != row.key:
                earlier = self.resident_rows[digest][0]
                row.fail(
                    "resident_id", _("This resident ID is already in row %(row)d of this file.") % {"row": earlier}
                )
            if digest:
                self.resident_rows.setdefault(digest, (row.number, row.key))
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

    def _matches(self, batch: list[Row]) -> dict[int, tuple[Customer, str]]:
        """Rows whose customer is already in the archive, with that customer and how it was found:
        the same resident ID, the same credit code, or the same name with the row's first mobile."""
        rows = [row for row in batch if row.customer is not None and row.key is not None]
        if not rows:
            return {}
        digests = {row.customer.resident_id_digest for row in rows if row.customer and row.customer.resident_id_digest}
        codes = {row.customer.uscc for row in rows if row.customer and row.customer.uscc}
        mobiles = {row.key[1] for row in rows if row.key}
        found: dict[str, dict[Any, int]] = {"resident_id": {}, "uscc": {}, "mobile": {}}
        # Each read on its own column's index; whether the customer is active is checked here (a
        # condition on merged_into in the query may lead SQLite to read that index: every customer).
        if digests:
            for digest, pk, merged, anonymised in Customer.all_objects.filter(
                resident_id_digest__in=digests
            ).values_list("resident_id_digest", "pk", "merged_into_id", "anonymised_at"):
                if merged is None and anonymised is None:
                    found["resident_id"].setdefault(digest, pk)
        if codes:
            for code, pk, merged, anonymised in _holding_credit_codes(codes).values_list(
                "uscc", "pk", "merged_into_id", "anonymised_at"
            ):
                if merged is None and anonymised is None:
                    found["uscc"].setdefault(code, pk)
        phones = CustomerPhone.objects.filter(number__in=mobiles).values_list(
            "number", "customer__name", "customer_id", "customer__merged_into_id", "customer__anonymised_at"
        )
        for number, name, customer_id, merged_into, anonymised_at in phones:
            if customer_id is not None and merged_into is None and anonymised_at is None:
                found["mobile"].setdefault((name, number), customer_id)
        by_row: dict[int, tuple[int, str]] = {}
        for row in rows:
            assert row.customer is not None and row.key is not None  # noqa: S101 - filtered above
            for how, value in (
                ("resident_id", row.customer.resident_id_digest),
                ("uscc", row.customer.uscc),
                ("mobile", row.key),
            ):
                if value and value in found[how]:
                    by_row[row.number] = (found[how][value], how)
                    break
        customers = Customer.all_objects.prefetch_related("phones").in_bulk({pk for pk, _how in by_row.values()})
        return {number: (customers[pk], how) for number, (pk, how) in by_row.items() if pk in customers}

    def _matched(self, row: Row, match: tuple[Customer, str], in_archive: set[str]) -> bool:
        """Handle a row whose customer is in the archive as the job's ``on_match`` says; False: import
        the row as a new customer (``create``, when only the name and mobile matched)."""
        customer, how = match
        if self.on_match == ImportJob.OnMatch.CREATE and how == "mobile":
            return False
        if self.visibility is not None and not self.visibility.sees_registration(customer):
            field_name = {"resident_id": "resident_id", "uscc": "uscc"}.get(how, "name")
            row.fail(
                field_name,
                _(
                    "This customer is registered by another company of the group and has not agreed to "
                    "sharing; the row was skipped."
                ),
            )
            self._report(row)
            return True
        if self.on_match == ImportJob.OnMatch.CREATE:
            field_name = "resident_id" if how == "resident_id" else "uscc"
            message = (
                _("Customer %(number)s already has this resident ID.")
                if how == "resident_id"
                else _("Customer %(number)s already has this credit code.")
            )
            row.fail(field_name, message % {"number": customer.number})
            self._report(row)
            return True
        self.result.matched_rows += 1
        if self.on_match == ImportJob.OnMatch.SKIP:
            row.fail(
                "name",
                _("Customer %(number)s is already in the archive; the row was skipped.") % {"number": customer.number},
            )
            self._report(row)
            return True
        update = self.updates.setdefault(customer.pk, _Update(customer.pk))
        incoming = row.customer
        assert incoming is not None  # noqa: S101 - a matched row has its customer
        for name in _FILLABLE:
            new, old = getattr(incoming, name), getattr(customer, name)
            if not new or new == old:
                continue
            if old or (name in update.fills and update.fills[name] != new):
                shown = update.fills.get(name, old)
                row.fail(name, _("The archive has “%(value)s”; it was kept.") % {"value": shown})
            else:
                update.fills[name] = new
        if incoming.resident_id_digest and not customer.resident_id_digest and "resident_id_digest" not in update.fills:
            update.fills.update({name: getattr(incoming, name) for name in _RESIDENT_ID_FIELDS})
        elif incoming.resident_id_digest and incoming.resident_id_digest != customer.resident_id_digest:
            row.fail("resident_id", _("The archive has another resident ID; it was kept."))
        if not customer.phones.all() and not update.mobiles:
            update.mobiles = incoming.mobiles
        vehicle = row.vehicle
        if vehicle is not None and row.vin not in in_archive and row.vin not in self.vin_rows:
            update.vehicles.append(vehicle)
            self.result.added_vehicles += 1
        elif vehicle is not None and row.vin in self.vin_rows:
            row.fail("vin", _("This VIN is already in row %(row)d of this file.") % {"row": self.vin_rows[row.vin]})
        elif vehicle is not None and not customer.vehicle_links.filter(vehicle__vin=row.vin, valid_to=None).exists():
            row.fail("vin", _("A vehicle with this VIN is already in the archive."))
        if row.vin:
            self.vin_rows.setdefault(row.vin, row.number)
        if row.errors:
            self._report(row)
        return True

    def _report(self, row: Row) -> None:
        """Add the row to the error report: its values as read, then "column: message; …" and its number."""
        self.result.error_rows += 1
        assert self.report is not None  # noqa: S101 - made when the header was read
        self.report.append(row)
        self.result.error_file = self.report.name

    def forget(self) -> None:
        """Let go of what only the checking needed (saving needs the spill and ``has_vehicle``)."""
        self.vin_rows, self.plate_rows, self.uscc_rows, self.groups = {}, {}, {}, {}
        self.resident_rows = {}

    def close(self, *, keep_report: bool) -> None:
        self.names.close()
        self.spill.close()
        if self.report is not None:
            self.report.close(keep=keep_report)


def _holding_credit_codes(codes: set[str]) -> QuerySet[Customer]:
    """The customers that hold any of these (non-empty) credit codes.

    "Not empty" repeats the condition of the partial unique index on ``uscc``: without it SQLite (and
    PostgreSQL for more than 100 codes) cannot tell that the index applies and reads every customer,
    once per batch of rows.
    """
    return Customer.all_objects.filter(uscc__in=codes).exclude(uscc="")


def import_run(job_id: int) -> ImportJob | None:
    """Run a queued import job to its end (``core.imports.job_run``: claimed once, any failure ends it
    failed with nothing saved, in the uploader's language)."""
    return job_run(ImportJob, job_id, _import)


def _import(job: ImportJob) -> None:
    source = imports_dir() / job.storage_name
    if not source.is_file():
        raise WorkbookError(_("The uploaded file is no longer stored; upload it again."))
    book = XlsxReader(source)
    stores = visible_store_ids(job.created_by) if job.created_by else None
    checking = _Checking(book, on_match=job.on_match, visibility=archive_visibility(stores))
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
        saving = not job.dry_run and not refused and (result.customers > 0 or bool(checking.updates))
        try:
            with transaction.atomic():
                if saving and result.customers > 0:
                    rows_save(
                        job,
                        batches=checking.spill.batches(),
                        customers=checking.result.customers,
                        vehicles=checking.result.vehicles,
                        has_vehicle=checking.has_vehicle,
                        name_keys=checking.names.collect(),
                    )
                if saving:
                    _updates_apply(job, checking.updates.values(), result)
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


def _updates_apply(job: ImportJob, updates: Iterable[_Update], result: ImportResult) -> None:
    """Fill the empty fields of the customers matched rows found in the archive, and add their new
    vehicles, through the services (each change audited as the importing user's)."""
    actor = job.created_by
    if actor is None:
        return
    for update in updates:
        customer = Customer.objects.select_for_update().get(pk=update.customer_id)
        if update.fills:
            for name, value in update.fills.items():
                setattr(customer, name, value)
            customer.version += 1
            customer.save(actor=actor)
        if update.mobiles:
            before = services.mobiles_of(customer)
            for position, number in enumerate(update.mobiles):
                CustomerPhone.objects.create(customer=customer, number=number, is_primary=position == 0)
            services.mobiles_audit(customer, before, list(update.mobiles), actor=actor)
        if update.fills or update.mobiles:
            result.updated_customers += 1
            services.customer_search_keys_rebuild(customer)
        for vehicle in update.vehicles:
            data = {
                name: getattr(vehicle, name)
                for name in (
                    "vin", "vin_check_override", "vin_override_reason", "plate", "model_id", "model_year",
                    "engine_no", "colour", "fuel_type", "use_type", "purchase_date", "delivery_date",
                )
                if getattr(vehicle, name) not in (None, "")
            }  # fmt: skip
            added = services.vehicle_create(actor=actor, owner=customer, data=data)
            if vehicle.km is not None and vehicle.read_on is not None:
                services.mileage_record(
                    actor=actor, vehicle_id=added.pk, km=vehicle.km, read_on=vehicle.read_on, source="import"
                )
        services.completeness_refresh(customer)


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
    if result.matched_rows:
        counts |= {"matched": result.matched_rows, "updated": result.updated_customers, "added": result.added_vehicles}
        if job.on_match == ImportJob.OnMatch.SKIP:
            message += " " + _("%(matched)d rows were customers already in the archive: skipped (in the error report).")
        elif saved:
            message += " " + _(
                "%(matched)d rows were customers already in the archive: %(updated)d of them got empty fields "
                "filled and %(added)d vehicles were added to them."
            )
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
        matched_rows=result.matched_rows,
        updated_customers=result.updated_customers if saved else 0,
        error_rows=result.error_rows,
        error_file=result.error_file,
        message=message % counts,
        finished_at=timezone.now(),
    )
