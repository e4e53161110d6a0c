"""The appointments pages' days: a date or time typed or linked outside 2000-01-01..2099-12-31 (such as
0001-01-01 or 9999-12-31, where a store's day cannot become instants) is named on its own field in the
reader's language (Chinese by default), the page answers 400 and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from aftersales.appointments.models import Appointment, Leave
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts, ref
from aftersales.core.models import User


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def out_of_range() -> str:
    """The refusal of a day outside the range, as a reader of Chinese (the default) gets it."""
    with translation.override("zh-hans"):
        return translation.gettext("Enter a date from %(first)s to %(last)s.") % {
            "first": "2000-01-01",
            "last": "2099-12-31",
        }


def text(response: Any) -> str:
    return response.content.decode()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
def test_the_day_pages_name_a_day_outside_the_range_on_its_field(
    booking: Booking, client_for: Callable[[User], Client], day: str
) -> None:
    b = booking
    book(b, "10:00", b.package)
    client = client_for(b.world.user("service_manager"))  # every appointments permission
    message = out_of_range()
    for url, form in (
        ("/appointments/", "form"),
        ("/appointments/capacity/", "day_form"),
        ("/appointments/day/", "form"),
        ("/appointments/prepick/", "form"),
    ):
        page = client.get(url, {"day": day})
        assert (page.status_code, page.context[form].errors) == (400, {"day": [message]}), url
        assert f'data-testid="error-day">{message}</div>' in text(page), url
    rate = client.get("/appointments/show-rate/", {"first": day, "last": day, "by": "channel"})
    assert (rate.status_code, rate.context["form"].errors, rate.context["rows"]) == (
        400,
        {"first": [message], "last": [message]},
        [],
    )
    slots = client.get("/appointments/slots/", {"day": day, "services": ref(b.oil)})
    assert (slots.status_code, slots.context["problems"]) == (400, [message])
    assert f'data-testid="slots-problem">{message}</div>' in text(slots)


def test_the_first_and_last_day_of_the_range_are_shown(booking: Booking, client_for: Callable[[User], Client]) -> None:
    b = booking
    client = client_for(b.world.user("service_manager"))
    for day in ("2000-01-01", "2099-12-31"):
        for url in ("/appointments/", "/appointments/capacity/", "/appointments/day/", "/appointments/prepick/"):
            page = client.get(url, {"day": day})
            assert (page.status_code, page.context["day"].isoformat()) == (200, day), url
        assert client.get("/appointments/show-rate/", {"first": day, "last": day}).status_code == 200
        assert client.get("/appointments/slots/", {"day": day, "services": ref(b.oil)}).status_code == 200
    last = client.get("/appointments/", {"day": "2099-12-31"})
    assert 'href="?day=2100-01-01' in text(last)  # the next day's link is refused on its field, as above


def test_forms_refuse_dates_and_times_outside_the_range_and_write_nothing(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    b = booking
    appointment = book(b, "10:00", b.package)
    client = client_for(b.world.user("service_manager"))
    message = out_of_range()
    booking_form = {
        "contact_name": "李四",
        "contact_mobile": "13900001111",
        "services": [ref(b.oil)],
        "day": "9999-12-31",
        "time": "10:00",
        "call_at": "0001-01-01T00:00",
        "channel": "phone",
    }
    before = (counts(), Leave.objects.count())
    new = client.post("/appointments/new/", booking_form)
    assert (new.status_code, new.context["form"].errors) == (400, {"day": [message], "call_at": [message]})
    moved = client.post(
        f"/appointments/{appointment.pk}/reschedule/", {"day": "0001-01-01", "time": "00:00", "reason": "x"}
    )
    assert (moved.status_code, moved.context["form"].errors) == (400, {"day": [message]})
    leave = client.post(
        "/appointments/capacity/leave/",
        {"technician": b.technicians[0].pk, "starts_at": "0001-01-01T00:00", "ends_at": "9999-12-31T23:59"},
    )
    assert (leave.status_code, leave.context["leave_form"].errors) == (
        400,
        {"starts_at": [message], "ends_at": [message]},
    )
    assert f'data-testid="error-starts_at">{message}</div>' in text(leave)
    assert (counts(), Leave.objects.count()) == before
    assert Appointment.all_objects.get().starts_at == b.at("10:00")
    # A pre-pick done from a list whose address names such a day goes back to the default day's list.
    reserved = client.post(f"/appointments/{appointment.pk}/prepick/?day=9999-12-31")
    assert (reserved.status_code, reserved["Location"]) == (302, "/appointments/prepick/")
    assert Appointment.all_objects.get().parts_status == "reserved"
