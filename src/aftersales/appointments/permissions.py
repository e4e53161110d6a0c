"""Who sees bookings, books, books over capacity, keeps the capacity and pre-picks parts."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "appointments.view": _("See bookings, the welcome board and the daily lists"),
    "appointments.book": _("Book, change, cancel and check in appointments"),
    "appointments.overbook": _("Book over the store's capacity (the override is recorded)"),
    "appointments.capacity": _("Keep technicians' shifts, leave and efficiency, and the booking settings"),
    "appointments.prepick": _("Pre-pick and stage the parts of tomorrow's bookings"),
}

GRANTS = {
    # Not the pre-pick: it reserves stock, which the parts area leaves to the parts desk and the service
    # manager (a manager holds no ``stock.reserve``).
    "manager": ("appointments.view", "appointments.book", "appointments.overbook", "appointments.capacity"),
    "service_manager": tuple(PERMISSIONS),
    "advisor": ("appointments.view", "appointments.book"),
    "crm": ("appointments.view", "appointments.book"),
    "frontdesk": ("appointments.view", "appointments.book"),
    "foreman": ("appointments.view", "appointments.capacity"),
    "parts": ("appointments.view", "appointments.prepick"),
    "auditor": ("appointments.view",),
}
