"""Who dispatches, who works on the clock, who corrects a clock, who keeps the workshop's rules."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "workshop.view": _("See the workshop: job boards, technicians' load, service levels"),
    "workshop.dispatch": _("Dispatch labour lines to technicians, teams and bays, and re-dispatch them"),
    "workshop.work": _("Work jobs: accept, clock on and off, request parts, report findings"),
    "workshop.correct": _("Correct technicians' clock entries (kept with the reason)"),
    "workshop.parts": _("Issue requested parts to the workshop at the parts desk"),
    "workshop.settings": _("Keep the workshop's teams, service levels and progress messages"),
}

GRANTS = {
    "manager": ("workshop.view", "workshop.settings"),
    # The parts desk issues with the stock permission the service manager does not hold.
    "service_manager": ("workshop.view", "workshop.dispatch", "workshop.work", "workshop.correct", "workshop.settings"),
    "advisor": ("workshop.view",),
    "frontdesk": ("workshop.view",),
    "foreman": ("workshop.view", "workshop.dispatch", "workshop.work", "workshop.correct"),
    "expert": ("workshop.view", "workshop.work"),
    "technician": ("workshop.view", "workshop.work"),
    "qc": ("workshop.view",),
    "parts": ("workshop.view", "workshop.parts"),
    "auditor": ("workshop.view",),
}
