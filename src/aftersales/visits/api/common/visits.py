"""A visit as the visits API's answers show it (with its walk-around, diagnosis and recommendations), and the
reads behind it."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

from aftersales.core.apikit import StateEventOut
from aftersales.core.models import Store
from aftersales.visits.api.common.base import (
    MOBILE_MASK,
    OrderState,
    VisitState,
    Waiting,
    events_out,
    local,
    personal_for,
)
from aftersales.visits.models import (
    CheckResult,
    Diagnosis,
    Recommendation,
    RepairOrder,
    Visit,
    VisitEvent,
    WalkAround,
)
from aftersales.visits.services.inspection import checklist_of

# --- visits -----------------------------------------------------------------------------------------


class ServiceVisitOut(Schema):
    id: int
    number: str
    store: str = Field(description="Store code.")
    state: VisitState
    appointment: int | None = Field(description="The booking it came from; null: a walk-in.")
    customer: int
    vehicle: int
    plate: str
    advisor: str = Field(description="The service advisor's username.")
    contact_name: str
    contact_mobile: str = Field(
        description="Masked (139****5678) unless the call is an API token's with the right to see personal data."
    )
    address_as: str
    contact_verified_at: datetime | None
    arrived_at: datetime = Field(description="In the store's zone with its offset.")
    mileage_in: int
    fuel_level: int = Field(description="Fuel or charge in eighths, 0-8.")
    parking_spot: str
    key_tag: str
    waiting: Waiting
    lounge_notes: str
    needs: str
    promised_at: datetime | None
    left_at: datetime | None
    created_at: datetime


class DamageOut(Schema):
    id: int
    kind: Literal["scratch", "dent", "crack", "chip", "missing", "leak"]
    x: int = Field(description="Across the diagram, in thousandths of its width.")
    y: int = Field(description="Down the diagram, in thousandths of its height.")
    note: str
    photo: int | None = Field(description="The photo (``/media/<id>``), if taken.")


class CheckOut(Schema):
    item: int
    code: str
    name: str
    rating: Literal["green", "amber", "red"] | None = Field(description="Null: not rated yet.")
    note: str
    photo: int | None


class WalkAroundOut(Schema):
    covers_fitted: bool
    glass_ok: bool
    glass_note: str
    valuables: str
    notes: str
    tyres: dict[str, Decimal] = Field(description="Tread depth in mm by wheel (fl, fr, rl, rr, spare).")
    damages: list[DamageOut]
    checks: list[CheckOut] = Field(description="The store's checklist in order, each with its rating.")
    completed_at: datetime | None
    completed_by: str | None
    signed: bool = Field(description="Whether the customer signed the walk-around.")


class FaultCodeOut(Schema):
    code: str
    failure_type: str
    text: str = Field(description="As written on the order, e.g. P0301 or P0301-00.")
    brand_specific: bool = Field(description="A manufacturer's code: its meaning is the brand's.")


class DiagnosisOut(Schema):
    symptoms: str
    cause_analysis: str
    pre_repair_record: str
    equipment: str
    diagnosed_by: str | None
    diagnosed_at: datetime | None
    codes: list[FaultCodeOut]


class LabourOperationRef(Schema):
    id: int
    code: str
    name: str


class RecommendationOut(Schema):
    id: int
    source: Literal["walk_around", "diagnosis"]
    operation: LabourOperationRef
    note: str
    fault_code: str
    symptom: str
    causal_part: int | None
    line: int | None = Field(description="The order line it became; null: not on an order yet.")
    created_at: datetime


class OrderRef(Schema):
    id: int
    number: str
    state: OrderState


class VisitDetailOut(ServiceVisitOut):
    walk_around: WalkAroundOut | None = Field(description="Null: not started.")
    diagnosis: DiagnosisOut | None
    recommendations: list[RecommendationOut]
    orders: list[OrderRef]
    events: list[StateEventOut]


def visit_rows(store: Store) -> QuerySet[Visit]:
    return Visit.all_objects.filter(store=store).select_related("vehicle", "advisor")


def visit_out(row: Visit, store: Store, *, personal: bool) -> dict[str, Any]:
    return {
        "id": row.pk,
        "number": row.number,
        "store": store.code,
        "state": row.state,
        "appointment": row.appointment_id,
        "customer": row.customer_id,
        "vehicle": row.vehicle_id,
        "plate": row.vehicle.plate,
        "advisor": row.advisor.username,
        "contact_name": row.contact_name,
        "contact_mobile": row.contact_mobile if personal or MOBILE_MASK is None else MOBILE_MASK(row.contact_mobile),
        "address_as": row.address_as,
        "contact_verified_at": local(row.contact_verified_at, store),
        "arrived_at": local(row.arrived_at, store),
        "mileage_in": row.mileage_in,
        "fuel_level": row.fuel_level,
        "parking_spot": row.parking_spot,
        "key_tag": row.key_tag,
        "waiting": row.waiting,
        "lounge_notes": row.lounge_notes,
        "needs": row.needs,
        "promised_at": local(row.promised_at, store),
        "left_at": local(row.left_at, store),
        "created_at": local(row.created_at, store),
    }


def walk_around_out(walk: WalkAround, store: Store) -> dict[str, Any]:
    """A walk-around with its marks, tyres and the store's whole checklist (a check not rated: null)."""
    results: dict[int, CheckResult] = {check.item_id: check for check in walk.checks.all()}
    return {
        "covers_fitted": walk.covers_fitted,
        "glass_ok": walk.glass_ok,
        "glass_note": walk.glass_note,
        "valuables": walk.valuables,
        "notes": walk.notes,
        "tyres": {tyre.position: tyre.tread_mm for tyre in walk.tyres.all()},
        "damages": [
            {"id": m.pk, "kind": m.kind, "x": m.x, "y": m.y, "note": m.note, "photo": m.photo_id}
            for m in walk.damages.all()
        ],
        "checks": [
            {
                "item": item.pk,
                "code": item.code,
                "name": item.name,
                "rating": result.rating if (result := results.get(item.pk)) else None,
                "note": result.note if result else "",
                "photo": result.photo_id if result else None,
            }
            for item in checklist_of(store.pk)
        ],
        "completed_at": local(walk.completed_at, store),
        "completed_by": walk.completed_by.username if walk.completed_by else None,
        "signed": walk.signature_id is not None,
    }


