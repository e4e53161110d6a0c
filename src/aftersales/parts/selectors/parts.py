"""Reads of the part master: search by number, name or pinyin, close matches, substitutes."""

from __future__ import annotations

import difflib
from datetime import date

from django.db.models import Q, QuerySet

from aftersales.customers.search import MAX_KEY
from aftersales.parts.models import Part, PartPrice, Supersession, part_number_normalise

SUGGESTIONS = 5


def parts_search(*, group_id: int, query: str = "", brand_id: int | None = None) -> QuerySet[Part]:
    """Parts of a group whose number, name or pinyin starts with ``query`` (a number also matches
    anywhere in it: a clerk types the tail of a long number)."""
    parts = Part.objects.filter(group_id=group_id).select_related("brand")
    if brand_id:
        parts = parts.filter(brand_id=brand_id)
    query = query.strip()
    if not query:
        return parts.order_by("number")
    number = part_number_normalise(query)
    lowered = query.lower().replace(" ", "")
    condition = Q(name__startswith=query) | Q(name__contains=query)
    if number:
        condition |= Q(number__gte=number, number__lt=number + MAX_KEY) | Q(number__contains=number)
    if lowered.isascii():
        condition |= Q(name_pinyin__contains=lowered)
    return parts.filter(condition).order_by("number")


def part_by_number(*, group_id: int, number: str) -> Part | None:
    return Part.objects.filter(group_id=group_id, number=part_number_normalise(number)).order_by("pk").first()


def part_suggestions(*, group_id: int, typed: str) -> list[str]:
    """Up to five known numbers closest to a number that is not known (same first characters first)."""
    number = part_number_normalise(typed)
    if not number:
        return []
    head = number[: max(3, len(number) // 2)]
    pool = list(
        Part.objects.filter(group_id=group_id, number__startswith=head[:3]).values_list("number", "number_display")[
            :2000
        ]
    )
    shown = dict(pool)
    close = difflib.get_close_matches(number, list(shown), n=SUGGESTIONS, cutoff=0.6)
    return [shown[match] for match in close]


def parts_substitutes(part_ids: set[int]) -> dict[int, list[int]]:
    """For each part, the parts whose stock serves a demand for it, in the order it is taken: older
    numbers interchangeable both ways (oldest first: old stock goes first), the part itself, then the
    numbers that replace it where they are interchangeable (a "none" link ends the chain)."""
    links: dict[int, Supersession] = {}
    frontier = set(part_ids)
    seen: set[int] = set()
    while frontier:
        seen |= frontier
        rows = Supersession.objects.filter(Q(old_part_id__in=frontier) | Q(new_part_id__in=frontier)).only(
            "old_part_id", "new_part_id", "interchangeability"
        )
        frontier = set()
        for row in rows:
            links[row.old_part_id] = row
            frontier |= {row.old_part_id, row.new_part_id} - seen
    by_new: dict[int, list[Supersession]] = {}
    for row in sorted(links.values(), key=lambda link: link.old_part_id):
        by_new.setdefault(row.new_part_id, []).append(row)
    result: dict[int, list[int]] = {}
    for part_id in part_ids:
        chain_seen = {part_id}
        successors: list[int] = []
        current = part_id
        while current in links and links[current].new_part_id not in chain_seen:
            link = links[current]
            if link.interchangeability == Supersession.Interchangeability.NONE:
                break
            current = link.new_part_id
            chain_seen.add(current)
            successors.append(current)
        # Every older number interchangeable both ways, the oldest generation first.
        older: list[int] = []
        generation = [part_id]
        while generation:
            previous = [
                link.old_part_id
                for current in generation
                for link in by_new.get(current, [])
                if link.interchangeability == Supersession.Interchangeability.TWO_WAY
                and link.old_part_id not in chain_seen
            ]
            chain_seen.update(previous)
            older = previous + older
            generation = previous
        result[part_id] = [*older, part_id, *successors]
    return result


def parts_family(part_ids: set[int]) -> dict[int, frozenset[int]]:
    """For each part, every number linked to it by supersessions in either direction, however far and
    whatever their interchangeability (the same part for a comeback of the work that fitted it)."""
    edges: dict[int, set[int]] = {part_id: set() for part_id in part_ids}
    frontier, seen = set(part_ids), set(part_ids)
    while frontier:
        rows = Supersession.objects.filter(Q(old_part_id__in=frontier) | Q(new_part_id__in=frontier)).values_list(
            "old_part_id", "new_part_id"
        )
        frontier = set()
        for old, new in rows:
            edges.setdefault(old, set()).add(new)
            edges.setdefault(new, set()).add(old)
            frontier |= {old, new} - seen
        seen |= frontier
    family: dict[int, frozenset[int]] = {}
    for part_id in part_ids:
        if part_id in family:
            continue
        members, todo = {part_id}, [part_id]
        while todo:
            for other in edges.get(todo.pop(), ()):
                if other not in members:
                    members.add(other)
                    todo.append(other)
        found = frozenset(members)
        for member in members & part_ids:
            family[member] = found
    return family


def price_on(part_id: int, *, kind: str, store_id: int | None, on: date) -> PartPrice | None:
    """The price of a kind valid on a date: the store's own if it has one, else the group's."""
    prices = PartPrice.objects.filter(part_id=part_id, kind=kind, valid_from__lte=on).order_by("-valid_from", "-pk")
    if store_id is not None:
        own = prices.filter(store_id=store_id).first()
        if own is not None:
            return own
    return prices.filter(store__isnull=True).first()
