"""Archive quality: completeness by the store's required items, review due dates, duplicates, KPIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from aftersales.core import identifiers
from aftersales.customers.models import (
    ArchiveRule,
    Customer,
    CustomerPhone,
    Vehicle,
    VehicleLink,
)


@dataclass
class DuplicateGroup:
    reason: str  # "mobile", "resident_id", "uscc", "vin", "plate"
    value: str  # masked where personal
    customer_ids: list[int]


def duplicate_groups(*, store_ids: frozenset[int] | None = None, limit: int = 200) -> list[DuplicateGroup]:
    """Likely duplicates: the same mobile, resident ID, credit code or current vehicle on two active customers,
    and one current plate shown on several vehicles (records from before the plate history, or two records
    of one car): the owners of those vehicles."""
    active = Customer.objects.filter(merged_into=None, anonymised_at=None)
    if store_ids is not None:
        active = active.filter(home_store_id__in=store_ids)
    groups: list[DuplicateGroup] = []
    mobiles = (
        CustomerPhone.objects.filter(customer__in=active)
        .values("number")
        .annotate(n=Count("customer", distinct=True))
        .filter(n__gt=1)
        .order_by("number")[:limit]
    )
    numbers = [row["number"] for row in mobiles]
    by_number: dict[str, list[int]] = {}
    for number, customer_id in CustomerPhone.objects.filter(number__in=numbers, customer__in=active).values_list(
        "number", "customer_id"
    ):
        by_number.setdefault(number, []).append(customer_id)
    groups += [DuplicateGroup("mobile", identifiers.mask_mobile(n), sorted(set(ids))) for n, ids in by_number.items()]
    for field_name, reason in (("resident_id_digest", "resident_id"), ("uscc", "uscc")):
        values = (
            active.exclude(**{field_name: ""})
            .values(field_name)
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values_list(field_name, flat=True)[:limit]
        )
        rows = active.filter(**{f"{field_name}__in": list(values)}).values_list(field_name, "pk", "resident_id_hint")
        grouped: dict[str, tuple[str, list[int]]] = {}
        for value, pk, hint in rows:
            shown = hint if reason == "resident_id" else identifiers.mask_uscc(value)
            grouped.setdefault(value, (shown, []))[1].append(pk)
        groups += [DuplicateGroup(reason, shown, sorted(ids)) for shown, ids in grouped.values()]
    shared = (
        VehicleLink.objects.filter(valid_to=None, customer__in=active)
        .values("vehicle_id")
        .annotate(n=Count("customer", distinct=True))
        .filter(n__gt=1)
        .values_list("vehicle_id", flat=True)[:limit]
    )
    by_vehicle: dict[int, list[int]] = {}
    current = VehicleLink.objects.filter(vehicle_id__in=list(shared), valid_to=None, customer__in=active)
    for vehicle_id, customer_id in current.values_list("vehicle_id", "customer_id"):
        by_vehicle.setdefault(vehicle_id, []).append(customer_id)
    vins = dict(Vehicle.objects.filter(pk__in=by_vehicle).values_list("pk", "vin"))
    groups += [DuplicateGroup("vin", vins[v], sorted(set(ids))) for v, ids in by_vehicle.items()]
    shared_plates = (
        Vehicle.objects.exclude(plate="")
        .values("plate")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("plate")
        .values_list("plate", flat=True)[:limit]
    )
    by_plate: dict[str, list[int]] = {}
    owners = VehicleLink.objects.filter(
        vehicle__plate__in=list(shared_plates), role=VehicleLink.Role.OWNER, valid_to=None, customer__in=active
    )
    for plate, customer_id in owners.values_list("vehicle__plate", "customer_id"):
        by_plate.setdefault(plate, []).append(customer_id)
    groups += [DuplicateGroup("plate", plate, sorted(set(ids))) for plate, ids in by_plate.items()]
    return groups[:limit]


def duplicates_of(customer: Customer) -> list[tuple[Customer, str]]:
    """Other active customers sharing a mobile, resident ID, credit code or vehicle with ``customer``."""
    active = Customer.objects.filter(merged_into=None, anonymised_at=None).exclude(pk=customer.pk)
    found: dict[int, str] = {}
    numbers = list(customer.phones.values_list("number", flat=True))
    for pk in CustomerPhone.objects.filter(number__in=numbers, customer__in=active).values_list(
        "customer_id", flat=True
    ):
        found.setdefault(pk, "mobile")
    if customer.resident_id_digest:
        for pk in active.filter(resident_id_digest=customer.resident_id_digest).values_list("pk", flat=True):
            found.setdefault(pk, "resident_id")
    vehicles = VehicleLink.objects.filter(customer=customer, valid_to=None).values_list("vehicle_id", flat=True)
    for pk in VehicleLink.objects.filter(vehicle_id__in=list(vehicles), valid_to=None, customer__in=active).values_list(
        "customer_id", flat=True
    ):
        found.setdefault(pk, "vin")
    customers = active.in_bulk(list(found))
    return [(customers[pk], reason) for pk, reason in found.items() if pk in customers]


def _review_days(store_ids: frozenset[int] | None, days: int | None) -> int:
    """An explicit interval, else the one store's rule, else the default (90 days)."""
    if days:
        return days
    if store_ids is not None and len(store_ids) == 1:
        return rule_for(next(iter(store_ids)))[1]
    return DEFAULT_REVIEW_DAYS


