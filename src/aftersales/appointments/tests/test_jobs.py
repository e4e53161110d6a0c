"""The two periodic jobs of ``aftersales.schedule``: on their schedule, each run once in effect."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from aftersales import schedule
from aftersales.appointments.models import Appointment
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts
from aftersales.messaging.models import Message


def test_the_periodic_jobs_run_on_their_schedule() -> None:
    def runs(task: object, moment: datetime) -> bool:
        return bool(task.task_class().validate_datetime(moment))  # type: ignore[attr-defined]

    quarter, five, seven = (datetime(2026, 11, 26, 10, minute) for minute in (15, 5, 7))
    assert (runs(schedule.appointments_no_show, five), runs(schedule.appointments_no_show, seven)) == (True, False)
    assert (runs(schedule.appointments_remind, quarter), runs(schedule.appointments_remind, five)) == (True, False)


def test_the_no_show_job_marks_once(booking: Booking, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch, NOW)
    late = book(booking, "10:30", days=0)
    come = book(booking, "11:00", days=0)
    clock.now = NOW + timedelta(hours=1, minutes=29)  # 11:29: 10:30 is 59 minutes past its start
    assert schedule.appointments_no_show.call_local() == 1
    before = counts()
    assert schedule.appointments_no_show.call_local() == 0
    assert counts() == before
    assert dict(Appointment.all_objects.values_list("pk", "state")) == {late.pk: "no_show", come.pk: "booked"}


def test_the_reminder_job_sends_once(booking: Booking, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch, NOW)
    appointment = book(booking, "10:00", days=2)
    assert schedule.appointments_remind.call_local() == {"reminder": 0, "same_day": 0}
    clock.now = NOW + timedelta(days=1)  # 24 hours before
    assert schedule.appointments_remind.call_local() == {"reminder": 1, "same_day": 0}
    before = counts()
    assert schedule.appointments_remind.call_local() == {"reminder": 0, "same_day": 0}
    assert counts() == before
    row = Appointment.all_objects.get(pk=appointment.pk)
    assert row.reminder_sent_at == timezone.now()
    assert Message.objects.filter(event="appointment_reminder", about_id=row.pk).count() == 1
