"""The technician's clock: on, pause with a reason, off when done; one job at a time; the records a job
needs before it is done; the foreman's corrections; parts requested, issued and received."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.messaging.models import Message
from aftersales.parts.models import StockMove
from aftersales.purchasing.models import Supplier
from aftersales.purchasing.services import (
    DeliveredLine,
    order_approve,
    order_receive,
    order_send,
    order_submit,
    purchase_limit_set,
)
from aftersales.visits.models import Line, RepairOrder
from aftersales.visits.services import LineIn
from aftersales.workshop.models import ClockEvent, Job, JobEvent, PartsRequest, Team
from aftersales.workshop.services import (
    ClockIn,
    DispatchIn,
    InspectionItem,
    clock,
    clock_correct,
    dispatch,
    finding_report,
    inspection_record,
    parts_order,
    parts_request,
    parts_request_issue,
    parts_request_receive,
    shortages,
)
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db


def _state(job: Job) -> tuple[object, ...]:
    job.refresh_from_db()
    return (
        job.state,
        job.clocked_by_id,
        job.actual_minutes,
        ClockEvent.objects.filter(job=job).count(),
        JobEvent.objects.filter(job=job).count(),
        Line.all_objects.get(pk=job.line_id).state,
    )


def test_a_job_from_clock_on_to_done_completes_the_order(shop: Shop) -> None:
    order = shop.order()
    oil, brakes = shop.line(order, 1), shop.line(order, 3)
    start = timezone.now() - timedelta(hours=3)
    oil_job = dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(oil.pk, technician_id=shop.middle.pk))
    brake_job = dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(brakes.pk, technician_id=shop.middle.pk)
    )
    tech = shop.middle
    clock(actor=tech, job_id=oil_job.pk, data=ClockIn("on"), now=start)
    assert _state(oil_job) == ("in_progress", tech.pk, 0, 1, 3, "in_progress")  # dispatch, accept, start
    clock(actor=tech, job_id=oil_job.pk, data=ClockIn("off"), now=start + timedelta(minutes=50))
    assert _state(oil_job) == ("done", None, 50, 2, 4, "done")
    clock(actor=tech, job_id=brake_job.pk, data=ClockIn("on"), now=start + timedelta(minutes=55))
    clock(
        actor=tech,
        job_id=brake_job.pk,
        data=ClockIn("pause", reason="parts", note="等刹车片"),
        now=start + timedelta(minutes=75),
    )
    assert _state(brake_job) == ("paused", None, 20, 2, 4, "in_progress")
    clock(actor=tech, job_id=brake_job.pk, data=ClockIn("on"), now=start + timedelta(minutes=115))
    before = _state(brake_job)
    with pytest.raises(ApplicationError) as refused, translation.override("en"):
        clock(actor=tech, job_id=brake_job.pk, data=ClockIn("off"), now=start + timedelta(minutes=170))
    assert refused.value.fields == {
        "inspection": ["Record the in-process inspection first: this repair category needs it."],
        "fault_verified": ["Verify that the fault is gone before the job is done."],
        "report": ["Write a short service report: what was found and what was done."],
    }
    assert _state(brake_job) == before
    inspection_record(
        actor=shop.foreman,
        job_id=brake_job.pk,
        items=[InspectionItem("制动片安装", True), InspectionItem("制动液液位", True)],
    )
    job = clock(
        actor=tech,
        job_id=brake_job.pk,
        data=ClockIn("off", fault_verified=True, report="更换前制动片，路试异响消除"),
        now=start + timedelta(minutes=170),
    )
    assert (job.state, job.actual_minutes, job.actual_hours, job.fault_verified) == ("done", 75, Decimal("1.25"), True)
    assert RepairOrder.all_objects.get(pk=order.pk).state == "completed"


def test_one_job_on_the_clock_at_a_time_and_only_for_its_technician(shop: Shop) -> None:
    order = shop.order()
    first = dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.senior.pk)
    )
    second = dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 3).pk, technician_id=shop.senior.pk)
    )
    before = _state(first)
    with pytest.raises(ApplicationError) as refused:
        clock(actor=shop.junior, job_id=first.pk, data=ClockIn("on"))
    assert (refused.value.status, refused.value.code) == (403, "not_assigned")
    assert _state(first) == before
    clock(actor=shop.senior, job_id=first.pk, data=ClockIn("on"))
    before = _state(second)
    with pytest.raises(ConflictError) as elsewhere, translation.override("en"):
        clock(actor=shop.senior, job_id=second.pk, data=ClockIn("on"))
    assert (elsewhere.value.code, str(elsewhere.value)) == (
        "clocked_elsewhere",
        f"You are on the clock on {order.number} line 1: pause it first.",
    )
    assert _state(second) == before
    with pytest.raises(ApplicationError) as reason:
        clock(actor=shop.senior, job_id=first.pk, data=ClockIn("pause"))
    assert reason.value.fields == {"reason": [reason.value.fields["reason"][0]]} and reason.value.code == "required"
    clock(actor=shop.senior, job_id=first.pk, data=ClockIn("pause", reason="other_job"))
    assert clock(actor=shop.senior, job_id=second.pk, data=ClockIn("on")).state == "in_progress"


def test_a_correction_is_kept_beside_the_entry_with_who_and_why(shop: Shop) -> None:
    order = shop.order()
    job = dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.junior.pk)
    )
    start = timezone.now() - timedelta(hours=2)
    clock(actor=shop.junior, job_id=job.pk, data=ClockIn("on"), now=start)
    clock(actor=shop.junior, job_id=job.pk, data=ClockIn("off"), now=start + timedelta(minutes=90))
    off = ClockEvent.objects.get(job=job, kind="off")
    before = _state(job)
    with pytest.raises(ApplicationError) as refused:
        clock_correct(actor=shop.foreman, event_id=off.pk, at=start + timedelta(minutes=60), reason=" ")
    assert list(refused.value.fields) == ["reason"]
    with pytest.raises(ApplicationError) as order_kept:
        clock_correct(actor=shop.foreman, event_id=off.pk, at=start - timedelta(minutes=5), reason="忘记打卡")
    assert list(order_kept.value.fields) == ["at"]
    with pytest.raises(ApplicationError) as not_foreman:
        clock_correct(actor=shop.junior, event_id=off.pk, at=start + timedelta(minutes=60), reason="忘记打卡")
    assert not_foreman.value.status == 404
    assert _state(job) == before
    correction = clock_correct(
        actor=shop.foreman, event_id=off.pk, at=start + timedelta(minutes=60), reason="下班忘记打卡"
    )
    job.refresh_from_db()
    assert (job.actual_minutes, job.finished_at) == (60, start + timedelta(minutes=60))
    assert (correction.replaces_id, correction.recorded_by_id, correction.note, correction.technician_id) == (
        off.pk,
        shop.foreman.pk,
        "下班忘记打卡",
        shop.junior.pk,
    )
    assert ClockEvent.objects.filter(job=job).count() == 3  # the original stays
    with pytest.raises(ConflictError):
        clock_correct(actor=shop.foreman, event_id=off.pk, at=start + timedelta(minutes=70), reason="再改")


def test_parts_are_requested_issued_against_the_reservation_and_received(shop: Shop) -> None:
    order = shop.order()
    dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.middle.pk)
    )
    filter_line, pads_line = shop.line(order, 2), shop.line(order, 4)
    assert {
        o: [(s.line_id, s.missing, s.purchase_order) for s in rows] for o, rows in shortages([order.pk]).items()
    } == {order.pk: [(pads_line.pk, Decimal("1.000"), "")]}
    request = parts_request(actor=shop.middle, order_id=order.pk, line_id=filter_line.pk)
    with pytest.raises(ConflictError) as twice:
        parts_request(actor=shop.middle, order_id=order.pk, line_id=filter_line.pk)
    assert twice.value.code == "requested"
    parts_clerk = shop.reception.world.user("parts")
    with pytest.raises(ApplicationError) as wrong:
        parts_request_issue(actor=parts_clerk, request_id=request.pk, part_number="5Q0698151")
    assert wrong.value.code == "wrong_part"
    assert PartsRequest.all_objects.get(pk=request.pk).state == "requested"
    request = parts_request_issue(actor=parts_clerk, request_id=request.pk, part_number="06L-115-562")
    assert (request.state, Line.all_objects.get(pk=filter_line.pk).state) == ("issued", "done")
    move = StockMove.objects.get(document_type="repair_order", document_id=order.pk)
    assert (abs(move.quantity), move.part_id) == (Decimal("1.000"), shop.reception.filter.pk)
    with pytest.raises(ApplicationError):
        parts_request_receive(actor=shop.junior, request_id=request.pk)
    assert parts_request_receive(actor=shop.middle, request_id=request.pk).state == "received"


def test_a_finding_waiting_for_approval_keeps_the_order_in_work(shop: Shop) -> None:
    order = shop.order(LineIn(kind="labour", operation_id=shop.reception.oil.pk))
    job = dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.middle.pk)
    )
    clock(actor=shop.middle, job_id=job.pk, data=ClockIn("on"))
    found = finding_report(
        actor=shop.middle,
        job_id=job.pk,
        data=LineIn(kind="labour", operation_id=shop.reception.oil.pk, description="空调滤芯脏"),
    )
    assert (found.state, found.source) == ("proposed", "additional")
    clock(actor=shop.middle, job_id=job.pk, data=ClockIn("off"))
    assert RepairOrder.all_objects.get(pk=order.pk).state == "in_work"


def test_only_who_clocked_a_team_job_on_pauses_it(shop: Shop) -> None:
    team = Team.objects.create(store=shop.store, name="机电一组", leader=shop.senior)
    team.members.set([shop.senior, shop.middle])
    order = shop.order(LineIn(kind="labour", operation_id=shop.reception.oil.pk))
    job = dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, team_id=team.pk))
    clock(actor=shop.middle, job_id=job.pk, data=ClockIn("on"))
    with pytest.raises(ConflictError) as refused:
        clock(actor=shop.senior, job_id=job.pk, data=ClockIn("pause", reason="break"))
    assert refused.value.code == "clocked_by_other"
    assert clock(actor=shop.middle, job_id=job.pk, data=ClockIn("pause", reason="break")).state == "paused"


def test_the_pads_bought_for_the_order_are_reserved_to_it_and_its_advisor_is_told(shop: Shop) -> None:
    order = shop.order()
    pads_line = shop.line(order, 4)
    world = shop.reception.world
    purchaser, clerk = world.user("purchaser"), world.user("parts")
    supplier = Supplier.objects.create(group=shop.store.group, kind="local", code="S01", name="申城汽配")
    purchase = parts_order(
        actor=purchaser,
        order_id=order.pk,
        line_id=pads_line.pk,
        supplier_id=supplier.pk,
        order_type="urgent",
        unit_price=Decimal("300.00"),
        expected_on=None,
    )
    purchase_limit_set(actor=None, store_id=shop.store.pk, user_id=purchaser.pk, limit=Decimal(10000))
    order_submit(actor=purchaser, order_id=purchase.pk)
    order_approve(actor=purchaser, order_id=purchase.pk)
    order_send(actor=purchaser, order_id=purchase.pk)
    assert [s.purchase_order for s in shortages([order.pk])[order.pk]] == [purchase.number]
    order_receive(
        actor=clerk,
        order_id=purchase.pk,
        lines=[DeliveredLine(shop.reception.pads.pk, shop.reception.bin.pk, Decimal(1))],
    )
    assert shortages([order.pk]) == {}
    told = Message.objects.get(event="parts_arrived")
    assert (told.user, told.about_type, told.about_id) == (shop.advisor, "repair_order", order.pk)
    assert told.body == f"5Q0-698-151 × 1 已随采购订单 {purchase.number} 到货，已为维修工单 {order.number}预留。"
