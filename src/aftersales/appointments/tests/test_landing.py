"""Appointments' cards on the 'today' landing pages: the day's bookings and who has come for the front
of the house, the bookings short of parts for customer care and the parts desk, tomorrow's pre-picks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from aftersales.appointments.landing import appointments_cards
from aftersales.appointments.services import appointment_cancel, appointment_check_in, appointment_prepick
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book
from aftersales.core.models import User


@pytest.fixture
def day(booking: Booking, monkeypatch: pytest.MonkeyPatch) -> Booking:
    """At 10:00: three live bookings today (one arrived, one cancelled besides), two package bookings
    tomorrow of which the second is short of oil once the first is pre-picked, and one more to pick."""
    Clock(monkeypatch, NOW)
    b = booking
    come = book(b, "10:15", days=0)
    book(b, "11:00", days=0)
    book(b, "14:00", b.package, days=0)
    appointment_cancel(actor=b.agent, appointment_id=book(b, "15:00", days=0).pk, reason="客户改约")
    appointment_check_in(actor=b.world.user("frontdesk"), appointment_id=come.pk)
    parts = b.world.user("parts")
    appointment_prepick(actor=parts, appointment_id=book(b, "09:00", b.package).pk)
    appointment_prepick(actor=parts, appointment_id=book(b, "10:00", b.package).pk)
    book(b, "11:00", b.package)
    return b


def cards(user: User, b: Booking, landing: str) -> dict[str, tuple[Any, str]]:
    return {card.key: (card.value, card.url) for card in appointments_cards(user, b.store, landing)}


TODAY = ("appointments_today", (3, "/appointments/"))
ARRIVED = ("appointments_arrived", ("1 / 3", "/appointments/?state=arrived"))
SHORT = ("appointments_parts_short", (1, "/appointments/prepick/?day=2026-11-27"))
TO_PICK = ("appointments_to_pick", (1, "/appointments/prepick/?day=2026-11-27"))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("crm", dict([TODAY, SHORT])),
        ("advisor", dict([TODAY, ARRIVED])),
        ("frontdesk", dict([TODAY, ARRIVED])),
        ("parts", dict([SHORT, TO_PICK])),
        ("manager", dict([TODAY, ARRIVED, SHORT])),
        ("foreman", {}),
        ("technician", {}),
    ],
)
def test_each_landing_shows_its_cards(day: Booking, role: str, expected: dict[str, tuple[Any, str]]) -> None:
    user = day.world.user(role)
    assert cards(user, day, user.memberships.get().role.landing) == expected


def test_no_cards_without_the_right_to_see_bookings_or_in_another_store(day: Booking) -> None:
    # The finance clerk sees no bookings, whatever the landing; the other store has none.
    assert appointments_cards(day.world.user("finance"), day.store, "manager") == []
    assert cards(day.world.user("manager", "sz"), day, "manager") == {}
    assert {
        card.key: card.value for card in appointments_cards(day.world.user("manager", "sz"), day.world.sz, "manager")
    } == {
        "appointments_today": 0,
        "appointments_arrived": "0 / 0",
        "appointments_parts_short": 0,
    }
    assert appointments_cards(day.world.user("manager"), None, "manager") == []


def test_the_manager_landing_counts_in_a_few_queries(day: Booking, django_assert_num_queries: Any) -> None:
    manager = day.world.user("manager")
    # One to check the right to see bookings (the actor's memberships: outside a request nothing caches them), then one per
    # figure: today's counts, the short ones.
    with django_assert_num_queries(3):
        cards(manager, day, "manager")


def test_the_today_page_links_the_cards(day: Booking, client_for: Callable[[User], Client]) -> None:
    page = client_for(day.world.user("crm")).get("/")
    assert page.status_code == 200
    shown = {card.key: (card.value, card.url) for card in page.context["view"].cards}  # type: ignore[attr-defined]
    assert {key: shown[key] for key in ("appointments_today", "appointments_parts_short")} == dict([TODAY, SHORT])
    assert 'href="/appointments/prepick/?day=2026-11-27"' in page.content.decode()
