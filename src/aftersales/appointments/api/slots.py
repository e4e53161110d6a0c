"""Free arrival times of a store's day for the services asked (APT-2), and the two offered."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from aftersales.appointments import selectors, services
from aftersales.appointments.api.common import Day, advisor_of, vehicle_of
from aftersales.appointments.capacity import Slot, best_two, day_plan, slots
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.routing import operation
from aftersales.parts.api.common import StoreCode, store_of

router = Router(tags=["appointments"])


def wish_time(value: str) -> dt.time:
    """A wished arrival: ``HH:MM``, or an ISO time (``09:30:00``, ``09:30+08:00``)."""
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Enter a time like 09:30.")) from None


class SlotQuery(InputSchema):
    store: StoreCode
    date: Day = Field(description="The store's day (YYYY-MM-DD).")
    services: str = Field(
        min_length=1,
        max_length=1000,
        description="The services asked, comma-separated: ``operation:<id>`` or ``package:<id>``.",
    )
    wish: str | None = Field(
        default=None,
        max_length=25,
        description="The time the customer wishes (HH:MM, or an ISO time); the offered two are the nearest.",
    )
    advisor: str | None = Field(
        default=None, min_length=1, max_length=150, description="Only times this advisor (username) can take."
    )
    vehicle: int | None = Field(
        default=None, ge=1, le=2**62, description="The car: its series' standard hours where the catalogue has them."
    )
    walk_in: bool = Field(
        default=False,
        description="For a walk-in: the reserve kept for walk-ins may be used and arrivals are not spaced.",
    )

    @field_validator("wish")
    @classmethod
    def _wish(cls, value: str | None) -> str | None:
        if value is not None:
            wish_time(value)
        return value


class SlotOut(Schema):
    starts_at: dt.datetime = Field(description="The arrival, in the store's zone with its offset.")
    time: str = Field(description="HH:MM in the store's zone.")
    fragments: int = Field(
        description="Free gaps too short for any job of the skill and bay type that the day would have left."
    )


class SlotsOut(Schema):
    store: str
    date: dt.date
    opens: str | None = Field(description="First arrival (HH:MM); null: the store is closed that day.")
    closes: str | None = Field(description="End of business hours (HH:MM); null: closed.")
    hours: Decimal = Field(description="Standard hours of the services asked.")
    capacity_hours: Decimal = Field(description="The day's technician hours (shift hours × efficiency, less leave).")
    bookable_hours: Decimal = Field(description="What bookings may take: the capacity less the walk-in reserve.")
    booked_hours: Decimal = Field(description="Standard hours of the day's live bookings (walk-ins' too).")
    slots: list[SlotOut] = Field(description="Every arrival that fits, in 15-minute steps, in time order.")
    offered: list[SlotOut] = Field(
        description="The two best: nearest the wish, then the fewest fragments left, then the earlier."
    )


def _slot_out(slot: Slot, zone: Any) -> dict[str, Any]:
    starts_at = slot.starts_at.astimezone(zone)
    return {"starts_at": starts_at, "time": f"{starts_at:%H:%M}", "fragments": slot.fragments}


def _hhmm(moment: dt.datetime, zone: Any) -> str:
    return f"{moment.astimezone(zone):%H:%M}"


@router.get("/appointments/slots", response={200: SlotsOut, **ERRORS})
@operation("appointments.view")
def appointment_slots(request: HttpRequest, query: Query[SlotQuery]) -> dict[str, Any]:
    """The arrival times of the store's day that fit the services (past times never), with the two to offer."""
    store = store_of(request, query.store, "appointments.view")
    vehicle = vehicle_of(request, query.vehicle)
    advisor_id = advisor_of(store, query.advisor)
    refs = [ref.strip() for ref in query.services.split(",") if ref.strip()]
    needs = services.needs_for(store, refs, vehicle=vehicle)
    plan = day_plan(store, query.date, settings=selectors.booking_settings_of(store))  # a read writes nothing
    found = slots(plan, needs, not_before=timezone.now(), advisor_id=advisor_id, walk_in=query.walk_in)
    wish = None
    if query.wish is not None:
        wished = wish_time(query.wish)
        wish = dt.datetime.combine(query.date, wished.replace(tzinfo=None), tzinfo=wished.tzinfo or store.zone)
    zone = store.zone
    cent = Decimal("0.01")
    return {
        "store": store.code,
        "date": query.date,
        "opens": _hhmm(plan.at(plan.opens), zone) if plan.opens is not None else None,
        "closes": _hhmm(plan.at(plan.closes), zone) if plan.opens is not None else None,
        "hours": sum((need.hours for need in needs), Decimal(0)).quantize(cent),
        "capacity_hours": plan.capacity_hours.quantize(cent),
        "bookable_hours": plan.bookable_hours.quantize(cent),
        "booked_hours": Decimal(plan.booked_hours).quantize(cent),
        "slots": [_slot_out(slot, zone) for slot, _placement in found],
        "offered": [_slot_out(slot, zone) for slot in best_two(found, wish)],
    }
