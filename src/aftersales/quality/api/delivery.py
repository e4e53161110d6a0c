"""A visit's way from the final inspection to the customer (QC-3, QC-5, RO-8): where it stands, the wash,
the workshop's handover to the advisor, the advisor's pre-delivery check (the orders become ``ready`` and
the customer is told), the customer's arrival at pick-up, and the delivery (交车), once for every order.

Refusals: a step before the one it follows is 409 (a wash before every order passed its final inspection,
a handover before the wash, a check before the handover, a delivery before the check or with a line not
done); a second wash, handover, check or delivery is 409; a field's problem is 422 on the field (a
delivery without a signature on ``signature``, an agent without a valid resident ID or the check on
``collector_id_number`` / ``id_checked``). Nothing is written."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.apikit import InputSchema
from aftersales.core.calendar import store_calendar
from aftersales.core.routing import operation, request_user
from aftersales.quality import services
from aftersales.quality.api.common import STATE_ERRORS, GuaranteeOut, guarantee_out, local, person
from aftersales.quality.models import Delivery, Guarantee, Handover, OldPartsOutcome, Wash
from aftersales.quality.selectors import visit_stage
from aftersales.quality.services.common import visit_for
from aftersales.quality.services.delivery import agreed_lines
from aftersales.visits.models import Visit
from aftersales.workshop.api.common import Moment, RecordId

router = Router(tags=["quality"])

Stage = Literal["inspect", "wash", "handover", "check", "deliver", "delivered"]
RatingName = Literal["green", "amber", "red"]
OldPartsName = Literal["return", "leave", "claim"]


class DeliveryOrderOut(Schema):
    id: int
    number: str
    state: str


class WashOut(Schema):
    skipped: bool = Field(description="Not washed: the store does not wash this order type.")
    washer: int | None
    washer_name: str | None
    checks: list[str] = Field(description="The points of the washing standard done.")
    spot: str = Field(description="The spot in the finished area.")
    nose_out: bool
    at: datetime


class HandoverOut(Schema):
    handed_by: int
    handed_by_name: str | None
    advisor: int
    keys: str
    explanation: str
    handed_at: datetime
    checked_by: int | None = Field(description="The advisor who checked the car before delivery; null: not yet.")
    checked_at: datetime | None
    pickup_spot: str
    notified_at: datetime | None = Field(description="When the customer was told the car is ready.")
    customer_arrived_at: datetime | None


class FreeCheckOut(Schema):
    check: str
    result: RatingName
    note: str


class DeliveryOut(Schema):
    arrived_at: datetime
    delivered_at: datetime
    waiting_minutes: int = Field(description="From the customer's arrival at pick-up to the keys handed.")
    collector: Literal["customer", "agent"]
    collector_name: str
    collector_id_number: str = Field(description="An agent's resident ID number, masked.")
    id_checked: bool
    free_checks: list[FreeCheckOut]
    driving_advice: str
    next_service_on: date | None
    next_service_km: int | None
    mileage_out: int
    rating: int | None
    comment: str
    old_parts: dict[str, OldPartsName] = Field(description="Per order number, what became of its old parts.")
    delivered_by: int


class DeliveryLineOut(Schema):
    id: int
    order_number: str
    position: int
    description: str
    state: str


class VisitDeliveryOut(Schema):
    visit: int
    visit_number: str
    stage: Stage = Field(description="The next step: inspect, wash, handover, check, deliver; or delivered.")
    orders: list[DeliveryOrderOut]
    lines: list[DeliveryLineOut] = Field(description="What the advisor goes through before delivery.")
    free_checks: list[str] = Field(description="The store's free check shown at delivery, in order.")
    wash_checks: list[str] = Field(description="The store's washing standard, in order.")
    wash: WashOut | None
    handover: HandoverOut | None
    delivery: DeliveryOut | None
    guarantees: list[GuaranteeOut] = Field(description="The repair guarantees the delivery started.")


def wash_out(row: Wash, visit: Visit) -> dict[str, Any]:
    return {
        "skipped": row.skipped,
        "washer": row.washer_id,
        "washer_name": person(row.washer),
        "checks": [item["check"] for item in row.checks],
        "spot": row.spot,
        "nose_out": row.nose_out,
        "at": local(row.at, visit.store),
    }


def handover_out(row: Handover, visit: Visit) -> dict[str, Any]:
    return {
        "handed_by": row.handed_by_id,
        "handed_by_name": person(row.handed_by),
        "advisor": row.advisor_id,
        "keys": row.keys,
        "explanation": row.explanation,
        "handed_at": local(row.handed_at, visit.store),
        "checked_by": row.checked_by_id,
        "checked_at": local(row.checked_at, visit.store),
        "pickup_spot": row.pickup_spot,
        "notified_at": local(row.notified_at, visit.store),
        "customer_arrived_at": local(row.customer_arrived_at, visit.store),
    }


def delivery_out(row: Delivery, visit: Visit) -> dict[str, Any]:
    outcomes = OldPartsOutcome.objects.filter(delivery=row).select_related("order").order_by("order_id")
    return {
        "arrived_at": local(row.arrived_at, visit.store),
        "delivered_at": local(row.delivered_at, visit.store),
        "waiting_minutes": row.waiting_minutes,
        "collector": row.collector,
        "collector_name": row.collector_name,
        "collector_id_number": row.collector_id_number,
        "id_checked": row.id_checked,
        "free_checks": row.free_checks,
        "driving_advice": row.driving_advice,
        "next_service_on": row.next_service_on,
        "next_service_km": row.next_service_km,
        "mileage_out": row.mileage_out,
        "rating": row.rating,
        "comment": row.comment,
        "old_parts": {outcome.order.number: outcome.outcome for outcome in outcomes},
        "delivered_by": row.delivered_by_id,
    }


def _answer(visit_id: int) -> dict[str, Any]:
    visit = visit_for(actor=None, visit_id=visit_id, permission="quality.view")
    stage = visit_stage(visit)
    rules = services.quality_settings(visit.store_id)
    delivery = Delivery.objects.filter(visit=visit).first()
    today = store_calendar(visit.store).local_date(timezone.now())
    guarantees = (
        Guarantee.objects.filter(order__visit=visit)
        .select_related("order", "line")
        .order_by("order_id", "line__position")
    )
    handover = Handover.objects.filter(visit=visit).select_related("handed_by").first()
    wash = Wash.objects.filter(visit=visit).select_related("washer").first()
    return {
        "visit": visit.pk,
        "visit_number": visit.number,
        "stage": "delivered" if delivery is not None else stage.stage,
        "orders": [{"id": order.pk, "number": order.number, "state": order.state} for order in stage.orders],
        "lines": [
            {
                "id": line.pk,
                "order_number": line.order.number,
                "position": line.position,
                "description": line.description,
                "state": line.state,
            }
            for line in agreed_lines(stage.orders)
        ],
        "free_checks": [str(check) for check in rules.delivery_checks],
        "wash_checks": [str(check) for check in rules.wash_checks],
        "wash": wash_out(wash, visit) if wash else None,
        "handover": handover_out(handover, visit) if handover else None,
        "delivery": delivery_out(delivery, visit) if delivery else None,
        "guarantees": [guarantee_out(row, today) for row in guarantees],
    }


@router.get("/visits/{id:visit_id}/delivery", response={200: VisitDeliveryOut, **STATE_ERRORS})
@operation("quality.view")
def visit_delivery(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    """Where the visit stands on its way to the customer: its next step, the wash, the handover and the
    advisor's check, the delivery and the repair guarantees it started; what the steps go through."""
    visit_for(actor=request_user(request), visit_id=visit_id, permission="quality.view")
    return _answer(visit_id)


