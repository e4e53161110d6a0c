"""Reads of the service catalogue and the report of prices off the guide price."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from aftersales.catalogue.models import LabourOperation, LabourRate, LabourTime, PackageItem, ServicePackage
from aftersales.parts.models import PartPrice


def operations(
    *, group_id: int, query: str = "", category: str = "", brand_id: int | None = None
) -> QuerySet[LabourOperation]:
    rows = LabourOperation.objects.filter(group_id=group_id).select_related("brand")
    if brand_id is not None:
        rows = rows.filter(Q(brand_id=brand_id) | Q(brand__isnull=True))
    if category:
        rows = rows.filter(category=category)
    if query:
        rows = rows.filter(Q(code__icontains=query) | Q(name__icontains=query) | Q(name_en__icontains=query))
    return rows.prefetch_related(Prefetch("times", queryset=LabourTime.objects.order_by("series"))).order_by("code")


def packages(*, group_id: int, brand_id: int | None = None, series: str = "") -> QuerySet[ServicePackage]:
    rows = ServicePackage.objects.filter(group_id=group_id).select_related("brand")
    if brand_id is not None:
        rows = rows.filter(brand_id=brand_id)
    if series:
        rows = rows.filter(Q(series=series) | Q(series=""))
    items = PackageItem.objects.select_related("operation", "part").order_by("kind", "pk")
    return rows.prefetch_related(Prefetch("items", queryset=items)).order_by("brand__code", "code")


@dataclass(frozen=True)
class Deviation:
    store: str
    item: str
    kind: str  # "part" or "labour"
    basis: str
    price: Decimal
    guide: Decimal
    valid_from: date
    reason: str
    set_by: str
    set_at: datetime


def price_deviations(*, group_id: int, store_ids: list[int] | None, on: date) -> list[Deviation]:
    """Store prices valid on ``on`` that differ from the group's guide price then: part retail prices
    and labour rates, with who set them, when and why."""
    found: list[Deviation] = []
    store_prices = PartPrice.objects.filter(
        part__group_id=group_id, store__isnull=False, kind=PartPrice.Kind.RETAIL, valid_from__lte=on
    ).select_related("part", "store", "created_by")
    if store_ids is not None:
        store_prices = store_prices.filter(store_id__in=store_ids)
    latest: dict[tuple[int, int], PartPrice] = {}
    for row in store_prices.order_by("valid_from", "pk"):
        latest[(row.store_id, row.part_id)] = row
    guides: dict[int, Decimal] = {}
    for part_id, price in (
        PartPrice.objects.filter(
            part_id__in={part for _store, part in latest},
            store__isnull=True,
            kind=PartPrice.Kind.RETAIL,
            valid_from__lte=on,
        )
        .order_by("valid_from", "pk")
        .values_list("part_id", "price")
    ):
        guides[part_id] = price
    for row in latest.values():
        guide = guides.get(row.part_id)
        if guide is not None and guide != row.price and row.store is not None:
            found.append(
                Deviation(
                    row.store.code,
                    row.part.number_display,
                    "part",
                    str(PartPrice.Kind.RETAIL.label),
                    row.price,
                    guide,
                    row.valid_from,
                    row.reason,
                    row.created_by.username if row.created_by else "",
                    row.created_at,
                )
            )
    rates = LabourRate.objects.filter(group_id=group_id, valid_from__lte=on).select_related("store", "created_by")
    latest_rates: dict[tuple[int | None, str], LabourRate] = {}
    for rate in rates.order_by("valid_from", "pk"):
        latest_rates[(rate.store_id, rate.pay_type)] = rate
    for (store_id, pay_type), rate in latest_rates.items():
        if store_id is None or (store_ids is not None and store_id not in store_ids):
            continue
        guide_rate = latest_rates.get((None, pay_type))
        if guide_rate is not None and guide_rate.rate != rate.rate and rate.store is not None:
            store_code = rate.store.code
            found.append(
                Deviation(
                    store_code,
                    rate.get_pay_type_display(),
                    "labour",
                    str(LabourRate._meta.verbose_name),
                    rate.rate,
                    guide_rate.rate,
                    rate.valid_from,
                    rate.reason,
                    rate.created_by.username if rate.created_by else "",
                    rate.created_at,
                )
            )
    return sorted(found, key=lambda row: (row.store, row.kind, row.item))
