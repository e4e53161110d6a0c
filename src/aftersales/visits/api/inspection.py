"""The walk-around with the customer (RCP-2): its record, damage marks with photos, the customer's signature;
the diagnosis with fault codes (RCP-3) and the work recommended from what was found."""

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from aftersales.core import inputs
from aftersales.core.apikit import InputSchema
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import operation, request_user
from aftersales.visits import services
from aftersales.visits.api.common import (
    STATE_ERRORS,
    DamageOut,
    DiagnosisOut,
    RecommendationOut,
    RecordId,
    WalkAroundOut,
    diagnosis_detail,
    diagnosis_out,
    recommendation_out,
    walk_around_detail,
    walk_around_out,
)
from aftersales.visits.models import Recommendation
from aftersales.visits.services.inspection import checklist_of

router = Router(tags=["visits"])

Wheel = Literal["fl", "fr", "rl", "rr", "spare"]
Rating = Literal["green", "amber", "red"]
ItemRef = Annotated[str, Field(min_length=1, max_length=30)]
SIGNATURE = Field(max_length=1_400_100, description="The pad's drawing: data:image/png;base64,… (at most 1 MB).")


class GlassIn(InputSchema):
    ok: bool = Field(default=True, description="The glass is without damage.")
    note: str = Field(default="", max_length=200, description="What is wrong with it.")


class WalkAroundCheckIn(InputSchema):
    item: RecordId | ItemRef = Field(description="The check of the store's list: its code (e.g. brakes) or id.")
    rating: Rating
    note: str = Field(default="", max_length=200)


class WalkAroundIn(InputSchema):
    covers: bool = Field(default=False, description="Seat, steering wheel and floor covers fitted before the customer.")
    glass: GlassIn = Field(default_factory=GlassIn)
    valuables: str = Field(default="", max_length=300, description="Valuables left in the car.")
    notes: str = Field(default="", max_length=500, json_schema_extra=inputs.MULTILINE)
    tyres: dict[Wheel, Annotated[str, Field(max_length=10)]] = Field(
        default_factory=dict,
        max_length=5,
        description='Tread depth in mm by wheel as typed, e.g. {"fl": "4.5"}; "" clears a reading.',
    )
    checks: list[WalkAroundCheckIn] = Field(
        default_factory=list, max_length=100, description="Checks rated now (others kept)."
    )


def _check_ids(visit_store_id: int, checks: list[WalkAroundCheckIn]) -> dict[int, tuple[str, str]]:
    """The checks sent, by the id of the store's check each names; a check not of the list, or named twice,
    refused on ``checks.N.item``."""
    items = checklist_of(visit_store_id)
    by_code = {item.code: item.pk for item in items}
    ids = {item.pk for item in items}
    found: dict[int, tuple[str, str]] = {}
    errors: dict[str, list[str]] = {}
    for index, check in enumerate(checks):
        ref = check.item
        item_id = int(ref) if isinstance(ref, int) or ref.isdigit() else by_code.get(ref)
        if item_id is None or item_id not in ids:
            errors[f"checks.{index}.item"] = [_("Unknown check.")]
        elif item_id in found:
            errors[f"checks.{index}.item"] = [_("Rate each check once.")]
        else:
            found[item_id] = (check.rating, check.note)
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    return found


def _walk_around(visit_id: int) -> dict[str, Any]:
    walk = walk_around_detail(visit_id)
    if walk is None:  # the services create it first
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return walk_around_out(walk, walk.visit.store)


@router.put("/visits/{id:visit_id}/walk-around", response={200: WalkAroundOut, **STATE_ERRORS})
@operation("visits.receive")
def walk_around_put(request: HttpRequest, visit_id: int, payload: WalkAroundIn) -> dict[str, Any]:
    """Record the walk-around as it goes: the covers, glass, valuables and notes as sent; the tyres and
    checks sent (the others kept). A wrong field is named and nothing is saved."""
    user = request_user(request)
    visit = services.visit_access(actor=user, visit_id=visit_id, permission="visits.receive")
    checks = _check_ids(visit.store_id, payload.checks)
    positions = {item_id: index for index, item_id in enumerate(checks)}
    try:
        services.walk_around_save(
            actor=user,
            visit_id=visit_id,
            data=services.WalkAroundIn(
                covers_fitted=payload.covers,
                glass_ok=payload.glass.ok,
                glass_note=payload.glass.note,
                valuables=payload.valuables,
                notes=payload.notes,
                tyres={str(wheel): text for wheel, text in payload.tyres.items()},
                checks=checks,
            ),
        )
    except ApplicationError as error:  # the service names a check by its id; the API by its place in the list
        error.fields = {_check_field(name, positions): messages for name, messages in error.fields.items()}
        raise
    return _walk_around(visit_id)


def _check_field(name: str, positions: dict[int, int]) -> str:
    prefix, _dot, rest = name.partition(".")
    if prefix == "checks" and rest.isdigit() and int(rest) in positions:
        return f"checks.{positions[int(rest)]}.rating"
    return name


class DamageIn(InputSchema):
    kind: Literal["scratch", "dent", "crack", "chip", "missing", "leak"]
    x: int = Field(ge=0, le=1000, description="Across the diagram, in thousandths of its width.")
    y: int = Field(ge=0, le=1000, description="Down the diagram, in thousandths of its height.")
    note: str = Field(default="", max_length=200)


