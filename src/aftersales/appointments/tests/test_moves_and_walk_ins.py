"""What a move does to the periodic jobs that read a booking before they write it (the no-show mark and
the reminder claim their booking at the start they read, so a booking moved meanwhile is neither
marked nor reminded for its old time); walk-ins may use the reserve kept for them; services in a row of
one bay type stay in one bay; the grid is the store's wall clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from aftersales.appointments.capacity import day_plan, wall_steps
from aftersales.appointments.models import Appointment, AppointmentEvent
from aftersales.appointments.services import appointments_mark_no_show, appointments_remind, booking_settings_save
from aftersales.appointments.services import bookings as booking_services
from aftersales.appointments.services import reminders as reminder_services
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts
from aftersales.core.errors import ApplicationError
from aftersales.messaging.models import Message


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def moved_before_the_write(
    monkeypatch: pytest.MonkeyPatch, module: Any, appointment: Appointment, to: datetime
) -> None:
    """Move ``appointment`` to ``to`` the moment the job opens its transaction: after it read the
    booking, before it writes (what an advisor's move at that instant does)."""
    real: Callable[..., Any] = transaction.atomic
    done: list[bool] = []

    @contextmanager
    def atomic(*args: Any, **kwargs: Any) -> Iterator[None]:
        if not done:
            done.append(True)
            Appointment.all_objects.filter(pk=appointment.pk).update(starts_at=to, ends_at=to + timedelta(hours=1))
        with real(*args, **kwargs):
            yield

    monkeypatch.setattr(module.transaction, "atomic", atomic)


def test_a_booking_moved_while_the_no_show_job_runs_is_not_marked(
    booking: Booking, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = booking
    appointment = book(b, "10:30", days=0)
    later = b.at("10:00", days=2)
    moved_before_the_write(monkeypatch, booking_services, appointment, later)

    assert appointments_mark_no_show(now=appointment.starts_at + timedelta(hours=2)) == 0

    appointment.refresh_from_db()
    assert (appointment.state, appointment.starts_at) == ("booked", later)
    assert not AppointmentEvent.objects.filter(action="no_show").exists()


def test_a_booking_moved_while_the_reminder_job_runs_is_reminded_for_its_new_time_only(
    booking: Booking, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = booking
    appointment = book(b, "09:00")  # tomorrow 09:00: its reminder is due now
    Appointment.all_objects.filter(pk=appointment.pk).update(created_at=NOW - timedelta(days=3))
    later = b.at("09:00", days=3)
    moved_before_the_write(monkeypatch, reminder_services, appointment, later)

    assert appointments_remind(now=NOW) == {"reminder": 0, "same_day": 0}

    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.reminder_sent_at) == (later, None)
    assert not Message.objects.filter(event="appointment_reminder").exists()
    # Its time comes: the reminder names the new day.
    monkeypatch.undo()
    assert appointments_remind(now=later - timedelta(hours=24)) == {"reminder": 1, "same_day": 0}
    assert "11月29日 09:00" in Message.objects.get(event="appointment_reminder", channel="sms").body


def test_walk_ins_may_use_the_reserve_that_bookings_leave_free(booking: Booking) -> None:
    b = booking
    # Keep 90 % for walk-ins: of 29.25 technician hours bookings may take 2.92.
    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data={"walk_in_reserve_percent": 90})
    book(b, "09:00", b.ev)  # 2.00 h
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        book(b, "09:00", b.oil)  # 1.00 h more than the 2.92 bookings may take
    assert (refused.value.code, refused.value.status) == ("no_capacity", 409)
    assert counts() == before

    desk = b.world.user("frontdesk")
    walk_in = book(b, "09:00", b.oil, actor=desk, channel="walk_in")
    second = book(b, "09:15", b.oil, actor=desk, channel="walk_in")
    assert [(row.channel, row.state) for row in (walk_in, second)] == [("walk_in", "booked"), ("walk_in", "booked")]

    plan = day_plan(b.store, b.day())
    assert (plan.booked_hours, plan.walk_in_hours, plan.bookable_hours) == (
        Decimal("4.00"),
        Decimal("2.00"),
        Decimal("2.92"),
    )
    # Walk-ins do not use up what bookings may take: a booking of 0.50 h still fits (2.00 + 0.50 <= 2.92).
    assert plan.within_reserve(Decimal("0.50")) is True
    assert plan.within_reserve(Decimal("1.00")) is False
    assert plan.within_reserve(Decimal("1.00"), walk_in=True) is True


def test_services_in_a_row_of_one_bay_type_stay_in_one_bay(booking: Booking) -> None:
    b = booking
    # The general lifts A01 and A02: a first booking takes A01 from 09:00 to 10:00, so a second one of
    # two lift services from 08:30 could move from A02 to A01 at 10:00 — it stays on A02.
    book(b, "09:00", b.oil)
    two = book(b, "08:30", b.oil, b.oil)
    rows = list(two.services.order_by("position").values_list("bay__code", "starts_at", "ends_at"))
    assert rows == [
        ("A02", b.at("08:30"), b.at("09:30")),
        ("A02", b.at("09:30"), b.at("10:30")),
    ]


def test_the_grid_is_the_wall_clock_of_the_store_also_across_a_daylight_saving_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    midnight = datetime.combine(date(2026, 3, 29), time(0), tzinfo=berlin)  # clocks go forward at 02:00
    ten = datetime.combine(date(2026, 3, 29), time(10), tzinfo=berlin)
    assert wall_steps(ten, midnight) == 40.0  # 10:00 is step 40, as on any day
    assert wall_steps(ten.astimezone(ZoneInfo("UTC")), midnight) == 40.0  # however the moment is given
    assert wall_steps(datetime.fromisoformat("2026-03-29T10:00:00+02:00"), midnight) == 40.0


def test_a_day_plan_across_a_daylight_saving_change_places_bookings_on_the_wall_clock(
    booking: Booking, clock: Clock
) -> None:
    b = booking
    b.store.time_zone = "Europe/Berlin"
    b.store.save()
    clock.now = datetime(2027, 3, 27, 9, 0, tzinfo=UTC)  # the next day, 28 March 2027, has 23 hours there
    assert b.day() == date(2027, 3, 28)
    ten, four = book(b, "10:00", b.oil), book(b, "16:00", b.alignment)
    assert (ten.starts_at, four.starts_at) == (
        datetime(2027, 3, 28, 8, 0, tzinfo=UTC),  # 10:00 summer time, 02:00 became 03:00 in the night
        datetime(2027, 3, 28, 14, 0, tzinfo=UTC),
    )

    plan = day_plan(b.store, b.day())

    # The grid is the wall clock: 96 quarter hours, 02:00-03:00 (steps 8-11) never comes; 08:30 is step 34.
    assert (plan.technicians[0].total, plan.opens, plan.closes) == (96, 34, 72)
    shift = set(range(34, 70))  # 08:30-17:30
    busy = {t.id: [step for step in range(96) if not t.free >> step & 1] for t in plan.technicians}
    assert ten.technician_id != four.technician_id  # the alignment needs the intermediate
    assert busy[ten.technician_id] == sorted(set(range(96)) - shift | set(range(40, 44)))  # 10:00-11:00
    assert busy[four.technician_id] == sorted(set(range(96)) - shift | set(range(64, 66)))  # 16:00-16:30 at 1.25
    taken = [(bay.kind, [step for step in range(96) if not bay.free >> step & 1]) for bay in plan.bays]
    assert [row for row in taken if row[1]] == [("general_lift", [40, 41, 42, 43]), ("alignment", [64, 65])]
    assert sorted(minute for minutes in plan.arrivals.values() for minute in minutes) == [600, 960]


def test_the_free_times_for_a_walk_in_use_the_reserve_on_the_page_and_in_the_api(
    booking: Booking, client_for: Callable[..., Any]
) -> None:
    b = booking
    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data={"walk_in_reserve_percent": 90})
    book(b, "09:00", b.ev)  # 2.00 of the 2.92 hours bookings may take
    desk = client_for(b.world.user("frontdesk"))
    query = {"services": [f"operation:{b.oil.pk}"], "day": b.day(1).isoformat(), "wish": "10:00"}

    booked = desk.get("/appointments/slots/", query)
    walk_in = desk.get("/appointments/slots/", {**query, "channel": "walk_in"})

    assert (booked.context["times"].reserve_full, booked.context["times"].free) == (True, [])
    assert (walk_in.context["times"].reserve_full, walk_in.context["times"].offered) == (False, ["10:00", "09:45"])

    api = {"store": "SH01", "date": b.day(1).isoformat(), "services": f"operation:{b.oil.pk}", "wish": "10:00"}
    assert desk.get("/api/v1/appointments/slots", api).json()["offered"] == []
    offered = desk.get("/api/v1/appointments/slots", {**api, "walk_in": "true"}).json()["offered"]
    assert [row["time"] for row in offered] == ["10:00", "09:45"]
