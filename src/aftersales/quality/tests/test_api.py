"""The quality API: an order's final inspection, a visit's way to delivery, comebacks and their rates, a
vehicle's guarantees and the store's rules; each refusal names its field and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.core.models import User
from aftersales.quality.models import Comeback, Delivery, FinalInspection, GuaranteeTerm, QualitySettings, Wash
from aftersales.quality.services import quality_settings
from aftersales.visits.models import RepairOrder
from aftersales.visits.services import LineIn
from aftersales.visits.tests.conftest import signature_png

from .conftest import Yard

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def post(c: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return c.post(f"/api/v1{path}", body or {}, content_type="application/json")


def test_the_final_inspection_through_the_api(yard: Yard) -> None:
    order = yard.completed()
    qc = client(yard.qc)
    answer = qc.get(f"/api/v1/repair-orders/{order.pk}/qc").json()
    assert (answer["order_state"], answer["passed"], answer["needs_certificate"], answer["certificate"]) == (
        "completed",
        False,
        True,
        None,
    )
    assert answer["checklist"][:2] == [
        {"check": "1. 更换机油", "line": yard.shop.line(order, 1).pk},
        {"check": "3. 更换前制动片", "line": yard.shop.line(order, 3).pk},
    ]
    checks = [{"ok": True} for _check in answer["checklist"]]
    bad = post(qc, f"/repair-orders/{order.pk}/qc", {"checks": checks, "road_test": "not_needed", "passed": True})
    assert (bad.status_code, bad.json()["fields"]) == (
        422,
        {
            "fault_verified": ["Verify that the fault the customer reported is gone."],
            "signature": ["Sign the release certificate: this repair category needs one."],
        },
    )
    assert FinalInspection.objects.count() == 0
    refused = post(
        client(yard.advisor),
        f"/repair-orders/{order.pk}/qc",
        {"checks": checks, "road_test": "not_needed", "passed": True},
    )
    assert refused.status_code == 403
    response = post(
        qc,
        f"/repair-orders/{order.pk}/qc",
        {
            "checks": checks,
            "road_test": "not_needed",
            "passed": True,
            "fault_verified": True,
            "driving_advice": "200 公里内避免急刹",
            "signature": signature_png(),
        },
    )
    assert (response.status_code, response.json()["passed"], response.json()["inspector"]) == (201, True, yard.qc.pk)
    certificate = qc.get(f"/api/v1/repair-orders/{order.pk}/qc").json()["certificate"]
    year = timezone.now().astimezone(yard.store.zone).year
    assert (certificate["number"], certificate["source"], certificate["signed_by"]) == (
        f"QC-{yard.store.code}-{year}-000001",
        "store",
        yard.qc.pk,
    )
    again = post(qc, f"/repair-orders/{order.pk}/qc", {"checks": checks, "road_test": "not_needed", "passed": True})
    assert (again.status_code, again.json()["code"]) == (409, "passed")


def test_a_visit_from_the_wash_to_the_delivery_through_the_api(yard: Yard) -> None:
    order = yard.inspected()
    visit_id = order.visit_id
    washer, foreman, advisor = client(yard.washer), client(yard.shop.foreman), client(yard.advisor)
    state = advisor.get(f"/api/v1/visits/{visit_id}/delivery").json()
    assert (state["stage"], len(state["free_checks"]), len(state["wash_checks"]), len(state["lines"])) == (
        "wash",
        24,
        6,
        3,
    )
    response = post(
        washer,
        f"/visits/{visit_id}/wash",
        {"spot": "F-03", "nose_out": True, "washer": yard.washer.pk, "checks": [True] * 6},
    )
    assert (response.status_code, response.json()["stage"], response.json()["wash"]["washer"]) == (
        201,
        "handover",
        yard.washer.pk,
    )
    early = post(advisor, f"/visits/{visit_id}/ready-check", {"lines": [], "car_checked": True, "pickup_spot": "P"})
    assert (early.status_code, early.json()["code"]) == (409, "not_handed_over")
    response = post(foreman, f"/visits/{visit_id}/handover", {"keys": "K-07", "explanation": "更换前制动片"})
    assert (response.status_code, response.json()["stage"]) == (201, "check")
    lines = [{"line": line["id"], "ok": True} for line in response.json()["lines"]]
    response = post(
        advisor, f"/visits/{visit_id}/ready-check", {"lines": lines, "car_checked": True, "pickup_spot": "P-01"}
    )
    assert (response.status_code, response.json()["stage"], response.json()["orders"][0]["state"]) == (
        200,
        "deliver",
        "ready",
    )
    response = post(advisor, f"/visits/{visit_id}/pickup-arrival")
    assert response.json()["handover"]["customer_arrived_at"] is not None
    yard.paid(order)  # settled at the counter: the customer's share paid
    body = {
        "collector": "customer",
        "collector_name": "张伟",
        "mileage_out": 52_305,
        "keys_handed": True,
        "next_service_on": (timezone.now() + timedelta(days=180)).date().isoformat(),
        "next_service_km": 62_300,
        "free_checks": [{"result": "green"}] * 24,
        "rating": 5,
        "old_parts": [{"order": order.pk, "outcome": "leave"}],
    }
    unsigned = post(advisor, f"/visits/{visit_id}/delivery", body)
    assert (unsigned.status_code, unsigned.json()["fields"]) == (
        422,
        {"signature": ["Whoever collects the car signs the delivery sheet."]},
    )
    assert Delivery.objects.count() == 0
    response = post(advisor, f"/visits/{visit_id}/delivery", {**body, "signature": signature_png()})
    answer = response.json()
    assert (response.status_code, answer["stage"], answer["delivery"]["old_parts"], answer["delivery"]["rating"]) == (
        201,
        "delivered",
        {order.number: "leave"},
        5,
    )
    assert [(g["position"], g["repair_category"], g["km_to"], g["open"]) for g in answer["guarantees"]] == [
        (1, "first_level", 54_305, True),
        (3, "assembly", 72_305, True),
    ]
    guarantees = advisor.get(f"/api/v1/vehicles/{order.vehicle_id}/guarantees?open=true").json()
    assert [g["order_number"] for g in guarantees] == [order.number, order.number]
    assert RepairOrder.all_objects.get(pk=order.pk).state == "delivered"


def test_a_wash_before_the_final_inspection_is_refused(yard: Yard) -> None:
    order = yard.completed()
    response = post(
        client(yard.washer),
        f"/visits/{order.visit_id}/wash",
        {"spot": "F-03", "nose_out": True, "washer": yard.washer.pk, "checks": [True] * 6},
    )
    assert (response.status_code, response.json()["code"], response.json()["detail"]) == (
        409,
        "not_inspected",
        f"The final inspection of {order.number} has not passed yet.",
    )
    assert Wash.objects.count() == 0


def test_comebacks_through_the_api(yard: Yard) -> None:
    yard.delivered()
    r = yard.shop.reception
    order = yard.order(
        LineIn(
            kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动异响", causal_part_id=r.pads.pk
        )
    )
    qc = client(yard.qc)
    [row] = qc.get(f"/api/v1/comebacks?store={yard.store.code}").json()
    assert (row["order"], row["state"], row["in_guarantee"], row["lines"][0]["matched_by"]) == (
        order.pk,
        "flagged",
        True,
        ["category", "part", "fault"],
    )
    refused = post(qc, f"/comebacks/{row['id']}/decision", {"confirm": False})
    assert (refused.status_code, refused.json()["fields"]) == (422, {"note": ["Say why this is not a comeback."]})
    assert post(client(yard.advisor), f"/comebacks/{row['id']}/decision", {"confirm": True}).status_code == 403
    response = post(qc, f"/comebacks/{row['id']}/decision", {"confirm": True, "note": "制动片安装不当"})
    assert (response.status_code, response.json()["state"], response.json()["decided_by"]) == (
        200,
        "confirmed",
        yard.qc.pk,
    )
    assert Comeback.all_objects.get().state == "confirmed"
    today = timezone.now().astimezone(yard.store.zone).date()
    rates = qc.get(f"/api/v1/comebacks/rates?store={yard.store.code}").json()
    assert (rates["until"], rates["since"]) == (today.isoformat(), (today - timedelta(days=90)).isoformat())
    assert [(t["name"], t["delivered"], t["comebacks"], t["comeback_rate"]) for t in rates["technicians"]] == [
        ("维修技师", 2, 1, "50.0")
    ]


def test_the_stores_rules_through_the_api(yard: Yard) -> None:
    manager = client(yard.shop.reception.world.user("service_manager"))
    current = manager.get(f"/api/v1/quality/settings?store={yard.store.code}").json()
    assert (len(current["delivery_checks"]), current["comeback_days"], current["guarantees"][1]) == (
        24,
        30,
        {"repair_category": "assembly", "days": 100, "km": 20_000, "law_days": 100, "law_km": 20_000},
    )
    body = {
        "store": yard.store.code,
        "final_checks": ["灯光正常"],
        "wash_checks": ["车身"],
        "wash_skip": ["quick"],
        "delivery_checks": current["delivery_checks"],
        "comeback_days": 45,
        "guarantees": [{"repair_category": "assembly", "days": 90, "km": 30_000}],
    }
    below = manager.put("/api/v1/quality/settings", body, content_type="application/json")
    assert (below.status_code, below.json()["fields"]) == (
        422,
        {"assembly_days": ["At least the law's 100 days (机动车维修管理规定), at most 3650."]},
    )
    assert (QualitySettings.objects.count(), GuaranteeTerm.objects.count()) == (0, 0)
    body["guarantees"] = [{"repair_category": "assembly", "days": 120, "km": 30_000}]
    saved = manager.put("/api/v1/quality/settings", body, content_type="application/json")
    assert (saved.status_code, saved.json()["guarantees"][1]["days"], saved.json()["wash_skip"]) == (
        200,
        120,
        ["quick"],
    )
    assert quality_settings(yard.store).comeback_days == 45
    assert (
        client(yard.advisor).put("/api/v1/quality/settings", body, content_type="application/json").status_code == 403
    )
