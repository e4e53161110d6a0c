"""The staff booking offers the car's open campaigns: the booking page's partial (a button that ticks the
campaign's service) and the API; a booking that adds the offered service counts as booked."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from aftersales.campaigns.models import Campaign, CampaignVin
from aftersales.campaigns.tests.conftest import Registry
from aftersales.campaigns.tests.factories import CampaignFactory
from aftersales.core.models import User


def _client(user: User, store_id: int) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    session = client.session
    session["store_id"] = store_id
    session.save()
    return client


def _recall(registry: Registry) -> Campaign:
    campaign = CampaignFactory.create(
        operation=registry.operation, code="RC-BK", title="燃油泵召回", state="open", opened_at=timezone.now()
    )
    CampaignVin.objects.create(campaign=campaign, vin=registry.vehicle.vin)
    return campaign


def test_the_booking_page_offers_the_cars_open_campaigns(registry: Registry) -> None:
    _recall(registry)
    client = _client(registry.world.user("crm"), registry.world.sh.pk)
    page = client.get("/appointments/new/").content.decode()
    assert 'id="offers"' in page and 'hx-get="/appointments/offers/"' in page
    partial = client.get("/appointments/offers/", {"vehicle": registry.vehicle.pk})
    assert partial.status_code == 200
    html = partial.content.decode()
    assert html.count('data-testid="offer"') == 1
    assert f'data-offer="operation:{registry.operation.pk}"' in html
    assert "RC-BK" in html and "燃油泵召回" in html
    # The page lists that service among its choices, so the button can tick it.
    assert f'value="operation:{registry.operation.pk}"' in page
    assert 'data-testid="offer"' not in client.get("/appointments/offers/").content.decode()
    assert client.get("/appointments/offers/", {"vehicle": "x"}).status_code == 400
    assert client.get("/appointments/offers/", {"vehicle": 999999}).status_code == 404


def test_the_api_answers_the_offers_of_a_vehicle_or_a_vin(registry: Registry) -> None:
    _recall(registry)
    client = _client(registry.world.user("crm"), registry.world.sh.pk)
    expected = [
        {
            "source": "campaign",
            "kind": "recall",
            "kind_label": "Recall",
            "code": "RC-BK",
            "title": "燃油泵召回",
            "service_ref": f"operation:{registry.operation.pk}",
            "note": "更换燃油泵",
            "valid_until": None,
        }
    ]
    by_vehicle = client.get("/api/v1/appointments/offers", {"store": "SH01", "vehicle": registry.vehicle.pk})
    assert (by_vehicle.status_code, by_vehicle.json()) == (200, expected)
    by_vin = client.get("/api/v1/appointments/offers", {"store": "SH01", "vin": registry.vehicle.vin})
    assert by_vin.json() == expected
    assert client.get("/api/v1/appointments/offers", {"store": "SH01"}).json() == []
    technician = _client(registry.world.user("technician"), registry.world.sh.pk)
    assert technician.get("/api/v1/appointments/offers", {"store": "SH01"}).status_code == 403
