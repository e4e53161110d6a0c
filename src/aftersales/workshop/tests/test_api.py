"""The workshop API: dispatch, the job's clock from acceptance to the order completed, corrections, and
each refusal with nothing written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.core.models import User
from aftersales.visits.models import Line, RepairOrder, RepairOrderEvent
from aftersales.visits.services import LineIn
from aftersales.workshop.models import ClockEvent, InProcessInspection, Job, JobEvent
from aftersales.workshop.services import ClockIn as ServiceClockIn
from aftersales.workshop.services import DispatchIn, clock, dispatch, job_accept
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    """A signed-in client that reads the answers in English (the messages asserted)."""
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def post(c: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return c.post(f"/api/v1{path}", body or {}, content_type="application/json")


def brakes_order(shop: Shop) -> RepairOrder:
    """An order of one line: front brake pads (2 h, assembly repair of a recorded fault)."""
    r = shop.reception
    return shop.order(LineIn(kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动异响"))


def written() -> tuple[Any, ...]:
    """Everything the workshop writes, to assert that a refusal wrote nothing."""
    return (
        list(Job.all_objects.order_by("pk").values_list("pk", "state", "technician_id", "bay_id", "clocked_by_id")),
        list(ClockEvent.objects.order_by("pk").values_list("pk", "kind", "at", "reason")),
        JobEvent.objects.count(),
        list(Line.all_objects.order_by("pk").values_list("pk", "state")),
        list(RepairOrder.all_objects.order_by("pk").values_list("pk", "state")),
        RepairOrderEvent.objects.count(),
        InProcessInspection.objects.count(),
    )


def test_a_job_through_the_api_from_dispatch_to_the_order_completed(shop: Shop) -> None:
    order = brakes_order(shop)
    brakes = shop.line(order, 1)
    foreman, technician = client(shop.foreman), client(shop.middle)

    board = foreman.get(f"/api/v1/repair-orders/{order.pk}/dispatch")
    assert board.status_code == 200, board.json()
    line = board.json()["lines"][0]
    assert (line["id"], line["state"], line["standard_hours"], line["job"]) == (brakes.pk, "approved", "2.00", None)
    assert [
        (c["technician"], c["name"], c["load"], c["efficiency"], c["qualified"], c["problems"], c["suggested"])
        for c in line["candidates"]
    ] == [
        (shop.senior.pk, "李师傅", "0.00", "1.20", True, [], True),
        (shop.middle.pk, "维修技师", "0.00", "1.00", True, [], False),
        (shop.junior.pk, "王师傅", "0.00", "0.90", False, ["王师傅 is not Intermediate or above."], False),
    ]

    response = post(
        foreman,
        f"/repair-orders/{order.pk}/dispatch",
        {"line": brakes.pk, "technician": shop.middle.pk, "bay": shop.lift.pk},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    job = Job.all_objects.get()
    assert {
        k: body[k]
        for k in (
            "id",
            "order",
            "line",
            "position",
            "state",
            "technician",
            "technician_name",
            "bay_code",
            "standard_hours",
            "actual_hours",
            "clocked_by",
        )
    } == {
        "id": job.pk,
        "order": order.pk,
        "line": brakes.pk,
        "position": 1,
        "state": "assigned",
        "technician": shop.middle.pk,
        "technician_name": "维修技师",
        "bay_code": "L01",
        "standard_hours": "2.00",
        "actual_hours": "0.00",
        "clocked_by": None,
    }
    board = foreman.get(f"/api/v1/repair-orders/{order.pk}/dispatch").json()
    assert (board["order_state"], board["lines"][0]["job"]["id"], board["lines"][0]["candidates"]) == (
        "in_work",
        job.pk,
        [],
    )

    steps: list[tuple[str, dict[str, Any], str]] = [
        ("/accept", {}, "accepted"),
        ("/clock", {"action": "on"}, "in_progress"),
        ("/clock", {"action": "pause", "reason": "parts", "note": "等制动片"}, "paused"),
        ("/clock", {"action": "on"}, "in_progress"),
        ("/inspection", {"items": [{"item": "制动片厚度", "ok": True}, {"item": "制动盘", "ok": True}]}, "in_progress"),
        ("/clock", {"action": "off", "fault_verified": True, "report": "更换前制动片，试车无异响"}, "done"),
    ]
    for path, payload, state in steps:
        response = post(technician, f"/jobs/{job.pk}{path}", payload)
        assert (response.status_code, response.json()["state"]) == (200, state), (path, response.json())

    body = technician.get(f"/api/v1/jobs/{job.pk}").json()
    assert [(e["kind"], e["reason"], e["note"], e["technician"], e["replaces"]) for e in body["clock"]] == [
        ("on", "", "", "technician_sh", None),
        ("pause", "parts", "等制动片", "technician_sh", None),
        ("on", "", "", "technician_sh", None),
        ("off", "", "", "technician_sh", None),
    ]
    assert [(e["action"], e["from_state"], e["to_state"], e["by"]) for e in body["events"]] == [
        ("dispatch", "", "assigned", "foreman_sh"),
        ("accept", "assigned", "accepted", "technician_sh"),
        ("start", "accepted", "in_progress", "technician_sh"),
        ("pause", "in_progress", "paused", "technician_sh"),
        ("resume", "paused", "in_progress", "technician_sh"),
        ("finish", "in_progress", "done", "technician_sh"),
    ]
    assert body["inspection"]["items"] == [
        {"item": "制动片厚度", "ok": True, "note": ""},
        {"item": "制动盘", "ok": True, "note": ""},
    ]
    assert (body["inspection"]["passed"], body["inspection"]["inspector"]) == (True, "technician_sh")
    assert (body["fault_verified"], body["report"], body["clocked_by"], body["corrections"]) == (
        True,
        "更换前制动片，试车无异响",
        None,
        [],
    )
    assert RepairOrder.all_objects.get(pk=order.pk).state == "completed"
    assert Line.all_objects.get(pk=brakes.pk).state == "done"

    listed = foreman.get("/api/v1/jobs", {"store": "SH01", "state": "done"}).json()
    assert (listed["count"], [row["id"] for row in listed["items"]]) == (1, [job.pk])
    assert technician.get("/api/v1/jobs", {"store": "SH01", "mine": "true"}).json()["count"] == 1
    assert client(shop.senior).get("/api/v1/jobs", {"store": "SH01", "mine": "true"}).json()["count"] == 0


def _dispatched(shop: Shop, order: RepairOrder, position: int, technician: User) -> Job:
    return dispatch(
        actor=shop.foreman,
        order_id=order.pk,
        data=DispatchIn(shop.line(order, position).pk, technician_id=technician.pk),
    )


def test_clock_on_by_a_technician_not_assigned_is_403_and_writes_nothing(shop: Shop) -> None:
    job = _dispatched(shop, shop.order(), 1, shop.middle)
    before = written()
    response = post(client(shop.senior), f"/jobs/{job.pk}/clock", {"action": "on"})
    assert (response.status_code, response.json()) == (
        403,
        {"code": "not_assigned", "detail": "This job is not yours: it is dispatched to someone else.", "fields": {}},
    )
    assert written() == before


def test_clock_on_while_on_the_clock_elsewhere_is_409_and_writes_nothing(shop: Shop) -> None:
    order = shop.order()
    oil = _dispatched(shop, order, 1, shop.middle)
    brakes = _dispatched(shop, order, 3, shop.middle)
    clock(actor=shop.middle, job_id=oil.pk, data=ServiceClockIn("on"))
    before = written()
    response = post(client(shop.middle), f"/jobs/{brakes.pk}/clock", {"action": "on"})
    assert (response.status_code, response.json()) == (
        409,
        {
            "code": "clocked_elsewhere",
            "detail": f"You are on the clock on {order.number} line 1: pause it first.",
            "fields": {},
        },
    )
    assert written() == before


def test_dispatch_to_an_uncertified_technician_and_a_wrong_bay_is_refused_on_each_field(shop: Shop) -> None:
    order = shop.order()
    ev = Line.all_objects.create(
        store=shop.store, order=order, vehicle=order.vehicle, position=9, kind="labour", state="approved", source="requested",
        pay_type="customer", operation=shop.ev_operation, description="动力电池绝缘检测", quantity=Decimal("1.5"),
        unit_price=Decimal(300), amount=Decimal(300), net=Decimal("265.49"), tax=Decimal("34.51"), tax_rate=Decimal("0.13"),
    )  # fmt: skip
    before = written()
    response = post(
        client(shop.foreman),
        f"/repair-orders/{order.pk}/dispatch",
        {"line": ev.pk, "technician": shop.middle.pk, "bay": shop.lift.pk},
    )
    assert (response.status_code, response.json()["code"], response.json()["fields"]) == (
        400,
        "not_qualified",
        {
            "technician": ["维修技师 holds no valid EV high-voltage certificate."],
            "bay": ["Bay L01 is a “General lift” bay: this operation needs “EV high-voltage”."],
        },
    )
    assert written() == before


def test_a_line_dispatched_already_is_409_on_line(shop: Shop) -> None:
    order = shop.order()
    _dispatched(shop, order, 1, shop.junior)
    before = written()
    response = post(
        client(shop.foreman),
        f"/repair-orders/{order.pk}/dispatch",
        {"line": shop.line(order, 1).pk, "technician": shop.senior.pk},
    )
    assert (response.status_code, response.json()) == (
        409,
        {
            "code": "dispatched",
            "detail": "This line is already dispatched: re-dispatch its job instead.",
            "fields": {"line": ["This line is already dispatched: re-dispatch its job instead."]},
        },
    )
    assert written() == before


def test_a_pause_without_a_reason_is_refused_on_reason(shop: Shop) -> None:
    job = _dispatched(shop, shop.order(), 1, shop.middle)
    clock(actor=shop.middle, job_id=job.pk, data=ServiceClockIn("on"))
    before = written()
    response = post(client(shop.middle), f"/jobs/{job.pk}/clock", {"action": "pause"})
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "required",
            "detail": "Say why the job is paused.",
            "fields": {"reason": ["Say why the job is paused."]},
        },
    )
    assert written() == before


def test_the_foreman_corrects_a_clock_entry_with_a_reason_and_never_without(shop: Shop) -> None:
    job = _dispatched(shop, shop.order(), 1, shop.middle)
    job_accept(actor=shop.middle, job_id=job.pk)
    started = timezone.now() - timedelta(hours=2)
    clock(actor=shop.middle, job_id=job.pk, data=ServiceClockIn("on"), now=started)
    clock(
        actor=shop.middle,
        job_id=job.pk,
        data=ServiceClockIn("pause", reason="break"),
        now=started + timedelta(minutes=50),
    )
    entry = ClockEvent.objects.get(kind="on")
    foreman = client(shop.foreman)
    path = f"/jobs/{job.pk}/clock/{entry.pk}/correct"
    right = (started - timedelta(minutes=10)).replace(microsecond=0)
    before = written()
    response = post(foreman, path, {"at": right.isoformat(), "reason": "   "})
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "required",
            "detail": "Say why the clock is corrected.",
            "fields": {"reason": ["Say why the clock is corrected."]},
        },
    )
    assert written() == before
    assert post(client(shop.middle), path, {"at": right.isoformat(), "reason": "忘记打卡"}).status_code == 403

    response = post(foreman, path, {"at": right.isoformat(), "reason": "忘记打卡"})
    assert response.status_code == 200, response.json()
    body = response.json()
    correction = ClockEvent.objects.get(replaces=entry)
    assert [(e["id"], e["kind"], e["replaces"]) for e in body["clock"]] == [
        (correction.pk, "on", entry.pk),
        (ClockEvent.objects.get(kind="pause").pk, "pause", None),
    ]
    assert [(c["replaces"], c["kind"], c["reason"], c["by"]) for c in body["corrections"]] == [
        (entry.pk, "on", "忘记打卡", "foreman_sh")
    ]
    assert body["actual_hours"] == "1.00"
    assert ClockEvent.objects.filter(pk=entry.pk).exists()  # the entry corrected stays


def test_an_entry_of_another_job_is_not_found(shop: Shop) -> None:
    order = shop.order()
    oil = _dispatched(shop, order, 1, shop.middle)
    brakes = _dispatched(shop, order, 3, shop.senior)
    clock(actor=shop.middle, job_id=oil.pk, data=ServiceClockIn("on"))
    entry = ClockEvent.objects.get()
    response = post(
        client(shop.foreman),
        f"/jobs/{brakes.pk}/clock/{entry.pk}/correct",
        {"at": timezone.now().isoformat(), "reason": "x"},
    )
    assert response.status_code == 404
    assert not ClockEvent.objects.filter(replaces=entry).exists()
