"""The campaign pages: the list and its filters, the form (every field checked, nothing written on a
refusal), the detail with what it affects and the outreach per store, the range, model and VIN list
forms with their errors, open and close; the menu entry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from aftersales.campaigns.models import (
    Campaign,
    CampaignEvent,
    CampaignModelRange,
    CampaignVin,
    CampaignVinRange,
    Outreach,
)
from aftersales.campaigns.tests.conftest import Registry
from aftersales.campaigns.tests.factories import CampaignFactory
from aftersales.campaigns.tests.test_registry import bad_vin, xlsx
from aftersales.core.models import User
from aftersales.customers.tests.factories import valid_vin


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    session = client.session
    session["django_language"] = "en"
    session.save()
    return client


def test_the_list_filters_and_the_menu_leads_to_it(registry: Registry) -> None:
    CampaignFactory.create(operation=registry.operation, code="RC-A", state="open")
    CampaignFactory.create(operation=registry.operation, code="SC-B", kind="service")
    client = _client(registry.world.user("advisor"))
    page = client.get("/campaigns/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="campaign-RC-A"' in html and 'data-testid="campaign-SC-B"' in html
    assert 'href="/campaigns/"' in client.get("/").content.decode()
    filtered = client.get("/campaigns/", {"kind": "service"}).content.decode()
    assert 'data-testid="campaign-RC-A"' not in filtered and 'data-testid="campaign-SC-B"' in filtered
    assert client.get("/campaigns/", {"state": "lost"}).status_code == 400
    assert "New campaign" not in html
    assert _client(registry.world.user("technician")).get("/campaigns/").status_code == 403


def test_the_form_creates_a_draft_and_refuses_bad_fields_writing_nothing(registry: Registry) -> None:
    client = _client(registry.keeper)
    data = {
        "code": "rc-9",
        "brand": str(registry.brand.pk),
        "kind": "recall",
        "title": "燃油泵召回",
        "operation": str(registry.operation.pk),
        "valid_from": "2026-03-01",
        "valid_until": "2026-02-01",
        "parts": "1K0-919-051 = 2\nNOPE = 1",
    }
    refused = client.post("/campaigns/new/", data)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "No part NOPE in the part master." in html
    assert Campaign.objects.count() == 0
    refused = client.post("/campaigns/new/", {**data, "parts": "1K0-919-051 = 2"})
    assert refused.status_code == 400
    assert "The campaign cannot end before it starts." in refused.content.decode()
    assert Campaign.objects.count() == 0
    saved = client.post("/campaigns/new/", {**data, "parts": "1K0-919-051 = 2", "valid_until": ""})
    campaign = Campaign.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.code, campaign.valid_until, list(campaign.parts.values_list("quantity", flat=True))) == (
        "RC-9",
        None,
        [2],
    )
    edited = client.post(
        f"/campaigns/{campaign.pk}/edit/",
        {**data, "title": "燃油泵召回（扩大）", "valid_until": "2027-01-01", "parts": ""},
    )
    assert edited.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.title, campaign.valid_until, campaign.parts.count()) == ("燃油泵召回（扩大）", date(2027, 1, 1), 0)


def test_the_detail_adds_ranges_models_and_lists_with_their_errors(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation, brand=registry.brand)
    client = _client(registry.keeper)
    url = f"/campaigns/{campaign.pk}/"
    refused = client.post(url + "ranges/", {"first_vin": valid_vin(200), "last_vin": valid_vin(100)})
    assert refused.status_code == 400
    assert "The last serial (000100) comes before the first (000200)." in refused.content.decode()
    assert client.post(url + "ranges/", {"first_vin": valid_vin(100), "last_vin": valid_vin(200)}).status_code == 302
    assert (
        client.post(url + "models/", {"model": str(registry.model.pk), "produced_from": "2024-01-01"}).status_code
        == 302
    )
    bad = valid_vin(3)
    bad = bad[:8] + ("X" if bad[8] != "X" else "0") + bad[9:]
    refused = client.post(url + "vins/", {"file": xlsx([["VIN"], [valid_vin(2)], [bad]])})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'data-testid="rows-report"' in html and "The check digit (9th character) of this VIN is wrong." in html
    assert CampaignVin.objects.count() == 0
    # A long file: its first 100 wrong rows are listed, and how many are wrong in all.
    long_file = xlsx([["VIN"], *([bad_vin(serial)] for serial in range(10, 140))])
    refused = client.post(url + "vins/", {"file": long_file})
    assert refused.status_code == 400
    html = refused.content.decode()
    report = html.split('data-testid="rows-report"', 1)[1].split("</table>", 1)[0]
    assert (report.count("<tr><td>"), "<tr><td>2</td>" in report, "<tr><td>101</td>" in report) == (100, True, True)
    assert "<tr><td>102</td>" not in report
    assert "130 rows are wrong; the first 100 are named." in html
    assert CampaignVin.objects.count() == 0
    assert client.post(url + "vins/", {"file": xlsx([["VIN"], [valid_vin(2)]])}).status_code == 302
    page = client.get(url).content.decode()
    assert "LSVAA418*E2000100 – LSVAA418*E2000200" in page
    assert "1 VIN on the issuer&#x27;s list" in page or "1 VIN on the issuer's list" in page
    row = CampaignVinRange.objects.get()
    assert client.post(url + f"ranges/{row.pk}/remove/").status_code == 302
    assert client.post(url + "vins/clear/").status_code == 302
    assert (CampaignVinRange.objects.count(), CampaignVin.objects.count(), CampaignModelRange.objects.count()) == (
        0,
        0,
        1,
    )


def test_open_shows_what_is_missing_then_opens_and_closes(
    registry: Registry, django_capture_on_commit_callbacks: Any
) -> None:
    campaign = CampaignFactory.create(operation=registry.operation, valid_from=timezone.localdate())
    client = _client(registry.keeper)
    url = f"/campaigns/{campaign.pk}/"
    refused = client.post(url + "open/")
    assert refused.status_code == 422
    assert "Give the vehicles it affects first" in refused.content.decode()
    CampaignVin.objects.create(campaign=campaign, vin=registry.vehicle.vin)
    Campaign.objects.filter(pk=campaign.pk).update(valid_from=timezone.localdate() + timedelta(days=3))
    refused = client.post(url + "open/")
    starts = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert refused.status_code == 422
    assert (
        f'<div class="alert alert-danger" data-testid="open-errors"><div>The campaign starts on {starts}: it can be '
        "opened from that day on.</div></div>" in refused.content.decode()
    )
    assert (Campaign.objects.get().state, CampaignEvent.objects.count(), Outreach.all_objects.count()) == (
        "draft",
        0,
        0,
    )
    Campaign.objects.filter(pk=campaign.pk).update(valid_from=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        opened = client.post(url + "open/", follow=True)
    assert opened.redirect_chain == [(url, 302)]
    page = opened.content.decode()
    assert (
        f"{campaign.code} is open: the notices to the owners of the affected vehicles are being sent; the "
        "outreach per store fills in as they go." in page
    )
    # The job ran after the commit (immediate mode); the page shows what it did.
    page = client.get(url).content.decode()
    assert 'data-testid="progress-SH01"' in page
    assert (
        '<p class="text-secondary mb-0" data-testid="booked-help">Booked: live bookings of the vehicle for the '
        "campaign's work made since it opened. Only bookings of the archive's vehicle count: an online "
        "booking counts once reception matches it to the vehicle.</p>" in page
    )
    assert Outreach.all_objects.filter(campaign=campaign).count() == 1
    assert client.post(url + "close/", {"note": "结束"}).status_code == 302
    assert Campaign.objects.get().state == "closed"
    assert client.post(url + "close/", {"note": "再次"}).status_code == 409