def review_queue(*, store_ids: frozenset[int] | None, days: int | None = None, below: int = 100) -> QuerySet[Customer]:
    """Archives due for review: never reviewed or not within ``days`` (store rule, default 90), or incomplete."""
    cutoff = timezone.now() - timedelta(days=_review_days(store_ids, days))
    customers = Customer.objects.filter(merged_into=None, anonymised_at=None)
    if store_ids is not None:
        customers = customers.filter(home_store_id__in=store_ids)
    due = Q(reviewed_at__isnull=True) | Q(reviewed_at__lt=cutoff) | Q(completeness__lt=below)
    return (
        customers.filter(due)
        .select_related("home_store")
        .order_by(F("reviewed_at").asc(nulls_first=True), "completeness", "pk")
    )


def archive_kpis(*, store_ids: frozenset[int] | None, days: int | None = None) -> dict[str, Any]:
    """Completeness rate (archives 100 % complete), update-timeliness rate (reviewed within ``days``),
    duplicate rate (active customers in a duplicate group) and mean completeness, in percent."""
    days = _review_days(store_ids, days)
    cutoff = timezone.now() - timedelta(days=days)
    customers = Customer.objects.filter(merged_into=None, anonymised_at=None)
    if store_ids is not None:
        customers = customers.filter(home_store_id__in=store_ids)
    figures = customers.aggregate(
        total=Count("pk"),
        complete=Count("pk", filter=Q(completeness__gte=100)),
        timely=Count("pk", filter=Q(reviewed_at__gte=cutoff)),
        mean=Avg("completeness"),
    )
    total = figures["total"] or 0
    duplicated = {pk for group in duplicate_groups(store_ids=store_ids, limit=10_000) for pk in group.customer_ids}

    def rate(part: int) -> float:
        return round(100 * part / total, 1) if total else 0.0

    return {
        "customers": total,
        "completeness_rate": rate(figures["complete"]),
        "timeliness_rate": rate(figures["timely"]),
        "duplicate_rate": rate(len(duplicated)),
        "mean_completeness": round(float(figures["mean"] or 0), 1),
        "review_days": days,
    }


# Each required item an archive can be checked for, and what satisfies it.
REQUIRED_ITEMS: dict[str, Promise] = {
    "mobile": gettext_lazy("Mobile number"),
    "address": gettext_lazy("Full address"),
    "identity": gettext_lazy("Resident ID or credit code"),
    "email": gettext_lazy("E-mail"),
    "emergency_contact": gettext_lazy("Emergency contact"),
    "owner": gettext_lazy("Archive owner"),
    "data_consent": gettext_lazy("Data-processing consent"),
    "vehicle": gettext_lazy("At least one vehicle"),
}


DEFAULT_REQUIRED = ("mobile", "address", "identity", "owner", "data_consent", "vehicle")


DEFAULT_REVIEW_DAYS = 90


@dataclass(frozen=True)
class ArchiveFacts:
    has_mobile: bool
    has_address: bool
    has_identity: bool
    has_email: bool
    has_emergency_contact: bool
    has_owner: bool
    has_data_consent: bool
    has_vehicle: bool


def facts_of(customer: Customer, *, has_mobile: bool, has_vehicle: bool) -> ArchiveFacts:
    return ArchiveFacts(
        has_mobile=has_mobile,
        has_address=all((customer.province, customer.city, customer.district, customer.street)),
        has_identity=bool(customer.uscc if customer.kind == Customer.Kind.COMPANY else customer.resident_id_digest),
        has_email=bool(customer.email),
        has_emergency_contact=bool(customer.emergency_contact and customer.emergency_phone),
        has_owner=customer.owner_id is not None,
        has_data_consent=customer.data_consent,
        has_vehicle=has_vehicle,
    )


def completeness(facts: ArchiveFacts, required: tuple[str, ...] | list[str]) -> tuple[int, list[str]]:
    """Percentage of required items present, and the missing items."""
    items = [item for item in required if item in REQUIRED_ITEMS] or list(DEFAULT_REQUIRED)
    missing = [item for item in items if not getattr(facts, f"has_{item}")]
    return round(100 * (len(items) - len(missing)) / len(items)), missing


def rule_for(store_id: int) -> tuple[tuple[str, ...], int]:
    rule = ArchiveRule.objects.filter(store_id=store_id).first()
    if rule is None:
        return DEFAULT_REQUIRED, DEFAULT_REVIEW_DAYS
    return tuple(rule.required_fields) or DEFAULT_REQUIRED, rule.review_days


def customer_completeness(customer: Customer) -> tuple[int, list[str]]:
    """Completeness of one archive now (two queries)."""
    required, _days = rule_for(customer.home_store_id)
    facts = facts_of(
        customer,
        has_mobile=customer.phones.exists(),
        has_vehicle=VehicleLink.objects.filter(customer=customer, valid_to=None).exists(),
    )
    return completeness(facts, required)


def duplicate_rows(*, store_ids: frozenset[int] | None) -> list[tuple[DuplicateGroup, list[Customer]]]:
    """The duplicates report: each group with its customers (and their stores), as the page lists them."""
    groups = duplicate_groups(store_ids=store_ids)
    customers = Customer.objects.select_related("home_store").in_bulk(
        [pk for group in groups for pk in group.customer_ids]
    )
    return [(group, [customers[pk] for pk in group.customer_ids if pk in customers]) for group in groups]
