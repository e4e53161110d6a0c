"""The bookings pages: a booking taken through the form (the agent on the phone, the front desk for a
walk-in), the free-times partial with its two offered times, a taken time answered with the times
still free, every wrong field named with nothing written, the detail page's cancel and check-in, and
who may open what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext

from aftersales.appointments.models import Appointment, AppointmentEvent, AppointmentService
from aftersales.appointments.services import appointment_check_in, booking_settings_save
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts, ref
from aftersales.core.models import StaffMembership, User
from aftersales.messaging.models import Message

SCRIPT = "您好，这里是上海店售后预约。请问您的车牌号是？"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.fixture
def agent(booking: Booking, client_for: Callable[[User], Client]) -> Client:
    return client_for(booking.agent)


def form_data(b: Booking, **fields: Any) -> dict[str, Any]:
    """The booking form as the agent sends it for the fixture's customer and car, tomorrow at 10:00."""
    return {
        "customer": str(b.customer.pk),
        "vehicle": str(b.vehicle.pk),
        "find": "",
        "contact_name": "张伟",
        "contact_mobile": "",
        "plate_text": "沪A12345",
        "model_text": "",
        "services": [ref(b.oil)],
        "day": b.day(1).isoformat(),
        "wish": "10:00",
        "time": "10:00",
        "description": "刹车有异响",
        "call_at": "2026-11-26T09:55",
        "documents": "行驶证",
        "channel": "phone",
        "advisor": "",
        **fields,
    }


def text(response: Any) -> str:
    return response.content.decode()


def test_the_agent_books_through_the_form_beside_the_stores_script(
    booking: Booking, agent: Client, django_capture_on_commit_callbacks: Any
) -> None:
    b = booking
    booking_settings_save(actor=b.world.user("manager"), store_id=b.store.pk, data={"booking_script": SCRIPT})
    page = agent.get("/appointments/new/")
    assert page.status_code == 200
    assert SCRIPT in text(page)
    assert page.context["form"]["documents"].value() == "行驶证、保养手册"  # the store's default
    assert page.context["form"]["call_at"].value() == datetime(2026, 11, 26, 10, 0)  # now, store time
    assert "override_reason" not in page.context["form"].fields  # the agent may not overbook

    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post("/appointments/new/", form_data(b))
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/appointments/{appointment.pk}/"
    assert (
        appointment.state, appointment.channel, appointment.customer, appointment.vehicle, appointment.contact_name,
        appointment.plate_text, appointment.starts_at, appointment.wish_at, appointment.call_at,
        appointment.description, appointment.documents, appointment.created_by,
    ) == (
        "booked", "phone", b.customer, b.vehicle, "张伟", "沪A12345", b.at("10:00"), b.at("10:00"),
        datetime(2026, 11, 26, 9, 55, tzinfo=b.store.zone), "刹车有异响", "行驶证", b.agent,
    )  # fmt: skip
    assert list(AppointmentService.objects.values_list("name", "hours")) == [("更换机油", Decimal("1.00"))]
    detail = agent.get(response["Location"])
    assert f"预约 {appointment.number} 已登记，到店时间 2026-11-27 10:00。" in text(detail)
    assert detail.context["services"][0][1:] == (datetime(2026, 11, 27, 10, 0), datetime(2026, 11, 27, 11, 0))
    assert [m.event for m, _at, _address in detail.context["sent"]] == ["appointment_booked"]
    assert detail.context["sent"][0][2] == "13912345678"  # customer care sees personal data in full


def test_the_front_desk_books_a_walk_in_typed_by_hand(booking: Booking, client_for: Callable[[User], Client]) -> None:
    b = booking
    desk = client_for(b.world.user("frontdesk"))
    page = desk.get("/appointments/new/", {"channel": "walk_in"})  # the list's walk-in button
    assert (page.context["form"]["channel"].value(), page.context["form"]["call_at"].value()) == ("walk_in", None)
    data = form_data(
        b, customer="", vehicle="", contact_name="李雷", contact_mobile="13700001111", plate_text="沪B99999",
        model_text="朗逸", channel="walk_in", time="14:30", wish="", call_at="",
    )  # fmt: skip
    assert desk.post("/appointments/new/", data).status_code == 302
    appointment = Appointment.objects.get()
    assert (
        appointment.channel, appointment.customer, appointment.contact_name, appointment.contact_mobile,
        appointment.plate_text, appointment.model_text, appointment.starts_at, appointment.wish_at,
        appointment.call_at, appointment.created_by,
    ) == (
        "walk_in", None, "李雷", "13700001111", "沪B99999", "朗逸", b.at("14:30"), None, None,
        b.world.user("frontdesk"),
    )  # fmt: skip
    detail = desk.get(f"/appointments/{appointment.pk}/")
    assert detail.context["mobile"] == "137****1111"  # the front desk sees mobiles masked