class WashIn(InputSchema):
    spot: str = Field(max_length=20, description="Where in the finished area the car stands.")
    nose_out: bool = Field(description="Parked nose out (must be true).")
    skip: bool = Field(default=False, description="Not washed: only where the store skips every order's type.")
    washer: RecordId | None = Field(default=None, description="Who washed it (a member of the store's staff).")
    checks: list[bool] = Field(default=[], max_length=100, description="Each point of the washing standard done.")


@router.post("/visits/{id:visit_id}/wash", response={201: VisitDeliveryOut, **STATE_ERRORS})
@operation("quality.wash")
def visit_wash(request: HttpRequest, visit_id: int, payload: WashIn) -> Status[dict[str, Any]]:
    """Record the wash after every order passed its final inspection (or that the car is not washed, where
    the store skips its order types); the advisor is told where the car stands."""
    services.wash_record(
        actor=request_user(request),
        visit_id=visit_id,
        data=services.WashIn(
            spot=payload.spot,
            nose_out=payload.nose_out,
            skip=payload.skip,
            washer_id=payload.washer,
            checks=list(payload.checks),
        ),
    )
    return Status(201, _answer(visit_id))


class HandoverIn(InputSchema):
    keys: str = Field(max_length=60, description="The keys handed to the advisor, e.g. the tag and how many.")
    explanation: str = Field(max_length=1000, json_schema_extra=inputs.MULTILINE)


@router.post("/visits/{id:visit_id}/handover", response={201: VisitDeliveryOut, **STATE_ERRORS})
@operation("quality.handover")
def visit_handover(request: HttpRequest, visit_id: int, payload: HandoverIn) -> Status[dict[str, Any]]:
    """The workshop hands the car and its keys to the visit's advisor and explains the work and the
    recommendations (after the wash)."""
    services.handover_record(
        actor=request_user(request),
        visit_id=visit_id,
        data=services.HandoverIn(keys=payload.keys, explanation=payload.explanation),
    )
    return Status(201, _answer(visit_id))


