"""Purchasing's figures on the 'today' landing page of the parts staff and the store's managers."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.calendar import store_today
from aftersales.core.models import Store, User
from aftersales.core.selectors import Card
from aftersales.purchasing import selectors
from aftersales.purchasing.models import PurchaseOrder
from aftersales.purchasing.services.replenishment import suggestion_count

# The parts clerk's and the purchaser's landing, and the managers' (store manager, after-sales manager).
LANDINGS = frozenset({"parts", "manager"})
URGENT = (PurchaseOrder.OrderType.URGENT, PurchaseOrder.OrderType.VOR)


def purchasing_cards(user: User, store: Store | None, landing: str) -> list[Card]:
    if (
        store is None
        or not store.is_active
        or landing not in LANDINGS
        or not can(user, "purchasing.view", store_id=store.pk)
    ):
        return []
    overdue = (
        selectors.backorders(store_id=store.pk)
        .filter(order__order_type__in=URGENT, expected_on__lt=store_today(store))
        .count()
    )
    return [
        Card(
            "low_stock",
            _("Low stock"),
            suggestion_count(store_id=store.pk),
            "bi-box-seam",
            url=reverse("purchasing:suggestions"),
        ),
        Card(
            "urgent_backorders_overdue",
            _("Urgent backorders overdue"),
            overdue,
            "bi-truck",
            url=reverse("purchasing:backorders"),
        ),
    ]
