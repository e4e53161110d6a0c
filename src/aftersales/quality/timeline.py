"""Deliveries on the archive's timelines (a customer's and a vehicle's): what left the store, when, with
the mileage out, the next service agreed and the customer's rating; registered from AppConfig.ready."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.customers.selectors import TimelineItem, TimelineQuery, TimelineSource
from aftersales.quality.models import Delivery


def _delivery_items(query: TimelineQuery) -> list[TimelineItem]:
    condition = Q(visit__vehicle_id__in=query.vehicle_ids)
    if query.customer is not None:
        condition |= Q(visit__customer=query.customer)
    rows = (
        Delivery.objects.filter(condition)
        .select_related("visit__store", "delivered_by")
        .order_by("-delivered_at", "-pk")
    )
    items = []
    for row in rows[: query.limit]:
        next_service = _("next service %(on)s or %(km)s km") % {
            "on": row.next_service_on.isoformat() if row.next_service_on else "—",
            "km": f"{row.next_service_km:,}" if row.next_service_km else "—",
        }
        rating = _(", rated %(n)d of 5") % {"n": row.rating} if row.rating else ""
        items.append(
            TimelineItem(
                at=row.delivered_at,
                kind="delivery",
                title=_("Delivered (visit %(number)s at %(store)s)")
                % {"number": row.visit.number, "store": row.visit.store.name},
                note=_("%(km)s km out, %(next)s%(rating)s")
                % {"km": f"{row.mileage_out:,}", "next": next_service, "rating": rating},
                actor=row.delivered_by.username,
                actor_name=row.delivered_by.full_name or row.delivered_by.username,
            )
        )
    return items


DELIVERIES = TimelineSource("delivery", gettext_lazy("Deliveries"), "key", _delivery_items)
