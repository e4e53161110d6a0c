"""The appointments API: free times and the two offered (APT-2), booking through the API with a taken
time answered 409 with what is still free (APT-3), moving, cancelling and checking in (APT-4), the list
with its query count pinned, and every refusal with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aftersales.appointments.models import Appointment, BookingSettings
from aftersales.appointments.tests.conftest import HOURS, Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts, ref
from aftersales.core.models import User
from aftersales.core.services import token_create
from aftersales.messaging.models import Message

SLOTS = "/api/v1/appointments/slots"
LIST = "/api/v1/appointments"


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


def slots(client: Client, b: Booking, *services: Any, days: int = 1, **query: Any) -> Any:
    response = client.get(
        SLOTS,
        {"store": "SH01", "date": b.day(days).isoformat(), "services": ",".join(ref(s) for s in services), **query},
    )
    return response


def times(rows: list[dict[str, Any]]) -> list[str]:
    return [row["time"] for row in rows]


def test_the_free_times_of_a_day_and_the_two_offered_for_a_wish(
    booking: Booking, api: Callable[[User], Client]
) -> None:
    b = booking
    client = api(b.agent)
    response = slots(client, b, b.oil, wish="10:00")
    assert response.status_code == 200, response.content
    body = response.json()
    quarter_hours = [f"{h:02d}:{m:02d}" for h in range(8, 17) for m in (0, 15, 30, 45)][2:-1]
    assert {key: value for key, value in body.items() if key not in ("slots", "offered")} == {
        "store": "SH01",
        "date": "2026-11-27",
        "opens": "08:30",
        "closes": "18:00",
        "hours": "1.00",
        "capacity_hours": "29.25",  # 9 h × (1.00 + 1.25 + 1.00)
        "bookable_hours": "23.40",  # less the 20 % kept for walk-ins
        "booked_hours": "0.00",
    }
    # A one-hour job fits from the opening to an hour before the shifts end (17:30), every quarter hour;
    # a start that leaves less than an hour free before it on the technician is a fragment.
    assert (times(body["slots"]), len(quarter_hours)) == (quarter_hours, 33)
    assert body["slots"][0] == {"starts_at": "2026-11-27T08:30:00+08:00", "time": "08:30", "fragments": 0}
    assert [row["fragments"] for row in body["slots"][:5]] == [0, 1, 1, 1, 0]
    assert body["offered"] == [
        {"starts_at": "2026-11-27T10:00:00+08:00", "time": "10:00", "fragments": 0},
        {"starts_at": "2026-11-27T09:45:00+08:00", "time": "09:45", "fragments": 0},
    ]
    # Without a wish: the fewest fragments, then the earlier.
    assert times(slots(client, b, b.oil).json()["offered"]) == ["08:30", "09:30"]
    # An EV check (2 h) only the senior with the high-voltage certificate does, in the EV bay.
    ev = slots(client, b, b.ev, wish="17:00").json()
    assert (times(ev["slots"])[0], times(ev["slots"])[-1], len(ev["slots"])) == ("08:30", "15:30", 29)
    assert times(ev["offered"]) == ["15:30", "15:15"]
    # A package books its labour: the oil change.
    assert slots(client, b, b.package).json()["hours"] == "1.00"
    assert not BookingSettings.objects.exists()  # reading the free times writes nothing


def test_times_are_never_in_the_past_nor_on_a_closed_day(booking: Booking, api: Callable[[User], Client]) -> None:
    b = booking
    client = api(b.agent)
    today = slots(client, b, b.oil, days=0).json()
    assert (today["opens"], times(today["slots"])[0], times(today["offered"])) == ("08:30", "10:00", ["10:00", "10:15"])
    assert slots(client, b, b.oil, days=-1).json()["slots"] == []
    b.store.business_hours = {day: hours for day, hours in HOURS.items() if day != "sat"}
    b.store.save()
    closed = slots(client, b, b.oil, days=2).json()  # Saturday 28 November
    assert (closed["opens"], closed["closes"], closed["slots"], closed["offered"]) == (None, None, [], [])


def test_free_times_keep_an_advisors_arrivals_apart_and_count_what_is_booked(
    booking: Booking, api: Callable[[User], Client]
) -> None:
    b = booking
    book(b, "10:00", b.ev)  # the store's one advisor takes it
    client = api(b.agent)
    body = slots(client, b, b.oil).json()
    assert body["booked_hours"] == "2.00"
    assert "10:00" not in times(body["slots"]) and {"09:45", "10:15"} <= set(times(body["slots"]))
    ev = slots(client, b, b.ev, wish="10:00").json()
    assert times(ev["offered"]) == ["12:00", "12:15"]
    assert slots(client, b, b.oil, advisor="advisor_sh").json()["slots"] == body["slots"]


def test_free_times_refuse_what_cannot_be_read(booking: Booking, api: Callable[[User], Client]) -> None:
    b = booking
    client = api(b.agent)
    day = b.day(1).isoformat()
    base = {"store": "SH01", "date": day, "services": ref(b.oil)}
    cases = [
        ({"services": "operation:999999,oil"}, 400, {"services": ["Unknown service: oil, operation:999999."]}),
        ({"services": " , "}, 400, {"services": ["Choose at least one service."]}),
        ({"date": "2026-13-01"}, 422, {"date": ["Enter a valid date (YYYY-MM-DD)."]}),
        ({"wish": "25:00"}, 422, {"wish": ["Enter a time like 09:30."]}),
        ({"advisor": "crm_sh"}, 400, {"advisor": ["Choose a service advisor of this store."]}),
        ({"vehicle": 999999}, 400, {"vehicle": ["Not found."]}),
        ({"store": "SZ01"}, 400, {"store": ["Unknown store."]}),  # not one of the agent's
        ({"colour": "red"}, 422, {"colour": ["Unknown field."]}),
    ]
    for change, status, fields in cases:
        response = client.get(SLOTS, {**base, **change})
        assert (response.status_code, response.json()["fields"]) == (status, fields), change
    missing = client.get(SLOTS, {"store": "SH01"})
    assert missing.json()["fields"] == {"date": ["This field is required."], "services": ["This field is required."]}
    assert client.get(SLOTS, {**base, "wish": "09:30:00+08:00"}).status_code == 200


def test_a_booking_through_the_api_then_the_same_time_for_a_job_that_no_longer_fits(
    booking: Booking, api: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    b = booking
    client = api(b.agent)
    payload = {
        "store": "SH01",
        "starts_at": "2026-11-27T10:00:00+08:00",
        "services": [ref(b.ev)],
        "customer": b.customer.pk,
        "vehicle": b.vehicle.pk,
        "description": "仪表报高压绝缘故障\n偶发",
        "call_at": "2026-11-26T16:00:00+08:00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    appointment = Appointment.all_objects.get()
    assert {key: body[key] for key in body if key not in ("created_at", "events", "services")} == {
        "id": appointment.pk,
        "number": appointment.number,
        "store": "SH01",
        "state": "booked",
        "channel": "api",
        "starts_at": "2026-11-27T10:00:00+08:00",
        "ends_at": "2026-11-27T12:00:00+08:00",
        "time": "10:00",
        "wish_at": None,
        "call_at": "2026-11-26T16:00:00+08:00",
        "hours": "2.00",
        "customer": b.customer.pk,
        "vehicle": b.vehicle.pk,
        "contact_name": "张伟",
        "contact_mobile": "",
        "plate": "沪A12345",
        "model": appointment.model_text,
        "vin": "",
        "mileage": None,
        "marketing_consent": False,
        "marketing_consent_at": None,
        "advisor": "advisor_sh",
        "technician": "tech_senior",
        "description": "仪表报高压绝缘故障\n偶发",
        "documents": "行驶证、保养手册",
        "overbooked": False,
        "override_reason": "",
        "parts_status": "",
        "reason": "",
        "arrived_at": None,
        "actions": ["check_in", "cancel", "no_show"],
        "created_by": "crm_sh",
        "override_by": None,
        "staged_at": None,
    }
    service = appointment.services.get()
    assert body["services"] == [
        {
            "position": 1,
            "operation": b.ev.pk,
            "package": None,
            "name": "高压系统检查",
            "hours": "2.00",
            "skill_level": "senior",
            "certificate": "ev_hv",
            "bay_kind": "ev_hv",
            "bay": service.bay_id,
            "starts_at": "2026-11-27T10:00:00+08:00",
            "ends_at": "2026-11-27T12:00:00+08:00",
        }
    ]
    assert [(e["action"], e["by"], e["to_state"]) for e in body["events"]] == [("book", "crm_sh", "booked")]
    assert list(Message.objects.values_list("event", "channel", "about_id")) == [
        ("appointment_booked", "sms", appointment.pk)
    ]
    assert client.get(f"{LIST}/{appointment.pk}").json() == body

    # Another EV job at the same time: the one qualified technician (and the EV bay) are taken.
    before = counts()
    taken = client.post(
        LIST,
        {**payload, "customer": None, "vehicle": None, "contact_name": "李四", "contact_mobile": "13900001111"},
        content_type="application/json",
    )
    assert taken.status_code == 409
    assert taken.json() == {
        "code": "no_capacity",
        "detail": "This time is no longer free. Free now: 12:00, 12:15.",
        "fields": {"starts_at": ["This time is no longer free. Free now: 12:00, 12:15."]},
        "offered": ["12:00", "12:15"],
    }
    assert counts() == before
    # The oil change still fits at 10:15 (the advisor's arrivals 15 minutes apart), not at 10:00.
    oil = client.post(
        LIST,
        {**payload, "services": [ref(b.oil)], "starts_at": "2026-11-27T10:15:00+08:00", "channel": "phone"},
        content_type="application/json",
    )
    assert (oil.status_code, oil.json()["technician"], oil.json()["channel"]) == (201, "tech_junior", "phone")


def test_bad_bookings_name_every_wrong_field_and_write_nothing(booking: Booking, api: Callable[[User], Client]) -> None:
    b = booking
    client = api(b.agent)
    base = {"store": "SH01", "services": [ref(b.oil)], "contact_name": "李四", "contact_mobile": "13900001111"}
    cases = [
        ({"starts_at": "2026-11-25T10:00:00+08:00"}, {"starts_at": ["Choose a time in the future."]}),
        (
            {"starts_at": "2026-11-27T07:00:00+08:00"},
            {"starts_at": ["Choose a time within business hours (08:30–18:00)."]},
        ),
        (
            {"starts_at": "2026-11-27T10:05:00+08:00"},
            {"starts_at": ["Choose a time on the quarter hour (e.g. 09:00, 09:15)."]},
        ),
        (
            {"starts_at": "2026-11-27T10:00:00"},
            {"starts_at": ["Give the time with its time zone, e.g. 2026-12-01T10:00+08:00."]},
        ),
        (
            {"starts_at": "2026-11-25T10:00:00+08:00", "services": ["operation:999999"], "contact_mobile": ""},
            {
                "starts_at": ["Choose a time in the future."],
                "services": ["Unknown service: operation:999999."],
                "contact_mobile": ["Enter a mobile number to confirm the booking to."],
            },
        ),
        (
            {"starts_at": "2026-11-27T10:00:00+08:00", "customer": 999999},
            {"customer": ["Not found."]},
        ),
    ]
    before = counts()
    for change, fields in cases:
        response = client.post(LIST, {**base, **change}, content_type="application/json")
        assert (response.status_code, response.json()["fields"]) == (400, fields), change
    unknown_advisor = client.post(
        LIST, {**base, "starts_at": "2026-11-27T10:00:00+08:00", "advisor": "nobody"}, content_type="application/json"
    )
    assert unknown_advisor.json()["fields"] == {"advisor": ["Choose a service advisor of this store."]}
    schema = client.post(
        LIST, {**base, "starts_at": "tomorrow", "channel": "fax", "services": []}, content_type="application/json"
    )
    assert (schema.status_code, sorted(schema.json()["fields"])) == (422, ["channel", "services", "starts_at"])
    # Over capacity only with a role allowed to overbook (the agent is not), and recorded.
    full = {**base, "starts_at": "2026-11-27T10:00:00+08:00", "services": [ref(b.ev)]}
    book(b, "10:00", b.ev)
    before = counts()
    refused = client.post(LIST, {**full, "override_reason": "老客户"}, content_type="application/json")
    assert (refused.status_code, refused.json()["fields"]) == (
        403,
        {"override_reason": ["Only a role allowed to overbook may book over capacity."]},
    )
    assert counts() == before
    over = api(b.world.user("service_manager")).post(
        LIST, {**full, "override_reason": "老客户"}, content_type="application/json"
    )
    assert (over.status_code, over.json()["overbooked"], over.json()["override_by"]) == (
        201,
        True,
        "service_manager_sh",
    )


def test_who_may_book_and_see(booking: Booking, api: Callable[[User], Client]) -> None:
    b = booking
    appointment = book(b, "10:00")
    payload = {
        "store": "SH01",
        "starts_at": "2026-11-27T11:00:00+08:00",
        "services": [ref(b.oil)],
        "contact_name": "李四",
        "contact_mobile": "13900001111",
    }
    before = counts()
    technician = api(b.world.user("technician"))
    denied = technician.post(LIST, payload, content_type="application/json")
    assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    assert technician.get(f"{LIST}/{appointment.pk}").status_code == 403
    parts = api(b.world.user("parts"))  # sees bookings, does not book them
    assert parts.get(f"{LIST}/{appointment.pk}").status_code == 200
    assert (
        parts.post(f"{LIST}/{appointment.pk}/cancel", {"reason": "x"}, content_type="application/json").status_code
        == 403
    )
    other = api(b.world.user("crm", "sz"))  # the other store's agent
    assert other.get(f"{LIST}/{appointment.pk}").json()["code"] == "not_found"
    assert other.post(f"{LIST}/{appointment.pk}/check-in").status_code == 404
    mine_only = other.post(LIST, payload, content_type="application/json")
    assert (mine_only.status_code, mine_only.json()["fields"]) == (400, {"store": ["Unknown store."]})
    assert other.get(LIST, {"store": "SH01"}).json()["fields"] == {"store": ["Unknown store."]}
    assert api(b.world.users["outsider"]).get(f"{LIST}/{appointment.pk}").status_code == 403
    assert Client().get(LIST, {"store": "SH01"}).status_code == 401
    assert counts() == {**before, "audit": counts()["audit"]}  # refusals are audited, nothing else written
    assert Appointment.all_objects.get().state == "booked"


def test_move_cancel_and_check_in(booking: Booking, api: Callable[[User], Client]) -> None:
    b = booking
    moved, cancelled, arriving = book(b, "10:00"), book(b, "11:00"), book(b, "12:00")
    client = api(b.agent)
    url = f"{LIST}/{moved.pk}"
    response = client.post(
        f"{url}/reschedule",
        {"starts_at": "2026-11-28T14:00:00+08:00", "reason": "客户出差"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["starts_at"], body["ends_at"], body["reason"], body["state"]) == (
        "2026-11-28T14:00:00+08:00",
        "2026-11-28T15:00:00+08:00",
        "客户出差",
        "booked",
    )
    assert body["events"][-1]["note"] == "2026-11-27 10:00 → 2026-11-28 14:00: 客户出差"
    before = counts()
    no_reason = client.post(
        f"{url}/reschedule", {"starts_at": "2026-11-28T15:00:00+08:00", "reason": ""}, content_type="application/json"
    )
    assert (no_reason.status_code, no_reason.json()["fields"]) == (422, {"reason": ["Enter at least 1 characters."]})
    past = client.post(
        f"{url}/reschedule", {"starts_at": "2026-11-25T15:00:00+08:00", "reason": "x"}, content_type="application/json"
    )
    assert past.json()["fields"] == {"starts_at": ["Choose a time in the future."]}
    assert counts() == before

    done = client.post(f"{LIST}/{cancelled.pk}/cancel", {"reason": "车已卖"}, content_type="application/json")
    assert (done.status_code, done.json()["state"], done.json()["reason"], done.json()["actions"]) == (
        200,
        "cancelled",
        "车已卖",
        [],
    )
    before = counts()
    again = client.post(f"{LIST}/{cancelled.pk}/cancel", {"reason": "车已卖"}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "not_allowed")
    not_booked = client.post(
        f"{LIST}/{cancelled.pk}/reschedule",
        {"starts_at": "2026-11-28T15:00:00+08:00", "reason": "x"},
        content_type="application/json",
    )
    assert (not_booked.status_code, not_booked.json()["code"]) == (409, "not_allowed")
    assert counts() == before

    here = client.post(f"{LIST}/{arriving.pk}/check-in")
    assert (here.status_code, here.json()["state"], here.json()["arrived_at"]) == (
        200,
        "arrived",
        "2026-11-26T10:00:00+08:00",
    )
    assert client.post(f"{LIST}/999999/check-in").status_code == 404


def test_the_list_by_day_state_and_advisor_with_its_queries_pinned(booking: Booking) -> None:
    b = booking
    for hhmm in ("09:00", "10:00", "11:00"):
        book(b, hhmm, contact_name="王五", contact_mobile="13900001111", customer_id=None, vehicle_id=None)
    book(b, "10:00", days=2)
    _token, raw = token_create(user=b.agent, name="api")
    client = Client(headers={"authorization": f"Bearer {raw}", "accept-language": "en"})
    page = client.get(LIST, {"store": "SH01", "date_from": "2026-11-27"}).json()
    assert (page["count"], times(page["items"])) == (3, ["09:00", "10:00", "11:00"])
    assert page["items"][0]["contact_mobile"] == "13900001111"  # a token of a role that sees personal data
    session = Client()
    session.force_login(b.agent)
    masked = session.get(LIST, {"store": "SH01", "date_from": "2026-11-27"}).json()
    assert masked["items"][0]["contact_mobile"] == "139****1111"
    assert client.get(LIST, {"store": "SH01"}).json()["count"] == 0  # today
    week = client.get(
        LIST, {"store": "SH01", "date_from": "2026-11-26", "date_to": "2026-12-02", "ordering": "-starts_at"}
    )
    assert [row["starts_at"][:16] for row in week.json()["items"]] == [
        "2026-11-28T10:00",
        "2026-11-27T11:00",
        "2026-11-27T10:00",
        "2026-11-27T09:00",
    ]
    assert client.get(LIST, {"store": "SH01", "date_from": "2026-11-27", "advisor": "advisor_sh"}).json()["count"] == 3
    assert client.get(LIST, {"store": "SH01", "date_from": "2026-11-27", "state": "arrived"}).json()["count"] == 0
    wrong = client.get(LIST, {"store": "SH01", "date_from": "2026-11-27", "date_to": "2026-11-26"})
    assert wrong.json()["fields"] == {"date_to": ["The last day must not be before the first."]}

    def queries(date_to: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST, {"store": "SH01", "date_from": "2026-11-27", "date_to": date_to})
        assert response.status_code == 200
        return len(captured)

    # The token (with its user), the actor's memberships (1), the store by code and as checked (2),
    # the roles where personal data may be seen, and the page: its count, rows and their services.
    assert (queries("2026-11-27"), queries("2026-11-28")) == (7, 7)
