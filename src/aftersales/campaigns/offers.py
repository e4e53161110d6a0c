"""The campaigns a booking offers (``aftersales.appointments.offers``): each open campaign of the
vehicle, or of the VIN typed, becomes an offer to add its labour operation."""

from __future__ import annotations

from datetime import date

from aftersales.appointments.offers import Offer
from aftersales.campaigns.selectors import open_campaigns, vehicle_open_campaigns
from aftersales.core import identifiers
from aftersales.core.models import Store
from aftersales.customers.models import Vehicle


def campaign_offers(store: Store, vehicle: Vehicle | None, vin: str, day: date) -> list[Offer]:
    """The open campaigns of the store's group for the vehicle (or the VIN typed, if it is one)."""
    if vehicle is not None:
        found = vehicle_open_campaigns(group_id=store.group_id, vehicle=vehicle, day=day)
    else:
        typed = identifiers.compact_vin(vin)
        if len(typed) != 17:
            return []
        found = open_campaigns(group_id=store.group_id, vin=typed, day=day)
    return [
        Offer(
            source="campaign",
            kind=campaign.kind,
            kind_label=str(campaign.get_kind_display()),
            code=campaign.code,
            title=campaign.title,
            service_ref=f"operation:{campaign.operation_id}",
            note=campaign.operation.name,
            valid_until=campaign.valid_until,
        )
        for campaign in found
    ]