def test_the_free_times_partial_offers_the_two_nearest_the_wish_and_lists_every_one(
    booking: Booking, agent: Client
) -> None:
    b = booking
    hint = agent.get("/appointments/slots/")
    assert (hint.status_code, hint.context["times"]) == (200, None)
    assert "选择服务项目和日期后，这里显示可约时间。" in text(hint)
    query = {"services": [ref(b.oil)], "day": b.day(1).isoformat(), "wish": "10:00", "advisor": ""}
    response = agent.get("/appointments/slots/", query)
    assert response.status_code == 200
    times = response.context["times"]
    # 10:00 as wished; then 09:45 and 10:15 are as near and leave no gap too short: the earlier one.
    assert times.offered == ["10:00", "09:45"]
    # The technicians' shifts end at 17:30: a one-hour job starts at 16:30 at the latest.
    assert times.free == [f"{hour:02d}:{minute:02d}" for hour in range(8, 17) for minute in (0, 15, 30, 45)][2:-1]
    html = text(response)
    assert 'data-testid="offered-1">10:00</button>' in html and 'data-testid="offered-2">09:45</button>' in html
    assert "共 33 个可约时间，标准工时 1 小时（营业 08:30–18:00）：" in html

    book(b, "10:00", b.ev)  # the only EV technician is busy 10:00-12:00
    response = agent.get("/appointments/slots/", {**query, "services": [ref(b.ev)], "wish": "11:00"})
    assert response.context["times"].offered == ["12:00", "12:15"]
    today = agent.get("/appointments/slots/", {**query, "day": b.day(0).isoformat()})
    assert today.context["times"].free[0] == "10:00"  # not before now (Thursday 10:00)
    unknown = agent.get("/appointments/slots/", {**query, "services": ["operation:999999"]})
    assert unknown.status_code == 400 and unknown.context["problems"] == [
        "选择一个有效的选项。 operation:999999 不在可用的选项中。"
    ]


def test_a_time_taken_meanwhile_is_answered_with_the_times_still_free(booking: Booking, agent: Client) -> None:
    b = booking
    book(b, "10:00", b.ev)  # another agent took the EV technician 10:00-12:00
    before = counts()
    response = agent.post("/appointments/new/", form_data(b, services=[ref(b.ev)], time="11:00", wish="11:00"))
    assert response.status_code == 409
    assert response.context["offered"] == ["12:00", "12:15"]
    message = (
        gettext("This time is no longer free.") + " " + gettext("Free now: %(times)s.") % {"times": "12:00, 12:15"}
    )
    assert response.context["form"].errors == {"time": [message]}
    html = text(response)
    assert 'data-slot="12:00">12:00</button>' in html and 'data-slot="12:15">12:15</button>' in html
    assert counts() == before


def test_wrong_input_is_named_on_each_field_and_nothing_is_written(booking: Booking, agent: Client) -> None:
    b = booking
    before = counts()
    empty = agent.post("/appointments/new/", {})
    required = "此字段为必填项。"
    assert empty.status_code == 400
    assert empty.context["form"].errors == {
        "services": [gettext("Choose at least one service.")],
        "day": [required],
        "time": [required],
        "channel": [required],
    }
    data = form_data(
        b, customer="", vehicle="", contact_name="", contact_mobile="12345", day=b.day(-1).isoformat(),
        plate_text="沪A1234567890X",
    )  # fmt: skip
    wrong = agent.post("/appointments/new/", data)
    assert wrong.status_code == 400
    assert wrong.context["form"].errors == {"plate_text": ["确保该变量包含不超过 12 字符 (目前字符数 13)。"]}
    wrong = agent.post("/appointments/new/", {**data, "plate_text": ""})
    assert wrong.status_code == 400
    errors = wrong.context["form"].errors
    assert set(errors) == {"time", "contact_name", "contact_mobile"}
    assert errors["time"] == [gettext("Choose a time in the future.")]
    assert errors["contact_name"] == [gettext("Enter whom to expect.")]
    html = text(wrong)
    assert f'data-testid="error-time">{gettext("Choose a time in the future.")}' in html
    assert counts() == before


