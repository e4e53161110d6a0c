"""The capacity page (the day's hours, the technicians with their skill, certificates, efficiency and
weekly shifts, their leave, the booking settings) and the show-rate report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.translation import gettext

from aftersales.appointments.models import Appointment, BookingSettings, Leave, Shift, Technician
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book
from aftersales.core.models import AuditEntry, User


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.fixture
def foreman(booking: Booking, client_for: Callable[[User], Client]) -> Client:
    return client_for(booking.world.user("foreman"))


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def shifts(technician: Technician) -> list[tuple[int, time, time]]:
    return list(
        Shift.objects.filter(technician=technician).order_by("weekday").values_list("weekday", "starts", "ends")
    )


def test_the_capacity_page_shows_the_days_hours_and_each_technician(booking: Booking, foreman: Client) -> None:
    b = booking
    book(b, "10:00")
    book(b, "13:00", b.ev)
    page = foreman.get("/appointments/capacity/", {"day": b.day(1).isoformat()})
    assert page.status_code == 200
    summary = page.context["summary"]
    # 9 hours on shift each, at efficiency 1.00, 1.25 and 1.00; a fifth kept for walk-ins.
    assert (summary.capacity_hours, summary.bookable_hours, summary.booked_hours, summary.free_hours) == (
        Decimal("29.25"),
        Decimal("23.40"),
        Decimal("3.00"),
        Decimal("20.40"),
    )
    assert [
        (row.name, row.skill, row.certificates, week, line.busy if line else None)
        for row, week, line in page.context["technicians"]
    ] == [
        ("tech_junior", "初级", [], ["周一–周日 08:30–17:30"], Decimal("1.00")),
        ("tech_mid", "中级", [], ["周一–周日 08:30–17:30"], Decimal(0)),
        ("tech_senior", "高级", ["新能源高压"], ["周一–周日 08:30–17:30"], Decimal("2.00")),
    ]
    html = text(page)
    assert 'data-testid="capacity-hours">29.25<' in html and 'data-testid="free-hours">20.40<' in html
    wrong = foreman.get("/appointments/capacity/", {"day": "2026-02-30"})
    assert wrong.status_code == 400 and wrong.context["summary"] is None
    assert list(wrong.context["day_form"].errors) == ["day"]


def test_a_technicians_shifts_are_edited_and_a_staff_member_added(booking: Booking, foreman: Client) -> None:
    b = booking
    junior = b.technicians[0]
    page = foreman.get(f"/appointments/capacity/technicians/{junior.pk}/")
    assert page.status_code == 200 and page.context["form"]["from_0"].value() == time(8, 30)
    data = {"efficiency": "1.10", "is_active": "on", "from_0": "08:00", "until_0": "17:00", "from_5": "09:00"}
    half = foreman.post(f"/appointments/capacity/technicians/{junior.pk}/", data)
    assert half.status_code == 400
    assert half.context["form"].errors == {"until_5": ["请填写起止两个时间；休息日两个都不填。"]}
    off_quarter = foreman.post(
        f"/appointments/capacity/technicians/{junior.pk}/", {**data, "until_5": "15:00", "from_0": "08:10"}
    )
    assert off_quarter.status_code == 400
    assert off_quarter.context["form"].errors == {"from_0": [gettext("Shifts start and end on the quarter hour.")]}
    assert len(shifts(junior)) == 7  # nothing changed
    saved = foreman.post(f"/appointments/capacity/technicians/{junior.pk}/", {**data, "until_5": "15:00"})
    assert saved.status_code == 302 and saved["Location"] == "/appointments/capacity/"
    junior.refresh_from_db()
    assert (junior.efficiency, shifts(junior)) == (Decimal("1.10"), [(0, time(8), time(17)), (5, time(9), time(15))])
    assert "技师班次已保存。" in text(foreman.get(saved["Location"]))

    newcomer = b.world.user("technician")
    form = foreman.get("/appointments/capacity/technicians/new/")
    choices = form.context["form"].fields["user"].choices
    assert (newcomer.pk, "维修技师 (维修技师)") in choices
    assert not {junior.user_id, b.technicians[1].user_id} & {pk for pk, _name in choices}  # technicians already
    added = foreman.post(
        "/appointments/capacity/technicians/new/",
        {"user": str(newcomer.pk), "efficiency": "0.90", "is_active": "on", "from_2": "08:30", "until_2": "17:30"},
    )
    assert added.status_code == 302
    technician = Technician.objects.get(user=newcomer)
    assert (technician.store, technician.efficiency, shifts(technician)) == (
        b.store,
        Decimal("0.90"),
        [(2, time(8, 30), time(17, 30))],
    )
    assert foreman.get("/appointments/capacity/technicians/999999/").status_code == 404


def test_leave_is_recorded_refused_when_it_overlaps_and_removed(booking: Booking, foreman: Client) -> None:
    b = booking
    senior = b.technicians[2]
    data = {
        "technician": str(senior.pk),
        "starts_at": "2026-11-27T13:00",
        "ends_at": "2026-11-27T17:30",
        "reason": "培训",
    }
    assert foreman.post("/appointments/capacity/leave/", data).status_code == 302
    leave = Leave.objects.get()
    zone = b.store.zone
    assert (leave.technician, leave.starts_at, leave.ends_at, leave.reason) == (
        senior,
        datetime(2026, 11, 27, 13, tzinfo=zone),
        datetime(2026, 11, 27, 17, 30, tzinfo=zone),
        "培训",
    )
    page = foreman.get("/appointments/capacity/", {"day": "2026-11-27"})
    assert "tech_senior</span> · 2026-11-27 13:00 – 2026-11-27 17:30 · 培训" in text(page)
    overlapping = foreman.post(
        "/appointments/capacity/leave/", {**data, "starts_at": "2026-11-27T16:00", "ends_at": "2026-11-28T10:00"}
    )
    assert overlapping.status_code == 400
    message = gettext("Overlaps leave already recorded from %(start)s to %(end)s.") % {
        "start": "2026-11-27 13:00",
        "end": "2026-11-27 17:30",
    }
    assert overlapping.context["leave_form"].errors == {"starts_at": [message]}
    assert f'data-testid="error-starts_at">{message}' in text(overlapping)
    backwards = foreman.post(
        "/appointments/capacity/leave/", {**data, "starts_at": "2026-11-30T12:00", "ends_at": "2026-11-30T08:00"}
    )
    assert backwards.context["leave_form"].errors == {"ends_at": [gettext("The leave must end after it starts.")]}
    assert Leave.objects.count() == 1
    removed = foreman.post(f"/appointments/capacity/leave/{leave.pk}/remove/")
    assert removed.status_code == 302 and Leave.objects.count() == 0
    assert AuditEntry.objects.filter(object_type="appointments.leave").count() == 2


def test_the_booking_settings_are_saved_and_wrong_values_named(booking: Booking, foreman: Client) -> None:
    b = booking
    data = {
        "walk_in_reserve_percent": "95", "arrival_spacing_minutes": "20", "no_show_grace_minutes": "45",
        "reminder_hours": "24", "same_day_reminder": "on", "same_day_reminder_hours": "3",
        "booking_script": "您好，这里是上海店。", "route": "地铁2号线", "documents_default": "行驶证",
    }  # fmt: skip
    wrong = foreman.post("/appointments/capacity/settings/", data)
    assert wrong.status_code == 400
    assert wrong.context["settings_form"].errors == {"walk_in_reserve_percent": ["确保该值小于或等于90。"]}
    assert not BookingSettings.objects.filter(store=b.store).exists()  # nothing written, not even the defaults
    assert (
        foreman.post("/appointments/capacity/settings/", {**data, "walk_in_reserve_percent": "10"}).status_code == 302
    )
    settings = BookingSettings.objects.get(store=b.store)
    assert (
        settings.walk_in_reserve_percent, settings.arrival_spacing_minutes, settings.no_show_grace_minutes,
        settings.same_day_reminder, settings.same_day_reminder_hours, settings.booking_script, settings.route,
        settings.documents_default,
    ) == (10, 20, 45, True, 3, "您好，这里是上海店。", "地铁2号线", "行驶证")  # fmt: skip
    assert "您好，这里是上海店。" in text(booking_page := foreman.get("/appointments/capacity/"))
    assert booking_page.context["settings_form"]["walk_in_reserve_percent"].value() == 10


def test_the_show_rate_per_channel_advisor_and_store(booking: Booking, client_for: Callable[[User], Client]) -> None:
    b = booking
    advisor = b.world.user("advisor")
    states = [
        ("phone", "arrived"),
        ("phone", "no_show"),
        ("phone", "arrived"),
        ("walk_in", "arrived"),
        ("phone", "cancelled"),
    ]
    for n, (channel, state) in enumerate(states):
        appointment = book(b, f"{9 + n:02d}:00", channel=channel, advisor_id=advisor.pk)
        Appointment.objects.filter(pk=appointment.pk).update(state=state)
    manager = client_for(b.world.user("manager"))
    first, last = b.day(0).isoformat(), b.day(1).isoformat()
    by_channel = manager.get("/appointments/show-rate/", {"first": first, "last": last, "by": "channel"})
    assert by_channel.status_code == 200
    assert [(r.label, r.booked, r.arrived, r.no_show, r.cancelled, r.rate) for r in by_channel.context["rows"]] == [
        (gettext("Phone"), 4, 2, 1, 1, Decimal("66.7")),
        (gettext("Walk-in"), 1, 1, 0, 0, Decimal("100.0")),
    ]
    assert 'data-testid="rate-total"><td>合计</td><td class="text-end">5</td>' in text(by_channel)
    by_store = manager.get("/appointments/show-rate/", {"first": first, "last": last, "by": "store"})
    assert [(r.key, r.booked, r.rate) for r in by_store.context["rows"]] == [("SH01", 5, Decimal("75.0"))]
    by_advisor = manager.get("/appointments/show-rate/", {"first": first, "last": last, "by": "advisor"})
    assert [(r.label, r.booked) for r in by_advisor.context["rows"]] == [(advisor.full_name, 5)]
    backwards = manager.get("/appointments/show-rate/", {"first": last, "last": first})
    assert backwards.status_code == 400 and list(backwards.context["form"].errors) == ["last"]
    default = manager.get("/appointments/show-rate/")
    assert (default.context["first"].isoformat(), default.context["last"].isoformat()) == ("2026-10-28", "2026-11-26")
