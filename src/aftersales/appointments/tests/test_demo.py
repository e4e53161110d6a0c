"""The appointments' part of ``aftersales demo``: both stores, every state, each booking where capacity
lets it be, idempotent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import TestCase

from aftersales.appointments import demo as appointments_demo
from aftersales.appointments.capacity import day_plan, need_of
from aftersales.appointments.models import Appointment, AppointmentEvent, BookingSettings, Leave, Technician
from aftersales.appointments.tests.factories import NOW, Clock, counts
from aftersales.core import demo as core_demo
from aftersales.core.calendar import store_calendar
from aftersales.core.demo import demo_install
from aftersales.core.models import Store
from aftersales.messaging.models import Message, MessageTemplate, Task
from aftersales.parts.models import Reservation

# What the demo books when run at NOW (Thursday 26 November 2026, 10:00 in Shanghai): the last open
# day (Wednesday), today and tomorrow, each (arrival, state, channel, parts). Some wished times were
# taken (or the expert is on leave tomorrow afternoon): the agent took the first time offered.
GONE = [
    ("11-25 08:30", "arrived", "phone", "to_pick"),
    ("11-25 09:00", "arrived", "online", ""),
    ("11-25 09:30", "no_show", "phone", "to_pick"),
    ("11-25 10:00", "arrived", "walk_in", ""),
    ("11-25 14:00", "cancelled", "phone", "to_pick"),
    ("11-25 15:00", "arrived", "phone", ""),
    ("11-26 08:30", "arrived", "phone", "to_pick"),
    ("11-26 09:00", "arrived", "walk_in", ""),
    ("11-26 09:45", "booked", "phone", ""),  # 15 minutes late: within the 30 minutes' grace
]
TODAY_AHEAD = [
    ("11-26 10:30", "booked", "online", "to_pick"),
    ("11-26 11:00", "cancelled", "phone", ""),
    ("11-26 13:30", "booked", "phone", ""),
    ("11-26 14:30", "booked", "api", "to_pick"),
    ("11-26 15:30", "booked", "phone", ""),
    ("11-26 16:30", "booked", "phone", ""),
]
EXPECTED = {
    "SH01": GONE
    + TODAY_AHEAD
    + [
        ("11-27 08:30", "booked", "phone", "staged"),
        ("11-27 09:00", "booked", "online", ""),
        ("11-27 10:30", "booked", "phone", "reserved"),
        ("11-27 10:45", "booked", "phone", ""),
        ("11-27 11:00", "booked", "phone", "short"),
        ("11-27 11:15", "booked", "phone", ""),
        ("11-27 14:00", "booked", "api", "to_pick"),
        ("11-27 15:00", "cancelled", "phone", ""),
        ("11-27 16:00", "booked", "phone", ""),
    ],
    "SZ01": GONE
    + TODAY_AHEAD
    + [
        ("11-27 08:30", "booked", "phone", "staged"),
        ("11-27 09:00", "booked", "online", ""),
        ("11-27 09:30", "booked", "phone", "reserved"),
        ("11-27 10:00", "booked", "phone", ""),
        ("11-27 10:45", "booked", "phone", "short"),
        ("11-27 11:00", "booked", "phone", ""),
        ("11-27 14:00", "booked", "api", "to_pick"),
        ("11-27 15:00", "cancelled", "phone", ""),
        ("11-27 16:00", "booked", "phone", ""),
    ],
}


def outline(store: Store) -> list[tuple[str, str, str, str]]:
    calendar = store_calendar(store)
    return [
        (f"{calendar.local(row.starts_at):%m-%d %H:%M}", row.state, row.channel, row.parts_status)
        for row in Appointment.all_objects.filter(store=store).order_by("starts_at")
    ]


def still_fits(appointment: Appointment) -> bool:
    """Whether the booking fits its day's capacity with every other live booking of the store placed:
    its technician's shift and leave, skills, bays, the advisor's spacing and the walk-in reserve."""
    store = appointment.store
    calendar = store_calendar(store)
    plan = day_plan(store, calendar.local_date(appointment.starts_at), excluding=appointment.pk)
    needs = [need_of(row) for row in appointment.services.order_by("position")]
    return plan.place(needs, round(plan.step_of(appointment.starts_at))) is not None


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo as the appointments need it (the archive, the parts and the catalogue first), at NOW,
    with what waits for the commit (the confirmations) run: installed once for the module's tests in a
    transaction rolled back after the last (each test's own changes roll back after it)."""
    needed = ("customers", "parts", "catalogue", "appointments")
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as monkeypatch, transaction.atomic():
        Clock(monkeypatch, NOW)
        monkeypatch.setattr(
            core_demo,
            "DEMO_EXTENSIONS",
            [extension for extension in core_demo.DEMO_EXTENSIONS if extension.__module__.split(".")[1] in needed],
        )
        monkeypatch.setattr(core_demo, "DEMO_FINISHERS", [])
        with TestCase.captureOnCommitCallbacks(execute=True):
            demo_install()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_at_now(demo: None, db: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def test_the_demo_books_both_stores_in_every_state_within_capacity(demo_at_now: Clock) -> None:
    for store in Store.objects.filter(code__in=("SH01", "SZ01")).order_by("code"):
        # Every booking of the last open day, today and tomorrow, as the services placed it
        assert outline(store) == EXPECTED[store.code], store.code
        rows = list(Appointment.all_objects.filter(store=store).select_related("store").order_by("starts_at"))
        live = [row for row in rows if row.state in ("booked", "arrived")]
        assert [row.number for row in live if not still_fits(row)] == []
        assert all(row.technician_id and row.advisor_id and not row.overbooked for row in rows)
        # The customers who came were checked in a few minutes before their time, by the front desk
        for row in rows:
            if row.state == "arrived":
                assert row.arrived_at is not None and timedelta(0) < row.starts_at - row.arrived_at <= timedelta(
                    minutes=12
                )
                assert row.created_at < row.arrived_at
        # Booked days before (a walk-in as they came), cancelled with a reason, the no-show marked by the job
        assert all(row.created_at < row.starts_at for row in rows)
        assert {row.reason for row in rows if row.state == "cancelled"} == {
            "客户临时出差，回来后再约",
            "车辆在外地，已就近维修",
            "客户改约下周",
        }
        no_show = AppointmentEvent.objects.get(appointment__store=store, action="no_show")
        assert (no_show.actor, no_show.from_state, no_show.to_state) == (None, "booked", "no_show")
        # The agent's script and the route, four technicians with their weekly shifts, the expert's leave
        settings = BookingSettings.objects.get(store=store)
        assert settings.booking_script.startswith("【预约话术】\n1. 问候：您好，这里是" + store.name)
        assert settings.route == appointments_demo.ROUTES[store.code]
        assert settings.same_day_reminder is (store.code == "SH01")
        technicians = {
            row.user.username: (row.user.profile.skill_level, row.efficiency, row.shifts.count())
            for row in Technician.all_objects.filter(store=store).select_related("user__profile")
        }
        suffix = store.code.lower()
        assert technicians == {
            f"technician_{suffix}": ("intermediate", Decimal("1.00"), 6),
            f"expert_{suffix}": ("senior", Decimal("1.15"), 6),
            f"washer_{suffix}": ("junior", Decimal("0.90"), 6),
            f"foreman_{suffix}": ("senior", Decimal("1.10"), 6),
        }
        leave = Leave.objects.get(technician__store=store)
        assert (leave.technician.user.username, leave.reason) == (f"expert_{suffix}", "新能源高压安全复训")
        assert store_calendar(store).local(leave.starts_at) == datetime(2026, 11, 27, 13, 0, tzinfo=store.zone)


def test_tomorrows_parts_are_picked_one_staged_one_short(demo_at_now: Clock) -> None:
    for store in Store.objects.filter(code__in=("SH01", "SZ01")).order_by("code"):
        rows = {row.parts_status: row for row in Appointment.all_objects.filter(store=store, state="booked")}
        staged, short = rows["staged"], rows["short"]
        assert staged.staged_by is not None and staged.staged_by.username == f"parts_{store.code.lower()}"
        # The staged and the reserved ones hold every part of their package; the short one what there was
        for row in (staged, rows["reserved"]):
            held = Reservation.all_objects.filter(demand_type="appointment", demand_id=row.pk)
            assert held.count() >= 2 and all(line.quantity > 0 for line in held)
        task = Task.objects.get(about_type="appointments.appointment", about_id=short.pk)
        assert task.subject.startswith(f"预约 {short.number}（{short.contact_name}，11-27 ")
        assert "缺 1" in task.subject
        assert list(AppointmentEvent.objects.filter(appointment=short).values_list("action", flat=True)) == [
            "book",
            "short",
        ]


def test_the_demo_switches_the_sms_on_and_every_booking_was_confirmed(demo_at_now: Clock) -> None:
    sms = MessageTemplate.objects.filter(event__startswith="appointment_", channel="sms").order_by("event")
    assert list(sms.values_list("event", "is_active", "sms_sign_name", "sms_template_code")) == [
        ("appointment_booked", True, "华东汽车", "SMS_210001"),
        ("appointment_cancelled", True, "华东汽车", "SMS_210003"),
        ("appointment_changed", True, "华东汽车", "SMS_210002"),
        ("appointment_reminder", True, "华东汽车", "SMS_210004"),
        ("appointment_reminder_today", True, "华东汽车", "SMS_210005"),
    ]
    # Each confirmation names the booking's own day and time: those booked on a twin day too.
    for row in Appointment.all_objects.select_related("store"):
        local = store_calendar(row.store).local(row.starts_at)
        message = Message.objects.get(
            about_type="appointments.appointment", about_id=row.pk, event="appointment_booked"
        )
        assert f"{local.month}月{local.day}日 {local:%H:%M}" in message.body, row.number
    assert Message.objects.filter(event="appointment_cancelled").count() == 6
    # The reminders due by now: tomorrow's up to 10:00 (two at SH01, four at SZ01) now, today's when
    # they fell due yesterday (no message today), and SH01's same-day one of 10:30
    reminded = Counter(
        Message.objects.filter(event__in=("appointment_reminder", "appointment_reminder_today")).values_list(
            "event", flat=True
        )
    )
    assert reminded == {"appointment_reminder": 6, "appointment_reminder_today": 1}
    today = Appointment.all_objects.filter(state="booked", starts_at__gt=NOW, starts_at__lt=NOW + timedelta(hours=7))
    assert today.count() == 10
    assert all(row.reminder_sent_at == row.starts_at - timedelta(hours=24) for row in today)


def test_the_demo_run_again_changes_nothing(demo_at_now: Clock) -> None:
    before = counts()
    assert demo_install().created == 0
    assert counts() == before
