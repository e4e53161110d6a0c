"""Appointments' API under ``/appointments``: free times, bookings, the show rate and the welcome board,
the advisor's day, the parts desk's pre-pick, and the capacity behind it; one module per feature. The
routers with literal paths (``/appointments/slots``, ``/appointments/day``, ...) come before the one with
an appointment's id, which only matches digits anyway (``{id:...}``)."""

from ninja import Router

from aftersales.appointments.api import bookings, capacity, day, prepick, reports, slots

router = Router()
for feature in (slots, reports, day, prepick, capacity, bookings):
    router.add_router("", feature.router)
