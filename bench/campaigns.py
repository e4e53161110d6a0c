"""The campaigns' scenario ``campaign_match``: the open campaigns of a VIN against 500 campaigns covering
5 million VINs, as booking, reception and completion ask them.

No generator option: the scenario's set-up (untimed, once per database) writes the registry when the
bench group has none: 100 campaigns with the issuer's VIN list (30,000 VINs each, 3 million rows),
350 with VIN ranges (two ranges of 2,858 serials each, 2,000,600 VINs: 5,000,600 in all), and 50 of a model built in a
period, all open and valid today. The list rows go in with the loading technique of ``bench.loading``
(executemany on SQLite, COPY on PostgreSQL, plain indexes dropped for the load and rebuilt after).

Each call asks ``GET /api/v1/campaigns/match?vin=...&store=...`` for the next of 12 VINs in turn: listed
ones, ones inside a range and at its ends, a serial between two listed VINs, a serial just past a range,
a VIN of another series with a serial inside a range, and VINs no campaign knows (hits and misses).
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db import connection, transaction
from django.utils import timezone

from aftersales.campaigns.models import Campaign, CampaignModelRange, CampaignVin, CampaignVinRange
from aftersales.campaigns.selectors import range_key
from aftersales.catalogue.models import LabourOperation
from aftersales.core import identifiers
from aftersales.core.models import Brand, DealerGroup, Store
from aftersales.customers.models import VehicleModel
from bench.loading import GenerateResult, Table, deferred_foreign_keys, deferred_indexes, load_settings
from bench.registry import BenchContext, BenchFailure, Call, scenario

LISTS, LISTED_EACH = 100, 30_000
RANGED, RANGES_EACH, RANGE_SERIALS = 350, 2, 2_858
MODELLED = 50
CODE = "BENCH-RC-"
OPERATION = "BENCH-RC"


def vin(head: str, serial: int) -> str:
    """A valid VIN: ``head`` the 8 characters before the check digit and the 2 after, then the serial."""
    draft = f"{head[:8]}0{head[8:]}{serial:06d}"
    return draft[:8] + identifiers.vin_check_digit(draft) + draft[9:]


def list_head(index: int) -> str:
    return f"LFV{index:05d}R1"


def range_head(index: int) -> str:
    return f"LSG{index:05d}R2"


def _write(group: DealerGroup) -> str:
    brand = Brand.objects.order_by("code").first()
    if brand is None:
        raise BenchFailure("campaign_match: no brands: run bench generate first.")
    operation, _new = LabourOperation.objects.get_or_create(
        group=group,
        brand=None,
        code=OPERATION,
        defaults={
            "name": "召回检修",
            "category": "diagnosis",
            "default_hours": Decimal("1.00"),
            "skill_level": "junior",
            "repair_category": "minor",
        },
    )
    today = timezone.localdate()
    common = {
        "group_id": group.pk,
        "operation_id": operation.pk,
        "state": Campaign.State.OPEN,
        "valid_from": today - timedelta(days=30),
        "valid_until": today + timedelta(days=365),
        "opened_at": timezone.now(),
    }
    campaigns = Campaign.objects.bulk_create(
        Campaign(code=f"{CODE}{number:03d}", kind=kind, title=f"基准活动{number}", **common)
        for number, kind in enumerate(["recall"] * LISTS + ["recall"] * RANGED + ["service"] * MODELLED)
    )
    listed, ranged, modelled = campaigns[:LISTS], campaigns[LISTS : LISTS + RANGED], campaigns[LISTS + RANGED :]
    CampaignVinRange.objects.bulk_create(
        CampaignVinRange(
            campaign=campaign,
            prefix=range_key(vin(range_head(index), 0)),
            serial_from=f"{part * 100_000:06d}",
            serial_to=f"{part * 100_000 + RANGE_SERIALS - 1:06d}",
        )
        for index, campaign in enumerate(ranged)
        for part in range(RANGES_EACH)
    )
    models = [
        VehicleModel.objects.get_or_create(brand=brand, series="基准", name=f"基准车型{index}")[0]
        for index in range(MODELLED)
    ]
    CampaignModelRange.objects.bulk_create(
        CampaignModelRange(
            campaign=campaign, model=model, produced_from=date(2023, 1, 1), produced_until=date(2024, 6, 30)
        )
        for campaign, model in zip(modelled, models, strict=True)
    )
    result = GenerateResult()
    started = time.monotonic()
    # The foreign keys first: on PostgreSQL their checks still pending from the campaigns just written
    # are run before the list's index is dropped (a table with pending trigger events cannot be altered).
    with load_settings(), deferred_foreign_keys([CampaignVin]), deferred_indexes(CampaignVin):
        table = Table(CampaignVin, result, "campaign VINs")
        for index, campaign in enumerate(listed):
            head = list_head(index)
            for serial in range(0, LISTED_EACH * 2, 2):  # every other serial: the odd ones are misses
                table.add(campaign_id=campaign.pk, vin=vin(head, serial))
        table.flush()
    if connection.vendor == "postgresql":
        # Analysed as autovacuum would do shortly after (it is off on this machine's server): the planner
        # then knows the lists hold one row per VIN rather than guessing thousands.
        with connection.cursor() as cursor:
            for model in (Campaign, CampaignVin, CampaignVinRange, CampaignModelRange):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    covered = LISTS * LISTED_EACH + RANGED * RANGES_EACH * RANGE_SERIALS
    return (
        f"{len(campaigns)} campaigns covering {covered:,} VINs written: "
        f"{result.counts.get('campaign VINs', 0):,} list rows in {time.monotonic() - started:.0f} s"
    )


@transaction.atomic
def campaign_registry() -> tuple[Store, str]:
    """The bench group's registry of 500 open campaigns (written once) and the store the calls ask for."""
    store = Store.all_objects.filter(is_active=True).order_by("code").first()
    if store is None:
        raise BenchFailure("campaign_match: no stores: run bench generate first.")
    group = DealerGroup.objects.get(pk=store.group_id)
    have = Campaign.objects.filter(group=group, code__startswith=CODE).count()
    if have == LISTS + RANGED + MODELLED:
        return store, f"{have} campaigns there already"
    if have:
        raise BenchFailure(f"campaign_match: {have} bench campaigns of {LISTS + RANGED + MODELLED}: a broken set-up.")
    return store, _write(group)