def test_a_booking_is_cancelled_with_a_reason_and_checked_in(
    booking: Booking, agent: Client, django_capture_on_commit_callbacks: Any
) -> None:
    b = booking
    first, second = book(b, "10:00"), book(b, "11:00")
    page = agent.get(f"/appointments/{first.pk}/")
    assert 'data-testid="cancel-form"' in text(page) and 'data-testid="check-in"' in text(page)
    before = counts()
    refused = agent.post(f"/appointments/{first.pk}/cancel/", {"reason": "  "})
    assert refused.status_code == 400
    assert refused.context["cancel_form"].errors == {"reason": ["此字段为必填项。"]}
    assert (Appointment.objects.get(pk=first.pk).state, counts()) == ("booked", before)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(f"/appointments/{first.pk}/cancel/", {"reason": "客户临时出差"})
    assert response.status_code == 302 and response["Location"] == f"/appointments/{first.pk}/"
    first.refresh_from_db()
    assert (first.state, first.reason) == ("cancelled", "客户临时出差")
    event = AppointmentEvent.objects.filter(appointment=first).latest("pk")
    assert (event.action, event.from_state, event.to_state, event.note, event.actor) == (
        "cancel",
        "booked",
        "cancelled",
        "客户临时出差",
        b.agent,
    )
    page = agent.get(f"/appointments/{first.pk}/")
    assert f"预约 {first.number} 已取消。" in text(page)
    assert 'data-testid="reason">客户临时出差</dd>' in text(page)
    assert 'data-testid="cancel-form"' not in text(page) and 'data-testid="check-in"' not in text(page)
    assert [(label, state, event.note) for event, _at, label, state in page.context["events"]] == [
        (gettext("Booked"), gettext("Booked"), ""),
        (gettext("Cancelled"), gettext("Cancelled"), "客户临时出差"),
    ]
    assert list(Message.objects.filter(about_id=first.pk).values_list("event", flat=True)) == ["appointment_cancelled"]

    response = agent.post(f"/appointments/{second.pk}/check-in/")
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.state, second.arrived_at) == ("arrived", NOW)
    again = agent.post(f"/appointments/{second.pk}/check-in/")
    assert again.status_code == 409  # arrived already: refused, shown on the page
    assert again.context["appointment"].state == "arrived"


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("technician", "get", "/appointments/"),
        ("technician", "get", "/appointments/board/"),
        ("parts", "get", "/appointments/new/"),
        ("parts", "post", "/appointments/new/"),
        ("auditor", "get", "/appointments/slots/"),
        ("advisor", "get", "/appointments/capacity/"),
        ("advisor", "post", "/appointments/capacity/settings/"),
        ("crm", "get", "/appointments/prepick/"),
        ("foreman", "get", "/appointments/prepick/"),
    ],
)
def test_roles_without_the_permission_are_refused_and_nothing_changes(
    booking: Booking, client_for: Callable[[User], Client], role: str, method: str, path: str
) -> None:
    b = booking
    book(b, "10:00")
    before = counts()
    data = {**form_data(b), "walk_in_reserve_percent": "50"} if method == "post" else {}
    response = getattr(client_for(b.world.user(role)), method)(path, data)
    assert response.status_code == 403
    assert counts() == {**before, "audit": before["audit"] + 1}  # the refusal is audited, nothing else
    assert Appointment.objects.count() == 1


def test_an_appointment_of_another_store_is_not_found(booking: Booking, client_for: Callable[[User], Client]) -> None:
    b = booking
    appointment = book(b, "10:00")
    other = client_for(b.world.user("crm", "sz"))
    assert other.get(f"/appointments/{appointment.pk}/").status_code == 404
    assert other.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "x"}).status_code == 404
    assert Appointment.objects.get().state == "booked"


