"""The customer archive's scenarios: searching it, and the detail customer's page, timeline and archive card.

They need a database generated with ``--customers`` and ``--vehicles`` (``bench.customers.archive``).
"""

from __future__ import annotations

import itertools
import json
import random
import re
from typing import Any
from urllib.parse import quote

from django.db import models
from django.db.models import Max, Min
from django.test import Client

from aftersales.core.models import User
from aftersales.core.services import token_create
from aftersales.customers.models import Customer, CustomerPhone, Vehicle
from aftersales.customers.selectors import search as search_ranking
from bench.customers.archive import DETAIL_STORE, DETAIL_TIMELINE, DETAIL_VEHICLES
from bench.registry import BenchContext, BenchFailure, Call, scenario

SAMPLES = 256


def _sample(model: type[models.Model], fields: tuple[str, ...], *, seed: str, **filters: Any) -> list[tuple[Any, ...]]:
    """Up to SAMPLES rows of ``model`` at random primary keys (one indexed query), in a seeded random order."""
    bounds = model._default_manager.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    rng = random.Random(seed)
    picks = {rng.randint(bounds["low"], bounds["high"]) for _ in range(SAMPLES * 3)}
    rows = list(model._default_manager.filter(pk__in=sorted(picks), **filters).values_list(*fields))
    rows.sort()
    rng.shuffle(rows)
    return rows


def _search_call(bench: BenchContext, name: str, family: str, samples: list[tuple[str, tuple[str, int]]]) -> Call:
    """Cycle through the sampled queries (one per call) after checking what they find.

    ``samples`` pairs a query with what it was taken from (``("v", vehicle id)`` or ``("c", customer
    id)``). Set-up ranks every query once and prints where its source came: on the first page of 20,
    further down, not ranked because more than the search limit matched (the user must type more), or
    missing (a defect: the run fails); and how often it is on the first page once the user narrows the
    search to ``family`` (one click on the list page).
    """
    expected = dict(reversed(samples))  # the first sample of a repeated query
    queries = list(dict.fromkeys(query for query, _source in samples if query))[:SAMPLES]
    if len(queries) < 10:
        raise BenchFailure(f"{name}: only {len(queries)} sample values: generate with --customers and --vehicles.")
    tally = {"page1": 0, "ranked": 0, "broad": 0, "missing": 0, f"{family}_page1": 0}
    missing: list[str] = []
    for query in queries:
        ranking = search_ranking._candidates(query)
        candidates, more = ranking.candidates, ranking.more
        found = [("v", c.vehicle_id) if c.vehicle_id else ("c", c.customer_id) for c in candidates]
        narrowed = search_ranking._candidates(query, family=family).candidates[:20]
        if expected[query] in [("v", c.vehicle_id) if c.vehicle_id else ("c", c.customer_id) for c in narrowed]:
            tally[f"{family}_page1"] += 1
        if expected[query] in found:
            tally["page1" if found.index(expected[query]) < 20 else "ranked"] += 1
        else:
            tally["broad" if more else "missing"] += 1
            if not more:
                missing.append(query)
    print(f"{name}: of {len(queries)} queries, the source is " + " ".join(f"{k}={v}" for k, v in tally.items()))
    if missing:
        raise BenchFailure(f"{name}: the search did not find the source of {missing[:5]}.")
    paths = [f"/api/v1/customers/search?q={quote(query)}" for query in queries]
    for query, path in list(zip(queries, paths, strict=True))[:3]:
        response = bench.get(path)
        if response.status_code != 200 or not _count(response):
            raise BenchFailure(f"{name}: searching {query!r} found nothing ({response.status_code}).")
    cycle = itertools.cycle(paths)
    return lambda: bench.get(next(cycle))


def _count(response: Any) -> int:
    data = json.loads(response.content)
    return int(data.get("count", 0)) if isinstance(data, dict) else 0


@scenario("search_plate", "GET /api/v1/customers/search?q=: the last 4 characters of random plates")
def _search_plate(bench: BenchContext) -> Call:
    rows = _sample(Vehicle, ("plate", "pk"), seed="plate")
    return _search_call(bench, "search_plate", "plate", [(plate[-4:], ("v", pk)) for plate, pk in rows if plate])


@scenario("search_vin6", "GET /api/v1/customers/search?q=: the last 6 characters of random VINs")
def _search_vin6(bench: BenchContext) -> Call:
    rows = _sample(Vehicle, ("vin", "pk"), seed="vin")
    return _search_call(bench, "search_vin6", "vin", [(vin[-6:], ("v", pk)) for vin, pk in rows])


@scenario("search_mobile4", "GET /api/v1/customers/search?q=: the last 4 digits of random mobiles")
def _search_mobile4(bench: BenchContext) -> Call:
    rows = _sample(CustomerPhone, ("number", "customer_id"), seed="mobile")
    return _search_call(bench, "search_mobile4", "mobile", [(number[-4:], ("c", owner)) for number, owner in rows])


@scenario("search_name", "GET /api/v1/customers/search?q=: the full Chinese names of random individuals")
def _search_name(bench: BenchContext) -> Call:
    rows = _sample(Customer, ("name", "pk"), seed="name", kind=Customer.Kind.INDIVIDUAL)
    return _search_call(bench, "search_name", "name", [(name, ("c", pk)) for name, pk in rows])


