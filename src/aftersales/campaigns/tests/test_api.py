"""The campaigns API: enter, affect, open, close, import; the match; bad input refused with nothing
written; who may do what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from aftersales.campaigns.models import Campaign, CampaignVin, CampaignVinRange, Outreach
from aftersales.campaigns.tests.conftest import Registry
from aftersales.campaigns.tests.factories import CampaignFactory
from aftersales.campaigns.tests.test_registry import bad_vin, xlsx
from aftersales.core.models import Role, StaffMembership, User
from aftersales.customers.tests.factories import valid_vin


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _create(registry: Registry, **changes: Any) -> dict[str, Any]:
    body = {
        "code": "RC-2026-014",
        "brand": registry.brand.code,
        "kind": "recall",
        "title": "燃油泵召回",
        "operation": registry.operation.pk,
        "valid_from": "2026-03-01",
        "valid_until": "2027-02-28",
        "parts": [{"part": "1K0 919 051", "quantity": "1"}],
        **changes,
    }
    return body


def test_a_recall_is_entered_affected_opened_and_matched(
    registry: Registry, django_capture_on_commit_callbacks: Any
) -> None:
    keeper = _client(registry.keeper)
    answer = keeper.post("/api/v1/campaigns", _create(registry), content_type="application/json")
    assert answer.status_code == 201, answer.content
    created = answer.json()
    campaign_id = created["id"]
    assert (created["state"], created["brand"], created["vin_count"], created["progress"]) == (
        "draft",
        registry.brand.code,
        0,
        [],
    )
    assert created["parts"] == [{"part": "1K0-919-051", "name": registry.part.name, "quantity": "1.000"}]
    answer = keeper.post(
        f"/api/v1/campaigns/{campaign_id}/ranges",
        {"first_vin": valid_vin(100000), "last_vin": valid_vin(100099)},
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert {k: v for k, v in answer.json().items() if k != "id"} == {
        "prefix": "LSVAA418*E2",
        "serial_from": "100000",
        "serial_to": "100099",
    }
    answer = keeper.post(
        f"/api/v1/campaigns/{campaign_id}/vins", {"file": xlsx([["VIN"], [valid_vin(7)], [valid_vin(7)]])}
    )
    assert answer.json() == {"rows": 2, "added": 1, "repeated": 1, "vin_count": 1}
    with django_capture_on_commit_callbacks(execute=True):
        answer = keeper.post(f"/api/v1/campaigns/{campaign_id}/open")
    assert answer.status_code == 200, answer.content
    opened = answer.json()
    # The answer leaves before the job has chased anyone: it says the notices are on their way.
    assert (opened["state"], opened["outreach_queued"], opened["message"], opened["progress"]) == (
        "open",
        True,
        "RC-2026-014 is open: the notices to the owners of the affected vehicles are being sent; the outreach "
        "per store fills in as they go.",
        [],
    )
    assert keeper.get(f"/api/v1/campaigns/{campaign_id}").json()["progress"] == [
        {
            "store": "SH01",
            "vehicles": 1,
            "notified": 1,
            "reached": 0,
            "booked": 0,
            "completed": 0,
            "tasks": 0,
            "reached_rate": "0.0",
            "booked_rate": "0.0",
            "completed_rate": "0.0",
        }
    ]
    advisor = _client(registry.world.user("advisor"))
    answer = advisor.get("/api/v1/campaigns/match", {"vin": registry.vehicle.vin.lower(), "store": "SH01"})
    assert answer.status_code == 200
    assert answer.json() == {
        "vin": registry.vehicle.vin,
        "vehicle": registry.vehicle.pk,
        "campaigns": [
            {
                "id": campaign_id,
                "code": "RC-2026-014",
                "kind": "recall",
                "title": "燃油泵召回",
                "service_ref": f"operation:{registry.operation.pk}",
                "operation": "RC-FP 更换燃油泵",
                "valid_until": "2027-02-28",
            }
        ],
    }
    miss = advisor.get("/api/v1/campaigns/match", {"vin": valid_vin(100100), "store": "SH01"}).json()
    assert (miss["vehicle"], miss["campaigns"]) == (None, [])
    refused = advisor.get("/api/v1/campaigns/match", {"vin": valid_vin(7), "store": "SZ01"})
    assert (refused.status_code, refused.json()["fields"]) == (400, {"store": ["Unknown store."]})
    other_store = _client(registry.world.user("advisor", "sz"))
    listed = other_store.get("/api/v1/campaigns/match", {"vin": valid_vin(7), "store": "SZ01"}).json()
    assert [row["code"] for row in listed["campaigns"]] == ["RC-2026-014"]
    answer = keeper.post(f"/api/v1/campaigns/{campaign_id}/close", {"note": "结束"}, content_type="application/json")
    assert answer.json()["state"] == "closed"
    assert advisor.get("/api/v1/campaigns/match", {"vin": valid_vin(7), "store": "SH01"}).json()["campaigns"] == []


def test_the_match_of_an_unknown_vin_uses_the_model_and_date_given(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation, code="RC-M", state="open")
    campaign.models.create(model=registry.model, produced_from=date(2024, 1, 1), produced_until=date(2024, 12, 31))
    client = _client(registry.world.user("frontdesk"))
    query = {"vin": valid_vin(55), "store": "SH01", "model": registry.model.pk}
    assert client.get("/api/v1/campaigns/match", query).json()["campaigns"] == []
    found = client.get("/api/v1/campaigns/match", {**query, "production_date": "2024-06-01"}).json()
    assert [row["code"] for row in found["campaigns"]] == ["RC-M"]


def test_bad_input_is_refused_on_its_field_and_nothing_is_written(registry: Registry) -> None:
    keeper = _client(registry.keeper)
    answer = keeper.post(
        "/api/v1/campaigns", _create(registry, valid_until="2026-01-01"), content_type="application/json"
    )
    assert (answer.status_code, answer.json()["fields"]) == (
        422,
        {"valid_until": ["The campaign cannot end before it starts."]},
    )
    answer = keeper.post(
        "/api/v1/campaigns",
        _create(registry, parts=[{"part": "NOPE", "quantity": "1"}]),
        content_type="application/json",
    )
    assert answer.json()["fields"] == {"parts.0.part": ["Choose a part of the campaign's brand."]}
    assert Campaign.objects.count() == 0
    campaign = CampaignFactory.create(operation=registry.operation)
    answer = keeper.post(
        f"/api/v1/campaigns/{campaign.pk}/ranges",
        {"first_vin": valid_vin(100), "last_vin": valid_vin(200, prefix="LSVAB4180E2")},
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert list(answer.json()["fields"]) == ["last_vin"]
    bad = valid_vin(3)
    bad = bad[:8] + ("X" if bad[8] != "X" else "0") + bad[9:]
    answer = keeper.post(f"/api/v1/campaigns/{campaign.pk}/vins", {"file": xlsx([["车架号"], [valid_vin(2)], [bad]])})
    assert (answer.status_code, answer.json()["fields"]) == (
        422,
        {"rows.3.vin": ["The check digit (9th character) of this VIN is wrong."]},
    )
    answer = _client(registry.world.user("advisor")).get("/api/v1/campaigns/match", {"vin": "LSV", "store": "SH01"})
    assert (answer.status_code, answer.json()["fields"]) == (
        422,
        {"vin": ["A VIN must have 17 characters; this one has 3."]},
    )
    assert (CampaignVin.objects.count(), CampaignVinRange.objects.count()) == (0, 0)


def test_an_open_campaign_is_not_changed_and_an_ended_one_not_opened(registry: Registry) -> None:
    keeper = _client(registry.keeper)
    opened = CampaignFactory.create(operation=registry.operation, code="RC-O", state="open")
    answer = keeper.patch(f"/api/v1/campaigns/{opened.pk}", {"title": "改"}, content_type="application/json")
    assert answer.status_code == 409
    ended = CampaignFactory.create(
        operation=registry.operation, code="RC-E", valid_until=timezone.localdate() - timedelta(days=1)
    )
    CampaignVin.objects.create(campaign=ended, vin=registry.vehicle.vin)
    answer = keeper.post(f"/api/v1/campaigns/{ended.pk}/open")
    assert answer.status_code == 422
    assert answer.json()["fields"] == {
        "valid_until": [f"The campaign ended on {ended.valid_until.isoformat()}: it can no longer be opened."]
    }
    assert (Campaign.objects.get(pk=ended.pk).state, Outreach.all_objects.count()) == ("draft", 0)
    starts = timezone.localdate() + timedelta(days=1)
    early = CampaignFactory.create(operation=registry.operation, code="RC-F", valid_from=starts)
    CampaignVin.objects.create(campaign=early, vin=registry.vehicle.vin)
    answer = keeper.post(f"/api/v1/campaigns/{early.pk}/open")
    assert (answer.status_code, answer.json()["fields"]) == (
        422,
        {"valid_from": [f"The campaign starts on {starts.isoformat()}: it can be opened from that day on."]},
    )
    assert (Campaign.objects.get(pk=early.pk).state, Outreach.all_objects.count()) == ("draft", 0)


def test_advisors_read_but_do_not_keep_and_the_list_filters(registry: Registry) -> None:
    CampaignFactory.create(operation=registry.operation, code="RC-A", state="open")
    CampaignFactory.create(operation=registry.operation, code="SC-B", kind="service")
    advisor = _client(registry.world.user("advisor"))
    answer = advisor.get("/api/v1/campaigns", {"kind": "recall"})
    assert [row["code"] for row in answer.json()["items"]] == ["RC-A"]
    assert advisor.post("/api/v1/campaigns", _create(registry), content_type="application/json").status_code == 403
    technician = _client(registry.world.user("technician"))
    assert technician.get("/api/v1/campaigns").status_code == 403
    with translation.override("en"):
        assert Campaign.objects.count() == 2


def test_the_match_shows_the_archives_vehicle_only_to_who_sees_the_archive_in_the_store_asked(
    registry: Registry,
) -> None:
    campaign = CampaignFactory.create(operation=registry.operation, code="RC-V", state="open")
    CampaignVin.objects.create(campaign=campaign, vin=registry.vehicle.vin)
    # Campaigns but not the archive at SH01; an advisor (who sees the archive) at SZ01.
    registry_only = Role.objects.create(code="campaign_reader", name="活动查询", permissions=["campaigns.view"])
    reader = User.objects.create(username="reader")
    StaffMembership.objects.create(user=reader, store=registry.world.sh, role=registry_only)
    StaffMembership.objects.create(user=reader, store=registry.world.sz, role=Role.objects.get(code="advisor"))
    client = _client(reader)
    at_sh = client.get("/api/v1/campaigns/match", {"vin": registry.vehicle.vin, "store": "SH01"}).json()
    assert (at_sh["vehicle"], [row["code"] for row in at_sh["campaigns"]]) == (None, ["RC-V"])
    at_sz = client.get("/api/v1/campaigns/match", {"vin": registry.vehicle.vin, "store": "SZ01"}).json()
    assert (at_sz["vehicle"], [row["code"] for row in at_sz["campaigns"]]) == (registry.vehicle.pk, ["RC-V"])
    advisor = _client(registry.world.user("advisor"))
    at_sh = advisor.get("/api/v1/campaigns/match", {"vin": registry.vehicle.vin, "store": "SH01"}).json()
    assert at_sh["vehicle"] == registry.vehicle.pk


def test_a_long_refused_vin_list_names_its_first_100_wrong_rows_and_counts_them_all(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation)
    upload = xlsx([["VIN"], *([bad_vin(serial)] for serial in range(10, 130))])  # rows 2-121 wrong
    answer = _client(registry.keeper).post(f"/api/v1/campaigns/{campaign.pk}/vins", {"file": upload})
    body = answer.json()
    assert (answer.status_code, body["detail"], body["wrong_rows"]) == (
        422,
        "Some rows of the file are wrong; nothing was taken in.",
        120,
    )
    assert body["fields"] == {
        **{f"rows.{number}.vin": ["The check digit (9th character) of this VIN is wrong."] for number in range(2, 102)},
        "file": ["120 rows are wrong; the first 100 are named."],
    }
    assert CampaignVin.objects.count() == 0


def test_the_vin_list_of_an_open_campaign_is_refused_before_its_file_is_read(registry: Registry) -> None:
    campaign = CampaignFactory.create(operation=registry.operation, state="open")
    answer = _client(registry.keeper).post(
        f"/api/v1/campaigns/{campaign.pk}/vins", {"file": SimpleUploadedFile("vins.xlsx", b"not a workbook")}
    )
    assert (answer.status_code, answer.json()["detail"]) == (
        409,
        f"Campaign {campaign.code} is Open: only a draft can be changed.",
    )
    assert CampaignVin.objects.count() == 0


def test_the_booked_count_says_which_bookings_it_counts(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]["ProgressOut"]["properties"]
    assert schema["booked"]["description"] == (
        "With a live booking made since the campaign opened that includes its operation. Only bookings of the "
        "archive's vehicle count: an online booking counts once reception matches it to the vehicle."
    )
