"""What a booking keeps of a person, removed when the customer is anonymised: registered from
AppConfig.ready in the archive's ``ANONYMISE_HANDLERS``, so the archive never imports this area."""

from __future__ import annotations

from typing import Any

from aftersales.appointments.models import Appointment
from aftersales.core.audit import audit_append, audit_personal_erase
from aftersales.core.models import User
from aftersales.customers.models import Customer
from aftersales.customers.selectors import ANONYMISED_NAME


def appointments_anonymise(customer: Customer, actor: User, reason: str) -> int:
    """Empty the personal values the customer's bookings copied (``Appointment.personal_fields``; the
    contact's name replaced as the archive replaces the customer's), write one "anonymise" entry per
    booking naming the fields cleared, and erase the values the bookings' earlier entries keep beside
    the trail. Returns the number of entries erased.

    Runs in the anonymisation's transaction; locks the bookings (ordered by pk) so that no change in
    flight writes the old values back.
    """
    bookings = list(Appointment.all_objects.select_for_update().filter(customer=customer).order_by("pk"))
    if not bookings:
        return 0
    emptied: dict[str, Any] = {
        field.name: field.get_default()
        for field in Appointment._meta.concrete_fields
        if field.name in Appointment.personal_fields
    }
    emptied["contact_name"] = ANONYMISED_NAME.format(number=customer.number)
    # A queryset update: Appointment.save() would audit every removed value into the append-only trail.
    Appointment.all_objects.filter(pk__in=[row.pk for row in bookings]).update(**emptied)
    erased = audit_personal_erase([row.audit_subject() for row in bookings])
    for row in bookings:
        cleared = sorted(field for field, empty in emptied.items() if getattr(row, field) != empty)
        if not cleared:
            continue
        audit_append(
            action="anonymise",
            actor=actor,
            store_id=row.store_id,
            object_type="appointments.appointment",
            object_id=str(row.pk),
            object_repr=row.audit_repr(),
            changes={"reason": reason, "cleared": cleared},
        )
    return erased
