"""The final inspection of a repair order (总检, QC-1): its checklist (the done labour lines, then the
store's standard checks), its inspections so far and its release certificate; recording an inspection.

Refusals: an order that is not completed, or passed already, is 409; an inspector who worked on the order
is 422 on ``inspector``; a pass with a check not in order is 422 on ``checks.<n>.ok``, without the fault
verified on ``fault_verified``, without the inspector's signature where the repair category needs a
release certificate on ``signature``; a fail without its reason or the lines to send back on ``reason`` /
``rework_lines``. Nothing is written."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.apikit import InputSchema
from aftersales.core.routing import operation, request_user
from aftersales.quality import services
from aftersales.quality.api.common import STATE_ERRORS, local, person
from aftersales.quality.models import FinalInspection, ReleaseCertificate
from aftersales.quality.services.common import inspection_passed
from aftersales.quality.services.inspection import done_labour, needs_certificate, order_for
from aftersales.workshop.api.common import RecordId

router = Router(tags=["quality"])

RoadTestName = Literal["passed", "not_needed", "no_consent"]


class QcCheckOut(Schema):
    check: str
    line: int | None = Field(description="The labour line checked; null: one of the store's standard checks.")


class QcCheckResultOut(QcCheckOut):
    ok: bool
    note: str


class QcReworkOut(Schema):
    line: int
    position: int
    technician: int | None
    technician_name: str | None
    reason: str


class FinalInspectionOut(Schema):
    id: int
    passed: bool
    checks: list[QcCheckResultOut]
    road_test: RoadTestName
    fault_verified: bool
    repair_advice: str
    driving_advice: str
    reason: str = Field(description="Why it failed (empty for a pass).")
    rework: list[QcReworkOut] = Field(description="The lines a failed inspection sent back.")
    inspector: int
    inspector_name: str
    at: datetime


class ReleaseCertificateOut(Schema):
    number: str
    source: Literal["store", "platform"] = Field(description="Numbered by the store, or issued by the province.")
    signed_by: int
    signed_by_name: str
    issued_at: datetime


class QcOut(Schema):
    order: int
    order_number: str
    order_state: str
    passed: bool = Field(description="The latest final inspection passed.")
    needs_certificate: bool = Field(description="A repair category of the order needs a release certificate.")
    certificate_from_platform: bool = Field(description="The province issues the certificate's number.")
    checklist: list[QcCheckOut] = Field(description="What an inspection gives a result for, in this order.")
    inspections: list[FinalInspectionOut] = Field(description="Newest first.")
    certificate: ReleaseCertificateOut | None


def inspection_out(row: FinalInspection) -> dict[str, Any]:
    store = row.store
    return {
        "id": row.pk,
        "passed": row.passed,
        "checks": [
            {"check": item["check"], "line": item["line"], "ok": item["ok"], "note": item["note"]} for item in row.items
        ],
        "road_test": row.road_test,
        "fault_verified": row.fault_verified,
        "repair_advice": row.repair_advice,
        "driving_advice": row.driving_advice,
        "reason": row.reason,
        "rework": [
            {
                "line": rework.line_id,
                "position": rework.line.position,
                "technician": rework.technician_id,
                "technician_name": person(rework.technician),
                "reason": rework.reason,
            }
            for rework in row.reworks.all()
        ],
        "inspector": row.inspector_id,
        "inspector_name": person(row.inspector),
        "at": local(row.at, store),
    }


def _qc_out(order_id: int) -> dict[str, Any]:
    order = order_for(actor=None, order_id=order_id, permission="quality.view")
    rules = services.quality_settings(order.store_id)
    inspections = (
        FinalInspection.objects.filter(order=order)
        .select_related("inspector", "store")
        .prefetch_related("reworks__line", "reworks__technician")
        .order_by("-at", "-pk")
    )
    certificate = ReleaseCertificate.objects.filter(order=order).select_related("signed_by").first()
    return {
        "order": order.pk,
        "order_number": order.number,
        "order_state": order.state,
        "passed": inspection_passed(order),
        "needs_certificate": needs_certificate(done_labour(order)),
        "certificate_from_platform": rules.certificate_from_platform,
        "checklist": [{"check": item.text, "line": item.line_id} for item in services.checklist(order, rules)],
        "inspections": [inspection_out(row) for row in inspections],
        "certificate": {
            "number": certificate.number,
            "source": certificate.source,
            "signed_by": certificate.signed_by_id,
            "signed_by_name": person(certificate.signed_by),
            "issued_at": local(certificate.issued_at, order.store),
        }
        if certificate
        else None,
    }


@router.get("/repair-orders/{id:order_id}/qc", response={200: QcOut, **STATE_ERRORS})
@operation("quality.view")
def repair_order_qc(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """The order's final-inspection checklist, its inspections (newest first) and its release certificate."""
    order_for(actor=request_user(request), order_id=order_id, permission="quality.view")
    return _qc_out(order_id)


class QcCheckIn(InputSchema):
    ok: bool
    note: str = Field(default="", max_length=200)


class FinalInspectionIn(InputSchema):
    checks: list[QcCheckIn] = Field(max_length=200, description="One result per checklist entry, in its order.")
    road_test: RoadTestName
    passed: bool
    fault_verified: bool = Field(default=False, description="The fault the customer reported is verified gone.")
    repair_advice: str = Field(default="", max_length=500, json_schema_extra=inputs.MULTILINE)
    driving_advice: str = Field(default="", max_length=500, json_schema_extra=inputs.MULTILINE)
    reason: str = Field(default="", max_length=300, description="Why it failed (a fail).")
    rework_lines: list[RecordId] = Field(default=[], max_length=200, description="Done labour lines sent back.")
    signature: str = Field(
        default="",
        max_length=1_400_100,
        description="The inspector's signature on the release certificate, data:image/png;base64,...",
    )
    certificate_number: str = Field(default="", max_length=40, description="The provincial platform's number.")


@router.post("/repair-orders/{id:order_id}/qc", response={201: FinalInspectionOut, **STATE_ERRORS})
@operation("quality.inspect")
def repair_order_qc_record(request: HttpRequest, order_id: int, payload: FinalInspectionIn) -> Status[dict[str, Any]]:
    """Record the final inspection of a completed order: a pass issues the release certificate where the
    repair category needs one; a fail sends the chosen lines back to their technicians (the order is in work
    again). Refused with nothing written (see above)."""
    inspection = services.final_inspection_record(
        actor=request_user(request),
        order_id=order_id,
        data=services.InspectionIn(
            checks=[services.CheckIn(ok=check.ok, note=check.note) for check in payload.checks],
            road_test=payload.road_test,
            passed=payload.passed,
            fault_verified=payload.fault_verified,
            repair_advice=payload.repair_advice,
            driving_advice=payload.driving_advice,
            reason=payload.reason,
            rework_lines=list(payload.rework_lines),
            signature=payload.signature,
            certificate_number=payload.certificate_number,
        ),
    )
    row = (
        FinalInspection.objects.select_related("inspector", "store")
        .prefetch_related("reworks__line", "reworks__technician")
        .get(pk=inspection.pk)
    )
    return Status(201, inspection_out(row))
