"""Reminders before a booking (APT-5): the CRM reminder ``reminder_hours`` (24) before the start and,
where the store wants it, a same-day one. A periodic job claims each booking with a conditional
update of its "sent" time before it writes the message, so a job run twice (or by two workers at
once) never sends two for one booking. The outbox holds them through the store's quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from aftersales.appointments.models import Appointment, AppointmentEvent, BookingSettings
from aftersales.appointments.services.messages import appointment_message

LOOK_AHEAD = timedelta(hours=72)  # the longest reminder a store may set


def _claim(appointment: Appointment, field: str, now: datetime) -> bool:
    """Take the booking's reminder for this run: still booked, at the start it was read with (a booking
    moved meanwhile waits for the next run, with its new time), not reminded yet."""
    return (
        Appointment.all_objects.filter(
            pk=appointment.pk,
            state=Appointment.State.BOOKED,
            starts_at=appointment.starts_at,
            **{f"{field}__isnull": True},
        ).update(**{field: now})
        == 1
    )


def appointments_remind(*, now: datetime | None = None) -> dict[str, int]:
    """Send the reminders that are due; returns how many of each were sent."""
    now = now or timezone.now()
    settings = {row.store_id: row for row in BookingSettings.objects.all()}
    default = BookingSettings()
    sent = {"reminder": 0, "same_day": 0}
    rows = (
        Appointment.all_objects.filter(
            state=Appointment.State.BOOKED, starts_at__gt=now, starts_at__lte=now + LOOK_AHEAD
        )
        .filter(same_day_sent_at__isnull=True)
        .select_related("store", "customer")
        .order_by("starts_at")
    )
    for appointment in rows:
        store_settings = settings.get(appointment.store_id, default)
        due = appointment.starts_at - timedelta(hours=store_settings.reminder_hours)
        # A booking made inside the window had its confirmation just now: no second message for it.
        if (
            appointment.reminder_sent_at is None
            and due <= now
            and appointment.created_at <= due
            and _send(appointment, "reminder_sent_at", "appointment_reminder", now)
        ):
            sent["reminder"] += 1
        if store_settings.same_day_reminder:
            due_today = appointment.starts_at - timedelta(hours=store_settings.same_day_reminder_hours)
            if (
                due_today <= now
                and appointment.created_at <= due_today
                and _send(appointment, "same_day_sent_at", "appointment_reminder_today", now)
            ):
                sent["same_day"] += 1
    return sent


def _send(appointment: Appointment, field: str, event: str, now: datetime) -> bool:
    with transaction.atomic():
        if not _claim(appointment, field, now):
            return False
        appointment.refresh_from_db()  # what the message says is what the booking is now
        AppointmentEvent.objects.create(
            appointment=appointment,
            action="reminder",
            from_state=appointment.state,
            to_state=appointment.state,
            note=event,
        )
        appointment_message(appointment, event, actor=None)
    return True
