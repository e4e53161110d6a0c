"""The appointments API's days: a date or time outside 2000-01-01..2099-12-31 (such as 0001-01-01 or
9999-12-31, where a store's day cannot become instants) is refused on its own field in the reader's
language with nothing written; and the advisor's daily list with each car's earlier visits (APT-6),
its queries pinned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from aftersales.appointments.models import Appointment, Leave
from aftersales.appointments.services import appointment_cancel
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts, ref
from aftersales.core.models import StaffMembership, User
from aftersales.customers.tests.factories import VehicleFactory

API = "/api/v1/appointments"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.fixture
def api_en() -> Callable[[User], Client]:
    """A signed-in browser session that reads English."""

    def make(user: User) -> Client:
        client = Client(headers={"accept-language": "en"})
        client.force_login(user)
        return client

    return make


def out_of_range(language: str = "zh-hans") -> str:
    """The refusal of a day outside the range, as a reader of ``language`` gets it."""
    with translation.override(language):
        return translation.gettext("Enter a date from %(first)s to %(last)s.") % {
            "first": "2000-01-01",
            "last": "2099-12-31",
        }


def test_days_outside_the_range_are_refused_on_their_field_in_chinese_by_default(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    b = booking
    client = client_for(b.world.user("service_manager"))  # no Accept-Language: the user's Chinese
    slots = {"store": "SH01", "services": ref(b.oil)}
    cases: list[tuple[str, dict[str, Any], list[str]]] = [
        ("slots", {**slots, "date": "9999-12-31"}, ["date"]),
        ("slots", {**slots, "date": "0001-01-01"}, ["date"]),
        ("", {"store": "SH01", "date_from": "9999-12-31"}, ["date_from"]),
        ("", {"store": "SH01", "date_from": "0001-01-01"}, ["date_from"]),
        ("", {"store": "SH01", "date_from": "2099-12-31", "date_to": "2100-01-01"}, ["date_to"]),
        ("prepick", {"store": "SH01", "date": "9999-12-31"}, ["date"]),
        ("prepick", {"store": "SH01", "date": "1999-12-31"}, ["date"]),
        ("show-rate", {"store": "SH01", "date_to": "0001-01-01"}, ["date_to"]),
        ("show-rate", {"date_from": "9999-12-01", "date_to": "9999-12-31"}, ["date_from", "date_to"]),
        ("day", {"store": "SH01", "date": "9999-12-31"}, ["date"]),
        ("day", {"store": "SH01", "date": "0001-01-01"}, ["date"]),
    ]
    for path, query, names in cases:
        response = client.get(f"{API}/{path}".rstrip("/"), query)
        assert (response.status_code, response.json()["fields"]) == (
            422,
            {key: [out_of_range()] for key in names},
        ), (path, query)
    # The first and the last day of the range are answered.
    edges = [
        ("slots", {**slots, "date": "2099-12-31"}),
        ("", {"store": "SH01", "date_from": "2000-01-01"}),
        ("", {"store": "SH01", "date_from": "2099-12-01", "date_to": "2099-12-31"}),
        ("prepick", {"store": "SH01", "date": "2099-12-31"}),
        ("show-rate", {"store": "SH01", "date_from": "2000-01-01", "date_to": "2000-12-31"}),
        ("show-rate", {"store": "SH01", "date_to": "2000-01-01"}),  # from 30 days before: no bookings
        ("day", {"store": "SH01", "date": "2000-01-01"}),
        ("day", {"store": "SH01", "date": "2099-12-31"}),
    ]
    for path, query in edges:
        assert client.get(f"{API}/{path}".rstrip("/"), query).status_code == 200, (path, query)


def test_times_on_days_outside_the_range_write_nothing(booking: Booking, api_en: Callable[[User], Client]) -> None:
    b = booking
    appointment = book(b, "10:00")
    client = api_en(b.world.user("service_manager"))
    message = out_of_range("en")
    booking_in = {"store": "SH01", "services": [ref(b.oil)], "contact_name": "李四", "contact_mobile": "13900001111"}
    tomorrow = "2026-11-27T11:00:00+08:00"
    leave_url = f"{API}/technicians/{b.technicians[0].pk}/leave"
    cases: list[tuple[str, dict[str, Any], list[str]]] = [
        (API, {**booking_in, "starts_at": "0001-01-01T00:00:00+08:00"}, ["starts_at"]),
        (API, {**booking_in, "starts_at": "9999-12-31T23:45:00-08:00"}, ["starts_at"]),
        (
            API,
            {
                **booking_in,
                "starts_at": tomorrow,
                "wish_at": "0001-01-01T00:00:00+08:00",
                "call_at": "2100-01-01T09:00",
            },
            ["wish_at", "call_at"],
        ),
        (
            f"{API}/{appointment.pk}/reschedule",
            {"starts_at": "9999-12-31T23:45:00-08:00", "reason": "x"},
            ["starts_at"],
        ),
        (leave_url, {"starts_at": "0001-01-01T00:00:00+08:00", "ends_at": tomorrow}, ["starts_at"]),
        (leave_url, {"starts_at": tomorrow, "ends_at": "9999-12-31T23:45:00-08:00"}, ["ends_at"]),
    ]
    before = (counts(), Leave.objects.count())
    for url, payload, names in cases:
        response = client.post(url, payload, content_type="application/json")
        assert (response.status_code, response.json()["fields"]) == (422, {key: [message] for key in names}), payload
    assert (counts(), Leave.objects.count()) == before
    assert Appointment.all_objects.get().starts_at == b.at("10:00")


def _second_advisor(b: Booking) -> User:
    advisor = b.world.user("advisor")
    other = User.objects.create(username="advisor_two", full_name="周顾问")
    StaffMembership.objects.create(
        store=b.store,
        user=other,
        role_id=StaffMembership.objects.filter(user=advisor).values_list("role_id", flat=True).get(),
    )
    return other


def test_the_advisors_day_answers_each_booking_as_the_list_with_the_cars_earlier_visits(
    booking: Booking, api_en: Callable[[User], Client]
) -> None:
    b = booking
    advisor = b.world.user("advisor")
    other = _second_advisor(b)
    here = book(b, "15:00", days=0, advisor_id=advisor.pk)
    Appointment.objects.filter(pk=here.pk).update(starts_at=b.at("10:00", -30), state="arrived")
    elsewhere = book(b, "16:00", b.alignment, days=0, advisor_id=advisor.pk)
    Appointment.objects.filter(pk=elsewhere.pk).update(store=b.world.sz, starts_at=b.at("14:00", -60))
    mine = book(b, "09:00", advisor_id=advisor.pk, description="异响")
    theirs = book(
        b,
        "11:00",
        b.alignment,
        advisor_id=other.pk,
        vehicle_id=None,
        customer_id=None,
        contact_name="李雷",
        contact_mobile="13700001111",
    )
    appointment_cancel(actor=b.agent, appointment_id=book(b, "14:00", advisor_id=advisor.pk).pk, reason="不来了")
    client = api_en(b.world.user("frontdesk"))
    response = client.get(f"{API}/day", {"store": "SH01", "date": "2026-11-27", "advisor": "advisor_sh"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert {key: body[key] for key in ("store", "date", "advisor")} == {
        "store": "SH01",
        "date": "2026-11-27",
        "advisor": "advisor_sh",
    }
    [row] = body["bookings"]
    # Each booking as the list answers it, with the car's earlier visits at any store, newest first.
    listed = client.get(API, {"store": "SH01", "date_from": "2026-11-27"}).json()["items"]
    assert {key: value for key, value in row.items() if key != "history"} == listed[0]
    assert (row["id"], row["description"]) == (mine.pk, "异响")
    assert row["history"] == [
        {
            "number": here.number,
            "store": "SH01",
            "starts_at": "2026-10-27T10:00:00+08:00",
            "state": "arrived",
            "services": ["更换机油"],
        },
        {
            "number": elsewhere.number,
            "store": "SZ01",
            "starts_at": "2026-09-27T14:00:00+08:00",
            "state": "booked",
            "services": ["四轮定位"],
        },
    ]
    everyone = client.get(f"{API}/day", {"store": "SH01", "date": "2026-11-27"}).json()
    assert everyone["advisor"] is None
    assert [(r["id"], r["advisor"], r["history"]) for r in everyone["bookings"]] == [
        (mine.pk, "advisor_sh", row["history"]),
        (theirs.pk, "advisor_two", []),  # no car of the archive: no history
    ]
    today = client.get(f"{API}/day", {"store": "SH01"}).json()  # today by default: nothing booked
    assert (today["date"], today["bookings"]) == ("2026-11-26", [])


def test_the_advisors_day_refuses_what_cannot_be_read(booking: Booking, api_en: Callable[[User], Client]) -> None:
    b = booking
    book(b, "09:00")
    client = api_en(b.agent)
    base = {"store": "SH01", "date": "2026-11-27"}
    cases = [
        ({"advisor": "crm_sh"}, 400, {"advisor": ["Choose a service advisor of this store."]}),
        ({"advisor": "advisor_sz"}, 400, {"advisor": ["Choose a service advisor of this store."]}),
        ({"store": "SZ01"}, 400, {"store": ["Unknown store."]}),
        ({"date": "2026-13-01"}, 422, {"date": ["Enter a valid date (YYYY-MM-DD)."]}),
        ({"date": "2100-01-01"}, 422, {"date": [out_of_range("en")]}),
        ({"colour": "red"}, 422, {"colour": ["Unknown field."]}),
    ]
    for change, status, fields in cases:
        response = client.get(f"{API}/day", {**base, **change})
        assert (response.status_code, response.json()["fields"]) == (status, fields), change
    assert client.get(f"{API}/day", {"date": "2026-11-27"}).json()["fields"] == {"store": ["This field is required."]}
    assert api_en(b.world.user("technician")).get(f"{API}/day", base).status_code == 403
    assert Client().get(f"{API}/day", base).status_code == 401


def test_the_advisors_day_costs_the_same_queries_whatever_its_length(
    booking: Booking, api_en: Callable[[User], Client]
) -> None:
    b = booking
    client = api_en(b.world.user("advisor"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{API}/day", {"store": "SH01", "date": "2026-11-27", "advisor": "advisor_sh"})
        assert response.status_code == 200
        return len(captured)

    def visited(hhmm: str, days: int) -> None:
        """A booking of a car of its own, and an earlier visit of that car."""
        vehicle = VehicleFactory.create(owner=b.customer)
        earlier = book(b, "15:00", days=0, vehicle_id=vehicle.pk)
        Appointment.objects.filter(pk=earlier.pk).update(starts_at=b.at("10:00", -days), state="arrived")
        book(b, hhmm, b.package, vehicle_id=vehicle.pk)

    visited("09:00", 20)
    one = queries()
    visited("10:00", 40)
    visited("11:00", 60)
    book(b, "12:00", b.alignment)
    # A browser session's (the session, the user, the actor's memberships, the session saved: 5), the
    # store by code and as checked, the roles in it, the advisor; the day's bookings and their services,
    # the cars' earlier visits and theirs.
    assert (one, queries()) == (13, 13)
