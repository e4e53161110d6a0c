"""Export of the filtered customer list, with each customer's current vehicles, to an .xlsx file."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.audit import audit_append
from aftersales.core.models import User
from aftersales.core.scope import scope_of
from aftersales.core.xlsx import XlsxWriter
from aftersales.customers import selectors
from aftersales.customers.excel.columns import (
    CHANNEL_CHOICES,
    CLASS_CHOICES,
    COLUMN_BY_KEY,
    COLUMNS,
    KIND_CHOICES,
    SOURCE_CHOICES,
)
from aftersales.customers.models import Customer, ExportJob, VehicleLink

_EXPORTED_CUSTOMER_COLUMNS = COLUMNS[: COLUMNS.index(COLUMN_BY_KEY["vin"])]
EXPORT_HEADERS: tuple[tuple[str, str], ...] = (
    ("客户编号", "Number"),
    *((column.zh, column.en) for column in _EXPORTED_CUSTOMER_COLUMNS),
    ("车架号(VIN)", "VINs"),
    ("车牌号", "Plates"),
    ("车型", "Models"),
    ("登记门店", "Home store"),
    ("建档日期", "Created"),
    ("完整度(%)", "Completeness (%)"),
)
_EXPORT_WIDTHS = (18, *(column.width for column in _EXPORTED_CUSTOMER_COLUMNS), 20, 12, 24, 10, 12, 10)


def _label(choices: tuple[tuple[str, str], ...], value: str) -> str:
    return next((label for code, label in choices if code == value), value)


def _export_row(customer: Customer, *, personal: bool) -> list[Any]:
    shown = selectors.customer_personal(customer, personal=personal)
    mobiles: list[str] = shown["mobiles"]
    vehicles = [link.vehicle for link in getattr(customer, "current_links", [])]
    channel = customer.data_consent_channel or customer.marketing_consent_channel
    return [
        customer.number, _label(KIND_CHOICES, customer.kind), customer.name,
        mobiles[0] if mobiles else "", ", ".join(mobiles[1:]), shown["landline"], shown["email"],
        customer.province, customer.city, customer.district, shown["street"], shown["resident_id"], shown["uscc"],
        customer.emergency_contact, shown["emergency_phone"], _label(SOURCE_CHOICES, customer.source),
        _label(CLASS_CHOICES, customer.customer_class), "是" if customer.data_consent else "否",
        "是" if customer.marketing_consent else "否", _label(CHANNEL_CHOICES, channel),
        "\n".join(vehicle.vin for vehicle in vehicles), "\n".join(vehicle.plate for vehicle in vehicles),
        "\n".join(str(vehicle.model or "") for vehicle in vehicles), customer.home_store.code,
        timezone.localtime(customer.created_at).date(), customer.completeness,
    ]  # fmt: skip


def _masked_query(q: str | None) -> str | None:
    """The search text as the append-only trail keeps it: it may be a mobile, a resident ID or a name."""
    if not q:
        return q
    text = identifiers.compact(q)
    if not text:
        return None
    if len(text) == 18 and text[:17].isdigit():
        return identifiers.mask_resident_id(text)
    mobile = identifiers.compact_mobile(text)
    if len(mobile) == 11 and mobile.isascii() and mobile.isdigit():
        # However it was written (+86 138-0013-8000), a searched mobile is kept as a masked mobile.
        return identifiers.mask_mobile(mobile)
    return text[0] + "*" * max(len(text) - 2, 1) + (text[-1] if len(text) > 2 else "")


# Above this many customers, an export runs as a background job (followed on "my jobs").
EXPORT_DIRECT_MAX = 20_000


def export_rows(*, q: str | None = None, customer_class: str | None = None, home_store_id: int | None = None) -> int:
    """How many customers an export with these filters writes."""
    return selectors.customer_list(q=q, customer_class=customer_class, home_store_id=home_store_id).count()


def customers_export(
    *,
    actor: User,
    store_id: int | None,
    personal: bool,
    q: str | None = None,
    customer_class: str | None = None,
    home_store_id: int | None = None,
    target: BinaryIO | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[BinaryIO, int]:
    """Write the filtered customer list, with each customer's current vehicles, to an .xlsx; audit it.

    Personal fields are masked unless ``personal`` (the view-personal right), as on the list. Returns
    the file (an unnamed temporary file at its start unless ``target`` is given; the caller closes it)
    and the customers written; ``progress`` hears the rows written, every thousand.
    """
    customers = (
        selectors.customer_list(q=q, customer_class=customer_class, home_store_id=home_store_id)
        .prefetch_related(
            Prefetch(
                "vehicle_links",
                queryset=VehicleLink.objects.filter(valid_to=None)
                .select_related("vehicle__model__brand")
                .order_by("pk"),
                to_attr="current_links",
            )
        )
        .order_by("number", "pk")
    )
    if target is None:
        target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    writer = XlsxWriter(target, title=_("Customers"), widths=_EXPORT_WIDTHS, frozen_rows=2)
    writer.append([zh for zh, _en in EXPORT_HEADERS], style="header")
    writer.append([en for _zh, en in EXPORT_HEADERS], style="note")
    rows = 0
    for customer in customers.iterator(chunk_size=1000):
        writer.append(_export_row(customer, personal=personal))
        rows += 1
        if progress is not None and rows % 1000 == 0:
            progress(rows)
    writer.close()
    filters = {
        name: value
        for name, value in (("q", _masked_query(q)), ("customer_class", customer_class), ("home_store", home_store_id))
        if value not in (None, "")
    }
    audit_append(
        action="export",
        actor=actor,
        store_id=store_id,
        object_type="customers.customer",
        object_repr=_("Customer list (Excel)"),
        changes={"filters": filters, "rows": rows, "masked": not personal},
    )
    target.seek(0)
    return target, rows


def exports_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _progress(job_id: int, done: int) -> None:
    ExportJob.objects.filter(pk=job_id).update(processed_rows=done)


def export_job_run(job_id: int) -> ExportJob | None:
    """Write a queued export job's file (the job's work; a job no longer queued is left alone). It runs
    as the person who started it: the archive they see (visibility across companies included)."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    filters = job.filters
    storage_name = f"{secrets.token_hex(20)}.xlsx"
    path = exports_dir() / storage_name
    try:
        with scope_of(job.created_by):
            total = export_rows(
                q=filters.get("q"),
                customer_class=filters.get("customer_class"),
                home_store_id=filters.get("home_store"),
            )
            ExportJob.objects.filter(pk=job_id).update(total_rows=total)
            with path.open("wb") as target:
                _file, rows = customers_export(
                    actor=job.created_by,  # type: ignore[arg-type]  # a job without its starter is never created
                    store_id=job.store_id,
                    personal=job.personal,
                    q=filters.get("q"),
                    customer_class=filters.get("customer_class"),
                    home_store_id=filters.get("home_store"),
                    target=target,
                    progress=lambda done: _progress(job_id, done),
                )
    except Exception as error:  # any failure must end as a failed job, never a stuck one
        path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, message=f"{type(error).__name__}: {error}"[:500], finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.DONE,
        processed_rows=rows,
        total_rows=rows,
        storage_name=storage_name,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job
