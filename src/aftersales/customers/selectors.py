"""Reads of the archive: search, lists, details, timelines; personal data masked by role."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_masked, audit_personal_fill
from aftersales.core.history import RECORD_ACTIONS, HistoryEntry, HistoryLine, HistoryNames, audit_history
from aftersales.core.models import AuditEntry
from aftersales.customers import identifiers, privacy
from aftersales.customers.models import (
    Customer,
    CustomerDocument,
    CustomerPhone,
    MileageReading,
    SearchKey,
    Vehicle,
    VehicleLink,
)
from aftersales.customers.search import MAX_KEY

# A search ranks at most this many hits; beyond it the user is asked to narrow the search.
SEARCH_LIMIT = 500
# Which kind of match ranks first when several keys match (exact matches before prefixes).
KIND_RANK = {
    "resident_id": 0,
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
CUSTOMER_KINDS = frozenset({"number", "mobile", "mobile4", "name", "initials", "pinyin"})
# What a user can narrow a search to; each family is counted on its own.
FAMILIES: dict[str, tuple[str, ...]] = {
    "resident_id": ("resident_id",),
    "number": ("number",),
    "vin": ("vin", "vin6"),
    "mobile": ("mobile", "mobile4"),
    "plate": ("plate",),
    "name": ("name", "initials", "pinyin"),
}


@dataclass
class SearchHit:
    customer: Customer
    matched: str  # kind of key that matched
    vehicle: Vehicle | None = None
    exact: bool = False


@dataclass(frozen=True)
class _Candidate:
    customer_id: int | None
    vehicle_id: int | None
    kind: str
    exact: bool


def _lookups(q: str) -> list[tuple[str, str, bool]]:
    """(kind, key, prefix allowed) in rank order for what ``q`` can be.

    Each kind's key is ``q`` compacted the way that kind's input is (``identifiers.compact_*``), so
    that ``沪A·12345`` finds the plate 沪A12345 and ``+86 138-0013-8000`` the mobile 13800138000.
    Keys are stored upper-case (number, VIN, plate), lower-case (name, initials, pinyin) or as digits;
    the last 4 of a mobile and the last 6 of a VIN match only in full.
    """
    text = identifiers.compact(q)
    upper, lower = text.upper(), text.lower()
    mobile = identifiers.compact_mobile(text)
    plate = identifiers.compact_plate(text)
    vin = identifiers.compact_vin(text)
    digits = mobile.isascii() and mobile.isdigit()
    resident_id = ""
    if len(text) == 18 and text[:17].isdigit():
        try:
            resident_id = identifiers.clean_resident_id(text)
        except ValidationError:
            resident_id = ""
    latin = vin.isascii() and vin.isalnum()
    letters = text.isascii() and text.isalpha()
    wanted = {
        "resident_id": (resident_id, False) if resident_id else None,
        "number": (upper, True),
        "vin": (vin, True) if latin else None,
        "mobile": (mobile, True) if digits else None,
        "plate": (plate, True) if plate else None,
        "vin6": (vin, False) if latin and len(vin) == 6 else None,
        # The last four digits as typed: after a country code (+86 1380) they are a number's start.
        "mobile4": (text, False) if text.isascii() and text.isdigit() and len(text) == 4 else None,
        "name": (lower, True),
        "initials": (lower, True) if letters else None,
        "pinyin": (lower, True) if letters else None,
    }
    return [(kind, entry[0], entry[1]) for kind in KIND_RANK if (entry := wanted[kind]) is not None]


def _restricted(
    keys: QuerySet[SearchKey], kind: str, *, customer_class: str | None, home_store_id: int | None
) -> QuerySet[SearchKey]:
    """Keys of customers (or of vehicles whose current owner is a customer) of that class and store."""
    if customer_class is None and home_store_id is None:
        return keys
    if kind in CUSTOMER_KINDS:
        prefix = "customer__"
        conditions: dict[str, Any] = {}
    else:
        prefix = "vehicle__links__customer__"
        conditions = {"vehicle__links__role": VehicleLink.Role.OWNER, "vehicle__links__valid_to": None}
    if customer_class is not None:
        conditions[prefix + "customer_class"] = customer_class
    if home_store_id is not None:
        conditions[prefix + "home_store_id"] = home_store_id
    return keys.filter(**conditions)


@dataclass
class _Ranking:
    candidates: list[_Candidate]  # best first, at most SEARCH_LIMIT
    more: bool  # more than SEARCH_LIMIT matched
    families: dict[str, tuple[int, bool]]  # per family that matched: hits (at most SEARCH_LIMIT), more than that


def _by_resident_id(
    number: str, *, customer_class: str | None, home_store_id: int | None
) -> tuple[list[_Candidate], bool]:
    """Customers with this resident ID: an exact match on its keyed digest (the number is stored encrypted)."""
    customers = Customer.objects.filter(resident_id_digest=privacy.digest(number), merged_into=None)
    if customer_class is not None:
        customers = customers.filter(customer_class=customer_class)
    if home_store_id is not None:
        customers = customers.filter(home_store_id=home_store_id)
    ids = list(customers.order_by("pk").values_list("pk", flat=True)[: SEARCH_LIMIT + 1])
    hits = [_Candidate(pk, None, "resident_id", True) for pk in ids[:SEARCH_LIMIT]]
    return hits, len(ids) > SEARCH_LIMIT


def _family(
    lookups: list[tuple[str, str, bool]], *, customer_class: str | None, home_store_id: int | None
) -> tuple[list[_Candidate], bool]:
    """The hits of one family's lookups: exact matches first, then prefixes; at most SEARCH_LIMIT, and
    whether more matched. Each lookup is one range read on the (kind, key) index, in index order and
    stopped as soon as enough hits are in hand, so a broad query costs no more than a narrow one."""
    found: dict[tuple[str, int], _Candidate] = {}
    for exact in (True, False):
        for kind, key, prefix_allowed in lookups:
            if not exact and not prefix_allowed:
                continue
            keys = SearchKey.objects.filter(kind=kind)
            keys = keys.filter(key=key) if exact else keys.filter(key__gt=key, key__lt=key + MAX_KEY)
            keys = _restricted(keys, kind, customer_class=customer_class, home_store_id=home_store_id)
            rows = keys.order_by("key", "id").values_list("customer_id", "vehicle_id")
            start = 0
            while len(found) <= SEARCH_LIMIT:
                wanted = SEARCH_LIMIT + 1 - len(found)
                chunk = list(rows[start : start + wanted])
                for customer_id, vehicle_id in chunk:
                    identity = ("v", vehicle_id) if vehicle_id else ("c", customer_id)
                    if identity not in found:
                        found[identity] = _Candidate(customer_id, vehicle_id, kind, exact)
                if len(chunk) < wanted:
                    break
                start += wanted
            if len(found) > SEARCH_LIMIT:
                return list(found.values())[:SEARCH_LIMIT], True
    return list(found.values()), False


def _candidates(
    q: str,
    *,
    vehicles_only: bool = False,
    customer_class: str | None = None,
    home_store_id: int | None = None,
    family: str | None = None,
) -> _Ranking:
    """Customers and vehicles matching ``q``, best first, with the number of hits per family.

    Exact matches of every kind come first (in KIND_RANK order), then prefix matches; within a kind,
    by key and then by age. Every family (plate, mobile, name, …) is read on its own, so each can say
    how many it found; ``family`` keeps only that family's hits in the ranking. A customer found by
    several keys (or a vehicle by several plate tails) appears once, at its best rank.
    """
    if not identifiers.compact(q):
        return _Ranking([], False, {})
    lookups = [entry for entry in _lookups(q) if not vehicles_only or entry[0] not in CUSTOMER_KINDS]
    families: dict[str, tuple[int, bool]] = {}
    ranked: list[tuple[bool, int, int, _Candidate]] = []
    for name, kinds in FAMILIES.items():
        own = [entry for entry in lookups if entry[0] in kinds]
        if not own:
            continue
        if name == "resident_id":
            hits, more = _by_resident_id(own[0][1], customer_class=customer_class, home_store_id=home_store_id)
        else:
            hits, more = _family(own, customer_class=customer_class, home_store_id=home_store_id)
        if hits:
            families[name] = (len(hits), more)
        if family is None or family == name:
            ranked += [(not hit.exact, KIND_RANK[hit.kind], position, hit) for position, hit in enumerate(hits)]
    ranked.sort(key=lambda entry: entry[:3])
    merged: dict[tuple[str, int | None], _Candidate] = {}
    for _inexact, _rank, _position, hit in ranked:
        identity = ("v", hit.vehicle_id) if hit.vehicle_id else ("c", hit.customer_id)
        merged.setdefault(identity, hit)
    candidates = list(merged.values())
    shown = [families[name] for name in families if family is None or family == name]
    more = len(candidates) > SEARCH_LIMIT or any(over for _count, over in shown)
    return _Ranking(candidates[:SEARCH_LIMIT], more, families)


def _owners(vehicle_ids: Iterable[int]) -> dict[int, int]:
    """Current owner of each vehicle."""
    return dict(
        VehicleLink.objects.filter(
            vehicle_id__in=list(vehicle_ids), role=VehicleLink.Role.OWNER, valid_to=None
        ).values_list("vehicle_id", "customer_id")
    )


def _hits(candidates: list[_Candidate]) -> list[SearchHit]:
    """Load one page of candidates: its customers (with phones and store) and vehicles, nothing more."""
    vehicle_ids = [c.vehicle_id for c in candidates if c.vehicle_id]
    owners = _owners(vehicle_ids) if vehicle_ids else {}
    customer_ids = {c.customer_id for c in candidates if c.customer_id} | set(owners.values())
    customers = (
        Customer.objects.select_related("home_store")
        .prefetch_related(Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")))
        .filter(merged_into=None)
        .in_bulk(customer_ids)
        if customer_ids
        else {}
    )
    vehicles = Vehicle.objects.in_bulk(vehicle_ids) if vehicle_ids else {}
    hits = []
    for candidate in candidates:
        vehicle = vehicles.get(candidate.vehicle_id) if candidate.vehicle_id else None
        owner_id = owners.get(candidate.vehicle_id) if candidate.vehicle_id else candidate.customer_id
        customer = customers.get(owner_id) if owner_id else None
        if customer is not None and (vehicle is not None or candidate.vehicle_id is None):
            hits.append(SearchHit(customer, candidate.kind, vehicle, candidate.exact))
    return hits


class SearchPages(Sequence[SearchHit]):
    """Search hits for a paginator: the ranking is read once, only a requested slice is loaded.

    ``len()`` is the number of hits ranked (at most SEARCH_LIMIT); ``more`` tells that the search
    matched more than that.
    """

    def __init__(
        self,
        q: str,
        *,
        customer_class: str | None = None,
        home_store_id: int | None = None,
        family: str | None = None,
    ) -> None:
        ranking = _candidates(q, customer_class=customer_class, home_store_id=home_store_id, family=family)
        self.candidates, self.more, self.families = ranking.candidates, ranking.more, ranking.families

    def __len__(self) -> int:
        return len(self.candidates)

    def count(self, value: object = None) -> int:
        # Django's Paginator calls count() without arguments for the number of objects.
        return len(self.candidates)

    @overload
    def __getitem__(self, index: int) -> SearchHit: ...

    @overload
    def __getitem__(self, index: slice) -> list[SearchHit]: ...

    def __getitem__(self, index: int | slice) -> SearchHit | list[SearchHit]:
        if isinstance(index, slice):
            return _hits(self.candidates[index])
        hits = _hits([self.candidates[index]])
        if not hits:
            raise IndexError(index)
        return hits[0]


@dataclass
class SearchResults:
    hits: list[SearchHit]  # the requested page
    count: int  # hits ranked, at most SEARCH_LIMIT
    more: bool  # more than SEARCH_LIMIT matched: the user should narrow the search
    families: dict[str, tuple[int, bool]]  # hits per family that matched, and whether it has more


def archive_search(q: str, *, offset: int = 0, limit: int = 20, family: str | None = None) -> SearchResults:
    """One page of the customers matching a plate, VIN, mobile, name, pinyin initials or number, best first."""
    pages = SearchPages(q, family=family)
    return SearchResults(pages[offset : offset + limit], len(pages), pages.more, pages.families)


def search_vehicle_ids(q: str) -> list[int]:
    """Vehicles matching by plate or VIN, best first (at most SEARCH_LIMIT)."""
    return [c.vehicle_id for c in _candidates(q, vehicles_only=True).candidates if c.vehicle_id]


def search_customer_ids(q: str, *, customer_class: str | None = None, home_store_id: int | None = None) -> list[int]:
    """Customers matching ``q`` (vehicles count for their current owner), best first (at most SEARCH_LIMIT),
    the class and store filters applied inside the search (not to its first SEARCH_LIMIT hits)."""
    candidates = _candidates(q, customer_class=customer_class, home_store_id=home_store_id).candidates
    owners = _owners(c.vehicle_id for c in candidates if c.vehicle_id)
    ordered: dict[int, None] = {}
    for candidate in candidates:
        owner = owners.get(candidate.vehicle_id) if candidate.vehicle_id else candidate.customer_id
        if owner is not None:
            ordered.setdefault(owner)
    return list(ordered)


def customer_list(
    *, q: str | None = None, customer_class: str | None = None, home_store_id: int | None = None
) -> QuerySet[Customer]:
    customers = Customer.objects.filter(merged_into=None).select_related("home_store", "owner")
    if q and identifiers.compact(q):  # invisible characters alone are no search
        ids = search_customer_ids(q, customer_class=customer_class or None, home_store_id=home_store_id or None)
        customers = customers.filter(pk__in=ids)
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


def customer_personal(customer: Customer, *, personal: bool) -> dict[str, Any]:
    """The personal fields of a customer, masked unless ``personal`` (the view-personal right)."""
    masks = Customer.personal_masks

    def shown(name: str, value: str) -> str:
        return value if personal or not value else masks[name](value)

    resident_id = privacy.decrypt(customer.resident_id_cipher) if personal else customer.resident_id_hint
    return {
        "mobiles": [shown("mobiles", phone.number) for phone in customer.phones.all()],
        "resident_id": resident_id,
        "uscc": shown("uscc", customer.uscc),
        "street": shown("street", customer.street),
        "address": full_address(customer)
        if personal
        else identifiers.mask_address(customer.province, customer.city, customer.district, customer.street),
        "emergency_phone": shown("emergency_phone", customer.emergency_phone),
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
    detail: dict[str, Any] = field(default_factory=dict)  # as stored (personal values masked by role)
    actor: str = ""  # user name
    actor_name: str = ""  # the person's name (their user name when they have none)
    action: str = ""  # of an archive item: the audit action (create, update, reveal, ...)
    lines: list[HistoryLine] = field(default_factory=list)  # the detail as people read it

    @property
    def record_change(self) -> bool:
        """A record created, updated or deleted: its lines are the fields it touched."""
        return self.action in RECORD_ACTIONS


TIMELINE_KINDS = ("archive", "mileage")


def _day(day: date) -> datetime:
    """A reading dated by day sorts at noon of that day."""
    return timezone.make_aware(datetime.combine(day, time(12)))


def _archive_items(entries: Iterable[AuditEntry], *, personal: bool, names: HistoryNames | None) -> list[TimelineItem]:
    def shown(entry: AuditEntry) -> dict[str, Any]:
        return entry.changes or {} if personal else audit_masked(entry)

    return [
        TimelineItem(
            at=history.entry.created_at,
            kind="archive",
            title=f"{history.subject} · {history.action}",
            detail=shown(history.entry),
            actor=history.entry.actor_username,
            actor_name=history.actor,
            action=history.entry.action,
            lines=history.lines,
        )
        for history in audit_history(audit_personal_fill(entries), shown=shown, names=names)
    ]


def customer_timeline(
    customer: Customer,
    *,
    kinds: set[str] | None = None,
    limit: int = 500,
    personal: bool = False,
    names: HistoryNames | None = None,
) -> list[TimelineItem]:
    """Everything that touched a customer and their vehicles, newest first (personal values masked
    unless ``personal``). ``names`` shares the look-ups of record names with the page's other history."""
    kinds = kinds or set(TIMELINE_KINDS)
    vehicle_ids = list(VehicleLink.objects.filter(customer=customer).values_list("vehicle_id", flat=True))
    merged = [str(pk) for pk in Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)]
    items: list[TimelineItem] = []
    if "archive" in kinds:
        link_ids = VehicleLink.objects.filter(customer__in=[customer.pk, *merged]).values_list("pk", flat=True)
        document_ids = CustomerDocument.objects.filter(customer=customer).values_list("pk", flat=True)
        entries = list(
            AuditEntry.objects.filter(
                Q(object_type="customers.customer", object_id__in=[str(customer.pk), *merged])
                | Q(object_type="customers.vehicle", object_id__in=[str(v) for v in vehicle_ids])
                | Q(object_type="customers.vehiclelink", object_id__in=[str(pk) for pk in link_ids])
                | Q(object_type="customers.customerdocument", object_id__in=[str(pk) for pk in document_ids])
            ).order_by("-created_at", "-id")[:limit]
        )
        items += _archive_items(entries, personal=personal, names=names)
        created = any(e.action == "create" and e.object_id == str(customer.pk) for e in entries)
        if not created and len(entries) < limit:
            # Records written in bulk (an Excel import) have no entry of their own: the history starts here.
            items.append(
                TimelineItem(
                    at=customer.created_at,
                    kind="archive",
                    title=f"{capfirst(Customer._meta.verbose_name)} · {AuditEntry.Action.CREATE.label}",
                    action=AuditEntry.Action.CREATE,
                )
            )
    if "mileage" in kinds:
        readings = MileageReading.objects.filter(vehicle_id__in=vehicle_ids).select_related("vehicle", "recorded_by")
        sources = _mileage_sources()
        items += [
            TimelineItem(
                at=_day(reading.read_on),
                kind="mileage",
                title=_("Mileage %(km)s km (%(plate)s)")
                % {"km": reading.km, "plate": reading.vehicle.plate or reading.vehicle.vin},
                detail={"source": sources.get(reading.source, reading.source), "reason": reading.reason},
                actor=reading.recorded_by.username if reading.recorded_by else "",
                actor_name=str(reading.recorded_by) if reading.recorded_by else "",
            )
            for reading in readings.order_by("-read_on", "-pk")[:limit]
        ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _mileage_sources() -> dict[str, str]:
    """Reading sources by their labels in the reader's language, once per timeline (a reading's
    get_source_display() hashes every lazy label on each call)."""
    return {value: str(label) for value, label in MileageReading.Source.choices}


def vehicle_timeline(
    vehicle: Vehicle,
    *,
    kinds: set[str] | None = None,
    limit: int = 500,
    personal: bool = False,
    names: HistoryNames | None = None,
) -> list[TimelineItem]:
    kinds = kinds or set(TIMELINE_KINDS)
    items: list[TimelineItem] = []
    if "archive" in kinds:
        link_ids = [str(pk) for pk in VehicleLink.objects.filter(vehicle=vehicle).values_list("pk", flat=True)]
        entries = AuditEntry.objects.filter(
            Q(object_type="customers.vehicle", object_id=str(vehicle.pk))
            | Q(object_type="customers.vehiclelink", object_id__in=link_ids)
        ).order_by("-created_at", "-id")[:limit]
        items += _archive_items(entries, personal=personal, names=names)
    if "mileage" in kinds:
        sources = _mileage_sources()
        for reading in vehicle.mileage_readings.all()[:limit]:
            items.append(
                TimelineItem(
                    at=_day(reading.read_on),
                    kind="mileage",
                    title=_("Mileage %(km)s km") % {"km": reading.km},
                    detail={"source": sources.get(reading.source, reading.source), "reason": reading.reason},
                )
            )
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def change_log(customer: Customer, limit: int = 200) -> list[AuditEntry]:
    """The customer's audit entries, newest first, personal values restored (or shown erased)."""
    entries = AuditEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk))
    return audit_personal_fill(entries.order_by("-created_at", "-id")[:limit])


def change_log_history(entries: Iterable[AuditEntry], *, names: HistoryNames | None = None) -> list[HistoryEntry]:
    """A record page's change log as people read it (entries from ``change_log`` or
    ``vehicle_change_log``): labelled fields, old → new, personal values masked."""
    # Masked for every reader, as everywhere on the page: a reader with the right reveals a current
    # value with a click, which is audited.
    return audit_history(entries, shown=audit_masked, names=names)


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
    current = VehicleLink.objects.filter(vehicle_id__in=list(shared), valid_to=None, customer__in=active)
    for vehicle_id, customer_id in current.values_list("vehicle_id", "customer_id"):
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
