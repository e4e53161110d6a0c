"""The 三包 watch through the API: ``/vehicles/{id}/warranty-watch`` (and reading a line), the store's
``/warranty-alerts`` and what was done about each, the group's ``/sanbao-parts``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from aftersales.catalogue.paytypes import PayType
from aftersales.core.models import User
from aftersales.quality.models import SanbaoAlert, SanbaoLine, SanbaoPart
from aftersales.quality.services.sanbao import sanbao_evaluate
from aftersales.quality.tests.history import History
from aftersales.visits.tests.conftest import Reception

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(reception: Reception) -> History:
    found = History(reception)
    found.car()
    return found


@pytest.fixture
def advisor(history: History, client_for: Callable[[User], Client]) -> Client:
    return client_for(history.reception.advisor)


def url(history: History, tail: str = "") -> str:
    return f"/api/v1/vehicles/{history.vehicle.pk}/warranty-watch{tail}"


def test_watch_answers_counters_rules_and_visits(history: History, advisor: Client) -> None:
    first = history.repair(30, hours=26, km=1_800, off_site=[(2, 20, True)])  # 6 h counted: 1 day
    history.repair(90, hours=30, km=5_000)  # 2 days: the longest
    insured = history.visit(120, km=6_000)
    history.line(insured, pay_type=PayType.INSURANCE)
    answer = advisor.get(url(history))
    assert answer.status_code == 200
    body = answer.json()
    pads = history.reception.pads
    assert (body["evaluated"], body["cannot"], body["repair_days"]) == (True, [], 3)
    assert body["period"] == {
        "use_type": "household",
        "purchase_date": "2026-01-10",
        "delivery_date": None,
        "start": "2026-01-10",
        "warranty_end": "2029-01-09",
        "warranty_km": 60000,
        "sanbao_end": "2028-01-09",
        "sanbao_km": 50000,
    }
    assert body["problems"] == [
        {
            "key": f"part:{pads.pk}",
            "label": f"{pads.name} {pads.number_display}",
            "system": "",
            "main_part": False,
            "repairs": 2,
            "replacements": 0,
            "repair_days": 3,
            "repair_orders": ["RO-H001", "RO-H002"],
            "replacement_orders": [],
        }
    ]
    assert [(v["number"], v["day"], v["hours"], v["repair_days"], v["counted"]) for v in body["visits"]] == [
        (first.number, 30, 6.0, 1, True),
        ("VS-H002", 90, 30.0, 2, True),
        ("VS-H003", 120, 2.0, 1, False),
    ]
    assert body["visits"][0]["off_site"][0]["excluded_hours"] == 20.0
    assert body["visits"][2]["lines"][0]["excluded"] == "accident"
    assert [(r["rule"], r["article"], r["level"], r["value"]) for r in body["rules"]] == [
        ("long_repair", "第二十条", "ok", 2),
        ("safety_repairs", "第二十四条第一款第一项", "ok", 0),
        ("repair_days", "第二十四条第一款第四项", "ok", 3),
        ("same_problem", "第二十四条第一款第四项", "ok", 2),
    ]
    assert body["alerts"] == []


def test_a_car_without_invoice_date_says_it_cannot_be_evaluated(history: History, advisor: Client) -> None:
    history.car(purchased=None)
    history.repair(30)
    body = advisor.get(url(history)).json()
    assert (body["evaluated"], body["repair_days"], body["rules"], body["problems"]) == (False, None, [], [])
    assert body["cannot"] == ["没有购车发票日期（也没有交车日期）：无法确定包修期和三包有效期。"]


def test_reading_a_line_raises_the_alerts_and_answers_the_watch(
    history: History, advisor: Client, django_capture_on_commit_callbacks: Any
) -> None:
    visit = history.visit(10, km=700)
    line = history.line(visit)
    with django_capture_on_commit_callbacks(execute=True):
        answer = advisor.put(
            url(history, f"/lines/{line.pk}"),
            {"cause": "quality", "safety": "brake_failure", "note": "制动失灵"},
            content_type="application/json",
        )
    assert answer.status_code == 200
    assert [row["safety"] for row in answer.json()["visits"][0]["lines"]] == ["brake_failure"]
    assert list(SanbaoAlert.objects.order_by("rule").values_list("rule", "level")) == [
        ("early_safety", "alert"),
        ("safety_repairs", "warning"),
    ]
    alerts = advisor.get("/api/v1/warranty-alerts", {"store": "SH01"}).json()
    assert [(a["rule"], a["article"], a["level"], a["orders"], a["state"]) for a in alerts] == [
        ("safety_repairs", "第二十四条第一款第一项", "warning", ["RO-H001"], "open"),
        ("early_safety", "第二十三条", "alert", ["RO-H001"], "open"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cause": "weather"}, "cause"),
        ({"cause": "quality", "safety": "flat"}, "safety"),
        ({"cause": "accident", "safety": "fuel_leak"}, "safety"),
        ({"cause": "quality", "note": "x" * 201}, "note"),
    ],
)
def test_bad_reading_is_422_and_writes_nothing(
    history: History, advisor: Client, body: dict[str, str], field: str
) -> None:
    line = history.line(history.visit(10))
    answer = advisor.put(url(history, f"/lines/{line.pk}"), body, content_type="application/json")
    assert answer.status_code == 422
    assert field in str(answer.json())
    assert SanbaoLine.objects.count() == 0


def test_a_line_of_another_car_is_404(history: History, advisor: Client) -> None:
    line = history.line(history.visit(10))
    answer = advisor.put(
        f"/api/v1/vehicles/{history.vehicle.pk + 1000}/warranty-watch/lines/{line.pk}",
        {"cause": "quality"},
        content_type="application/json",
    )
    assert answer.status_code == 404


def test_dealing_with_an_alert_once(history: History, advisor: Client) -> None:
    for day in (30, 90, 150, 210):
        history.repair(day)
    [alert] = sanbao_evaluate(history.vehicle.pk, group_id=history.reception.store.group_id, now=history.at(300))
    path = f"/api/v1/warranty-alerts/{alert.pk}/action"
    refused = advisor.post(path, {"action": "other", "note": " "}, content_type="application/json")
    assert (refused.status_code, refused.json()["fields"]) == (422, {"note": ["请说明采取了哪些措施。"]})
    done = advisor.post(path, {"action": "customer_informed", "note": "已电话告知"}, content_type="application/json")
    assert done.status_code == 200
    assert {k: done.json()[k] for k in ("state", "action", "action_note", "action_by_name")} == {
        "state": "done",
        "action": "customer_informed",
        "action_note": "已电话告知",
        "action_by_name": history.reception.advisor.full_name,
    }
    again = advisor.post(path, {"action": "courtesy_car"}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "already_done")
    assert SanbaoAlert.objects.get().action == "customer_informed"
    assert advisor.get("/api/v1/warranty-alerts", {"store": "SH01"}).json() == []
    assert len(advisor.get("/api/v1/warranty-alerts", {"store": "SH01", "state": "done"}).json()) == 1


def test_listing_and_removing_main_parts(
    history: History, advisor: Client, client_for: Callable[[User], Client]
) -> None:
    pads = history.reception.pads
    body = {"store": "SH01", "number": pads.number_display, "system": "brake"}
    answer = advisor.put("/api/v1/sanbao-parts", body, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json() == {
        "part": pads.pk,
        "number": pads.number_display,
        "name": pads.name,
        "brand": pads.brand.name,
        "system": "brake",
        "is_assembly": False,
    }
    wrong = advisor.put("/api/v1/sanbao-parts", {**body, "is_assembly": True}, content_type="application/json")
    assert (wrong.status_code, list(wrong.json()["fields"])) == (422, ["is_assembly"])
    unknown = advisor.put("/api/v1/sanbao-parts", {**body, "number": "NOPE-1"}, content_type="application/json")
    assert (unknown.status_code, list(unknown.json()["fields"])) == (400, ["number"])
    assert SanbaoPart.objects.get().system == "brake"
    assert [row["number"] for row in advisor.get("/api/v1/sanbao-parts", {"store": "SH01"}).json()] == [
        pads.number_display
    ]
    technician = client_for(history.reception.world.user("technician"))
    assert technician.delete(f"/api/v1/sanbao-parts/{pads.pk}").status_code == 403
    assert advisor.delete(f"/api/v1/sanbao-parts/{pads.pk}").status_code == 204
    assert SanbaoPart.objects.count() == 0
    assert advisor.delete(f"/api/v1/sanbao-parts/{pads.pk}").status_code == 404
