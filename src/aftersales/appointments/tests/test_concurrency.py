"""Agents booking the last slot at once: exactly one wins, the others are told the time is taken. Runs on
both databases (the row lock of the store's booking settings on PostgreSQL, serialised write
transactions on SQLite), each agent in a thread with its own connection, started together."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from django.db import connections

from aftersales.appointments.models import Appointment, AppointmentEvent, BookingSettings, Shift, Technician
from aftersales.appointments.services import BookingIn, appointment_book
from aftersales.appointments.tests.factories import NOW, Clock
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Role, StaffMembership, User
from aftersales.core.tests.factories import StoreFactory

AGENTS = 4


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


@pytest.mark.django_db(transaction=True)
def test_agents_booking_the_last_slot_at_once_exactly_one_wins() -> None:
    # Transactional tests flush the database: the role is made here rather than read from a migration.
    store = StoreFactory.create(code="CC01", business_hours={"fri": "08:30-18:00"})
    role = Role.objects.create(code="apt_cc", name="客服", permissions=["appointments.view", "appointments.book"])
    agents = [User.objects.create(username=f"agent{n}") for n in range(AGENTS)]
    technician_user = User.objects.create(username="tech_cc")
    for user in (*agents, technician_user):
        StaffMembership.objects.create(user=user, store=store, role=role)
    # One technician working two hours on Friday 27 November, 80% of them bookable: one hour's booking fits.
    technician = Technician.objects.create(store=store, user=technician_user, efficiency=Decimal("1.00"))
    Shift.objects.create(technician=technician, weekday=4, starts=time(9), ends=time(11))
    oil = LabourOperationFactory.create(
        group=store.group, code="CC1", default_hours=Decimal("1.00"), bay_kind="general_lift"
    )
    assert not BookingSettings.objects.filter(store=store).exists()  # made by the first booking, under a race too

    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(AGENTS)

    def attempt(agent: User, mobile: str) -> None:
        try:
            barrier.wait()
            appointment_book(
                actor=agent,
                store_id=store.pk,
                data=BookingIn(
                    starts_at=datetime(2026, 11, 27, 1, 0, tzinfo=UTC),  # 09:00 in Shanghai
                    services=[f"operation:{oil.pk}"],
                    channel="phone",
                    contact_name="赵先生",
                    contact_mobile=mobile,
                ),
            )
            result = "booked"
        except ApplicationError as error:
            result = f"{error.code} {error.extra}"
        except BaseException as error:  # noqa: BLE001 - a deadlock or a database error fails the test below
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=attempt, args=(agent, f"1390000000{index}")) for index, agent in enumerate(agents)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["booked"] + ["no_capacity {'offered': []}"] * (AGENTS - 1)
    winner = Appointment.all_objects.get()
    assert (winner.number, winner.technician_id, winner.starts_at) == (
        "AP-CC01-2026-000001",
        technician.pk,
        datetime(2026, 11, 27, 1, 0, tzinfo=UTC),
    )
    assert list(AppointmentEvent.objects.values_list("action", flat=True)) == ["book"]
    assert BookingSettings.objects.filter(store=store).count() == 1
