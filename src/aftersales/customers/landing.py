"""The archive's figures on the 'today' landing page."""

from __future__ import annotations

from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.calendar import store_day_start
from aftersales.core.models import Store, User
from aftersales.core.selectors import Card
from aftersales.customers import selectors
from aftersales.customers.models import Customer


def archive_cards(user: User, store: Store | None, landing: str) -> list[Card]:
    if store is None or not can(user, "customers.view", store_id=store.pk):
        return []
    cards: list[Card] = []
    if landing in {"advisor", "frontdesk", "crm"}:
        start = store_day_start(store)
        registered = Customer.objects.filter(home_store=store, created_at__gte=start).count()
        cards.append(Card("customers_today", _("Customers registered today"), registered, "bi-person-plus"))
    if can(user, "customers.review", store_id=store.pk) and landing in {"manager", "crm", "auditor"}:
        kpis = selectors.archive_kpis(store_ids=frozenset({store.pk}))
        cards += [
            Card(
                "archive_completeness",
                _("Archive completeness rate"),
                f"{kpis['completeness_rate']}%",
                "bi-clipboard-check",
            ),
            Card(
                "archive_timeliness", _("Archives reviewed in time"), f"{kpis['timeliness_rate']}%", "bi-calendar-check"
            ),
            Card("archive_duplicates", _("Duplicate rate"), f"{kpis['duplicate_rate']}%", "bi-people"),
            Card(
                "review_due",
                _("Archives due for review"),
                selectors.review_queue(store_ids=frozenset({store.pk})).count(),
                "bi-hourglass-split",
            ),
        ]
    return cards
