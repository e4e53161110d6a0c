"""Appointments' printed documents: the label on a booking's staged parts (80 mm roll), so that whoever
receives the car finds them by the customer's name and the day."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpResponse
from django.utils.translation import gettext as _

from aftersales.appointments.models import Appointment
from aftersales.appointments.services import parts_needed
from aftersales.core.calendar import store_calendar
from aftersales.core.pdf import pdf_render
from aftersales.parts.services import qty_text

LABEL_PDF = Path(__file__).parent / "templates" / "appointments" / "print" / "label.typ"


def staging_label_pdf(appointment: Appointment, *, printed_by: str = "") -> bytes:
    local = store_calendar(appointment.store).local(appointment.starts_at)
    plate = appointment.vehicle.plate if appointment.vehicle and appointment.vehicle.plate else appointment.plate_text
    return pdf_render(
        LABEL_PDF,
        {
            "name": appointment.contact_name,
            "when": f"{local:%Y-%m-%d %H:%M}",
            "facts": [
                [_("Booking"), appointment.number],
                [_("Plate"), plate or "—"],
            ],
            "columns": [_("Part number"), _("Name"), _("Quantity")],
            "rows": [
                [need.number, need.name, qty_text(need.quantity)]
                for need in parts_needed([appointment]).get(appointment.pk, [])
            ],
        },
        title=_("Staged parts"),
        store=appointment.store,
        printed_by=printed_by,
        paper="receipt80",
        qr=appointment.number,
    )


def staging_label_response(appointment: Appointment, *, printed_by: str) -> HttpResponse:
    response = HttpResponse(staging_label_pdf(appointment, printed_by=printed_by), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{appointment.number}-label.pdf"'
    return response
