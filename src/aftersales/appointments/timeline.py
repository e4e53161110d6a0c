"""Appointments on the archive's timelines (a customer's and a vehicle's): registered as a source from
AppConfig.ready, so the archive never imports this area."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.appointments.models import Appointment
from aftersales.customers.selectors import TimelineItem, TimelineQuery, TimelineSource


def _appointment_items(query: TimelineQuery) -> list[TimelineItem]:
    condition = Q(vehicle_id__in=query.vehicle_ids)
    if query.customer is not None:
        condition |= Q(customer=query.customer)
    rows = (
        Appointment.all_objects.filter(condition)
        .select_related("store", "advisor")
        .prefetch_related("services")
        .order_by("-starts_at", "-pk")[: query.limit]
    )
    return [
        TimelineItem(
            at=row.starts_at,
            kind="appointment",
            title=_("Booking %(number)s at %(store)s: %(state)s")
            % {"number": row.number, "store": row.store.name, "state": row.get_state_display()},
            note="、".join(dict.fromkeys(service.name for service in row.services.all())),
            actor=row.advisor.username if row.advisor else "",
            actor_name=(row.advisor.full_name or row.advisor.username) if row.advisor else "",
        )
        for row in rows
    ]


APPOINTMENTS = TimelineSource("appointment", gettext_lazy("Bookings"), "calendar-check", _appointment_items)
