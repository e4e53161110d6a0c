"""What appointments tell the customer through the outbox (service class: the booking is the contract,
PIPL Art. 13(2)): the confirmation with date, address, route and what to bring, a change, a
cancellation, and the reminders. A message is never a reason to refuse the booking it reports: a
missing template or an unreachable customer is logged and the booking stands."""

from __future__ import annotations

import logging
from dataclasses import replace

from aftersales.appointments.models import Appointment, BookingSettings
from aftersales.core.calendar import store_calendar
from aftersales.core.models import User
from aftersales.customers.services.messages import customer_recipient
from aftersales.messaging.models import Message
from aftersales.messaging.services import Recipient, message_send, message_try

logger = logging.getLogger(__name__)
ABOUT = "appointments.appointment"
EVENTS = (
    "appointment_booked",
    "appointment_changed",
    "appointment_cancelled",
    "appointment_reminder",
    "appointment_reminder_today",
)


def _recipient(appointment: Appointment) -> Recipient:
    if appointment.customer is not None:
        recipient = customer_recipient(appointment.customer)
        if appointment.contact_mobile and not recipient.mobile:
            return replace(recipient, mobile=appointment.contact_mobile)
        return recipient
    return Recipient(
        type=Message.RecipientType.CUSTOMER, name=appointment.contact_name, mobile=appointment.contact_mobile
    )


def appointment_variables(appointment: Appointment) -> dict[str, str]:
    store = appointment.store
    settings = BookingSettings.objects.filter(store=store).first()
    local = store_calendar(store).local(appointment.starts_at)
    return {
        "name": appointment.contact_name,
        "number": appointment.number,
        "time": f"{local.month}月{local.day}日 {local:%H:%M}",
        "store": store.name,
        "address": store.address or store.name,
        # The templates end the sentence themselves.
        "route": settings.route.rstrip("。.") if settings and settings.route else "-",
        "bring": appointment.documents or "-",
        "phone": store.phone or "-",
    }


def appointment_message(appointment: Appointment, event: str, *, actor: User | None) -> list[Message]:
    """Put the event's message to the appointment's customer in the outbox; [] (logged) when it cannot go."""
    return message_try(
        f"{event} of appointment {appointment.number}",
        lambda: message_send(
            store=appointment.store,
            event=event,
            recipient=_recipient(appointment),
            variables=appointment_variables(appointment),
            actor=actor,
            about=(ABOUT, appointment.pk),
        ),
    )