@router.post("/visits/{id:visit_id}/walk-around/damages", response={201: DamageOut, **STATE_ERRORS})
@operation("visits.receive")
def walk_around_damage_add(
    request: HttpRequest, visit_id: int, payload: Form[DamageIn], photo: File[UploadedFile | None] = None
) -> Status[dict[str, Any]]:
    """Mark a damage on the diagram, with its photo if taken (a JPEG or PNG; another file is refused)."""
    mark = services.damage_add(
        actor=request_user(request),
        visit_id=visit_id,
        kind=payload.kind,
        x=payload.x,
        y=payload.y,
        note=payload.note,
        photo=photo,
    )
    return Status(
        201, {"id": mark.pk, "kind": mark.kind, "x": mark.x, "y": mark.y, "note": mark.note, "photo": mark.photo_id}
    )


@router.delete("/visits/{id:visit_id}/walk-around/damages/{id:mark_id}", response={204: None, **STATE_ERRORS})
@operation("visits.receive")
def walk_around_damage_remove(request: HttpRequest, visit_id: int, mark_id: int) -> Status[None]:
    """Remove a damage mark (and its photo)."""
    services.damage_remove(actor=request_user(request), visit_id=visit_id, mark_id=mark_id)
    return Status(204, None)


class WalkAroundCompleteIn(InputSchema):
    signature: str = SIGNATURE
    signer_name: str = Field(max_length=60, description="Who signs: the customer or their driver.")


@router.post("/visits/{id:visit_id}/walk-around/complete", response={200: WalkAroundOut, **STATE_ERRORS})
@operation("visits.receive")
def walk_around_complete(request: HttpRequest, visit_id: int, payload: WalkAroundCompleteIn) -> dict[str, Any]:
    """Close the walk-around with the customer's signature: every check rated, the four wheels measured,
    the covers fitted; what is missing is named."""
    services.walk_around_complete(
        actor=request_user(request), visit_id=visit_id, signature=payload.signature, signer_name=payload.signer_name
    )
    return _walk_around(visit_id)


# --- diagnosis ------------------------------------------------------------------------------------------


class DiagnosisIn(InputSchema):
    symptoms: str = Field(default="", max_length=4000, json_schema_extra=inputs.MULTILINE)
    cause_analysis: str = Field(default="", max_length=4000, json_schema_extra=inputs.MULTILINE)
    pre_repair_record: str = Field(
        default="",
        max_length=8000,
        json_schema_extra=inputs.MULTILINE,
        description="The pre-repair diagnosis record the law's repair archive keeps for assembly and major repairs.",
    )
    equipment: str = Field(default="", max_length=100, description="The diagnostic equipment used.")
    codes: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list,
        max_length=30,
        description="Fault codes as SAE J2012 writes them (P0301, P0301-00); each wrong one named as codes.N.",
    )


@router.put("/visits/{id:visit_id}/diagnosis", response={200: DiagnosisOut, **STATE_ERRORS})
@operation("visits.diagnose")
def diagnosis_put(request: HttpRequest, visit_id: int, payload: DiagnosisIn) -> dict[str, Any]:
    """Record the diagnosis (its fault codes replace those recorded before); nothing is saved on an error."""
    diagnosis = services.diagnosis_save(
        actor=request_user(request),
        visit_id=visit_id,
        data=services.DiagnosisIn(
            symptoms=payload.symptoms,
            cause_analysis=payload.cause_analysis,
            pre_repair_record=payload.pre_repair_record,
            equipment=payload.equipment,
            codes=list(payload.codes),
        ),
    )
    row = diagnosis_detail(visit_id) or diagnosis
    return diagnosis_out(row, row.visit.store)


class RecommendationIn(InputSchema):
    operation: RecordId = Field(description="The catalogue's labour operation.")
    source: Literal["walk_around", "diagnosis"] = "diagnosis"
    note: str = Field(default="", max_length=200)
    fault_code: str = Field(default="", max_length=20)
    symptom: str = Field(default="", max_length=200)
    causal_part: RecordId | None = Field(default=None, description="The part that caused the fault.")


@router.post("/visits/{id:visit_id}/recommendations", response={201: RecommendationOut, **STATE_ERRORS})
@operation("visits.diagnose")
def recommendation_create(request: HttpRequest, visit_id: int, payload: RecommendationIn) -> Status[dict[str, Any]]:
    """Recommend work found at the walk-around or in the diagnosis: proposed on the order when it is signed."""
    row = services.recommendation_add(
        actor=request_user(request),
        visit_id=visit_id,
        data=services.RecommendationIn(
            operation_id=payload.operation,
            source=payload.source,
            note=payload.note,
            fault_code=payload.fault_code,
            symptom=payload.symptom,
            causal_part_id=payload.causal_part,
        ),
    )
    row = Recommendation.objects.select_related("operation", "visit__store").get(pk=row.pk)
    return Status(201, recommendation_out(row, row.visit.store))


@router.delete("/visits/{id:visit_id}/recommendations/{id:recommendation_id}", response={204: None, **STATE_ERRORS})
@operation("visits.diagnose")
def recommendation_delete(request: HttpRequest, visit_id: int, recommendation_id: int) -> Status[None]:
    """Withdraw a recommendation not on an order yet."""
    services.recommendation_remove(actor=request_user(request), visit_id=visit_id, recommendation_id=recommendation_id)
    return Status(204, None)
