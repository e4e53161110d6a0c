"""Reminders before a booking (APT-5): one 24-hour reminder per booking however often the job runs, none
for a booking made inside the window or cancelled, a same-day one only where the store wants it, and
the outbox holding what falls in the store's quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aftersales.appointments.models import Appointment, AppointmentEvent
from aftersales.appointments.services import (
    appointment_cancel,
    appointment_reschedule,
    appointments_remind,
    booking_settings_save,
)
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts
from aftersales.messaging.models import Message

NONE = {"reminder": 0, "same_day": 0}
REMINDER = (
    "张伟您好，提醒您已预约11月27日 09:00到上海店（测试路1号）。路线：-。请携带：行驶证、保养手册。"
    "如需改约请致电 021-12345678。"
)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def booked_earlier(appointment: Appointment, days: int = 7) -> None:
    Appointment.objects.filter(pk=appointment.pk).update(created_at=NOW - timedelta(days=days))


def sent() -> list[tuple[str, str, str, str]]:
    return [(m.event, m.status, m.hold_reason, m.body) for m in Message.objects.order_by("pk")]


def test_one_reminder_24_hours_before_however_often_the_job_runs(booking: Booking) -> None:
    b = booking
    tomorrow = book(b, "09:00")  # due 09:00 today
    later = book(b, "10:30", days=2)  # due 10:30 tomorrow
    booked_earlier(tomorrow)
    booked_earlier(later)

    assert appointments_remind(now=NOW) == {"reminder": 1, "same_day": 0}
    assert sent() == [("appointment_reminder", "queued", "", REMINDER)]
    tomorrow.refresh_from_db()
    assert (tomorrow.reminder_sent_at, tomorrow.same_day_sent_at) == (NOW, None)
    assert list(AppointmentEvent.objects.filter(action="reminder").values_list("appointment_id", "actor", "note")) == [
        (tomorrow.pk, None, "appointment_reminder")
    ]

    before = counts()
    assert appointments_remind(now=NOW) == NONE
    assert appointments_remind(now=NOW + timedelta(hours=1)) == NONE
    assert counts() == before

    # The other one when its time comes, and once.
    assert appointments_remind(now=NOW + timedelta(hours=24, minutes=30)) == {"reminder": 1, "same_day": 0}
    assert appointments_remind(now=NOW + timedelta(hours=24, minutes=45)) == NONE
    assert Appointment.objects.get(pk=later.pk).reminder_sent_at == NOW + timedelta(hours=24, minutes=30)
    assert Message.objects.filter(event="appointment_reminder").count() == 2


def test_no_reminder_for_a_booking_made_inside_the_window_or_cancelled(booking: Booking) -> None:
    b = booking
    book(b, "09:00")  # booked at 10:00 today: its confirmation has just gone
    cancelled = book(b, "11:00")
    booked_earlier(cancelled)
    appointment_cancel(actor=b.agent, appointment_id=cancelled.pk, reason="客户取消")
    before = counts()
    for hours in (0, 1, 12):
        assert appointments_remind(now=NOW + timedelta(hours=hours)) == NONE
    assert counts() == before
    # Started already: nothing either.
    assert appointments_remind(now=NOW + timedelta(days=2)) == NONE
    assert counts() == before


def test_the_same_day_reminder_only_where_the_store_wants_it(booking: Booking, clock: Clock) -> None:
    b = booking
    appointment = book(b, "11:00")
    booked_earlier(appointment)
    assert appointments_remind(now=NOW + timedelta(hours=1)) == {"reminder": 1, "same_day": 0}  # 11:00 today
    nine = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 tomorrow: two hours before
    clock.now = nine
    assert appointments_remind(now=nine) == NONE

    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data={"same_day_reminder": True})
    assert appointments_remind(now=nine - timedelta(minutes=15)) == NONE  # not due yet
    assert appointments_remind(now=nine) == {"reminder": 0, "same_day": 1}
    assert appointments_remind(now=nine + timedelta(minutes=15)) == NONE
    assert sent()[-1] == (
        "appointment_reminder_today",
        "queued",
        "",
        "张伟您好，您今天11月27日 11:00在上海店有预约，我们已做好准备。地址：测试路1号。",
    )
    appointment.refresh_from_db()
    assert (appointment.reminder_sent_at, appointment.same_day_sent_at) == (NOW + timedelta(hours=1), nine)
    assert [m.event for m in Message.objects.order_by("pk")] == ["appointment_reminder", "appointment_reminder_today"]


def test_a_reminder_due_in_quiet_hours_waits_in_the_outbox(booking: Booking, clock: Clock) -> None:
    b = booking
    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data={"reminder_hours": 26})
    appointment = book(b, "08:30", days=2)  # Saturday 08:30: the reminder is due at 06:30 on Friday
    booked_earlier(appointment)
    early = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)  # Friday 06:30 in Shanghai, in the quiet hours 21:00-08:00
    clock.now = early
    assert appointments_remind(now=early - timedelta(minutes=1)) == NONE
    assert appointments_remind(now=early) == {"reminder": 1, "same_day": 0}
    message = Message.objects.get()
    assert (message.event, message.status, message.hold_reason, message.not_before) == (
        "appointment_reminder",
        "held",
        "quiet_hours",
        datetime(2026, 11, 27, 0, 0, tzinfo=UTC),  # 08:00 in Shanghai
    )
    assert appointments_remind(now=early + timedelta(minutes=15)) == NONE
    assert Message.objects.count() == 1


def test_a_booking_moved_to_another_day_is_reminded_again_for_the_new_time(booking: Booking, clock: Clock) -> None:
    b = booking
    appointment = book(b, "09:00")
    booked_earlier(appointment)
    assert appointments_remind(now=NOW) == {"reminder": 1, "same_day": 0}
    appointment_reschedule(actor=b.agent, appointment_id=appointment.pk, starts_at=b.at("09:00", 3), reason="出差")
    assert Appointment.objects.get(pk=appointment.pk).reminder_sent_at is None
    assert appointments_remind(now=NOW) == NONE
    due = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 on Saturday, a day before the new time
    clock.now = due
    assert appointments_remind(now=due) == {"reminder": 1, "same_day": 0}
    assert sent()[-1][3] == REMINDER.replace("11月27日", "11月29日")
