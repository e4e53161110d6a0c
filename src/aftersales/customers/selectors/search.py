"""Archive search: every identifier family ranked (resident ID, number, VIN, mobile, plate, name and pinyin)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BigIntegerField, CharField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast

from aftersales.core import identifiers
from aftersales.customers import encryption
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    SearchKey,
    Vehicle,
    VehicleLink,
)
from aftersales.customers.search import MAX_KEY
from aftersales.customers.visibility import ArchiveVisibility, current_visibility

# A search ranks at most this many hits; beyond it the user is asked to narrow the search.
SEARCH_LIMIT = 500


# Which kind of match ranks first when several keys match (exact matches before prefixes).
KIND_RANK = {
    "resident_id": 0,
    "number": 0,
    "vin": 1,
    "mobile": 2,
    "plate": 3,
    "oldplate": 4,  # a plate the vehicle held before (shown as "former plate")
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
    "plate": ("plate", "oldplate"),
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
        "oldplate": (plate, True) if plate else None,
        "vin6": (vin, False) if latin and len(vin) == 6 else None,
        # The last four digits as typed: after a country code (+86 1380) they are a number's start.
        "mobile4": (text, False) if text.isascii() and text.isdigit() and len(text) == 4 else None,
        "name": (lower, True),
        "initials": (lower, True) if letters else None,
        "pinyin": (lower, True) if letters else None,
    }
    return [(kind, entry[0], entry[1]) for kind in KIND_RANK if (entry := wanted[kind]) is not None]


def _restricted(
    keys: QuerySet[SearchKey],
    kind: str,
    *,
    customer_class: str | None,
    home_store_id: int | None,
    visibility: ArchiveVisibility | None = None,
) -> QuerySet[SearchKey]:
    """Keys of customers (or of vehicles whose current owner is a customer) of that class and store, that
    the actor sees (``visibility``: where the group's stores are separate companies)."""
    if customer_class is None and home_store_id is None and visibility is None:
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
    rule = Q(**conditions)
    if visibility is not None:
        rule &= visibility.q(prefix)
    return keys.filter(rule)  # one filter(): the conditions on the owner link and customer join once


@dataclass
class _Ranking:
    candidates: list[_Candidate]  # best first, at most SEARCH_LIMIT
    more: bool  # more than SEARCH_LIMIT matched
    families: dict[str, tuple[int, bool]]  # per family that matched: hits (at most SEARCH_LIMIT), more than that


# A lookup: (kind, key, exact). One ranked query reads every lookup's first rows (services of the
# (kind, key) index) at once; a lookup whose rows run out before enough distinct hits are in hand
# (one vehicle found by two tails of its plate) reads on in chunks, which is rare. A vehicle's owner
# is not read with its key: only the page shown needs it (reading it for every one of hundreds of
# ranked vehicles cost more than the ranking).
_Lookup = tuple[str, str, bool]
_Row = tuple[str, int, int | None, int | None]  # key, row id, customer, vehicle


def _lookup_rows(
    lookup: _Lookup, *, customer_class: str | None, home_store_id: int | None, visibility: ArchiveVisibility | None
) -> QuerySet[Any, tuple[Any, ...]]:
    """The rows of one lookup in rank order, as ``_Row`` tuples."""
    kind, key, exact = lookup
    # A typed null: PostgreSQL types a bare NULL of a subquery as text, which UNION ALL cannot match.
    none = Cast(Value(None), output_field=BigIntegerField())
    if kind == "resident_id":
        # The number is stored encrypted: an exact match on its keyed digest.
        customers = Customer.objects.filter(resident_id_digest=encryption.digest(key), merged_into=None)
        if customer_class is not None:
            customers = customers.filter(customer_class=customer_class)
        if home_store_id is not None:
            customers = customers.filter(home_store_id=home_store_id)
        return (
            customers.order_by("pk")
            .annotate(row_key=Value("", output_field=CharField()), row_id=F("pk"), c=F("pk"), v=none)
            .values_list("row_key", "row_id", "c", "v")
        )
    keys = SearchKey.objects.filter(kind=kind)
    keys = keys.filter(key=key) if exact else keys.filter(key__gt=key, key__lt=key + MAX_KEY)
    keys = _restricted(keys, kind, customer_class=customer_class, home_store_id=home_store_id, visibility=visibility)
    return (
        keys.order_by("key", "customer_id", "vehicle_id")
        .annotate(row_key=F("key"), row_id=F("id"))
        .values_list("row_key", "row_id", "customer_id", "vehicle_id")
    )


def _plain_sql(lookup: _Lookup) -> tuple[str, list[Any]]:
    """One lookup without class or store filters as SQL (what ``_lookup_rows`` builds, written out):
    building the statements with the ORM costs more than running them, a millisecond per lookup."""
    kind, key, exact = lookup
    quote = connection.ops.quote_name
    null = "CAST(NULL AS BIGINT)"
    if kind == "resident_id":
        customers = quote(Customer._meta.db_table)
        return (
            f"SELECT '', c.id, c.id, {null} FROM {customers} c "  # noqa: S608 - names from the models
            "WHERE c.resident_id_digest = %s AND c.merged_into_id IS NULL ORDER BY c.id LIMIT %s",
            [encryption.digest(key), SEARCH_LIMIT + 1],
        )
    keys, column = quote(SearchKey._meta.db_table), quote("key")
    where = f"k.{column} = %s" if exact else f"k.{column} > %s AND k.{column} < %s"
    sql = (
        f"SELECT k.{column}, k.id, k.customer_id, k.vehicle_id FROM {keys} k "  # noqa: S608 - as above
        f"WHERE k.kind = %s AND {where} ORDER BY k.{column}, k.customer_id, k.vehicle_id LIMIT %s"
    )
    bounds = [key] if exact else [key, key + MAX_KEY]
    return sql, [kind, *bounds, SEARCH_LIMIT + 1]


def _read_lookups(
    lookups: list[_Lookup],
    *,
    customer_class: str | None,
    home_store_id: int | None,
    visibility: ArchiveVisibility | None,
) -> list[list[_Row]]:
    """The first SEARCH_LIMIT + 1 rows of every lookup, in one query (UNION ALL of index range reads)."""
    if not lookups:
        return []
    parts: list[str] = []
    params: list[Any] = []
    plain = customer_class is None and home_store_id is None and visibility is None
    for index, lookup in enumerate(lookups):
        if plain:
            sql, part_params = _plain_sql(lookup)
        else:
            query = _lookup_rows(
                lookup, customer_class=customer_class, home_store_id=home_store_id, visibility=visibility
            )
            sql, compiled = query[: SEARCH_LIMIT + 1].query.sql_with_params()
            part_params = list(compiled)
        parts.append(f"SELECT {index} AS lookup, q{index}.* FROM ({sql}) q{index}")  # noqa: S608 - our SQL
        params += part_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        fetched = cursor.fetchall()
    per_lookup: list[list[_Row]] = [[] for _lookup in lookups]
    for index, *row in fetched:
        per_lookup[index].append(tuple(row))
    for found in per_lookup:
        # The order of the index (key, then customer and vehicle: their age): UNION ALL keeps none.
        found.sort(key=lambda row: (row[0], row[2] or 0, row[3] or 0))
    return per_lookup


def _family(
    lookups: list[_Lookup],
    first_rows: list[list[_Row]],
    *,
    customer_class: str | None,
    home_store_id: int | None,
    visibility: ArchiveVisibility | None,
) -> tuple[list[_Candidate], bool]:
    """The hits of one family's lookups (exact ones first, as given): at most SEARCH_LIMIT, and whether
    more matched. A customer, or a vehicle, found twice counts once."""
    found: dict[tuple[str, int | None], _Candidate] = {}
    for lookup, first in zip(lookups, first_rows, strict=True):
        kind, _key, exact = lookup
        rows, read, asked = first, len(first), SEARCH_LIMIT + 1
        while True:
            for _row_key, _row_id, customer_id, vehicle_id in rows:
                identity = ("v", vehicle_id) if vehicle_id else ("c", customer_id)
                if identity not in found:
                    found[identity] = _Candidate(customer_id, vehicle_id, kind, exact)
            if len(found) > SEARCH_LIMIT:
                return list(found.values())[:SEARCH_LIMIT], True
            if len(rows) < asked:
                break  # the lookup has no more rows
            # Fewer distinct hits than rows (one vehicle under two tails of its plate): read on.
            asked = SEARCH_LIMIT + 1 - len(found)
            query = _lookup_rows(
                lookup, customer_class=customer_class, home_store_id=home_store_id, visibility=visibility
            )
            rows = list(query[read : read + asked])
            read += len(rows)
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
    wanted = [entry for entry in _lookups(q) if not vehicles_only or entry[0] not in CUSTOMER_KINDS]
    # Per family: its exact lookups, then its prefix lookups (in KIND_RANK order within each).
    plan: list[tuple[str, list[_Lookup]]] = []
    for name, kinds in FAMILIES.items():
        own = [entry for entry in wanted if entry[0] in kinds]
        if own:
            exact = [(kind, key, True) for kind, key, _prefix in own]
            prefix = [(kind, key, False) for kind, key, prefix_allowed in own if prefix_allowed]
            plan.append((name, exact + prefix))
    every = [lookup for _name, lookups in plan for lookup in lookups]
    visibility = current_visibility()  # the actor's: another company's customers only with their consent
    rows = _read_lookups(every, customer_class=customer_class, home_store_id=home_store_id, visibility=visibility)
    families: dict[str, tuple[int, bool]] = {}
    ranked: list[tuple[bool, int, int, _Candidate]] = []
    position = 0
    for name, lookups in plan:
        hits, more = _family(
            lookups,
            rows[position : position + len(lookups)],
            customer_class=customer_class,
            home_store_id=home_store_id,
            visibility=visibility,
        )
        position += len(lookups)
        if hits:
            families[name] = (len(hits), more)
        if family is None or family == name:
            ranked += [(not hit.exact, KIND_RANK[hit.kind], order, hit) for order, hit in enumerate(hits)]
    ranked.sort(key=lambda entry: entry[:3])
    merged: dict[tuple[str, int | None], _Candidate] = {}
    for _inexact, _rank, _position, hit in ranked:
        identity = ("v", hit.vehicle_id) if hit.vehicle_id else ("c", hit.customer_id)
        merged.setdefault(identity, hit)
    candidates = list(merged.values())
    shown = [families[name] for name in families if family is None or family == name]
    more = len(candidates) > SEARCH_LIMIT or any(over for _count, over in shown)
    return _Ranking(candidates[:SEARCH_LIMIT], more, families)


def _owner() -> Subquery:
    """A vehicle's current owner, as a subquery of a vehicles query."""
    return Subquery(
        VehicleLink.objects.filter(vehicle_id=OuterRef("pk"), role=VehicleLink.Role.OWNER, valid_to=None)
        .order_by()
        .values("customer_id")[:1],
        output_field=BigIntegerField(),
    )


def _owners(vehicle_ids: list[int]) -> dict[int, int]:
    """The current owner of each of the vehicles that has one."""
    links = VehicleLink.objects.filter(vehicle_id__in=vehicle_ids, role=VehicleLink.Role.OWNER, valid_to=None)
    return dict(links.values_list("vehicle_id", "customer_id"))


def _hits(candidates: list[_Candidate]) -> list[SearchHit]:
    """Load one page of candidates: its vehicles with their current owners, and the customers (with
    phones and store), nothing more."""
    vehicle_ids = [c.vehicle_id for c in candidates if c.vehicle_id]
    vehicles = Vehicle.objects.annotate(current_owner_id=_owner()).in_bulk(vehicle_ids) if vehicle_ids else {}
    owners = {pk: vehicle.current_owner_id for pk, vehicle in vehicles.items()}
    customer_ids = {owners.get(c.vehicle_id) if c.vehicle_id else c.customer_id for c in candidates} - {None}
    customers = (
        Customer.objects.select_related("home_store")
        .prefetch_related(Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")))
        .filter(merged_into=None)
        .in_bulk(customer_ids)
        if customer_ids
        else {}
    )
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
    owners = _owners([c.vehicle_id for c in candidates if c.vehicle_id])
    ordered: dict[int, None] = {}
    for candidate in candidates:
        owner = owners.get(candidate.vehicle_id) if candidate.vehicle_id else candidate.customer_id
        if owner is not None:
            ordered.setdefault(owner)
    return list(ordered)
