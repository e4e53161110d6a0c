"""Service levels on the store's calendar, escalating alerts (once each), the on-time rate; deadline
reminders; the customer's progress messages."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from aftersales.core.calendar import store_calendar
from aftersales.customers.models import Customer
from aftersales.messaging.models import Message
from aftersales.visits.models import LineApproval, RepairOrder, RepairOrderEvent
from aftersales.visits.services import ApprovalIn, Decision, LineIn, approvals_record, line_add
from aftersales.workshop.models import Job, ServiceLevel, SlaAlert
from aftersales.workshop.services import (
    ClockIn,
    DispatchIn,
    clock,
    dispatch,
    on_time_rate,
    orders_sla,
    reminders_send,
    sla_check,
)
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db


def _at(shop: Shop, hour: int, minute: int = 0, days: int = 0) -> datetime:
    calendar = store_calendar(shop.store)
    day = calendar.local_date(calendar.day_start(calendar.local_date(datetime.now(calendar.zone)))) + timedelta(
        days=days
    )
    return datetime.combine(day, time(hour, minute), tzinfo=calendar.zone)


def _quick_order(shop: Shop, approved_at: datetime) -> RepairOrder:
    order = shop.order(LineIn(kind="labour", operation_id=shop.reception.oil.pk))
    LineApproval.objects.filter(line__order=order).update(at=approved_at)
    return order


def test_open_time_skips_the_night(shop: Shop) -> None:
    calendar = store_calendar(shop.store)  # open 08:30-18:00 every day
    assert calendar.add_open_time(_at(shop, 17, 50), timedelta(minutes=15)) == _at(shop, 8, 35, days=1)
    assert calendar.add_open_time(_at(shop, 7, 0), timedelta(minutes=15)) == _at(shop, 8, 45)
    assert calendar.add_open_time(_at(shop, 10, 0), timedelta(hours=2)) == _at(shop, 12, 0)


def test_a_late_order_escalates_once_per_level_and_dispatch_stops_it(shop: Shop) -> None:
    order = _quick_order(shop, _at(shop, 10, 0))
    sla = orders_sla(shop.store, [order.pk])[order.pk]
    assert (sla.service_type, sla.dispatch_due, sla.complete_due) == ("quick", _at(shop, 10, 15), _at(shop, 12, 0))
    assert sla_check(now=_at(shop, 10, 14)) == 0
    assert sla_check(now=_at(shop, 10, 16)) == 1  # the foreman
    assert sla_check(now=_at(shop, 10, 16)) == 0  # once
    assert sla_check(now=_at(shop, 10, 31)) == 2  # the advisor (10:22:30) and the manager (10:30)
    assert list(SlaAlert.objects.filter(order=order).values_list("kind", "level")) == [
        ("dispatch", 1),
        ("dispatch", 2),
        ("dispatch", 3),
    ]
    told = Message.objects.filter(event="workshop_sla_overdue").order_by("pk")
    assert [(m.user.username, m.subject) for m in told] == [
        ("foreman_sh", f"超时：{order.number} 未按时派工"),
        ("advisor_sh", f"超时：{order.number} 未按时派工"),
        ("manager_sh", f"超时：{order.number} 未按时派工"),
        ("service_manager_sh", f"超时：{order.number} 未按时派工"),
    ]
    dispatch(
        actor=shop.foreman,
        order_id=order.pk,
        data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.junior.pk),
        now=_at(shop, 10, 40),
    )
    assert sla_check(now=_at(shop, 12, 1)) == 1  # not done by 12:00: the completion's first level
    assert on_time_rate(shop.store, _at(shop, 0, 0), _at(shop, 0, 0, days=1), now=_at(shop, 12, 1)).dispatch_rate == 0


def test_the_store_sets_its_own_levels_and_the_on_time_rate_counts_them(shop: Shop) -> None:
    ServiceLevel.objects.create(store=shop.store, service_type="quick", dispatch_minutes=60, complete_minutes=180)
    order = _quick_order(shop, _at(shop, 10, 0))
    job = dispatch(
        actor=shop.foreman,
        order_id=order.pk,
        data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.junior.pk),
        now=_at(shop, 10, 45),
    )
    clock(actor=shop.junior, job_id=job.pk, data=ClockIn("on"), now=_at(shop, 10, 50))
    clock(actor=shop.junior, job_id=job.pk, data=ClockIn("off"), now=_at(shop, 11, 40))
    assert RepairOrder.all_objects.get(pk=order.pk).state == "completed"
    # The order's history records the time it is written: put it at the clock-off the test pretends.
    RepairOrderEvent.objects.filter(order=order, action="complete").update(at=_at(shop, 11, 40))
    rate = on_time_rate(shop.store, _at(shop, 0, 0), _at(shop, 0, 0, days=1), now=_at(shop, 14, 0))
    assert (rate.orders, rate.dispatched_on_time, rate.completed_on_time, rate.dispatch_rate, rate.complete_rate) == (
        1,
        1,
        1,
        100,
        100,
    )
    # Done at 13:01, a minute past its 3 hours: late.
    RepairOrderEvent.objects.filter(order=order, action="complete").update(at=_at(shop, 13, 1))
    rate = on_time_rate(shop.store, _at(shop, 0, 0), _at(shop, 0, 0, days=1), now=_at(shop, 14, 0))
    assert (rate.completed_on_time, rate.complete_rate) == (0, 0)
    assert sla_check(now=_at(shop, 14, 0)) == 0


def test_reminders_go_once_before_the_deadline(shop: Shop) -> None:
    order = shop.order(LineIn(kind="labour", operation_id=shop.reception.oil.pk))
    job = dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.junior.pk)
    )
    assert reminders_send(now=job.remind_at - timedelta(minutes=1)) == 0
    assert reminders_send(now=job.remind_at) == 1
    assert reminders_send(now=job.remind_at + timedelta(minutes=5)) == 0
    assert Job.all_objects.get(pk=job.pk).reminded_at == job.remind_at
    reminder = Message.objects.get(event="workshop_job_reminder")
    assert (reminder.user_id, reminder.subject) == (shop.junior.pk, "即将到期：沪A12345 更换机油")


def test_the_customer_hears_of_approved_work_and_the_start(shop: Shop, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    Customer.objects.filter(pk=shop.reception.customer.pk).update(email="zhang.wei@example.com")
    order = shop.order()
    with django_capture_on_commit_callbacks(execute=True):
        extra = line_add(
            actor=shop.advisor,
            order_id=order.pk,
            data=LineIn(kind="sublet", description="四轮定位", unit_price=Decimal("150")),
        )
        approvals_record(
            actor=shop.advisor,
            order_id=order.pk,
            data=ApprovalIn(kind="customer_phone", person="张伟", decisions=[Decision(extra.pk, True)]),
        )
        job = dispatch(
            actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.junior.pk)
        )
        clock(actor=shop.junior, job_id=job.pk, data=ClockIn("on"))
    sent = Message.objects.filter(event="repair_progress").order_by("pk")
    assert [(m.channel, m.address, m.variables["status"], m.variables["plate"]) for m in sent] == [
        ("email", "zhang.wei@example.com", "您确认的维修项目已安排", "沪A12345"),
        ("email", "zhang.wei@example.com", "您的车辆已开始施工", "沪A12345"),
    ]
    assert all("/l/" in m.variables["url"] for m in sent)
