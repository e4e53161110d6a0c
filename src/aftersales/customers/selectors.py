"""Reads of the archive: search, lists, details, timelines; personal data masked by role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.models import AuditEntry
from aftersales.customers import identifiers, privacy
from aftersales.customers.models import Customer, CustomerPhone, MileageReading, SearchKey, Vehicle, VehicleLink
from aftersales.customers.search import MAX_KEY

SEARCH_CANDIDATES = 200
# Which kind of match ranks first when several keys match.
KIND_RANK = {
    "number": 0,
    "vin": 1,
    "mobile": 2,
    "plate": 3,
    "vin6": 4,
    "mobile4": 5,
    "name": 6,
    "initials": 7,
    "pinyin": 8,
}


@dataclass
class SearchHit:
    customer: Customer
    matched: str  # kind of key that matched
    vehicle: Vehicle | None = None
    exact: bool = False


def _prefix(queryset: QuerySet[SearchKey], text: str) -> QuerySet[SearchKey]:
    if connection.vendor == "postgresql":
        return queryset.filter(key__startswith=text)
    return queryset.filter(key__gte=text, key__lt=text + MAX_KEY)


def archive_search(q: str) -> list[SearchHit]:
    """Customers matching a plate, VIN, mobile, name, pinyin initials or number, best first.

    Every lookup is a prefix range on the search-key index; at most SEARCH_CANDIDATES keys are read.
    """
    text = identifiers.normalise(q).replace(" ", "")
    if not text:
        return []
    variants = list(dict.fromkeys([text, text.upper(), text.lower()]))
    keys: list[tuple[str, str, int | None, int | None]] = []
    for variant in variants:
        rows = _prefix(SearchKey.objects.all(), variant).values_list("key", "kind", "customer_id", "vehicle_id")
        keys += list(rows[:SEARCH_CANDIDATES])
    vehicle_ids = {row[3] for row in keys if row[3]}
    owners = {
        link.vehicle_id: link.customer_id
        for link in VehicleLink.objects.filter(vehicle_id__in=vehicle_ids, role="owner", valid_to=None)
    }
    ranked: dict[int, tuple[tuple[int, int], str, int | None, bool]] = {}
    for key, kind, customer_id, vehicle_id in keys:
        target = customer_id or (owners.get(vehicle_id) if vehicle_id else None)
        if target is None:
            continue
        exact = key in variants
        rank = (0 if exact else 1, KIND_RANK.get(kind, 9))
        if target not in ranked or rank < ranked[target][0]:
            ranked[target] = (rank, kind, vehicle_id, exact)
    customers = (
        Customer.objects.select_related("home_store")
        .prefetch_related(Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")))
        .in_bulk(list(ranked))
    )
    vehicles = Vehicle.objects.in_bulk([entry[2] for entry in ranked.values() if entry[2]])
    order = sorted(ranked, key=lambda cid: (ranked[cid][0], customers[cid].number if cid in customers else ""))
    return [
        SearchHit(
            customers[cid], ranked[cid][1], vehicles.get(ranked[cid][2]) if ranked[cid][2] else None, ranked[cid][3]
        )
        for cid in order
        if cid in customers and customers[cid].merged_into_id is None
    ]


def customer_list(
    *, q: str | None = None, customer_class: str | None = None, home_store_id: int | None = None
) -> QuerySet[Customer]:
    customers = Customer.objects.filter(merged_into=None).select_related("home_store", "owner")
    if q:
        hits = [hit.customer.pk for hit in archive_search(q)]
        customers = customers.filter(pk__in=hits)
    if customer_class:
        customers = customers.filter(customer_class=customer_class)
    if home_store_id:
        customers = customers.filter(home_store_id=home_store_id)
    return customers.prefetch_related(Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")))


def customer_get(customer_id: int) -> Customer:
    customer = (
        Customer.objects.select_related("home_store", "owner")
        .prefetch_related(
            Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")),
            Prefetch(
                "vehicle_links",
                queryset=VehicleLink.objects.select_related(
                    "vehicle", "vehicle__model", "vehicle__model__brand"
                ).order_by("valid_to", "-valid_from"),
            ),
        )
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404(_("Not found."))
    return customer


def vehicle_get(vehicle_id: int) -> Vehicle:
    vehicle = (
        Vehicle.objects.select_related("model", "model__brand", "selling_store")
        .prefetch_related(
            Prefetch("links", queryset=VehicleLink.objects.select_related("customer").order_by("-valid_from")),
            Prefetch("mileage_readings", queryset=MileageReading.objects.order_by("-read_on", "-pk")),
        )
        .filter(pk=vehicle_id)
        .first()
    )
    if vehicle is None:
        raise Http404(_("Not found."))
    return vehicle


# --- masking ------------------------------------------------------------------------------------


def full_address(customer: Customer) -> str:
    """Province, city, district and street; a municipality's city is not repeated (上海市上海市)."""
    city = "" if customer.city == customer.province else customer.city
    return "".join(part for part in (customer.province, city, customer.district, customer.street) if part)


