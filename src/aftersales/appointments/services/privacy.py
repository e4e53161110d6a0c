"""What a booking keeps of a person, and when it is removed.

- When the customer is anonymised: registered from AppConfig.ready in the archive's
  ``ANONYMISE_HANDLERS`` (the archive never imports this area), ``appointments_anonymise`` empties the
  customer's bookings and the bookings without a customer record made with one of the customer's
  mobiles (the same person booking online or by phone before reception matched them).
- When the time kept has passed: a booking without a customer record (booked online, or typed in by
  the desk) is the only record of its contact, kept ``BOOKINGS_KEPT_YEARS`` after its date, as the booking
  page's notice tells the customer (PIPL Art. 19: kept no longer than the purpose needs; Art. 47(1)(1):
  deleted, or anonymised, once it is reached); ``appointments_expire_personal`` (a daily job) then
  empties it. A booking matched to a customer is the archive's to keep or remove.

Both clear the same declaration (``Appointment.personal_fields``) in one way, ``_bookings_anonymise``.
"""

from __future__ import annotations

import operator
from datetime import datetime
from functools import reduce
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from aftersales.appointments.models import Appointment
from aftersales.core.audit import audit_append, audit_personal_erase
from aftersales.core.models import User
from aftersales.customers.models import Customer, CustomerPhone
from aftersales.customers.selectors import ANONYMISED_NAME

# How long a booking without a customer record keeps its contact (the notice on the booking page says so).
BOOKINGS_KEPT_YEARS = 3
# The contact of a booking emptied when its time kept passed: no customer number to name.
EXPIRED_NAME = ANONYMISED_NAME.format(number="").strip()
EXPIRED_REASON = "保存期满"  # the audit entry's reason (stored data, as a clerk's typed reason is)


def _emptied(name: str) -> dict[str, Any]:
    """The values a booking's personal fields are emptied to, the contact's name replaced by ``name``."""
    emptied: dict[str, Any] = {
        field.name: field.get_default()
        for field in Appointment._meta.concrete_fields
        if field.name in Appointment.personal_fields
    }
    emptied["contact_name"] = name
    return emptied


def _bookings_anonymise(bookings: list[Appointment], *, name: str, actor: User | None, reason: str) -> int:
    """Empty the personal values ``bookings`` (locked by the caller) hold, write one "anonymise" entry per
    booking naming the fields cleared, and erase the values their earlier entries keep beside the trail.
    Returns the number of entries erased."""
    if not bookings:
        return 0
    emptied = _emptied(name)
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


def appointments_anonymise(customer: Customer, actor: User, reason: str) -> int:
    """Empty the personal values (``Appointment.personal_fields``; the contact's name replaced as the
    archive replaces the customer's) of the customer's bookings and of the bookings without a customer
    record whose mobile is one of the customer's, write one "anonymise" entry per booking naming the
    fields cleared, and erase the values the bookings' earlier entries keep beside the trail. Returns
    the number of entries erased.

    Runs in the anonymisation's transaction, before the customer's mobiles are deleted; locks the
    bookings (ordered by pk) so that no change in flight writes the old values back.
    """
    mobiles = list(CustomerPhone.objects.filter(customer=customer).values_list("number", flat=True))
    theirs = Q(customer=customer)
    if mobiles:
        theirs |= Q(customer=None, contact_mobile__in=mobiles)
    bookings = list(Appointment.all_objects.select_for_update().filter(theirs).order_by("pk"))
    return _bookings_anonymise(
        bookings, name=ANONYMISED_NAME.format(number=customer.number), actor=actor, reason=reason
    )


def kept_until(now: datetime) -> datetime:
    """The start before which a booking's time kept has passed: ``BOOKINGS_KEPT_YEARS`` before ``now``
    (29 February read as 28 February in a year without it)."""
    year = now.year - BOOKINGS_KEPT_YEARS
    try:
        return now.replace(year=year)
    except ValueError:
        return now.replace(year=year, day=28)


def appointments_expire_personal(*, now: datetime | None = None, batch: int = 500) -> int:
    """Empty the personal values of the bookings without a customer record whose start is more than
    ``BOOKINGS_KEPT_YEARS`` ago, as ``appointments_anonymise`` empties a customer's (no staff actor: the
    entries record the reason ``EXPIRED_REASON``). Idempotent: a booking already emptied is not touched
    again. Returns the number of bookings emptied; one transaction per ``batch`` bookings (locked,
    ordered by pk)."""
    now = now or timezone.now()
    emptied = _emptied(EXPIRED_NAME)
    not_empty = reduce(operator.or_, (~Q(**{field: value}) for field, value in emptied.items()))
    due = Appointment.all_objects.filter(not_empty, customer=None, starts_at__lt=kept_until(now)).order_by("pk")
    done = 0
    while True:
        with transaction.atomic():
            bookings = list(due.select_for_update()[:batch])
            _bookings_anonymise(bookings, name=EXPIRED_NAME, actor=None, reason=EXPIRED_REASON)
        done += len(bookings)
        if len(bookings) < batch:
            return done
