"""What the appointments pages share: the appointment a page shows, its store's day, the flash of a
refused action."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.http import Http404, HttpRequest

from aftersales.appointments import selectors
from aftersales.appointments.models import Appointment
from aftersales.core.calendar import store_calendar
from aftersales.core.models import Store
from aftersales.core.routing import page_store


def appointment_of(request: HttpRequest, appointment_id: int) -> Appointment:
    """An appointment of the page's store with all a page shows of it; 404 for any other."""
    try:
        appointment = selectors.appointment_detail(appointment_id, archive=True)
    except Appointment.DoesNotExist:
        raise Http404 from None
    if appointment.store_id != page_store(request).pk:
        raise Http404
    return appointment


def day_links(day: date) -> dict[str, str]:
    """The day before and after ``day`` as the date picker's query values."""
    return {"previous": (day - timedelta(days=1)).isoformat(), "next": (day + timedelta(days=1)).isoformat()}


class WallClock:
    """Instants as the store's wall-clock time, without a zone: the templates' date filters would
    otherwise show them in the server's zone."""

    def __init__(self, store: Store) -> None:
        self.calendar = store_calendar(store)

    def __call__(self, moment: datetime) -> datetime:
        return self.calendar.local(moment).replace(tzinfo=None)

    def maybe(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else self(moment)