# Audited fields that hold personal data, and how a role without the right sees them.
PERSONAL_CHANGE_FIELDS = {"street", "uscc", "emergency_phone", "email", "landline", "resident_id_hint", "number"}


def mask_changes(changes: dict[str, Any], *, personal: bool) -> dict[str, Any]:
    """Audit changes for display: personal values masked unless ``personal``."""
    if personal:
        return changes

    def hide(field_name: str, value: Any) -> Any:
        if value in (None, ""):
            return value
        if field_name == "number" and str(value).isdigit() and len(str(value)) == 11:
            return identifiers.mask_mobile(str(value))
        if field_name == "emergency_phone":
            return identifiers.mask_mobile(str(value))
        if field_name == "uscc":
            return identifiers.mask_uscc(str(value))
        if field_name == "resident_id_hint":
            return value
        return "****"

    return {
        key: [hide(key, part) for part in value] if key in PERSONAL_CHANGE_FIELDS and isinstance(value, list) else value
        for key, value in changes.items()
    }


def customer_personal(customer: Customer, *, personal: bool) -> dict[str, Any]:
    """The personal fields of a customer, masked unless ``personal`` (the view-personal right)."""
    mobiles = [phone.number for phone in customer.phones.all()]
    resident_id = privacy.decrypt(customer.resident_id_cipher) if personal else customer.resident_id_hint
    address = full_address(customer)
    return {
        "mobiles": mobiles if personal else [identifiers.mask_mobile(number) for number in mobiles],
        "resident_id": resident_id,
        "uscc": customer.uscc if personal or not customer.uscc else identifiers.mask_uscc(customer.uscc),
        "street": customer.street if personal or not customer.street else "****",
        "address": address
        if personal
        else identifiers.mask_address(customer.province, customer.city, customer.district, customer.street),
        "emergency_phone": customer.emergency_phone
        if personal or not customer.emergency_phone
        else identifiers.mask_mobile(customer.emergency_phone),
        "masked": not personal,
    }


def personal_value(customer: Customer, field_name: str) -> str:
    """One personal field in full (for an audited reveal)."""
    if field_name == "resident_id":
        return privacy.decrypt(customer.resident_id_cipher)
    if field_name == "mobiles":
        return ", ".join(phone.number for phone in customer.phones.all())
    if field_name == "address":
        return full_address(customer)
    return str(getattr(customer, field_name))


# --- timeline -----------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # "archive" (record changes), "mileage"; later areas add visits, repair orders, ...
    title: str
    detail: dict[str, Any] = field(default_factory=dict)
    actor: str = ""


TIMELINE_KINDS = ("archive", "mileage")


def _day(day: date) -> datetime:
    """A reading dated by day sorts at noon of that day."""
    return timezone.make_aware(datetime.combine(day, time(12)))