def test_the_days_list_costs_the_same_queries_for_two_bookings_as_for_six(booking: Booking, agent: Client) -> None:
    b = booking

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = agent.get("/appointments/", {"day": b.day(1).isoformat()})
        assert response.status_code == 200
        return len(captured), len(response.context["rows"])

    agent.get("/appointments/")  # the session's first page picks its store
    book(b, "09:00")
    book(b, "09:30", b.package)
    two = queries()
    for hhmm in ("10:00", "11:00", "13:00"):
        book(b, hhmm, b.alignment)
    book(b, "14:00", b.ev)
    six = queries()
    # Session, user, access and menu (4), the store, its advisors, the day's counts, the bookings with
    # their services, the store switcher and the new-booking button's permission.
    assert (two, six) == ((12, 2), (12, 6))


def test_a_manager_books_over_capacity_with_a_reason_the_agent_may_not(
    booking: Booking, agent: Client, client_for: Callable[[User], Client]
) -> None:
    b = booking
    book(b, "10:00", b.ev)
    manager = client_for(b.world.user("manager"))
    data = form_data(b, services=[ref(b.ev)], time="11:00", wish="11:00")
    taken = manager.post("/appointments/new/", data)
    assert taken.status_code == 409 and "override_reason" in taken.context["form"].fields
    assert 'name="override_reason"' in text(taken) and 'name="override_reason"' not in text(
        agent.get("/appointments/new/")
    )
    forged = agent.post("/appointments/new/", {**data, "override_reason": "老客户"})  # not a field of theirs
    assert forged.status_code == 409 and Appointment.objects.count() == 1
    over = manager.post("/appointments/new/", {**data, "override_reason": "老客户，技师加班"})
    assert over.status_code == 302
    appointment = Appointment.objects.latest("pk")
    assert (appointment.overbooked, appointment.override_reason, appointment.override_by, appointment.starts_at) == (
        True, "老客户，技师加班", b.world.user("manager"), b.at("11:00")
    )  # fmt: skip
    page = manager.get(f"/appointments/{appointment.pk}/")
    assert 'data-testid="override">老客户，技师加班 · 店长</dd>' in text(page)


def test_the_days_list_counts_each_state_and_filters_by_state_and_advisor(booking: Booking, agent: Client) -> None:
    b = booking
    advisor = b.world.user("advisor")
    other = User.objects.create(username="advisor_two", full_name="周顾问")
    StaffMembership.objects.create(
        store=b.store, user=other, role_id=StaffMembership.objects.get(user=advisor, store=b.store).role_id
    )
    first = book(b, "09:00", advisor_id=advisor.pk)
    second = book(b, "10:00", b.alignment, advisor_id=other.pk)
    third = book(b, "11:00", b.ev, advisor_id=other.pk)
    appointment_check_in(actor=b.agent, appointment_id=second.pk)
    Appointment.objects.filter(pk=third.pk).update(state="cancelled")
    day = b.day(1).isoformat()
    page = agent.get("/appointments/", {"day": day})
    assert [(value, count) for value, _label, count, _style in page.context["counts"]] == [
        ("booked", 1), ("arrived", 1), ("cancelled", 1), ("no_show", 0)
    ]  # fmt: skip
    assert [(row.pk, at) for row, at, _style in page.context["rows"]] == [
        (first.pk, datetime(2026, 11, 27, 9, 0)), (second.pk, datetime(2026, 11, 27, 10, 0)),
        (third.pk, datetime(2026, 11, 27, 11, 0)),
    ]  # fmt: skip
    html = text(page)
    assert f'<a href="/appointments/{first.pk}/"' not in html  # the time is the link
    assert f'data-testid="appointment-{first.pk}">' in html and "四轮定位" in html
    arrived = agent.get("/appointments/", {"day": day, "state": "arrived"})
    assert [row.pk for row, _at, _style in arrived.context["rows"]] == [second.pk]
    theirs = agent.get("/appointments/", {"day": day, "advisor": str(advisor.pk)})
    assert [row.pk for row, _at, _style in theirs.context["rows"]] == [first.pk]
    assert theirs.context["days"] == {"previous": "2026-11-26", "next": "2026-11-28"}
    assert f"?day=2026-11-28&amp;state=&amp;advisor={advisor.pk}" in text(theirs)
    today = agent.get("/appointments/")
    assert today.context["day"].isoformat() == "2026-11-26" and today.context["rows"] == []
    wrong = agent.get("/appointments/", {"day": "2026-13-01", "state": "gone"})
    assert wrong.status_code == 400 and set(wrong.context["form"].errors) == {"day", "state"}
