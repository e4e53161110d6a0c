"""The archive's timelines read the registry of timeline sources: a later area adds its kind of item by
registering a source, without the archive importing it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.models import User
from aftersales.customers import selectors
from aftersales.customers.selectors import TimelineItem, TimelineQuery, TimelineSource
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory


def _visits(query: TimelineQuery) -> list[TimelineItem]:
    """What a later area registers: one item per survey of the customer's or the vehicle's."""
    at = timezone.now() + timedelta(days=1)
    vehicles = [query.vehicle.pk] if query.vehicle is not None else query.vehicle_ids
    return [TimelineItem(at=at, kind="survey", title=f"Survey of vehicle {pk}", note="Oil change") for pk in vehicles]


@pytest.fixture
def visits() -> Iterator[TimelineSource]:
    source = selectors.timeline_source_register(TimelineSource("survey", "Surveys", "car-front", _visits))
    yield source
    del selectors.TIMELINE_SOURCES["survey"]


def test_the_archive_registers_its_own_sources_first() -> None:
    assert selectors.timeline_kinds()[:2] == ("archive", "mileage")
    with pytest.raises(ValueError, match="Timeline source 'archive' is registered already"):
        selectors.timeline_source_register(TimelineSource("archive", "Again", "x", _visits))


def test_a_registered_source_shows_on_the_customer_and_vehicle_timelines_and_filters(
    world: World, visits: TimelineSource, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(name="郑一")
    vehicle = VehicleFactory(owner=customer, plate="沪A33333")

    items = selectors.customer_timeline(customer)
    assert (items[0].kind, items[0].title, items[0].icon) == (
        "survey",
        f"Survey of vehicle {vehicle.pk}",
        "car-front",
    )
    assert {item.kind for item in items} == {"survey", "archive"}
    assert [item.kind for item in selectors.vehicle_timeline(vehicle, kinds={"survey"})] == ["survey"]

    client = client_for(world.user("advisor"))
    page = client.get(f"/customers/{customer.pk}/", {"kind": "survey"}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert 'data-testid="timeline-survey"' in html and "Oil change" in html
    assert [item.kind for item in page.context["timeline"]] == ["survey"]
    assert client.get(f"/customers/{customer.pk}/", {"kind": "nothing"}).status_code == 400