def _archive_items(entries: QuerySet[AuditEntry], *, personal: bool) -> list[TimelineItem]:
    labels = {
        "customers.customer": _("Customer"),
        "customers.vehicle": _("Vehicle"),
        "customers.vehiclelink": _("Owner / driver"),
        "customers.customerphone": _("Mobile"),
    }
    return [
        TimelineItem(
            at=entry.created_at,
            kind="archive",
            title=f"{labels.get(entry.object_type, entry.object_type)} · {entry.get_action_display()}",
            detail=mask_changes(entry.changes, personal=personal),
            actor=entry.actor_username,
        )
        for entry in entries
    ]


def customer_timeline(
    customer: Customer, *, kinds: set[str] | None = None, limit: int = 500, personal: bool = False
) -> list[TimelineItem]:
    """Everything that touched a customer and their vehicles, newest first (personal values masked
    unless ``personal``)."""
    kinds = kinds or set(TIMELINE_KINDS)
    vehicle_ids = list(VehicleLink.objects.filter(customer=customer).values_list("vehicle_id", flat=True))
    merged = [str(pk) for pk in Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)]
    items: list[TimelineItem] = []
    if "archive" in kinds:
        entries = AuditEntry.objects.filter(
            Q(object_type="customers.customer", object_id__in=[str(customer.pk), *merged])
            | Q(object_type="customers.vehicle", object_id__in=[str(v) for v in vehicle_ids])
        ).order_by("-created_at", "-id")[:limit]
        items += _archive_items(entries, personal=personal)
    if "mileage" in kinds:
        readings = MileageReading.objects.filter(vehicle_id__in=vehicle_ids).select_related("vehicle", "recorded_by")
        items += [
            TimelineItem(
                at=_day(reading.read_on),
                kind="mileage",
                title=_("Mileage %(km)s km (%(plate)s)")
                % {"km": reading.km, "plate": reading.vehicle.plate or reading.vehicle.vin},
                detail={"source": reading.get_source_display(), "reason": reading.reason},
                actor=reading.recorded_by.username if reading.recorded_by else "",
            )
            for reading in readings.order_by("-read_on", "-pk")[:limit]
        ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def vehicle_timeline(
    vehicle: Vehicle, *, kinds: set[str] | None = None, limit: int = 500, personal: bool = False
) -> list[TimelineItem]:
    kinds = kinds or set(TIMELINE_KINDS)
    items: list[TimelineItem] = []
    if "archive" in kinds:
        entries = AuditEntry.objects.filter(object_type="customers.vehicle", object_id=str(vehicle.pk)).order_by(
            "-created_at", "-id"
        )[:limit]
        items += _archive_items(entries, personal=personal)
    if "mileage" in kinds:
        for reading in vehicle.mileage_readings.all()[:limit]:
            items.append(
                TimelineItem(
                    at=_day(reading.read_on),
                    kind="mileage",
                    title=_("Mileage %(km)s km") % {"km": reading.km},
                    detail={"source": reading.get_source_display(), "reason": reading.reason},
                )
            )
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def change_log(customer: Customer, limit: int = 200) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk)).order_by(
        "-created_at", "-id"
    )[:limit]


# --- duplicates, review, KPIs ---------------------------------------------------------------------


@dataclass
class DuplicateGroup:
    reason: str  # "mobile", "resident_id", "uscc", "vin"
    value: str  # masked where personal
    customer_ids: list[int]


def duplicate_groups(*, store_ids: frozenset[int] | None = None, limit: int = 200) -> list[DuplicateGroup]:
    """Likely duplicates: the same mobile, resident ID, credit code or current vehicle on two active customers."""
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
    for vehicle_id, customer_id in VehicleLink.objects.filter(vehicle_id__in=list(shared), valid_to=None).values_list(
        "vehicle_id", "customer_id"
    ):
        by_vehicle.setdefault(vehicle_id, []).append(customer_id)
    vins = dict(Vehicle.objects.filter(pk__in=by_vehicle).values_list("pk", "vin"))
    groups += [DuplicateGroup("vin", vins[v], sorted(set(ids))) for v, ids in by_vehicle.items()]
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
    from aftersales.customers.quality import DEFAULT_REVIEW_DAYS, rule_for

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
