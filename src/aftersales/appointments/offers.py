"""What a booking offers to add for the car in hand: work the later areas know is due (a recall or
service campaign still open for the vehicle). Appointments never import those areas: each registers a
finder here (``OFFER_FINDERS``, from its ``AppConfig.ready``), and the booking pages, the public booking
page and the API ask ``offers_for``. Adding an offer adds its service reference to the booking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from aftersales.core.models import Store
from aftersales.customers.models import Vehicle


@dataclass(frozen=True)
class Offer:
    """One piece of work to add to a booking, as the booking pages show it."""

    source: str  # the registering area's name for it: "campaign"
    kind: str  # within the source, e.g. "recall", "service", "inspection", "promotion"
    kind_label: str  # shown: "召回"
    code: str  # the issuer's number, e.g. the manufacturer's recall number
    title: str
    service_ref: str  # what a booking adds: "operation:<id>" (see ``services.needs_for``)
    note: str = ""  # a line of explanation for the customer and the agent
    valid_until: date | None = None


# A finder answers the offers for a store's booking of ``vehicle`` (the archive's, when known) or of the
# VIN typed (public booking: unverified, "" when none), on ``day``.
OfferFinder = Callable[[Store, Vehicle | None, str, date], list[Offer]]
OFFER_FINDERS: list[OfferFinder] = []


def offers_for(store: Store, *, day: date, vehicle: Vehicle | None = None, vin: str = "") -> list[Offer]:
    """Every registered area's offers for a booking of ``vehicle`` (or the VIN typed) at ``store`` on ``day``."""
    if vehicle is None and not vin:
        return []
    return [offer for finder in OFFER_FINDERS for offer in finder(store, vehicle, vin, day)]
