"""The appointment's states and actions (DESIGN-visit, "States, transitions and guards").

booked → arrived (checked in) · booked → cancelled (with a reason) · booked → no_show (automatically,
the start plus the store's grace period passed; a conditional update) · no_show → arrived (a late
arrival is checked in all the same). Rescheduling keeps the state and writes its own event.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from aftersales.appointments.models import Appointment
from aftersales.core.transitions import StateTable, Transition

S = Appointment.State

APPOINTMENT = StateTable(
    "appointment",
    [
        Transition("check_in", (S.BOOKED, S.NO_SHOW), S.ARRIVED, "appointments.book"),
        Transition("cancel", (S.BOOKED,), S.CANCELLED, "appointments.book"),
        Transition("no_show", (S.BOOKED,), S.NO_SHOW, "appointments.book"),
    ],
    field="state",
)

ACTION_LABELS = {
    "book": gettext_lazy("Booked"),
    "reschedule": gettext_lazy("Moved"),
    "check_in": gettext_lazy("Checked in"),
    "cancel": gettext_lazy("Cancelled"),
    "no_show": gettext_lazy("Marked no-show"),
    "prepick": gettext_lazy("Parts reserved"),
    "short": gettext_lazy("Parts short: back to customer care"),
    "staged": gettext_lazy("Parts staged"),
    "reminder": gettext_lazy("Reminder sent"),
    "order": gettext_lazy("Urgent order raised for the parts short"),
}