@scenario("search_initials", "GET /api/v1/customers/search?q=: the 2-3 pinyin initials of random individuals")
def _search_initials(bench: BenchContext) -> Call:
    rows = _sample(Customer, ("name_initials", "pk"), seed="initials", kind=Customer.Kind.INDIVIDUAL)
    initials = [(text.split()[0], ("c", pk)) for text, pk in rows if text]
    return _search_call(
        bench, "search_initials", "name", [(text, source) for text, source in initials if 2 <= len(text) <= 3]
    )


def detail_customer_id() -> int:
    """The detail customer: the lowest number of store S0001 (a range on the unique index of numbers)."""
    prefix = f"CUS-{DETAIL_STORE}-"
    found = (
        Customer.objects.filter(number__gte=prefix, number__lt=prefix + "\U0010ffff")
        .order_by("number")
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise BenchFailure(f"No customer of {DETAIL_STORE}: generate with --customers and --vehicles.")
    return found


@scenario("customer_detail", "GET /api/v1/customers/{id}: the detail customer, with 20 vehicles")
def _customer_detail(bench: BenchContext) -> Call:
    path = f"/api/v1/customers/{detail_customer_id()}"
    vehicles = json.loads(bench.get(path).content).get("vehicles")
    if not isinstance(vehicles, list) or len(vehicles) != DETAIL_VEHICLES:
        listed = len(vehicles) if isinstance(vehicles, list) else None
        raise BenchFailure(f"customer_detail: {listed} vehicles, expected {DETAIL_VEHICLES}.")
    return lambda: bench.get(path)


@scenario("customer_timeline", "GET /api/v1/customers/{id}/timeline: the detail customer's 500 entries")
def _customer_timeline(bench: BenchContext) -> Call:
    path = f"/api/v1/customers/{detail_customer_id()}/timeline"
    items = json.loads(bench.get(path).content)
    if not isinstance(items, list) or len(items) != DETAIL_TIMELINE:
        listed = len(items) if isinstance(items, list) else None
        raise BenchFailure(f"customer_timeline: {listed} entries, expected {DETAIL_TIMELINE}.")
    return lambda: bench.get(path)


@scenario(
    "pdf_archive_card",
    "GET /customers/{id}/archive-card.pdf: the detail customer's archive card (20 vehicles, 500 history "
    "entries, several A4 pages) through its page URL, signed in",
)
def _pdf_archive_card(bench: BenchContext) -> Call:
    page = Client()
    page.force_login(bench.user)
    path = f"/customers/{detail_customer_id()}/archive-card.pdf"
    response = page.get(path)
    if response.status_code != 200 or response["Content-Type"] != "application/pdf":
        raise BenchFailure(f"pdf_archive_card: {response.status_code} {response['Content-Type']}.")
    pages = len(re.findall(rb"/Type\s*/Page\b", response.content))
    if not response.content.startswith(b"%PDF-") or pages < 2:
        raise BenchFailure(f"pdf_archive_card: not the card's PDF ({len(response.content)} bytes, {pages} pages).")
    return lambda: page.get(path)  # type: ignore[return-value]


@scenario(
    "search_store_staff",
    "GET /api/v1/customers/search?q=: full names and 2-3 pinyin initials of random individuals, as the advisor "
    "of S0001, a company of its own: the archive's other companies' customers (nearly all) are hidden (PIPL "
    "Art. 23) inside the search",
)
def _search_store_staff(bench: BenchContext) -> Call:
    advisor = User.objects.filter(username=f"advisor_{DETAIL_STORE.lower()}").first()
    if advisor is None:
        raise BenchFailure(f"search_store_staff: no advisor of {DETAIL_STORE}: generate the bench data first.")
    _token, raw = token_create(user=advisor, name="bench-store-staff")
    headers = {"authorization": f"Bearer {raw}"}
    rows = _sample(Customer, ("name", "name_initials", "home_store__code"), seed="store-staff", kind="individual")
    names = [name for name, _initials, _store in rows][:SAMPLES]
    initials = [text.split()[0] for _name, text, _store in rows if text and 2 <= len(text.split()[0]) <= 3]
    queries = list(dict.fromkeys(names + initials[:SAMPLES]))
    own = [name for name, _initials, store in rows if store == DETAIL_STORE]
    own_customer = Customer.all_objects.filter(home_store__code=DETAIL_STORE, kind="individual").order_by("pk").first()
    if own_customer is None or len(queries) < 10:
        raise BenchFailure("search_store_staff: generate with --customers and --vehicles.")
    found = json.loads(
        bench.client.get(f"/api/v1/customers/search?q={quote(own_customer.name)}", headers=headers).content
    )
    if own_customer.pk not in [hit["customer"]["id"] for hit in found.get("items", [])]:
        raise BenchFailure(f"search_store_staff: the advisor did not find {own_customer.number} of their own store.")
    hidden = json.loads(bench.client.get(f"/api/v1/customers/{_other_store_customer()}", headers=headers).content)
    if hidden.get("code") != "not_found":
        raise BenchFailure("search_store_staff: another company's customer was not hidden from the advisor.")
    print(f"search_store_staff: {len(queries)} queries, {len(own)} of them names of {DETAIL_STORE}'s own customers")
    cycle = itertools.cycle([f"/api/v1/customers/search?q={quote(query)}" for query in queries])
    return lambda: bench.client.get(next(cycle), headers=headers)  # type: ignore[return-value]


def _other_store_customer() -> int:
    """A customer registered at another store than S0001, without consent to sharing."""
    found = (
        Customer.all_objects.exclude(home_store__code=DETAIL_STORE)
        .filter(sharing_consent=False)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise BenchFailure("search_store_staff: no customer of another store.")
    return found
