"""The vehicle's production date (recalls name models built in a period): kept, changed, cleared and
shown by the API and the vehicle's page; a date in the future refused."""

from __future__ import annotations

from datetime import date, timedelta

from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.customers.models import Vehicle
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory, valid_vin


def _client(world: World) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.user("advisor"))
    return client


def test_the_api_keeps_and_clears_the_production_date(world: World) -> None:
    client = _client(world)
    owner = CustomerFactory.create()
    answer = client.post(
        "/api/v1/vehicles",
        {"vin": valid_vin(42), "owner_id": owner.pk, "production_date": "2024-03-15"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    created = answer.json()
    assert created["production_date"] == "2024-03-15"
    url = f"/api/v1/vehicles/{created['id']}"
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    refused = client.patch(
        url, {"version": created["version"], "production_date": future}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["fields"]) == (
        422,
        {"production_date": ["The date cannot be in the future."]},
    )
    assert Vehicle.objects.get(pk=created["id"]).production_date == date(2024, 3, 15)
    cleared = client.patch(
        url, {"version": created["version"], "production_date": None}, content_type="application/json"
    )
    assert (cleared.status_code, cleared.json()["production_date"]) == (200, None)


def test_the_vehicle_page_shows_and_edits_the_production_date(world: World) -> None:
    vehicle = VehicleFactory.create(vin=valid_vin(43), production_date=date(2023, 8, 1))
    client = _client(world)
    page = client.get(f"/customers/vehicles/{vehicle.pk}/").content.decode()
    assert "Production date" in page and "2023-08-01" in page
    form = client.get(f"/customers/vehicles/{vehicle.pk}/edit/").content.decode()
    assert 'name="production_date"' in form and 'value="2023-08-01"' in form
