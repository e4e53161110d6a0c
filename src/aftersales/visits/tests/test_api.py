"""The visits API: reception, the walk-around, the diagnosis, repair orders, their lines and approvals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from aftersales.core.tests.factories import image_bytes
from aftersales.customers.models import MileageReading
from aftersales.parts.models import Reservation
from aftersales.visits.models import (
    CheckResult,
    DamageMark,
    Diagnosis,
    FaultCode,
    Line,
    LineApproval,
    Recommendation,
    RepairOrder,
    RepairOrderEvent,
    TyreReading,
    Visit,
    VisitEvent,
)
from aftersales.visits.services import LineIn, OrderIn, line_add, repair_order_create, visit_open
from aftersales.visits.tests.conftest import Reception, signature_png

D = Decimal


def client(user: Any) -> Client:
    """A signed-in client that reads the answers in English (the messages asserted)."""
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def advisor(reception: Reception) -> Client:
    return client(reception.advisor)


def later(hours: int = 4) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def order_of(reception: Reception, visit: Visit, *lines: LineIn) -> RepairOrder:
    return repair_order_create(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=OrderIn(
            statement="保养，刹车有异响",
            signature=signature_png(),
            signed_name="张伟",
            lines=list(lines)
            or [
                LineIn(kind="labour", operation_id=reception.oil.pk),
                LineIn(kind="part", part_id=reception.filter.pk, quantity=D(1)),
                LineIn(kind="labour", operation_id=reception.brakes.pk, source="diagnosis"),
            ],
        ),
    )


def visit_state(visit: Visit) -> tuple[Any, ...]:
    return (
        Visit.all_objects.values_list("state", "parking_spot", "promised_at").get(pk=visit.pk),
        VisitEvent.objects.count(),
        MileageReading.objects.count(),
    )


def order_state() -> tuple[Any, ...]:
    return (
        list(RepairOrder.all_objects.order_by("pk").values_list("pk", "state")),
        list(Line.all_objects.order_by("pk").values_list("pk", "state", "unit_price", "amount", "priced_at")),
        list(Reservation.all_objects.order_by("pk").values_list("part_id", "quantity", "demand_line_id")),
        RepairOrderEvent.objects.count(),
        LineApproval.objects.count(),
    )


# --- visits -------------------------------------------------------------------------------------------------


def test_reception_opens_a_visit(reception: Reception, advisor: Client) -> None:
    promised = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)
    response = advisor.post(
        "/api/v1/visits",
        {
            "store": "SH01",
            "customer": reception.customer.pk,
            "vehicle": reception.vehicle.pk,
            "mileage_in": 52300,
            "fuel_level": 5,
            "address_as": "张先生",
            "contact_verified": True,
            "parking_spot": "B-12",
            "key_tag": "K-07",
            "waiting": "leaves",
            "needs": "保养\n刹车异响",
            "promised_at": promised.isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    visit = Visit.all_objects.get()
    body = response.json()
    offset = promised.astimezone(reception.store.zone).isoformat()[-6:]
    assert body["arrived_at"].endswith(offset) and body["promised_at"].endswith(offset)
    assert datetime.fromisoformat(body["promised_at"]) == promised
    for name in ("arrived_at", "promised_at", "contact_verified_at", "created_at"):
        body.pop(name)
    assert body == {
        "id": visit.pk,
        "number": visit.number,
        "store": "SH01",
        "state": "on_site",
        "appointment": None,
        "customer": reception.customer.pk,
        "vehicle": reception.vehicle.pk,
        "plate": "沪A12345",
        "advisor": "advisor_sh",
        "contact_name": "张伟",
        "contact_mobile": "139****5678",
        "address_as": "张先生",
        "mileage_in": 52300,
        "fuel_level": 5,
        "parking_spot": "B-12",
        "key_tag": "K-07",
        "waiting": "leaves",
        "lounge_notes": "",
        "needs": "保养\n刹车异响",
        "left_at": None,
        "walk_around": None,
        "diagnosis": None,
        "recommendations": [],
        "orders": [],
        "events": [
            {
                "at": body["events"][0]["at"],
                "by": "advisor_sh",
                "action": "open",
                "from_state": "",
                "to_state": "on_site",
                "note": "",
            }
        ],
    }
    assert visit.number.startswith("VS-SH01-")
    assert list(MileageReading.objects.order_by("pk").values_list("km", flat=True)) == [48_000, 52_300]


def test_a_lower_mileage_needs_a_reason_and_nothing_is_opened(reception: Reception, advisor: Client) -> None:
    readings = MileageReading.objects.count()
    response = advisor.post(
        "/api/v1/visits",
        {
            "store": "SH01",
            "customer": reception.customer.pk,
            "vehicle": reception.vehicle.pk,
            "mileage_in": 47_000,
            "fuel_level": 9,
            "advisor": "nobody",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"fuel_level": ["Enter a value of at most 8."]}
    response = advisor.post(
        "/api/v1/visits",
        {
            "store": "SH01",
            "customer": reception.customer.pk,
            "vehicle": reception.vehicle.pk,
            "mileage_in": 47_000,
            "fuel_level": 4,
            "advisor": "nobody",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "mileage_reason": ["The mileage is lower than the last reading (48,000 km on 2026-05-01): give a reason."],
        "advisor": ["Choose an advisor of this store."],
    }
    assert (Visit.all_objects.count(), MileageReading.objects.count()) == (0, readings)


def test_the_list_filters_by_day_state_and_vehicle(reception: Reception, visit: Visit, advisor: Client) -> None:
    today = reception.today().isoformat()
    response = advisor.get("/api/v1/visits", {"store": "SH01", "date_from": today, "date_to": today})
    assert response.status_code == 200
    page = response.json()
    assert (page["count"], [row["number"] for row in page["items"]]) == (1, [visit.number])
    assert page["items"][0]["contact_mobile"] == "139****5678"
    yesterday = (reception.today() - timedelta(days=1)).isoformat()
    for query in ({"date_to": yesterday}, {"state": "left"}, {"vehicle": reception.vehicle.pk + 1}):
        assert advisor.get("/api/v1/visits", {"store": "SH01", **query}).json()["count"] == 0, query
    assert advisor.get("/api/v1/visits", {"store": "SH01", "vehicle": reception.vehicle.pk}).json()["count"] == 1
    response = advisor.get("/api/v1/visits", {"store": "SZ01"})
    assert (response.status_code, response.json()["fields"]) == (400, {"store": ["Unknown store."]})


def test_reception_changes_the_visit_and_the_customer_leaves(
    reception: Reception, visit: Visit, advisor: Client
) -> None:
    response = advisor.patch(
        f"/api/v1/visits/{visit.pk}", {"parking_spot": "C-03", "lounge_notes": "咖啡"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["parking_spot"], response.json()["lounge_notes"], response.json()["key_tag"]) == (
        "C-03",
        "咖啡",
        "K-07",
    )
    assert VisitEvent.objects.filter(visit=visit).values_list("action", "note").last() == (
        "update",
        "parking_spot, lounge_notes",
    )
    before = visit_state(visit)
    response = advisor.patch(f"/api/v1/visits/{visit.pk}", {"key_tag": None}, content_type="application/json")
    assert (response.status_code, list(response.json()["fields"])) == (422, ["key_tag"])
    assert visit_state(visit) == before

    response = advisor.post(f"/api/v1/visits/{visit.pk}/leave", {"reason": "价格太高"}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["events"][-1]["note"]) == ("left", "价格太高")
    before = visit_state(visit)
    response = advisor.post(f"/api/v1/visits/{visit.pk}/leave", {"reason": "再次"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (409, "not_allowed")
    assert visit_state(visit) == before


def test_another_stores_advisor_and_an_outsider_do_not_see_the_visit(reception: Reception, visit: Visit) -> None:
    order = order_of(reception, visit)
    other = client(reception.world.user("advisor", "sz"))
    for path in (f"/api/v1/visits/{visit.pk}", f"/api/v1/repair-orders/{order.pk}"):
        response = other.get(path)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    response = other.post(f"/api/v1/visits/{visit.pk}/leave", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 404
    outsider = client(reception.world.users["outsider"])
    assert outsider.get(f"/api/v1/visits/{visit.pk}").status_code == 403
    assert Visit.all_objects.get().state == "on_site"


# --- walk-around and diagnosis -------------------------------------------------------------------------------


def test_the_walk_around_is_recorded_marked_and_signed(reception: Reception, visit: Visit, advisor: Client) -> None:
    base = f"/api/v1/visits/{visit.pk}/walk-around"
    codes = [item["code"] for item in _checklist(advisor, visit)]
    response = advisor.put(
        base,
        {
            "covers": True,
            "glass": {"ok": False, "note": "前挡裂纹"},
            "valuables": "行车记录仪",
            "tyres": {"fl": "4.5", "fr": "4.0", "rl": "6", "rr": "5.5"},
            "checks": [{"item": code, "rating": "green"} for code in codes[:-1]]
            + [{"item": codes[-1], "rating": "amber", "note": "前轮偏磨"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["covers_fitted"], body["glass_ok"], body["glass_note"], body["valuables"]) == (
        True,
        False,
        "前挡裂纹",
        "行车记录仪",
    )
    assert body["tyres"] == {"fl": "4.5", "fr": "4.0", "rl": "6.0", "rr": "5.5"}
    assert [(c["code"], c["rating"], c["note"]) for c in body["checks"]][-2:] == [
        ("safety_steering", "green", ""),
        ("tyres", "amber", "前轮偏磨"),
    ]
    assert len(body["checks"]) == 20 and body["signed"] is False

    response = advisor.post(
        f"{base}/damages",
        {"kind": "scratch", "x": "120", "y": "340", "note": "左前门", "photo": _photo()},
    )
    assert response.status_code == 201, response.json()
    mark = DamageMark.objects.get()
    assert response.json() == {
        "id": mark.pk,
        "kind": "scratch",
        "x": 120,
        "y": 340,
        "note": "左前门",
        "photo": mark.photo_id,
    }
    assert mark.photo_id is not None
    second = advisor.post(f"{base}/damages", {"kind": "dent", "x": "500", "y": "500"}).json()
    assert second["photo"] is None
    assert advisor.delete(f"{base}/damages/{second['id']}").status_code == 204
    assert list(DamageMark.objects.values_list("kind", flat=True)) == ["scratch"]

    response = advisor.post(
        f"{base}/complete", {"signature": signature_png(), "signer_name": "张伟"}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["signed"], response.json()["completed_by"]) == (True, "advisor_sh")
    detail = advisor.get(f"/api/v1/visits/{visit.pk}").json()
    assert [d["kind"] for d in detail["walk_around"]["damages"]] == ["scratch"]


def _checklist(c: Client, visit: Visit) -> list[dict[str, Any]]:
    response = c.put(f"/api/v1/visits/{visit.pk}/walk-around", {}, content_type="application/json")
    assert response.status_code == 200
    return response.json()["checks"]


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("damage.png", image_bytes("PNG"), content_type="image/png")


def test_a_wrong_walk_around_field_is_named_and_nothing_saved(
    reception: Reception, visit: Visit, advisor: Client
) -> None:
    response = advisor.put(
        f"/api/v1/visits/{visit.pk}/walk-around",
        {
            "covers": True,
            "tyres": {"fl": "4.5", "fr": "25"},
            "checks": [{"item": "brakes", "rating": "green"}, {"item": "nothing", "rating": "red"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"checks.1.item": ["Unknown check."]}
    response = advisor.put(
        f"/api/v1/visits/{visit.pk}/walk-around",
        {"covers": True, "tyres": {"fl": "4.5", "fr": "25"}, "checks": [{"item": "brakes", "rating": "green"}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"tyres.fr": ["Enter the tread depth in mm, from 0 to 20, e.g. 4.5."]}
    assert (TyreReading.objects.count(), CheckResult.objects.count()) == (0, 0)
    response = advisor.post(
        f"/api/v1/visits/{visit.pk}/walk-around/complete",
        {"signature": signature_png(), "signer_name": "张伟"},
        content_type="application/json",
    )
    assert (response.status_code, sorted(response.json()["fields"])) == (422, ["checks", "covers_fitted", "tyres"])


def test_the_diagnosis_and_its_recommendations(reception: Reception, visit: Visit, advisor: Client) -> None:
    response = advisor.put(
        f"/api/v1/visits/{visit.pk}/diagnosis",
        {"symptoms": "制动异响", "equipment": "VAS 6150", "codes": ["c1234", "P0301-00", "P1234"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["codes"] == [
        {"code": "C1234", "failure_type": "", "text": "C1234", "brand_specific": True},
        {"code": "P0301", "failure_type": "00", "text": "P0301-00", "brand_specific": False},
        {"code": "P1234", "failure_type": "", "text": "P1234", "brand_specific": True},
    ]
    assert (body["symptoms"], body["equipment"], body["diagnosed_by"]) == ("制动异响", "VAS 6150", "advisor_sh")

    response = advisor.put(
        f"/api/v1/visits/{visit.pk}/diagnosis",
        {"symptoms": "改", "codes": ["P0301", "P03O1"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "codes.1": ["“P03O1” is not a fault code: it has the letter O where a zero belongs."]
    }
    assert Diagnosis.objects.get().symptoms == "制动异响"
    assert list(FaultCode.objects.order_by("pk").values_list("code", flat=True)) == ["C1234", "P0301", "P1234"]

    response = advisor.post(
        f"/api/v1/visits/{visit.pk}/recommendations",
        {
            "operation": reception.brakes.pk,
            "fault_code": "c1234",
            "symptom": "制动异响",
            "causal_part": reception.pads.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    rec = Recommendation.objects.get()
    body = response.json()
    body.pop("created_at")
    assert body == {
        "id": rec.pk,
        "source": "diagnosis",
        "operation": {"id": reception.brakes.pk, "code": "BR02", "name": "更换前制动片"},
        "note": "",
        "fault_code": "C1234",
        "symptom": "制动异响",
        "causal_part": reception.pads.pk,
        "line": None,
    }
    detail = advisor.get(f"/api/v1/visits/{visit.pk}").json()
    assert ([r["id"] for r in detail["recommendations"]], detail["diagnosis"]["codes"][0]["text"]) == (
        [rec.pk],
        "C1234",
    )
    assert advisor.delete(f"/api/v1/visits/{visit.pk}/recommendations/{rec.pk}").status_code == 204
    assert advisor.delete(f"/api/v1/visits/{visit.pk}/recommendations/{rec.pk}").status_code == 404
    assert Recommendation.objects.count() == 0


def test_a_diagnosis_with_a_letter_o_for_a_zero_is_refused_on_its_code(
    reception: Reception, visit: Visit, advisor: Client
) -> None:
    response = advisor.put(
        f"/api/v1/visits/{visit.pk}/diagnosis", {"codes": ["P03O1"]}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "codes.0": ["“P03O1” is not a fault code: it has the letter O where a zero belongs."]
    }
    assert (Diagnosis.objects.count(), FaultCode.objects.count()) == (0, 0)


# --- repair orders ---------------------------------------------------------------------------------------------


def _order_payload(reception: Reception, visit: Visit) -> dict[str, Any]:
    return {
        "visit": visit.pk,
        "statement": "保养，刹车有异响",
        "signature": signature_png(),
        "signed_name": "张伟",
        "road_test_consent": True,
        "lines": [
            {"kind": "labour", "operation": reception.oil.pk},
            {"kind": "part", "part": reception.filter.pk, "quantity": "1"},
            {
                "kind": "labour",
                "operation": reception.brakes.pk,
                "source": "diagnosis",
                "fault_code": "c1234",
                "symptom": "制动异响",
                "causal_part": reception.pads.pk,
            },
            {"kind": "part", "part": reception.pads.pk, "source": "diagnosis"},
        ],
    }


def test_the_order_is_written_and_signed(reception: Reception, visit: Visit, advisor: Client) -> None:
    response = advisor.post("/api/v1/repair-orders", _order_payload(reception, visit), content_type="application/json")
    assert response.status_code == 201, response.json()
    order = RepairOrder.all_objects.get()
    body = response.json()
    assert (body["id"], body["number"], body["state"], body["visit_number"], body["plate"]) == (
        order.pk,
        f"RO-SH01-{reception.today().year}-000001",
        "open",
        visit.number,
        "沪A12345",
    )
    assert body["actions"] == []  # the advisor may cancel, but not through /transitions (the workshop's)
    assert [
        (
            line["position"],
            line["kind"],
            line["state"],
            line["pay_type"],
            line["quantity"],
            line["unit_price"],
            line["amount"],
            line["net"],
            line["tax"],
            line["reserved"],
            [(a["kind"], a["approved"], a["amount"], a["person"], a["signed"]) for a in line["approvals"]],
        )
        for line in body["lines"]
    ] == [
        (1, "labour", "approved", "customer", "1.000", "200.00", "200.00", "176.99", "23.01", None,
         [("customer_in_person", True, "200.00", "张伟", True)]),
        (2, "part", "approved", "customer", "1.000", "88.00", "88.00", "77.88", "10.12", "1.000",
         [("customer_in_person", True, "88.00", "张伟", True)]),
        (3, "labour", "proposed", "customer", "2.000", "200.00", "400.00", "353.98", "46.02", None, []),
        (4, "part", "proposed", "customer", "1.000", "420.00", "420.00", "371.68", "48.32", "0.000", []),
    ]  # fmt: skip
    assert (body["lines"][2]["fault_code"], body["lines"][2]["symptom"], body["lines"][1]["part_number"]) == (
        "C1234",
        "制动异响",
        "06L-115-562",
    )
    assert [(e["line"], e["action"], e["from_state"], e["to_state"], e["by"]) for e in body["events"]] == [
        (None, "sign", "", "open", "advisor_sh"),
        (1, "approve", "proposed", "approved", "advisor_sh"),
        (2, "approve", "proposed", "approved", "advisor_sh"),
    ]
    offset = body["signed_at"][-6:]
    assert offset == timezone.now().astimezone(reception.store.zone).isoformat()[-6:]

    listed = advisor.get("/api/v1/repair-orders", {"store": "SH01", "state": "open"}).json()
    assert (listed["count"], listed["items"][0]["number"]) == (1, body["number"])
    today = reception.today().isoformat()
    assert advisor.get("/api/v1/repair-orders", {"store": "SH01", "date_from": today}).json()["count"] == 1
    tomorrow = (reception.today() + timedelta(days=1)).isoformat()
    assert advisor.get("/api/v1/repair-orders", {"store": "SH01", "date_from": tomorrow}).json()["count"] == 0
    assert advisor.get(f"/api/v1/visits/{visit.pk}").json()["orders"] == [
        {"id": order.pk, "number": body["number"], "state": "open"}
    ]


def test_a_wrong_order_is_refused_with_every_field_and_nothing_written(
    reception: Reception, visit: Visit, advisor: Client
) -> None:
    payload = _order_payload(reception, visit)
    payload["lines"][2]["fault_code"] = "P03O1"
    payload["lines"].append({"kind": "sublet", "description": ""})
    before = order_state()
    response = advisor.post("/api/v1/repair-orders", payload, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "lines.2.fault_code": ["“P03O1” is not a fault code: it has the letter O where a zero belongs."],
        "lines.4.description": ["Describe the line."],
        "lines.4.unit_price": ["Enter the price."],
    }
    assert order_state() == before


def test_the_order_answers_in_the_same_queries_for_10_and_60_lines(
    reception: Reception, django_assert_num_queries: Any
) -> None:
    kinds = [
        LineIn(kind="labour", operation_id=reception.oil.pk),
        LineIn(kind="part", part_id=reception.filter.pk, quantity=D(1)),
        LineIn(kind="sublet", description="四轮定位", unit_price=D("150.00"), source="walk_around"),
    ]
    c = client(reception.advisor)
    orders = []
    for count in (10, 60):
        visit = Visit.all_objects.filter(state="on_site").first() or _new_visit(reception)
        order = order_of(reception, visit, *[kinds[n % 3] for n in range(count)])
        Visit.all_objects.filter(pk=visit.pk).update(state="delivered")
        orders.append(order)
    c.get(f"/api/v1/repair-orders/{orders[0].pk}")  # the session and the grants read once
    for order, count in zip(orders, (10, 60), strict=True):
        with django_assert_num_queries(QUERIES):
            response = c.get(f"/api/v1/repair-orders/{order.pk}")
        assert (response.status_code, len(response.json()["lines"])) == (200, count)


QUERIES = 12


def _new_visit(reception: Reception) -> Visit:
    return visit_open(actor=reception.advisor, data=reception.visit_in(mileage_in=60_000))


def test_lines_are_added_priced_and_moved(reception: Reception, visit: Visit, advisor: Client) -> None:
    order = order_of(reception, visit)
    base = f"/api/v1/repair-orders/{order.pk}"
    response = advisor.post(
        f"{base}/lines",
        {"kind": "sublet", "description": "四轮定位", "unit_price": "150", "cost": "90", "source": "walk_around"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    line = Line.all_objects.get(order=order, position=4)
    body = response.json()
    assert (body["id"], body["position"], body["state"], body["source"], body["unit_price"], body["amount"]) == (
        line.pk,
        4,
        "proposed",
        "walk_around",
        "150.00",
        "150.00",
    )
    assert (body["cost"], body["tax_rate"], body["reserved"], body["actions"]) == ("90.00", "0.13", None, [])

    response = advisor.patch(
        f"{base}/lines/{line.pk}", {"unit_price": "180", "reason": "含材料"}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["unit_price"], response.json()["amount"], response.json()["price_overridden"]) == (
        "180.00",
        "180.00",
        True,
    )
    assert RepairOrderEvent.objects.filter(line=line, action="price").values_list("note", flat=True).get() == (
        "150.00 → 180.00: 含材料"
    )

    approved = Line.all_objects.get(order=order, position=1)
    before = order_state()
    response = advisor.patch(
        f"{base}/lines/{approved.pk}", {"unit_price": "150", "reason": "打折"}, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"], response.json()["fields"]) == (
        403,
        "forbidden",
        {"unit_price": ["This line is approved: changing its price needs the permission to change approved prices."]},
    )
    assert order_state() == before

    technician = client(reception.world.user("technician"))
    proposed = Line.all_objects.get(order=order, position=3)
    response = technician.post(
        f"{base}/lines/{proposed.pk}/transitions", {"action": "start"}, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "not_allowed")
    assert order_state() == before
    response = technician.post(
        f"{base}/lines/{approved.pk}/transitions",
        {"action": "dispatch", "note": "王师傅"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["fields"]) == (
        409,
        {"action": ["Labour is dispatched and clocked in the workshop, not here."]},
    )
    assert order_state() == before

    response = technician.post(f"{base}/transitions", {"action": "start_work"}, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["actions"]) == ("in_work", ["complete"])


def test_ready_and_deliver_are_not_taken_here(reception: Reception, visit: Visit) -> None:
    order = order_of(reception, visit)
    foreman = client(reception.world.user("foreman"))
    before = order_state()
    for action in ("ready", "deliver"):
        response = foreman.post(
            f"/api/v1/repair-orders/{order.pk}/transitions", {"action": action}, content_type="application/json"
        )
        assert (response.status_code, response.json()["fields"]) == (
            409,
            {"action": [f"“{action}” is done by final inspection and delivery, not here."]},
        )
    assert order_state() == before
    other = client(reception.world.user("foreman", "sz"))
    response = other.post(
        f"/api/v1/repair-orders/{order.pk}/transitions", {"action": "complete"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_approvals_are_recorded_per_line(reception: Reception, visit: Visit, advisor: Client) -> None:
    order = order_of(reception, visit)
    insured = line_add(
        actor=reception.advisor,
        order_id=order.pk,
        data=LineIn(kind="labour", operation_id=reception.brakes.pk, pay_type="insurance"),
    )
    brakes = Line.all_objects.get(order=order, position=3)
    base = f"/api/v1/repair-orders/{order.pk}/approvals"
    before = order_state()
    response = advisor.post(
        base,
        {
            "kind": "customer_in_person",
            "person": "张伟",
            "signature": signature_png(),
            "decisions": [{"line": insured.pk, "approve": True}, {"line": brakes.pk, "approve": True}],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "decisions.0.line": [
            "Line 4 (Insurance) is approved by Insurer loss assessment (定损), not by Customer in person (signature)."
        ]
    }
    assert order_state() == before

    response = advisor.post(
        base,
        {
            "kind": "customer_phone",
            "person": "张伟",
            "note": "电话确认",
            "decisions": [{"line": brakes.pk, "approve": True}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    approval = LineApproval.objects.get(line=brakes)
    body = response.json()
    assert len(body) == 1
    at = body[0].pop("at")
    assert at.endswith(timezone.now().astimezone(reception.store.zone).isoformat()[-6:])
    assert body[0] == {
        "id": approval.pk,
        "line": brakes.pk,
        "position": 3,
        "kind": "customer_phone",
        "approved": True,
        "amount": "400.00",
        "by": "advisor_sh",
        "person": "张伟",
        "signed": False,
        "insurer": "",
        "claim_number": "",
        "assessed_amount": None,
        "deductible": None,
        "provider": "",
        "contract_number": "",
        "authorisation_number": "",
        "campaign": None,
        "note": "电话确认",
        "snapshot_hash": approval.snapshot_hash,
    }
    assert Line.all_objects.get(pk=brakes.pk).state == "approved"
    listed = advisor.get(base).json()
    assert [(a["position"], a["kind"]) for a in listed] == [
        (1, "customer_in_person"),
        (2, "customer_in_person"),
        (3, "customer_phone"),
    ]