class DeliveryLineCheckIn(InputSchema):
    line: RecordId
    ok: bool
    note: str = Field(default="", max_length=200)


class ReadyCheckIn(InputSchema):
    lines: list[DeliveryLineCheckIn] = Field(max_length=400, description="Each line of ``lines`` once, as checked.")
    car_checked: bool
    pickup_spot: str = Field(max_length=20, description="Where in the pick-up area the car stands.")


@router.post("/visits/{id:visit_id}/ready-check", response={200: VisitDeliveryOut, **STATE_ERRORS})
@operation("quality.deliver")
def visit_ready_check(request: HttpRequest, visit_id: int, payload: ReadyCheckIn) -> dict[str, Any]:
    """The advisor's pre-delivery check: every line and the car; the orders become ``ready`` and the
    customer is told the car can be collected."""
    services.ready_check(
        actor=request_user(request),
        visit_id=visit_id,
        data=services.ReadyIn(
            lines=[services.LineCheckIn(line_id=row.line, ok=row.ok, note=row.note) for row in payload.lines],
            car_checked=payload.car_checked,
            pickup_spot=payload.pickup_spot,
        ),
    )
    return _answer(visit_id)


@router.post("/visits/{id:visit_id}/pickup-arrival", response={200: VisitDeliveryOut, **STATE_ERRORS})
@operation("quality.deliver")
def visit_pickup_arrival(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    """The customer came to collect the car: the waiting time at pick-up runs from now (the first arrival
    counts)."""
    services.pickup_arrived(actor=request_user(request), visit_id=visit_id)
    return _answer(visit_id)


class FreeCheckIn(InputSchema):
    result: RatingName
    note: str = Field(default="", max_length=200)


class OldPartsIn(InputSchema):
    order: RecordId = Field(description="A repair order of the visit.")
    outcome: OldPartsName


class DeliveryIn(InputSchema):
    collector: Literal["customer", "agent"]
    collector_name: str = Field(max_length=60)
    collector_id_number: str = Field(default="", max_length=30, description="An agent's resident ID number.")
    id_checked: bool = Field(default=False, description="The agent's ID card checked against the name.")
    signature: str = Field(
        default="", max_length=1_400_100, description="Whoever collects signs: data:image/png;base64,…"
    )
    mileage_out: int = Field(ge=0, le=9_999_999)
    keys_handed: bool
    next_service_on: date | None = None
    next_service_km: int | None = Field(default=None, ge=0, le=9_999_999)
    free_checks: list[FreeCheckIn] = Field(max_length=100, description="One per check of ``free_checks``.")
    driving_advice: str | None = Field(
        default=None,
        max_length=500,
        description="Null: the final inspections' advice.",
        json_schema_extra=inputs.MULTILINE,
    )
    rating: int | None = Field(default=None, description="The satisfaction card, 1 to 5.")
    comment: str = Field(default="", max_length=500)
    old_parts: list[OldPartsIn] = Field(
        default=[], max_length=50, description="What became of each order's old parts (default: as the order says)."
    )
    arrived_at: Moment | None = Field(default=None, description="Default: when the arrival was recorded.")


@router.post("/visits/{id:visit_id}/delivery", response={201: VisitDeliveryOut, **STATE_ERRORS})
@operation("quality.deliver")
def visit_deliver(request: HttpRequest, visit_id: int, payload: DeliveryIn) -> Status[dict[str, Any]]:
    """Deliver the car, once for every order of the visit: the delivery sheet signed by whoever collects,
    the keys handed; the visit ends, the repair guarantees start, the car's mileage and next service are
    updated."""
    old_parts: dict[int, str] = {row.order: row.outcome for row in payload.old_parts}
    services.delivery_record(
        actor=request_user(request),
        visit_id=visit_id,
        data=services.DeliveryIn(
            collector=payload.collector,
            collector_name=payload.collector_name,
            signature=payload.signature,
            mileage_out=payload.mileage_out,
            keys_handed=payload.keys_handed,
            next_service_on=payload.next_service_on,
            next_service_km=payload.next_service_km,
            free_checks=[services.FreeCheckIn(result=row.result, note=row.note) for row in payload.free_checks],
            collector_id_number=payload.collector_id_number,
            id_checked=payload.id_checked,
            driving_advice=payload.driving_advice,
            rating=payload.rating,
            comment=payload.comment,
            old_parts=old_parts,
            arrived_at=payload.arrived_at,
        ),
    )
    return Status(201, _answer(visit_id))
