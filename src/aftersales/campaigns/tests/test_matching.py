"""The open campaigns of a VIN or a vehicle: listed, in a range (both ends included, the check digit
not compared, another series never), of a model built in a period; only open and valid ones of the
store's group; not those the vehicle completed. One query."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from aftersales.appointments.offers import Offer, offers_for
from aftersales.campaigns import services
from aftersales.campaigns.models import Campaign, CampaignModelRange, CampaignVin, CampaignVinRange, Outreach
from aftersales.campaigns.selectors import open_campaigns, range_key, vehicle_open_campaigns
from aftersales.campaigns.tests.conftest import PREFIX, Registry
from aftersales.campaigns.tests.factories import CampaignFactory
from aftersales.core.tests.factories import DealerGroupFactory
from aftersales.customers.tests.factories import valid_vin

TODAY = date(2026, 5, 20)


def _open(campaign: Campaign) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.OPEN, opened_at=timezone.now())
    campaign.refresh_from_db()
    return campaign


def _codes(campaigns: list[Campaign]) -> list[str]:
    return [campaign.code for campaign in campaigns]


def _ranged(registry: Registry, first: int, last: int, code: str = "RC-R") -> Campaign:
    campaign = CampaignFactory.create(operation=registry.operation, code=code)
    CampaignVinRange.objects.create(
        campaign=campaign, prefix=range_key(valid_vin(first)), serial_from=f"{first:06d}", serial_to=f"{last:06d}"
    )
    return _open(campaign)


def test_a_listed_vin_matches_and_another_does_not(registry: Registry) -> None:
    campaign = _open(CampaignFactory.create(operation=registry.operation, code="RC-L"))
    CampaignVin.objects.create(campaign=campaign, vin=valid_vin(7))
    group = registry.world.sh.group_id
    assert _codes(open_campaigns(group_id=group, vin=valid_vin(7), day=TODAY)) == ["RC-L"]
    assert open_campaigns(group_id=group, vin=valid_vin(8), day=TODAY) == []


@pytest.mark.parametrize(
    ("serial", "hit"), [(99, False), (100, True), (101, True), (150, True), (199, True), (200, True), (201, False)]
)
def test_a_range_holds_both_ends_and_nothing_outside(registry: Registry, serial: int, hit: bool) -> None:
    _ranged(registry, 100, 200)
    found = open_campaigns(group_id=registry.world.sh.group_id, vin=valid_vin(serial), day=TODAY)
    assert _codes(found) == (["RC-R"] if hit else [])


def test_the_check_digit_differs_within_a_range_and_is_not_compared(registry: Registry) -> None:
    _ranged(registry, 100, 200)
    first, inside = valid_vin(100), valid_vin(117)
    assert first[8] != inside[8]  # each its own check digit
    assert _codes(open_campaigns(group_id=registry.world.sh.group_id, vin=inside, day=TODAY)) == ["RC-R"]


def test_a_vin_of_another_series_with_a_serial_in_the_range_does_not_match(registry: Registry) -> None:
    _ranged(registry, 100, 200)
    other = valid_vin(150, prefix="LSVAB4180E2")  # the 5th character differs
    assert other[11:] == "000150"
    assert open_campaigns(group_id=registry.world.sh.group_id, vin=other, day=TODAY) == []
    model_year = valid_vin(150, prefix=PREFIX[:9] + "F" + PREFIX[10])  # the 10th (model year) differs
    assert open_campaigns(group_id=registry.world.sh.group_id, vin=model_year, day=TODAY) == []


def test_serials_with_letters_compare_as_text(registry: Registry) -> None:
    campaign = _open(CampaignFactory.create(operation=registry.operation, code="RC-T"))
    key = range_key(valid_vin(1))
    CampaignVinRange.objects.create(campaign=campaign, prefix=key, serial_from="A00000", serial_to="A99999")
    vin = PREFIX + "A12345"
    assert _codes(open_campaigns(group_id=registry.world.sh.group_id, vin=vin, day=TODAY)) == ["RC-T"]
    assert open_campaigns(group_id=registry.world.sh.group_id, vin=PREFIX + "B00000", day=TODAY) == []


@pytest.mark.parametrize(
    ("produced", "period", "hit"),
    [
        (date(2024, 3, 15), (date(2024, 1, 1), date(2024, 6, 30)), True),
        (date(2024, 1, 1), (date(2024, 1, 1), date(2024, 6, 30)), True),
        (date(2024, 6, 30), (date(2024, 1, 1), date(2024, 6, 30)), True),
        (date(2024, 7, 1), (date(2024, 1, 1), date(2024, 6, 30)), False),
        (date(2023, 12, 31), (date(2024, 1, 1), None), False),
        (date(2030, 1, 1), (date(2024, 1, 1), None), True),
        (None, (date(2024, 1, 1), None), False),
        (None, (None, None), True),
    ],
)
def test_a_model_built_in_a_period(
    registry: Registry, produced: date | None, period: tuple[date | None, date | None], hit: bool
) -> None:
    campaign = _open(CampaignFactory.create(operation=registry.operation, code="RC-M"))
    CampaignModelRange.objects.create(
        campaign=campaign, model=registry.model, produced_from=period[0], produced_until=period[1]
    )
    found = open_campaigns(
        group_id=registry.world.sh.group_id,
        vin=valid_vin(5),
        day=TODAY,
        model_id=registry.model.pk,
        production_date=produced,
    )
    assert _codes(found) == (["RC-M"] if hit else [])


def test_only_open_campaigns_valid_that_day_of_the_group(registry: Registry) -> None:
    vin = valid_vin(9)
    specs = [
        ("A-OPEN", Campaign.State.OPEN, date(2026, 1, 1), None),
        ("B-LAST-DAY", Campaign.State.OPEN, date(2026, 1, 1), TODAY),
        ("C-ENDED", Campaign.State.OPEN, date(2026, 1, 1), TODAY - timedelta(days=1)),
        ("D-LATER", Campaign.State.OPEN, TODAY + timedelta(days=1), None),
        ("E-DRAFT", Campaign.State.DRAFT, date(2026, 1, 1), None),
        ("F-CLOSED", Campaign.State.CLOSED, date(2026, 1, 1), None),
    ]
    for code, state, valid_from, valid_until in specs:
        campaign = CampaignFactory.create(
            operation=registry.operation, code=code, state=state, valid_from=valid_from, valid_until=valid_until
        )
        CampaignVin.objects.create(campaign=campaign, vin=vin)
    other_group = CampaignFactory.create(
        operation__group=DealerGroupFactory.create(code="OTHER"), code="G-OTHER", state=Campaign.State.OPEN
    )
    CampaignVin.objects.create(campaign=other_group, vin=vin)
    assert _codes(open_campaigns(group_id=registry.world.sh.group_id, vin=vin, day=TODAY)) == ["B-LAST-DAY", "A-OPEN"]


def test_a_vehicle_matches_by_each_way_once_and_not_after_completing(registry: Registry) -> None:
    vehicle = registry.vehicle
    listed = _open(CampaignFactory.create(operation=registry.operation, code="RC-1"))
    CampaignVin.objects.create(campaign=listed, vin=vehicle.vin)
    both = _ranged(registry, 100000, 100099, code="RC-2")
    CampaignVin.objects.create(campaign=both, vin=vehicle.vin)
    modelled = _open(CampaignFactory.create(operation=registry.operation, code="RC-3"))
    CampaignModelRange.objects.create(campaign=modelled, model=registry.model, produced_from=date(2024, 1, 1))
    group = registry.world.sh.group_id
    with CaptureQueriesContext(connection) as queries:
        found = vehicle_open_campaigns(group_id=group, vehicle=vehicle, day=TODAY)
    assert _codes(found) == ["RC-1", "RC-2", "RC-3"]
    assert len(queries) == 1
    Outreach.all_objects.create(campaign=listed, vehicle=vehicle, store=registry.world.sh, completed_at=timezone.now())
    assert _codes(vehicle_open_campaigns(group_id=group, vehicle=vehicle, day=TODAY)) == ["RC-2", "RC-3"]


def test_bookings_are_offered_each_open_campaign_as_its_operation(registry: Registry) -> None:
    campaign = _open(
        CampaignFactory.create(
            operation=registry.operation, code="RC-9", title="燃油泵召回", valid_until=date(2027, 1, 1)
        )
    )
    CampaignVin.objects.create(campaign=campaign, vin=registry.vehicle.vin)
    expected = Offer(
        source="campaign",
        kind="recall",
        kind_label="Recall",
        code="RC-9",
        title="燃油泵召回",
        service_ref=f"operation:{registry.operation.pk}",
        note="更换燃油泵",
        valid_until=date(2027, 1, 1),
    )
    with translation.override("en"):
        assert offers_for(registry.world.sh, day=TODAY, vehicle=registry.vehicle) == [expected]
        assert offers_for(registry.world.sh, day=TODAY, vin=registry.vehicle.vin.lower()) == [expected]
    assert offers_for(registry.world.sh, day=TODAY, vin="LSVAA") == []
    services.campaign_close(actor=registry.keeper, campaign_id=campaign.pk)
    assert offers_for(registry.world.sh, day=TODAY, vehicle=registry.vehicle) == []
