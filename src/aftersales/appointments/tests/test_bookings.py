"""Booking, moving, cancelling and checking in (APT-3, APT-4): what a booking records, the confirmation
after the commit, every wrong field named with nothing written, overbooking only for a role allowed
to (and recorded), a move re-checked against capacity without itself, a cancellation giving back the
pre-picked parts, a check-in from booked or from no-show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext

from aftersales.appointments.capacity import day_plan
from aftersales.appointments.models import Appointment, AppointmentEvent, BookingSettings
from aftersales.appointments.services import (
    BookingIn,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_prepick,
    appointment_reschedule,
    appointments_mark_no_show,
    booking_settings_save,
)
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, booking_in, counts
from aftersales.core.errors import ApplicationError
from aftersales.messaging.models import Message
from aftersales.parts.models import Reservation, StockBalance

D = Decimal
TIME_ZONE = "请给出带时区的时间,例如 2026-12-01T10:00+08:00。"
ROUTE = "地铁2号线淞虹路站3号口，步行5分钟"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def events(appointment: Appointment) -> list[tuple[str, str, str, str, str]]:
    return [
        (event.action, event.from_state, event.to_state, event.actor.username if event.actor else "", event.note)
        for event in AppointmentEvent.objects.filter(appointment=appointment).order_by("pk")
    ]


def bodies() -> list[tuple[str, str, str]]:
    return [(m.event, m.address, m.body) for m in Message.objects.order_by("pk")]


def test_a_phone_booking_records_what_was_said_and_is_confirmed_after_the_commit(
    booking: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    b = booking
    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data={"route": ROUTE})
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(
            b,
            "09:00",
            b.package,
            wish_at=b.at("09:10"),
            description="刹车时有异响",
            call_at=b.at("11:00", 0),
            contact_mobile="139 1234 5678",
        )
        assert Message.objects.count() == 0  # not before the commit
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert {
        "number": appointment.number,
        "state": appointment.state,
        "channel": appointment.channel,
        "customer": appointment.customer_id,
        "vehicle": appointment.vehicle_id,
        "contact": (appointment.contact_name, appointment.contact_mobile, appointment.plate_text),
        "times": (appointment.starts_at, appointment.ends_at, appointment.wish_at, appointment.call_at),
        "hours": appointment.hours,
        "advisor": appointment.advisor.username,
        "technician": appointment.technician.user.username,
        "description": appointment.description,
        "documents": appointment.documents,
        "over": (appointment.overbooked, appointment.override_reason, appointment.override_by_id),
        "parts": appointment.parts_status,
        "booked": (appointment.created_at, appointment.created_by.username),
    } == {
        "number": "AP-SH01-2026-000001",
        "state": "booked",
        "channel": "phone",
        "customer": b.customer.pk,
        "vehicle": b.vehicle.pk,
        "contact": ("张伟", "13912345678", "沪A12345"),
        "times": (
            datetime(2026, 11, 27, 1, 0, tzinfo=UTC),
            datetime(2026, 11, 27, 2, 0, tzinfo=UTC),
            datetime(2026, 11, 27, 1, 10, tzinfo=UTC),
            datetime(2026, 11, 26, 3, 0, tzinfo=UTC),
        ),
        "hours": D("1.00"),
        "advisor": "advisor_sh",
        "technician": "tech_junior",
        "description": "刹车时有异响",
        "documents": "行驶证、保养手册",
        "over": (False, "", None),
        "parts": "to_pick",
        "booked": (NOW, "crm_sh"),
    }
    assert [
        (s.position, s.operation_id, s.package_id, s.name, s.hours, s.skill_level, s.bay.code, s.starts_at, s.ends_at)
        for s in appointment.services.all()
    ] == [
        (
            1,
            b.oil.pk,
            b.package.pk,
            "更换机油",
            D("1.00"),
            "junior",
            "A01",
            datetime(2026, 11, 27, 1, 0, tzinfo=UTC),
            datetime(2026, 11, 27, 2, 0, tzinfo=UTC),
        )
    ]
    assert events(appointment) == [("book", "", "booked", "crm_sh", "")]
    message = Message.objects.get()
    assert (message.event, message.channel, message.about_type, message.about_id, message.recipient_id) == (
        "appointment_booked",
        "sms",
        "appointments.appointment",
        appointment.pk,
        b.customer.pk,
    )
    assert bodies() == [
        (
            "appointment_booked",
            "13912345678",
            f"张伟您好，您已预约11月27日 09:00到上海店（测试路1号）。路线：{ROUTE}。请携带：行驶证、保养手册。"
            "预约号 AP-SH01-2026-000001，如需改约请致电 021-12345678。",
        )
    ]


def test_a_walk_in_without_a_customer_record_is_confirmed_to_the_mobile_given(
    booking: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    b = booking
    data = BookingIn(
        starts_at=b.at("10:30", 0),
        services=[f"operation:{b.alignment.pk}"],
        channel="walk_in",
        contact_name=" 王先生 ",
        contact_mobile="13800001111",
        plate_text="沪B54321",
        model_text="朗逸",
        documents="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(actor=b.world.user("frontdesk"), store_id=b.store.pk, data=data)
    assert (
        appointment.channel,
        appointment.customer_id,
        appointment.vehicle_id,
        appointment.contact_name,
        appointment.plate_text,
        appointment.model_text,
        appointment.documents,
        appointment.technician_id,
        appointment.parts_status,
    ) == ("walk_in", None, None, "王先生", "沪B54321", "朗逸", "", b.technicians[1].pk, "")
    assert bodies() == [
        (
            "appointment_booked",
            "13800001111",
            "王先生您好，您已预约11月26日 10:30到上海店（测试路1号）。路线：-。请携带：-。"
            "预约号 AP-SH01-2026-000001，如需改约请致电 021-12345678。",
        )
    ]


def _naive(b: Booking) -> dict[str, Any]:
    return {"starts_at": b.at("09:00").replace(tzinfo=None)}


BAD: list[tuple[str, Callable[[Booking], dict[str, Any]], dict[str, list[str]]]] = [
    ("in the past", lambda b: {"starts_at": b.at("09:00", -1)}, {"starts_at": ["请选择将来的时间。"]}),
    ("earlier today", lambda b: {"starts_at": b.at("09:45", 0)}, {"starts_at": ["请选择将来的时间。"]}),
    (
        "before opening",
        lambda b: {"starts_at": b.at("08:00")},
        {"starts_at": ["请选择营业时间内的时间（08:30–18:00）。"]},
    ),
    ("at closing", lambda b: {"starts_at": b.at("18:00")}, {"starts_at": ["请选择营业时间内的时间（08:30–18:00）。"]}),
    (
        "off the quarter",
        lambda b: {"starts_at": b.at("09:10")},
        {"starts_at": ["请选择整刻钟的时间（如 09:00、09:15）。"]},
    ),
    ("too far ahead", lambda b: {"starts_at": b.at("09:00", 182)}, {"starts_at": ["最多可提前 180 天预约。"]}),
    ("naive", _naive, {"starts_at": [TIME_ZONE]}),
    (
        "naive wish and call",
        lambda b: {"wish_at": datetime(2026, 11, 27, 9), "call_at": datetime(2026, 11, 26, 17)},
        {"wish_at": [TIME_ZONE], "call_at": [TIME_ZONE]},
    ),
    (
        "unknown services",
        lambda b: {"services": ["operation:999999", "wash", "package:999998"]},
        {"services": ["未知的服务项目：wash, operation:999999, package:999998。"]},
    ),
    ("no service", lambda b: {"services": []}, {"services": ["请至少选择一个服务项目。"]}),
    ("channel", lambda b: {"channel": "fax"}, {"channel": ["请选择预约渠道。"]}),
    (
        "nobody to expect",
        lambda b: {"customer_id": None, "vehicle_id": None},
        {"contact_name": ["请填写来店人。"], "contact_mobile": ["请填写接收预约确认的手机号。"]},
    ),
    ("description", lambda b: {"description": "异" * 1001}, {"description": ["最多输入 1000 个字符。"]}),
]


@pytest.mark.parametrize(("change", "expected"), [(case[1], case[2]) for case in BAD], ids=[case[0] for case in BAD])
def test_bad_input_names_the_field_and_writes_nothing(
    booking: Booking,
    change: Callable[[Booking], dict[str, Any]],
    expected: dict[str, list[str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    b = booking
    book(b, "11:00")  # something booked already
    before = counts()
    values = change(b)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError) as error:
        appointment_book(actor=b.agent, store_id=b.store.pk, data=booking_in(b, "09:00", **values))
    assert (error.value.status, error.value.code, error.value.detail, error.value.fields) == (
        400,
        "invalid",
        "部分字段无效。",
        expected,
    )
    assert counts() == before


def test_an_unknown_advisor_and_every_other_wrong_field_are_named_at_once(booking: Booking) -> None:
    b = booking
    before = counts()
    with pytest.raises(ApplicationError) as error:
        book(b, "09:10", advisor_id=b.world.user("crm").pk, channel="", services=["x"])
    assert error.value.fields == {
        "starts_at": ["请选择整刻钟的时间（如 09:00、09:15）。"],
        "advisor": [gettext("Choose a service advisor of this store.")],
        "services": ["未知的服务项目：x。"],
        "channel": ["请选择预约渠道。"],
    }
    # An advisor of the other store is not one of this store's.
    with pytest.raises(ApplicationError) as error:
        book(b, "09:00", advisor_id=b.world.user("advisor", "sz").pk)
    assert list(error.value.fields) == ["advisor"]
    assert counts() == before


def test_a_taken_time_is_refused_with_two_offered_and_overbooking_needs_the_right_and_a_reason(
    booking: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    b = booking
    book(b, "09:00")
    refused_plain = counts()
    with pytest.raises(ApplicationError) as error:
        book(b, "09:00", b.alignment)  # the only advisor has an arrival then
    # 08:45 and 09:15 are as near; 08:45 would leave 08:30-08:45 nobody can use.
    assert (error.value.status, error.value.code, error.value.extra) == (
        409,
        "no_capacity",
        {"offered": ["09:15", "08:45"]},
    )
    with pytest.raises(ApplicationError) as error:
        book(b, "09:00", b.alignment, override_reason="老客户，同意等候")
    assert (error.value.status, error.value.code, error.value.fields) == (
        403,
        "forbidden",
        {"override_reason": ["只有具备超产能预约权限的角色才能超出产能预约。"]},
    )
    assert counts() == refused_plain

    manager = b.world.user("service_manager")
    with django_capture_on_commit_callbacks(execute=True):
        over = book(b, "09:00", b.alignment, actor=manager, override_reason=" 老客户，同意等候 ")
    assert (
        over.overbooked,
        over.override_reason,
        over.override_by_id,
        over.technician_id,
        over.advisor_id,
        over.ends_at - over.starts_at,
        [(s.bay_id, s.starts_at, s.ends_at) for s in over.services.all()],
    ) == (
        True,
        "老客户，同意等候",
        manager.pk,
        None,
        None,
        timedelta(minutes=30),
        [(None, over.starts_at, over.ends_at)],
    )
    assert events(over) == [("book", "", "booked", "service_manager_sh", "超产能：老客户，同意等候")]
    assert day_plan(b.store, b.day()).booked_hours == D("1.50")  # counted against the reserve
    assert [(event, address) for event, address, _body in bodies()] == [("appointment_booked", "13912345678")]
    # A reason where the time is free changes nothing: not an override.
    free = book(b, "13:00", actor=manager, override_reason="无需")
    assert (free.overbooked, free.override_reason, free.override_by_id) == (False, "", None)


def test_a_move_is_checked_against_capacity_without_itself_and_the_customer_is_told(
    booking: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    b = booking
    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data={"arrival_spacing_minutes": 30})
    appointment = book(b, "09:00")
    other = book(b, "11:00")
    Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=NOW - timedelta(hours=1))
    agent = b.agent

    before = counts()
    with pytest.raises(ApplicationError) as error:
        appointment_reschedule(actor=agent, appointment_id=appointment.pk, starts_at=b.at("09:15"), reason=" ")
    assert error.value.fields == {"reason": ["请说明原因。"]}
    with pytest.raises(ApplicationError) as error:
        appointment_reschedule(actor=agent, appointment_id=appointment.pk, starts_at=b.at("11:15"), reason="客户要求")
    assert (error.value.code, error.value.extra) == ("no_capacity", {"offered": ["11:30", "11:45"]})
    assert counts() == before

    # 15 minutes from its own arrival: fine, as it no longer stands there.
    with django_capture_on_commit_callbacks(execute=True):
        moved = appointment_reschedule(
            actor=agent, appointment_id=appointment.pk, starts_at=b.at("09:15"), reason="客户要求"
        )
    moved.refresh_from_db()
    assert (moved.starts_at, moved.ends_at, moved.reason, moved.state, moved.advisor_id) == (
        datetime(2026, 11, 27, 1, 15, tzinfo=UTC),
        datetime(2026, 11, 27, 2, 15, tzinfo=UTC),
        "客户要求",
        "booked",
        other.advisor_id,
    )
    assert [(s.position, s.starts_at, s.ends_at) for s in moved.services.all()] == [(1, moved.starts_at, moved.ends_at)]
    # The 24-hour reminder for 09:15 tomorrow was due at 09:15 today: the change message stands for it.
    # The same-day one (2 hours before, should the store turn it on) is still to come.
    assert (moved.reminder_sent_at, moved.same_day_sent_at) == (NOW, None)
    assert events(moved)[-1] == (
        "reschedule",
        "booked",
        "booked",
        "crm_sh",
        "2026-11-27 09:00 → 2026-11-27 09:15: 客户要求",
    )
    assert bodies()[-1] == (
        "appointment_changed",
        "13912345678",
        "张伟您好，您的预约 AP-SH01-2026-000001 已改为11月27日 09:15，地址：测试路1号。请携带：行驶证、保养手册。"
        "如有疑问请致电 021-12345678。",
    )

    # Moved to another day, its reminders are sent again for the new time.
    Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=NOW, same_day_sent_at=NOW)
    moved = appointment_reschedule(
        actor=agent, appointment_id=appointment.pk, starts_at=b.at("09:00", 3), reason="出差"
    )
    assert (moved.reminder_sent_at, moved.same_day_sent_at) == (None, None)
    assert day_plan(b.store, b.day()).booked_hours == D("1.00")

    appointment_cancel(actor=agent, appointment_id=other.pk, reason="不来了")
    before = counts()
    with pytest.raises(ApplicationError) as error:
        appointment_reschedule(actor=agent, appointment_id=other.pk, starts_at=b.at("14:00"), reason="再约")
    assert (error.value.status, error.value.detail) == (409, "当前状态为“已取消”，不能进行此操作。")
    assert counts() == before


def test_a_cancellation_gives_the_pre_picked_parts_back(
    booking: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    b = booking
    appointment = book(b, "09:00", b.package)
    appointment_prepick(actor=b.world.user("parts"), appointment_id=appointment.pk)
    reserved = dict(StockBalance.all_objects.filter(store=b.store).values_list("part_id", "reserved"))
    assert reserved == {b.filter.pk: D(1), b.oil_part.pk: D("4.5")}

    with pytest.raises(ApplicationError) as error:
        appointment_cancel(actor=b.agent, appointment_id=appointment.pk, reason="")
    assert error.value.fields == {"reason": ["请说明原因。"]}
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = appointment_cancel(actor=b.agent, appointment_id=appointment.pk, reason="车已卖掉")
    cancelled.refresh_from_db()
    assert (cancelled.state, cancelled.reason) == ("cancelled", "车已卖掉")
    assert events(cancelled)[-1] == ("cancel", "booked", "cancelled", "crm_sh", "车已卖掉")
    assert dict(StockBalance.all_objects.filter(store=b.store).values_list("part_id", "reserved")) == {
        b.filter.pk: D(0),
        b.oil_part.pk: D(0),
    }
    assert Reservation.all_objects.filter(demand_type="appointment", demand_id=appointment.pk).count() == 0
    assert bodies()[-1] == (
        "appointment_cancelled",
        "13912345678",
        "张伟您好，您在上海店的预约 AP-SH01-2026-000001（11月27日 09:00）已取消。如需重新预约请致电 021-12345678。",
    )
    # The time is free again.
    assert day_plan(b.store, b.day()).booked_hours == D(0)
    before = counts()
    with pytest.raises(ApplicationError) as error:
        appointment_cancel(actor=b.agent, appointment_id=appointment.pk, reason="再取消")
    assert (error.value.status, error.value.code) == (409, "not_allowed")
    assert counts() == before


def test_a_check_in_from_booked_and_a_late_one_from_no_show(booking: Booking, clock: Clock) -> None:
    b = booking
    on_time = book(b, "10:30", days=0)
    late = book(b, "11:00", days=0)
    desk = b.world.user("frontdesk")
    clock.now = NOW + timedelta(minutes=25)
    arrived = appointment_check_in(actor=desk, appointment_id=on_time.pk)
    assert (arrived.state, arrived.arrived_at) == ("arrived", NOW + timedelta(minutes=25))
    assert events(arrived)[-1] == ("check_in", "booked", "arrived", "frontdesk_sh", "")

    clock.now = NOW + timedelta(hours=1, minutes=40)  # 11:40: ten minutes past the grace period
    assert appointments_mark_no_show() == 1
    came = appointment_check_in(actor=desk, appointment_id=late.pk)
    assert (came.state, came.arrived_at) == ("arrived", NOW + timedelta(hours=1, minutes=40))
    assert events(came)[-2:] == [
        ("no_show", "booked", "no_show", "", "预约时间过后 30 分钟未到店"),
        ("check_in", "no_show", "arrived", "frontdesk_sh", "迟到"),
    ]
    before = counts()
    with pytest.raises(ApplicationError) as error:
        appointment_check_in(actor=desk, appointment_id=came.pk)
    assert (error.value.status, error.value.detail) == (409, "当前状态为“已到店”，不能进行此操作。")
    # Someone of the other store does not find it.
    with pytest.raises(ApplicationError) as error:
        appointment_check_in(actor=b.world.user("frontdesk", "sz"), appointment_id=on_time.pk)
    assert (error.value.status, error.value.code) == (404, "not_found")
    assert counts() == before


def test_the_booking_settings_row_is_made_on_the_first_booking(booking: Booking) -> None:
    b = booking
    assert not BookingSettings.objects.filter(store=b.store).exists()
    book(b, "09:00")
    assert BookingSettings.objects.get(store=b.store).walk_in_reserve_percent == 20