def walk_around_detail(visit_id: int) -> WalkAround | None:
    return (
        WalkAround.objects.filter(visit_id=visit_id)
        .select_related("completed_by", "visit__store")
        .prefetch_related("tyres", "damages", "checks")
        .first()
    )


def diagnosis_out(diagnosis: Diagnosis, store: Store) -> dict[str, Any]:
    return {
        "symptoms": diagnosis.symptoms,
        "cause_analysis": diagnosis.cause_analysis,
        "pre_repair_record": diagnosis.pre_repair_record,
        "equipment": diagnosis.equipment,
        "diagnosed_by": diagnosis.diagnosed_by.username if diagnosis.diagnosed_by else None,
        "diagnosed_at": local(diagnosis.diagnosed_at, store),
        "codes": [
            {"code": c.code, "failure_type": c.failure_type, "text": c.text, "brand_specific": c.brand_specific}
            for c in diagnosis.codes.all()
        ],
    }


def diagnosis_detail(visit_id: int) -> Diagnosis | None:
    return Diagnosis.objects.filter(visit_id=visit_id).select_related("diagnosed_by").prefetch_related("codes").first()


def recommendation_out(row: Recommendation, store: Store) -> dict[str, Any]:
    return {
        "id": row.pk,
        "source": row.source,
        "operation": {"id": row.operation.pk, "code": row.operation.code, "name": row.operation.name},
        "note": row.note,
        "fault_code": row.fault_code,
        "symptom": row.symptom,
        "causal_part": row.causal_part_id,
        "line": row.line_id,
        "created_at": local(row.created_at, store),
    }


def visit_detail_out(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    """A visit (its access checked by the caller) with the walk-around, the diagnosis, the recommended
    work, its orders and its history."""
    row = (
        Visit.all_objects.select_related("store", "vehicle", "advisor")
        .prefetch_related(
            Prefetch("events", queryset=VisitEvent.objects.select_related("actor").order_by("at", "pk")),
            Prefetch("recommendations", queryset=Recommendation.objects.select_related("operation").order_by("pk")),
            Prefetch("orders", queryset=RepairOrder.all_objects.order_by("signed_at", "pk")),
        )
        .get(pk=visit_id)
    )
    store = row.store
    walk = walk_around_detail(row.pk)
    diagnosis = diagnosis_detail(row.pk)
    return {
        **visit_out(row, store, personal=personal_for(request, store)),
        "walk_around": walk_around_out(walk, store) if walk is not None else None,
        "diagnosis": diagnosis_out(diagnosis, store) if diagnosis is not None else None,
        "recommendations": [recommendation_out(rec, store) for rec in row.recommendations.all()],
        "orders": [{"id": o.pk, "number": o.number, "state": o.state} for o in row.orders.all()],
        "events": events_out(row.events.all(), store),
    }
