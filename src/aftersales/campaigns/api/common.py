"""What the campaigns API's modules share: the group a call works in, a campaign as every answer shows it."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Schema

from aftersales.campaigns import selectors
from aftersales.campaigns.models import Campaign
from aftersales.core.access import stores_with
from aftersales.core.models import DealerGroup
from aftersales.core.routing import acting_group, request_user

Kind = Literal["recall", "service", "inspection", "promotion"]
State = Literal["draft", "open", "closed"]


def caller_group(request: HttpRequest, permission: str = "campaigns.view") -> DealerGroup:
    """The dealer group whose registry the call reads or keeps."""
    return acting_group(request, permission=permission)


class OperationRef(Schema):
    id: int
    code: str
    name: str


class CampaignRowOut(Schema):
    id: int
    code: str = Field(description="The issuer's number.")
    kind: Kind
    title: str
    brand: str | None = Field(description="Brand code; null: every brand.")
    operation: OperationRef
    valid_from: date
    valid_until: date | None
    state: State
    opened_at: datetime | None
    closed_at: datetime | None


class PartOut(Schema):
    part: str = Field(description="Part number as printed.")
    name: str
    quantity: Decimal


class RangeOut(Schema):
    id: int
    prefix: str = Field(description="The first 11 characters, the 9th (a check digit) shown as *.")
    serial_from: str
    serial_to: str


class ModelPeriodOut(Schema):
    id: int
    model_id: int
    model: str
    produced_from: date | None
    produced_until: date | None


class ProgressOut(Schema):
    store: str
    vehicles: int = Field(description="Affected vehicles of the archive this store chases.")
    notified: int
    reached: int
    booked: int = Field(
        description="With a live booking made since the campaign opened that includes its operation. Only "
        "bookings of the archive's vehicle count: an online booking counts once reception matches it to the vehicle."
    )
    completed: int
    tasks: int = Field(description="Call tasks given for owners not reached.")
    reached_rate: Decimal = Field(description="Percent of the vehicles, one decimal.")
    booked_rate: Decimal = Field(description="Percent of the vehicles booked (as ``booked`` counts them).")
    completed_rate: Decimal


class CampaignOut(CampaignRowOut):
    description: str
    parts: list[PartOut]
    vin_count: int = Field(description="VINs on the issuer's list.")
    ranges: list[RangeOut]
    models: list[ModelPeriodOut]
    progress: list[ProgressOut] = Field(description="Outreach per store (a recall, once open).")


def row_out(row: Campaign) -> dict[str, Any]:
    return {
        "id": row.pk,
        "code": row.code,
        "kind": row.kind,
        "title": row.title,
        "brand": row.brand.code if row.brand else None,
        "operation": {"id": row.operation.pk, "code": row.operation.code, "name": row.operation.name},
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
        "state": row.state,
        "opened_at": row.opened_at,
        "closed_at": row.closed_at,
    }


def campaign_out(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    row = selectors.campaign_detail(campaign_id)
    store_ids = stores_with(request_user(request), "campaigns.view")
    progress = selectors.outreach_progress(row, store_ids=store_ids)
    return {
        **row_out(row),
        "description": row.description,
        "parts": [
            {"part": line.part.number_display, "name": line.part.name, "quantity": line.quantity}
            for line in row.parts.all()
        ],
        "vin_count": row.vin_count,  # type: ignore[attr-defined]
        "ranges": [
            {"id": r.pk, "prefix": r.prefix, "serial_from": r.serial_from, "serial_to": r.serial_to}
            for r in row.ranges.all()
        ],
        "models": [
            {
                "id": m.pk,
                "model_id": m.model_id,
                "model": str(m.model),
                "produced_from": m.produced_from,
                "produced_until": m.produced_until,
            }
            for m in row.models.all()
        ],
        "progress": [
            {
                "store": p.store_code,
                "vehicles": p.vehicles,
                "notified": p.notified,
                "reached": p.reached,
                "booked": p.booked,
                "completed": p.completed,
                "tasks": p.tasks,
                "reached_rate": p.reached_rate,
                "booked_rate": p.booked_rate,
                "completed_rate": p.completed_rate,
            }
            for p in progress
        ],
    }
