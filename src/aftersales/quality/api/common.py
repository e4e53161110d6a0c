"""What the quality API's modules share: the errors its operations answer, times in the store's zone,
and a repair guarantee as the answers show it."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from aftersales.core.api import ERRORS
from aftersales.core.apikit import ErrorOut
from aftersales.core.models import Store
from aftersales.quality.models import Guarantee

# Refusals of a state (an order not completed, a car not inspected, a visit delivered) are 409.
STATE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}


def local(moment: datetime | None, store: Store) -> datetime | None:
    return moment.astimezone(store.zone) if moment is not None else None


def person(user: Any) -> str | None:
    return (user.full_name or user.username) if user is not None else None


class GuaranteeOut(Schema):
    id: int
    order: int
    order_number: str
    line: int
    position: int
    description: str
    repair_category: str
    days: int
    km: int
    delivered_on: date
    mileage_out: int
    valid_to: date = Field(description="The last day covered (the delivery day plus the days).")
    km_to: int = Field(description="The highest mileage covered (the mileage at delivery plus the km).")
    open: bool = Field(description="Still running today (the km as last read are not compared).")


def guarantee_out(row: Guarantee, today: date) -> dict[str, Any]:
    return {
        "id": row.pk,
        "order": row.order_id,
        "order_number": row.order.number,
        "line": row.line_id,
        "position": row.line.position,
        "description": row.line.description,
        "repair_category": row.repair_category,
        "days": row.days,
        "km": row.km,
        "delivered_on": row.delivered_on,
        "mileage_out": row.mileage_out,
        "valid_to": row.valid_to,
        "km_to": row.km_to,
        "open": row.open_on(today),
    }