def asks() -> list[tuple[str, int]]:
    """The VINs the calls ask for in turn, each with the number of campaigns it is open in."""
    last_listed = (LISTED_EACH - 1) * 2
    return [
        (vin(list_head(0), 0), 1),
        (vin(list_head(LISTS // 2), last_listed // 2 // 2 * 2), 1),
        (vin(list_head(LISTS - 1), last_listed), 1),
        (vin(list_head(LISTS // 8), last_listed // 4 // 2 * 2 + 1), 0),  # between two listed serials
        (vin(range_head(0), 0), 1),  # a range's first
        (vin(range_head(RANGED // 2), RANGE_SERIALS - 1), 1),  # a range's last
        (vin(range_head(RANGED - 1), 100_000 + RANGE_SERIALS // 2), 1),  # inside the second range
        (vin(range_head(RANGED // 3), RANGE_SERIALS), 0),  # just past a range
        (vin(f"LSH{RANGED // 3:05d}R2", RANGE_SERIALS // 3), 0),  # another series, a serial inside a range
        (vin("LHG12345R3", 123_456), 0),
        (vin(list_head(LISTS + 50), 0), 0),  # a list head no campaign has
        (vin(range_head(RANGED + 50), 10), 0),
    ]


@scenario(
    "campaign_match",
    "GET /api/v1/campaigns/match: the open campaigns of a VIN against 500 campaigns covering 5 million VINs "
    "(3 million listed, 2 million in ranges, 50 model periods), twelve VINs in turn, hits and misses",
)
def _campaign_match(bench: BenchContext) -> Call:
    store, written = campaign_registry()
    asked = asks()
    paths = [f"/api/v1/campaigns/match?{urlencode({'vin': code, 'store': store.code})}" for code, _n in asked]
    for path, (code, expected) in zip(paths, asked, strict=True):
        response = bench.get(path)
        if response.status_code != 200:
            raise BenchFailure(f"campaign_match: HTTP {response.status_code}: {response.content[:300]!r}")
        found = len(json.loads(response.content)["campaigns"])
        if found != expected:
            raise BenchFailure(f"campaign_match: {code} is in {found} open campaigns, not {expected}.")
    print(f"  campaign_match: {written}; {len(paths)} VINs in turn as {store.code}, every answer checked once")
    cycle = itertools.cycle(paths)
    return lambda: bench.get(next(cycle))
