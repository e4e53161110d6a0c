"""Appointments' figures on the 'today' landing pages: the day's bookings and who has come for the front
of the house (CRM, advisors, front desk), the bookings whose parts are short for customer care and the
parts desk, tomorrow's pre-picks for the parts desk; the store's managers see them all."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.appointments.models import Appointment
from aftersales.core.access import can
from aftersales.core.calendar import store_calendar, store_today
from aftersales.core.models import Store, User
from aftersales.core.selectors import Card

S = Appointment.State
P = Appointment.PartsStatus
# Which cards each landing shows.
TODAY = frozenset({"crm", "advisor", "frontdesk", "manager"})
ARRIVED = frozenset({"advisor", "frontdesk", "manager"})
SHORT = frozenset({"crm", "parts", "manager"})
TO_PICK = frozenset({"parts"})


def appointments_cards(user: User, store: Store | None, landing: str) -> list[Card]:
    if (
        store is None
        or not store.is_active
        or landing not in TODAY | SHORT | TO_PICK
        or not can(user, "appointments.view", store_id=store.pk)
    ):
        return []
    calendar = store_calendar(store)
    today = store_today(store)
    start, end = calendar.day_bounds(today)
    rows = Appointment.all_objects.filter(store=store)
    cards: list[Card] = []
    if landing in TODAY | ARRIVED:
        counts = rows.filter(starts_at__gte=start, starts_at__lt=end).aggregate(
            booked=Count("pk", filter=Q(state=S.BOOKED)), arrived=Count("pk", filter=Q(state=S.ARRIVED))
        )
        expected = counts["booked"] + counts["arrived"]
        url = reverse("appointments:list")
        if landing in TODAY:
            cards.append(Card("appointments_today", _("Today's bookings"), expected, "bi-calendar-check", url=url))
        if landing in ARRIVED:
            cards.append(
                Card(
                    "appointments_arrived",
                    _("Arrived / expected today"),
                    f"{counts['arrived']} / {expected}",
                    "bi-person-check",
                    hint=_("Customers checked in, of today's live bookings."),
                    url=f"{url}?{urlencode({'state': S.ARRIVED})}",
                )
            )
    if landing in SHORT:
        short = rows.filter(state=S.BOOKED, parts_status=P.SHORT, starts_at__gte=start).aggregate(
            n=Count("pk"), first=Min("starts_at")
        )
        url = reverse("appointments:prepick")
        if short["first"] is not None:
            url += "?" + urlencode({"day": calendar.local_date(short["first"]).isoformat()})
        cards.append(
            Card(
                "appointments_parts_short",
                _("Bookings short of parts"),
                short["n"],
                "bi-exclamation-triangle",
                hint=_("Parts that cannot be ready in time: call the customer or order them urgently."),
                url=url,
            )
        )
    if landing in TO_PICK:
        tomorrow = today + timedelta(days=1)
        first, last = calendar.day_bounds(tomorrow)
        to_pick = rows.filter(state=S.BOOKED, parts_status=P.TO_PICK, starts_at__gte=first, starts_at__lt=last).count()
        cards.append(
            Card(
                "appointments_to_pick",
                _("Tomorrow's bookings to pre-pick"),
                to_pick,
                "bi-basket",
                url=reverse("appointments:prepick") + "?" + urlencode({"day": tomorrow.isoformat()}),
            )
        )
    return cards
