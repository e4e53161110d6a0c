"""Dispatch: qualification, bays, the suggestion, the job and its deadline, re-dispatch, acceptance."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.messaging.models import Message
from aftersales.visits.models import Diagnosis, Line, RepairOrder, RepairOrderEvent
from aftersales.visits.services import LineIn, line_add, line_transition
from aftersales.workshop.models import Job, JobEvent, Team
from aftersales.workshop.services import DispatchIn, candidates, dispatch, job_accept, redispatch, suggestion
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db


def test_dispatch_writes_the_job_starts_the_order_and_tells_the_technician(
    shop: Shop, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    order = shop.order()
    oil = shop.line(order, 1)
    with django_capture_on_commit_callbacks(execute=True):
        job = dispatch(
            actor=shop.foreman,
            order_id=order.pk,
            data=DispatchIn(oil.pk, technician_id=shop.junior.pk, bay_id=shop.quick.pk),
        )
    order.refresh_from_db()
    oil.refresh_from_db()
    assert (job.state, job.technician_id, job.bay_id, job.standard_hours) == (
        "assigned",
        shop.junior.pk,
        shop.quick.pk,
        Decimal("1.00"),
    )
    assert (order.state, oil.state) == ("in_work", "dispatched")
    visit = order.visit
    assert job.deadline == visit.promised_at - timedelta(minutes=30)
    assert job.remind_at == job.deadline - timedelta(minutes=30)
    assert list(JobEvent.objects.filter(job=job).values_list("action", "to_state", "note")) == [
        ("dispatch", "assigned", "王师傅 · Q01")
    ]
    assert list(
        RepairOrderEvent.objects.filter(order=order, action__in=("dispatch", "start_work")).values_list(
            "action", "line__position"
        )
    ) == [
        ("dispatch", 1),
        ("start_work", None),
    ]
    told = Message.objects.filter(event="workshop_job_dispatched", user=shop.junior)
    assert [(m.channel, m.subject) for m in told] == [("inapp", "新派工：沪A12345 更换机油")]


def test_unqualified_technician_wrong_bay_and_unapproved_line_are_refused_with_nothing_written(shop: Shop) -> None:
    order = shop.order()
    brakes = shop.line(order, 3)  # intermediate, assembly repair
    with pytest.raises(ApplicationError) as refused, translation.override("en"):
        dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(brakes.pk, technician_id=shop.junior.pk))
    assert refused.value.fields == {"technician": ["王师傅 is not Intermediate or above."]}
    ev = Line.all_objects.create(
        store=shop.store,
        order=order,
        vehicle=order.vehicle,
        position=9,
        kind="labour",
        state="approved",
        source="requested",
        pay_type="customer",
        operation=shop.ev_operation,
        description="动力电池绝缘检测",
        quantity=Decimal("1.5"),
        unit_price=Decimal(300),
        amount=Decimal(300),
        net=Decimal("265.49"),
        tax=Decimal("34.51"),
        tax_rate=Decimal("0.13"),
    )
    with pytest.raises(ApplicationError) as refused, translation.override("en"):
        dispatch(
            actor=shop.foreman,
            order_id=order.pk,
            data=DispatchIn(ev.pk, technician_id=shop.middle.pk, bay_id=shop.lift.pk),
        )
    assert refused.value.fields == {
        "technician": ["维修技师 holds no valid EV high-voltage certificate."],
        "bay": ["Bay L01 is a “General lift” bay: this operation needs “EV high-voltage”."],
    }
    extra = line_add_proposed(shop, order)
    with pytest.raises(ConflictError) as refused:
        dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(extra.pk, technician_id=shop.senior.pk))
    assert refused.value.code == "not_approved"
    assert not Job.all_objects.exists()
    assert RepairOrder.all_objects.get(pk=order.pk).state == "open"
    job = dispatch(
        actor=shop.foreman,
        order_id=order.pk,
        data=DispatchIn(ev.pk, technician_id=shop.senior.pk, bay_id=shop.ev_bay.pk),
    )
    assert job.technician_id == shop.senior.pk


def line_add_proposed(shop: Shop, order: RepairOrder) -> Line:
    return line_add(
        actor=shop.advisor, order_id=order.pk, data=LineIn(kind="labour", operation_id=shop.reception.oil.pk)
    )


def test_the_same_line_twice_is_refused_and_the_generic_endpoint_no_longer_dispatches_labour(shop: Shop) -> None:
    order = shop.order()
    oil = shop.line(order, 1)
    dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(oil.pk, technician_id=shop.junior.pk))
    with pytest.raises(ConflictError) as refused:
        dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(oil.pk, technician_id=shop.senior.pk))
    assert refused.value.code == "dispatched"
    brakes = shop.line(order, 3)
    with pytest.raises(ConflictError):
        line_transition(actor=shop.foreman, order_id=order.pk, line_id=brakes.pk, action="dispatch")
    assert Job.all_objects.count() == 1


def test_suggestion_ranks_by_load_then_efficiency_then_idle(shop: Shop) -> None:
    order = shop.order()
    oil = shop.line(order, 1)
    rows = candidates(
        store=shop.store, line=oil, order=RepairOrder.all_objects.select_related("vehicle__model").get(pk=order.pk)
    )
    # Nobody is booked: equal load 0, so the highest efficiency wins (李师傅 1.20, technician_sh 1.00, 王师傅 0.90).
    assert [(r.name, r.load, r.efficiency) for r in rows] == [
        ("李师傅", Decimal("0.00"), Decimal("1.20")),
        ("维修技师", Decimal("0.00"), Decimal("1.00")),
        ("王师傅", Decimal("0.00"), Decimal("0.90")),
    ]
    dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 3).pk, technician_id=shop.senior.pk)
    )
    rows = candidates(store=shop.store, line=oil, order=order)
    # 李师傅 now has 2 of 9 hours booked (0.22): the others come first.
    assert [(r.name, r.booked_hours, r.load) for r in rows] == [
        ("维修技师", Decimal("0"), Decimal("0.00")),
        ("王师傅", Decimal("0"), Decimal("0.00")),
        ("李师傅", Decimal("2.00"), Decimal("0.22")),
    ]
    assert suggestion(rows).name == "维修技师"


def test_redispatch_checks_again_and_the_new_technician_accepts(shop: Shop) -> None:
    order = shop.order()
    brakes = shop.line(order, 3)
    job = dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(brakes.pk, technician_id=shop.middle.pk))
    job_accept(actor=shop.middle, job_id=job.pk)
    with pytest.raises(ApplicationError):
        redispatch(actor=shop.foreman, job_id=job.pk, data=DispatchIn(0, technician_id=shop.junior.pk))
    job.refresh_from_db()
    assert (job.technician_id, job.state) == (shop.middle.pk, "accepted")
    job = redispatch(
        actor=shop.foreman, job_id=job.pk, data=DispatchIn(0, technician_id=shop.senior.pk, bay_id=shop.lift.pk)
    )
    assert (job.technician_id, job.state, job.bay_id) == (shop.senior.pk, "assigned", shop.lift.pk)
    with pytest.raises(ApplicationError) as refused:
        job_accept(actor=shop.middle, job_id=job.pk)
    assert refused.value.code == "not_assigned"
    job = job_accept(actor=shop.senior, job_id=job.pk)
    assert job.state == "accepted" and job.accepted_at is not None
    assert timezone.now() - job.accepted_at < timedelta(minutes=1)


def test_the_archive_record_and_every_team_member_are_checked_before_dispatch(shop: Shop) -> None:
    order = shop.order()
    brakes = shop.line(order, 3)  # assembly repair, intermediate
    Diagnosis.objects.filter(visit_id=order.visit_id).update(pre_repair_record="")
    with pytest.raises(ApplicationError) as refused, translation.override("en"):
        dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(brakes.pk, technician_id=shop.senior.pk))
    assert refused.value.fields == {
        "line": ["Record the pre-repair diagnosis first: the repair archive needs it for this repair category."]
    }
    Diagnosis.objects.filter(visit_id=order.visit_id).update(pre_repair_record="前轮制动片磨损至 2mm")
    team = Team.objects.create(store=shop.store, name="机电一组", leader=shop.senior)
    team.members.set([shop.senior, shop.junior])
    with pytest.raises(ApplicationError) as member, translation.override("en"):
        dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(brakes.pk, team_id=team.pk))
    assert member.value.fields == {"team": ["王师傅 is not Intermediate or above."]}
    assert not Job.all_objects.exists()
