"""Archive search: every identifier family ranked (resident ID, number, VIN, mobile, plate, name and pinyin)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet

from aftersales.customers import encryption, identifiers
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
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
    customers = Customer.objects.filter(resident_id_digest=encryption.digest(number), merged_into=None)
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
