"""No-shows (APT-4): marked by the periodic job once the start plus the store's grace period has passed,
by a conditional update (once, however often the job runs), and never over a check-in that came first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.appointments.models import Appointment, AppointmentEvent
from aftersales.appointments.services import (
    appointment_cancel,
    appointment_check_in,
    appointments_mark_no_show,
    booking_settings_save,
)
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def states() -> dict[str, str]:
    return dict(Appointment.objects.values_list("number", "state"))


def test_a_booking_is_a_no_show_once_the_grace_period_has_passed(booking: Booking) -> None:
    b = booking
    appointment = book(b, "10:30", days=0)  # now is 10:00
    start = appointment.starts_at
    before = counts()
    assert appointments_mark_no_show(now=start + timedelta(minutes=29, seconds=59)) == 0
    assert counts() == before
    assert appointments_mark_no_show(now=start + timedelta(minutes=30)) == 1
    assert states() == {appointment.number: "no_show"}
    assert list(
        AppointmentEvent.objects.filter(action="no_show").values_list("actor", "from_state", "to_state", "note")
    ) == [(None, "booked", "no_show", "预约时间过后 30 分钟未到店")]
    # Run again: nothing more.
    before = counts()
    assert appointments_mark_no_show(now=start + timedelta(minutes=45)) == 0
    assert counts() == before


def test_the_stores_grace_period_counts_and_only_bookings_are_marked(booking: Booking) -> None:
    b = booking
    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data={"no_show_grace_minutes": 60})
    late = book(b, "10:30", days=0)
    cancelled = book(b, "10:45", days=0)
    appointment_cancel(actor=b.agent, appointment_id=cancelled.pk, reason="改约别家")
    start = late.starts_at
    assert appointments_mark_no_show(now=start + timedelta(minutes=59)) == 0
    assert appointments_mark_no_show(now=start + timedelta(hours=3)) == 1
    assert states() == {late.number: "no_show", cancelled.number: "cancelled"}


def test_a_check_in_that_came_first_wins(booking: Booking, clock: Clock) -> None:
    b = booking
    appointment = book(b, "10:30", days=0)
    clock.now = NOW + timedelta(hours=1)  # 11:00: half an hour late, but here
    appointment_check_in(actor=b.world.user("frontdesk"), appointment_id=appointment.pk)
    before = counts()
    assert appointments_mark_no_show(now=NOW + timedelta(hours=1)) == 0
    assert appointments_mark_no_show(now=NOW + timedelta(hours=5)) == 0
    assert counts() == before
    appointment.refresh_from_db()
    assert (appointment.state, appointment.arrived_at) == ("arrived", NOW + timedelta(hours=1))
    assert list(AppointmentEvent.objects.filter(appointment=appointment).values_list("action", flat=True)) == [
        "book",
        "check_in",
    ]
