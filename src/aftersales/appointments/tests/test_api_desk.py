"""The appointments API around the bookings: the parts desk's pre-pick (reserve, stage, urgent order),
the welcome board, the show rate, and the capacity behind the free times (technicians, leave, settings)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aftersales.appointments.models import Appointment, BookingSettings, Leave, Shift, Technician
from aftersales.appointments.services import appointment_cancel, appointment_check_in
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts, ref
from aftersales.core.models import AuditEntry, User
from aftersales.messaging.models import Task
from aftersales.purchasing.models import PurchaseOrder, Supplier

API = "/api/v1/appointments"
SHIFTS = {str(day): ["08:30", "17:30"] for day in range(7)}


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.fixture
def api() -> Callable[[User], Client]:
    """A signed-in browser session that reads English."""

    def make(user: User) -> Client:
        client = Client(headers={"accept-language": "en"})
        client.force_login(user)
        return client

    return make


def parts_of(row: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(p["part"], p["needed"], p["reserved"], p["short"]) for p in row["parts"]]


def test_the_parts_desk_reserves_stages_and_orders_what_is_short(
    booking: Booking, api: Callable[[User], Client]
) -> None:
    b = booking
    first, second = book(b, "09:00", b.package), book(b, "11:00", b.package)
    book(b, "10:00")  # no parts: not on the list
    desk = api(b.world.user("parts"))
    listed = desk.get(f"{API}/prepick", {"store": "SH01"})  # tomorrow by default
    assert listed.status_code == 200, listed.content
    body = listed.json()
    assert (body["store"], body["date"], [row["number"] for row in body["bookings"]]) == (
        "SH01",
        "2026-11-27",
        [first.number, second.number],
    )
    assert {key: value for key, value in body["bookings"][0].items() if key != "parts"} == {
        "id": first.pk,
        "number": first.number,
        "starts_at": "2026-11-27T09:00:00+08:00",
        "time": "09:00",
        "contact_name": "张伟",
        "plate": "沪A12345",
        "advisor": "advisor_sh",
        "parts_status": "to_pick",
        "staged_at": None,
    }
    assert parts_of(body["bookings"][0]) == [
        ("06L-115-562", "1.000", "0.000", "1.000"),
        ("G055-167", "4.500", "0.000", "4.500"),
    ]

    reserved = desk.post(f"{API}/{first.pk}/prepick").json()
    assert (reserved["parts_status"], parts_of(reserved)) == (
        "reserved",
        [("06L-115-562", "1.000", "1.000", "0.000"), ("G055-167", "4.500", "4.500", "0.000")],
    )
    # 8 litres on the shelf: 3.5 are left for the second booking, which goes back to customer care.
    short = desk.post(f"{API}/{second.pk}/prepick").json()
    assert (short["parts_status"], parts_of(short)[1]) == ("short", ("G055-167", "4.500", "3.500", "1.000"))
    assert list(Task.objects.values_list("assignee_role", "about_id")) == [("crm", second.pk)]

    staged = desk.post(f"{API}/{first.pk}/stage").json()
    assert (staged["parts_status"], staged["staged_at"]) == ("staged", "2026-11-26T10:00:00+08:00")
    before = counts()
    not_reserved = desk.post(f"{API}/{second.pk}/stage")
    assert (not_reserved.status_code, not_reserved.json()["code"]) == (409, "not_reserved")
    assert api(b.agent).post(f"{API}/{first.pk}/prepick").status_code == 403
    # The manager may not write purchase orders: no urgent order from them.
    assert api(b.world.user("manager")).post(f"{API}/{second.pk}/parts-order").status_code == 403
    no_centre = desk.post(f"{API}/{second.pk}/parts-order")
    assert (no_centre.status_code, no_centre.json()["code"]) == (400, "no_supplier")
    assert counts() == {**before, "audit": counts()["audit"]}

    Supplier.objects.create(
        group=b.store.group, kind="manufacturer", brand=b.oil_part.brand, code="PC01", name="配件中心"
    )
    ordered = desk.post(f"{API}/{second.pk}/parts-order")
    assert ordered.status_code == 201, ordered.content
    order = PurchaseOrder.all_objects.get()
    assert ordered.json() == {
        "orders": [{"id": order.pk, "number": order.number, "supplier": "PC01", "status": "draft"}]
    }
    assert list(order.lines.values_list("part__number", "quantity", "demand_type", "demand_id")) == [
        ("G055167", Decimal(1), "appointment", second.pk)
    ]
    nothing = desk.post(f"{API}/{first.pk}/parts-order")
    assert (nothing.status_code, nothing.json()["code"]) == (400, "nothing")


def test_the_welcome_board_shows_todays_and_tomorrows_arrivals_masked(
    booking: Booking, api: Callable[[User], Client]
) -> None:
    b = booking
    book(b, "11:00", days=0)
    book(b, "09:00", b.package)
    appointment_cancel(actor=b.agent, appointment_id=book(b, "14:00").pk, reason="不来了")
    response = api(b.world.user("frontdesk")).get(f"{API}/board", {"store": "SH01"})
    assert response.status_code == 200
    row = {"name": "张*", "plate": "沪A***45", "advisor": "服务顾问", "state": "Booked", "arrived": False}
    assert response.json() == {
        "today": [{**row, "time": "11:00", "services": "更换机油"}],
        "tomorrow": [{**row, "time": "09:00", "services": "更换机油"}],
    }
    assert api(b.world.user("technician")).get(f"{API}/board", {"store": "SH01"}).status_code == 403


def test_the_show_rate_by_channel_store_and_advisor(booking: Booking, api: Callable[[User], Client]) -> None:
    b = booking
    arrived, missed, cancelled = book(b, "09:00"), book(b, "10:00"), book(b, "11:00")
    book(b, "12:00", channel="walk_in")
    appointment_check_in(actor=b.agent, appointment_id=arrived.pk)
    Appointment.all_objects.filter(pk=missed.pk).update(state="no_show")
    appointment_cancel(actor=b.agent, appointment_id=cancelled.pk, reason="改天")
    client = api(b.world.user("manager"))
    window = {"date_from": "2026-11-27", "date_to": "2026-11-27"}
    by_channel = client.get(f"{API}/show-rate", {"store": "SH01", "by": "channel", **window})
    assert by_channel.json() == [
        {"key": "phone", "label": "Phone", "booked": 3, "arrived": 1, "no_show": 1, "cancelled": 1, "rate": "50.0"},
        {"key": "walk_in", "label": "Walk-in", "booked": 1, "arrived": 0, "no_show": 0, "cancelled": 0, "rate": None},
    ]
    by_store = client.get(f"{API}/show-rate", window).json()  # every store the manager sees
    assert [(row["key"], row["label"], row["booked"], row["rate"]) for row in by_store] == [
        ("SH01", "上海店", 4, "50.0")
    ]
    by_advisor = client.get(f"{API}/show-rate", {"by": "advisor", **window}).json()
    assert [(row["key"], row["label"], row["arrived"]) for row in by_advisor] == [("advisor_sh", "服务顾问", 1)]
    assert client.get(f"{API}/show-rate").json() == []  # the last 30 days up to today: nothing was due
    wrong = client.get(f"{API}/show-rate", {"date_from": "2026-01-01", "date_to": "2027-06-30"})
    assert wrong.json()["fields"] == {"date_to": ["Ask for at most 366 days at once."]}
    assert client.get(f"{API}/show-rate", {"by": "colour"}).status_code == 422


def test_technicians_their_shifts_and_leave(booking: Booking, api: Callable[[User], Client]) -> None:
    b = booking
    foreman = api(b.world.user("foreman"))
    listed = foreman.get(f"{API}/technicians", {"store": "SH01"})
    assert listed.status_code == 200
    junior, _mid, senior = listed.json()
    assert junior == {
        "id": b.technicians[0].pk,
        "user_id": b.technicians[0].user_id,
        "user": "tech_junior",
        "name": "tech_junior",
        "skill_level": "junior",
        "certificates": [],
        "efficiency": "1.00",
        "is_active": True,
        "shifts": SHIFTS,
        "leave": [],
    }
    assert (senior["skill_level"], senior["certificates"]) == ("senior", ["ev_hv"])

    technician = b.world.user("technician")
    url = f"{API}/technicians/{technician.pk}"
    before = (Technician.all_objects.count(), Shift.objects.count())
    cases = [
        (
            {"shifts": {"0": ["17:30", "08:30"]}},
            400,
            {"shifts.0": ["Enter hours like 08:30-17:30 that end after they start."]},
        ),
        ({"shifts": {"0": ["08:10", "17:30"]}}, 400, {"shifts.0": ["Shifts start and end on the quarter hour."]}),
        ({"shifts": {"7": ["08:30", "17:30"]}}, 422, {"shifts.7": ["Unknown field."]}),
        ({"efficiency": "2.50"}, 400, {"efficiency": ["Enter an efficiency from 0.30 to 2.00 (two decimals)."]}),
    ]
    for change, status, fields in cases:
        response = foreman.put(url, {"store": "SH01", **change}, content_type="application/json")
        assert (response.status_code, response.json()["fields"]) == (status, fields), change
    outsider = foreman.put(
        f"{API}/technicians/{b.world.users['outsider'].pk}", {"store": "SH01"}, content_type="application/json"
    )
    assert outsider.json()["fields"] == {"user_id": ["Choose a member of this store's staff."]}
    assert api(b.agent).put(url, {"store": "SH01"}, content_type="application/json").status_code == 403
    assert (Technician.all_objects.count(), Shift.objects.count()) == before
    saved = foreman.put(
        url,
        {"store": "SH01", "efficiency": "1.10", "shifts": {"0": ["08:30", "17:30"], "5": ["09:00", "15:00"]}},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert {key: saved.json()[key] for key in ("user_id", "user", "efficiency", "shifts", "is_active")} == {
        "user_id": technician.pk,
        "user": "technician_sh",
        "efficiency": "1.10",
        "shifts": {"0": ["08:30", "17:30"], "5": ["09:00", "15:00"]},
        "is_active": True,
    }

    leave_url = f"{API}/technicians/{b.technicians[0].pk}/leave"
    day = {"starts_at": "2026-11-27T08:30:00+08:00", "ends_at": "2026-11-27T17:30:00+08:00", "reason": "年假"}
    added = foreman.post(leave_url, day, content_type="application/json")
    assert added.status_code == 201, added.content
    leave = Leave.objects.get()
    assert added.json() == {"id": leave.pk, "technician": b.technicians[0].pk, **day}
    assert foreman.get(f"{API}/technicians", {"store": "SH01"}).json()[0]["leave"] == [added.json()]
    slots = foreman.get(f"{API}/slots", {"store": "SH01", "date": "2026-11-27", "services": ref(b.oil)}).json()
    assert slots["capacity_hours"] == "20.25"  # the junior's nine hours less
    overlap = foreman.post(
        leave_url,
        {**day, "starts_at": "2026-11-27T12:00:00+08:00", "ends_at": "2026-11-28T12:00:00+08:00"},
        content_type="application/json",
    )
    assert overlap.json()["fields"] == {
        "starts_at": ["Overlaps leave already recorded from 2026-11-27 08:30 to 2026-11-27 17:30."]
    }
    backwards = foreman.post(
        leave_url, {**day, "ends_at": "2026-11-27T08:00:00+08:00"}, content_type="application/json"
    )
    assert backwards.json()["fields"] == {"ends_at": ["The leave must end after it starts."]}
    elsewhere = api(b.world.user("foreman", "sz")).post(leave_url, day, content_type="application/json")
    assert elsewhere.status_code == 404
    assert Leave.objects.count() == 1
    assert api(b.world.user("foreman", "sz")).delete(f"{API}/leave/{leave.pk}").status_code == 404
    assert foreman.delete(f"{API}/leave/{leave.pk}").status_code == 204
    assert (Leave.objects.count(), foreman.delete(f"{API}/leave/{leave.pk}").status_code) == (0, 404)


def test_booking_settings(booking: Booking, api: Callable[[User], Client]) -> None:
    b = booking
    foreman = api(b.world.user("foreman"))
    url = f"{API}/settings"
    assert foreman.get(url, {"store": "SH01"}).json() == {
        "store": "SH01",
        "walk_in_reserve_percent": 20,
        "arrival_spacing_minutes": 15,
        "no_show_grace_minutes": 30,
        "reminder_hours": 24,
        "same_day_reminder": False,
        "same_day_reminder_hours": 2,
        "booking_script": "",
        "route": "",
        "documents_default": "行驶证、保养手册",
        "updated_at": None,
    }
    assert not BookingSettings.objects.exists()  # reading writes nothing
    refused = [
        ({"walk_in_reserve_percent": 95}, 422, {"walk_in_reserve_percent": ["Enter a value of at most 90."]}),
        ({"no_show_grace_minutes": None}, 400, {"no_show_grace_minutes": ["This field cannot be null."]}),
        ({"colour": "red"}, 422, {"colour": ["Unknown field."]}),
    ]
    for change, status, fields in refused:
        response = foreman.put(url, {"store": "SH01", **change}, content_type="application/json")
        assert (response.status_code, response.json()["fields"]) == (status, fields), change
    assert api(b.agent).put(url, {"store": "SH01", "route": "x"}, content_type="application/json").status_code == 403
    assert not BookingSettings.objects.exists()
    audit = AuditEntry.objects.count()
    saved = foreman.put(
        url,
        {"store": "SH01", "walk_in_reserve_percent": 50, "booking_script": "您好，这里是上海店\n请问车牌号？"},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert (saved.json()["walk_in_reserve_percent"], saved.json()["booking_script"], saved.json()["route"]) == (
        50,
        "您好，这里是上海店\n请问车牌号？",
        "",
    )
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "object_type"))[audit:] == [
        ("update", "appointments.bookingsettings")
    ]
    slots = foreman.get(f"{API}/slots", {"store": "SH01", "date": "2026-11-27", "services": ref(b.oil)}).json()
    assert (slots["capacity_hours"], slots["bookable_hours"]) == ("29.25", "14.62")


@pytest.mark.parametrize(
    ("path", "role", "expected"),
    # A browser session's (session, user, the actor's memberships, the store) and then each list's own.
    [
        ("prepick", "parts", 13),
        ("board", "frontdesk", 10),
        ("technicians", "foreman", 13),
        ("show-rate", "manager", 10),
    ],
)
def test_the_desks_lists_cost_the_same_queries_whatever_their_length(
    booking: Booking, api: Callable[[User], Client], path: str, role: str, expected: int
) -> None:
    b = booking
    client = api(b.world.user(role))
    query = {"store": "SH01"} | ({"date_from": "2026-11-26", "date_to": "2026-11-27"} if path == "show-rate" else {})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/{path}", query).status_code == 200
        return len(captured)

    book(b, "09:00", b.package)
    Leave.objects.create(technician=b.technicians[0], starts_at=b.at("13:00"), ends_at=b.at("14:00"))
    one = queries()
    book(b, "11:00", b.package, channel="walk_in")
    book(b, "12:00", b.package, days=0)
    Leave.objects.create(technician=b.technicians[1], starts_at=b.at("13:00"), ends_at=b.at("14:00"))
    assert (one, queries()) == (expected, expected)
