"""Helpers of the appointments tests: a clock the test moves, a booking's input in one line, and the
row counts that a refused action must leave as they were."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone

from aftersales.appointments.models import Appointment, AppointmentEvent, AppointmentService
from aftersales.appointments.services import BookingIn, appointment_book
from aftersales.appointments.tests.conftest import Booking
from aftersales.core.models import AuditEntry, User
from aftersales.messaging.models import Message, Task
from aftersales.parts.models import Reservation

# Thursday 26 November 2026, 10:00 in Shanghai (outside the default quiet hours 21:00-08:00); the
# booking fixture's "tomorrow" is Friday 27 November, an ordinary working day.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


class Clock:
    """``timezone.now`` at a chosen instant, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)


def ref(row: Any) -> str:
    """A service as a booking names it: ``operation:<id>`` or ``package:<id>``."""
    kind = "package" if row.__class__.__name__ == "ServicePackage" else "operation"
    return f"{kind}:{row.pk}"


def booking_in(b: Booking, hhmm: str, *services: Any, days: int = 1, **fields: Any) -> BookingIn:
    """A phone booking of the fixture's customer and car at ``hhmm`` ``days`` from today (store time)."""
    values: dict[str, Any] = {
        "starts_at": b.at(hhmm, days),
        "services": [ref(row) for row in services or (b.oil,)],
        "channel": "phone",
        "customer_id": b.customer.pk,
        "vehicle_id": b.vehicle.pk,
        **fields,
    }
    return BookingIn(**values)


def book(b: Booking, hhmm: str, *services: Any, actor: User | None = None, days: int = 1, **fields: Any) -> Appointment:
    return appointment_book(
        actor=actor or b.agent, store_id=b.store.pk, data=booking_in(b, hhmm, *services, days=days, **fields)
    )


def counts() -> dict[str, int]:
    """The rows a booking, a change or a pre-pick writes."""
    return {
        "appointments": Appointment.all_objects.count(),
        "services": AppointmentService.objects.count(),
        "events": AppointmentEvent.objects.count(),
        "messages": Message.objects.count(),
        "tasks": Task.objects.count(),
        "reservations": Reservation.all_objects.count(),
        "audit": AuditEntry.objects.count(),
    }
