"""Export of the filtered customer list, with each customer's current vehicles, to an .xlsx file."""

from __future__ import annotations

import tempfile
from typing import IO, Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.audit import audit_append
from aftersales.core.models import User
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
from aftersales.customers.models import Customer, VehicleLink

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


def customers_export(
    *,
    actor: User,
    store_id: int | None,
    personal: bool,
    q: str | None = None,
    customer_class: str | None = None,
    home_store_id: int | None = None,
) -> tuple[IO[bytes], int]:
    """Write the filtered customer list, with each customer's current vehicles, to an .xlsx; audit it.

    Personal fields are masked unless ``personal`` (the view-personal right), as on the list. Returns
    the file (an unnamed temporary file at its start; the caller closes it) and the customers written.
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
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    writer = XlsxWriter(target, title=_("Customers"), widths=_EXPORT_WIDTHS, frozen_rows=2)
    writer.append([zh for zh, _en in EXPORT_HEADERS], style="header")
    writer.append([en for _zh, en in EXPORT_HEADERS], style="note")
    rows = 0
    for customer in customers.iterator(chunk_size=1000):
        writer.append(_export_row(customer, personal=personal))
        rows += 1
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
