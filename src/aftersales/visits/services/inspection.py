"""The walk-around with the customer (RCP-2) and the diagnosis (RCP-3): damage on the diagram with
photos, glass, tyres, valuables, covers, the store's checklist; symptoms, cause analysis, fault codes,
the pre-repair diagnosis record and the work recommended from what was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.catalogue.models import LabourOperation
from aftersales.core.errors import ApplicationError
from aftersales.core.media import PHOTOS, media_attach, media_delete, media_upload
from aftersales.core.models import MediaFile, Store, User
from aftersales.messaging.services import canonical_hash, signature_store
from aftersales.parts.models import Part
from aftersales.visits.faultcodes import fault_code_parse
from aftersales.visits.models import (
    ChecklistItem,
    CheckResult,
    DamageMark,
    Diagnosis,
    FaultCode,
    Rating,
    Recommendation,
    TyreReading,
    Visit,
    WalkAround,
)
from aftersales.visits.services.visits import visit_access, visit_event

MEDIA_AREA = "visits"
MAX_CODES = 30
WHEELS = ("fl", "fr", "rl", "rr")


def _on_site(actor: User, visit_id: int, permission: str = "visits.receive") -> Visit:
    visit = visit_access(actor=actor, visit_id=visit_id, permission=permission, for_update=True)
    if visit.state != Visit.State.ON_SITE:
        raise ApplicationError(_("This car has left: its visit is closed."), code="not_allowed", status=409)
    return visit


def walk_around_of(visit: Visit, *, changing: bool = False) -> WalkAround:
    """The visit's walk-around (made on first use); refused (409) when ``changing`` one the customer signed."""
    walk, _created = WalkAround.objects.get_or_create(visit=visit, defaults={"store_id": visit.store_id})
    if changing and walk.completed_at is not None:
        raise ApplicationError(
            _("The customer signed the walk-around: it cannot change any more."), code="not_allowed", status=409
        )
    return walk


def checklist_of(store_id: int) -> list[ChecklistItem]:
    """The store's active checks in order (the default list installed on first use)."""
    if not ChecklistItem.objects.filter(store_id=store_id).exists():
        checklist_install(Store.all_objects.get(pk=store_id))
    return list(ChecklistItem.objects.filter(store_id=store_id, is_active=True).order_by("position", "pk"))


@dataclass
class WalkAroundIn:
    covers_fitted: bool = False
    glass_ok: bool = True
    glass_note: str = ""
    valuables: str = ""
    notes: str = ""
    tyres: dict[str, str] = field(default_factory=dict)  # wheel -> tread depth in mm as typed ("" to clear)
    checks: dict[int, tuple[str, str]] = field(default_factory=dict)  # checklist item -> (rating, note)


def _tread(text: str) -> Decimal | None:
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > 20 or value != value.quantize(Decimal("0.1")):
        return None
    return value


def walk_around_save(*, actor: User, visit_id: int, data: WalkAroundIn) -> WalkAround:
    """Record the walk-around as it goes (``visits.receive``): each call saves what it is given; a wrong
    field is named and nothing is saved."""
    with transaction.atomic():
        visit = _on_site(actor, visit_id)
        walk = walk_around_of(visit, changing=True)
        items = {item.pk: item for item in checklist_of(visit.store_id)}
        errors: dict[str, list[str]] = {}
        treads: dict[str, Decimal | None] = {}
        for wheel, text in data.tyres.items():
            if wheel not in TyreReading.Position.values:
                errors[f"tyres.{wheel}"] = [_("Unknown wheel.")]
            elif str(text).strip() == "":
                treads[wheel] = None
            elif (tread := _tread(text)) is None:
                errors[f"tyres.{wheel}"] = [_("Enter the tread depth in mm, from 0 to 20, e.g. 4.5.")]
            else:
                treads[wheel] = tread
        for item_id, (rating, _note) in data.checks.items():
            if item_id not in items:
                errors[f"checks.{item_id}"] = [_("Unknown check.")]
            elif rating not in Rating.values:
                errors[f"checks.{item_id}"] = [_("Rate it green, amber or red.")]
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        walk.covers_fitted, walk.glass_ok = data.covers_fitted, data.glass_ok
        walk.glass_note, walk.valuables = data.glass_note.strip()[:200], data.valuables.strip()[:300]
        walk.notes = data.notes.strip()[:500]
        walk.save()
        for wheel, tread in treads.items():
            if tread is None:
                TyreReading.objects.filter(walk_around=walk, position=wheel).delete()
            else:
                TyreReading.objects.update_or_create(walk_around=walk, position=wheel, defaults={"tread_mm": tread})
        for item_id, (rating, note) in data.checks.items():
            CheckResult.objects.update_or_create(
                walk_around=walk, item_id=item_id, defaults={"rating": rating, "note": note.strip()[:200]}
            )
        visit_event(visit, actor=actor, action="walk_around")
    return walk


def _photo(photo: UploadedFile, owner_type: str, visit: Visit, actor: User):  # type: ignore[no-untyped-def]
    return media_upload(photo, accept=PHOTOS, owner_type=owner_type, area=MEDIA_AREA, store=visit.store, actor=actor)


def damage_add(
    *, actor: User, visit_id: int, kind: str, x: int, y: int, note: str = "", photo: UploadedFile | None = None
) -> DamageMark:
    """Mark a damage on the diagram, with a photo if taken (a file that is not a JPEG or PNG photo is
    refused, nothing kept)."""
    errors: dict[str, list[str]] = {}
    if kind not in DamageMark.Kind.values:
        errors["kind"] = [_("Choose one of the listed values.")]
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value <= 1000:
            errors[name] = [_("Mark a point on the diagram.")]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        visit = _on_site(actor, visit_id)
        walk = walk_around_of(visit, changing=True)
        if photo is None:
            return DamageMark.objects.create(
                walk_around=walk, kind=kind, x=x, y=y, note=note.strip()[:200], created_by=actor
            )
        with _photo(photo, DamageMark.OWNER_TYPE, visit, actor) as media:
            mark = DamageMark.objects.create(
                walk_around=walk, kind=kind, x=x, y=y, note=note.strip()[:200], photo=media, created_by=actor
            )
            media_attach(media, mark.pk)
    return mark


def damage_remove(*, actor: User, visit_id: int, mark_id: int) -> None:
    with transaction.atomic():
        visit = _on_site(actor, visit_id)
        walk_around_of(visit, changing=True)
        mark = DamageMark.objects.filter(pk=mark_id, walk_around__visit=visit).select_related("photo").first()
        if mark is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        photo = mark.photo
        mark.delete()
        if photo is not None:
            media_delete(photo)


def check_photo_add(*, actor: User, visit_id: int, item_id: int, photo: UploadedFile) -> CheckResult:
    """Add (or replace) the photo of a rated check."""
    with transaction.atomic():
        visit = _on_site(actor, visit_id)
        walk_around_of(visit, changing=True)
        result = CheckResult.objects.filter(walk_around__visit=visit, item_id=item_id).select_related("photo").first()
        if result is None:
            raise ApplicationError(_("Rate the check first."), field="item", status=422)
        old: MediaFile | None = result.photo
        with _photo(photo, CheckResult.OWNER_TYPE, visit, actor) as media:
            result.photo = media
            result.save(update_fields=["photo"])
            media_attach(media, result.pk)
        if old is not None:
            media_delete(old)
    return result


def walk_around_snapshot(walk: WalkAround) -> dict[str, object]:
    """What the customer confirms when signing the walk-around."""
    return {
        "visit": walk.visit_id,
        "covers_fitted": walk.covers_fitted,
        "glass": [walk.glass_ok, walk.glass_note],
        "valuables": walk.valuables,
        "damages": [[m.kind, m.x, m.y, m.note] for m in walk.damages.order_by("pk")],
        "tyres": {t.position: str(t.tread_mm) for t in walk.tyres.all()},
        "checks": {str(c.item_id): [c.rating, c.note] for c in walk.checks.order_by("item_id")},
    }


def walk_around_complete(*, actor: User, visit_id: int, signature: str, signer_name: str) -> WalkAround:
    """Close the walk-around with the customer's signature on the tablet: every check of the store's
    list rated, the four wheels measured, the covers fitted in front of the customer."""
    with transaction.atomic():
        visit = _on_site(actor, visit_id)
        walk = walk_around_of(visit, changing=True)
        errors: dict[str, list[str]] = {}
        rated = set(walk.checks.values_list("item_id", flat=True))
        missing = [item.name for item in checklist_of(visit.store_id) if item.pk not in rated]
        if missing:
            errors["checks"] = [_("Rate every check: %(checks)s.") % {"checks": "、".join(missing)}]
        measured = set(walk.tyres.values_list("position", flat=True))
        if not set(WHEELS) <= measured:
            errors["tyres"] = [_("Measure the tread of the four wheels.")]
        if not walk.covers_fitted:
            errors["covers_fitted"] = [_("Fit the seat, steering wheel and floor covers in front of the customer.")]
        if not signer_name.strip():
            errors["signer_name"] = [_("Enter who signs.")]
        if errors:
            raise ApplicationError(_("The walk-around is not complete."), fields=errors, status=422)
        snapshot_hash = canonical_hash(walk_around_snapshot(walk))
        walk.signature = signature_store(
            data_url=signature,
            store=visit.store,
            signer_type="customer",
            signer_name=signer_name.strip(),
            user=actor,
            object_type="visits.visit",
            object_id=visit.pk,
            what="walk_around",
            snapshot_hash=snapshot_hash,
        )
        walk.completed_at, walk.completed_by = timezone.now(), actor
        walk.save()
        visit_event(visit, actor=actor, action="walk_around_done")
    return walk


# --- diagnosis ------------------------------------------------------------------------------------------


@dataclass
class DiagnosisIn:
    symptoms: str = ""
    cause_analysis: str = ""
    pre_repair_record: str = ""
    equipment: str = ""
    codes: list[str] = field(default_factory=list)


def diagnosis_save(*, actor: User, visit_id: int, data: DiagnosisIn) -> Diagnosis:
    """Record the diagnosis (``visits.diagnose``): fault codes in SAE J2012 form (each wrong one named,
    nothing saved), the manufacturer's codes accepted and flagged."""
    errors: dict[str, list[str]] = {}
    parsed = []
    if len(data.codes) > MAX_CODES:
        errors["codes"] = [_("At most %(n)s fault codes.") % {"n": MAX_CODES}]
    for index, text in enumerate(data.codes[:MAX_CODES]):
        try:
            parsed.append(fault_code_parse(text))
        except ValueError as error:
            errors[f"codes.{index}"] = [str(error)]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        visit = _on_site(actor, visit_id, "visits.diagnose")
        diagnosis, _created = Diagnosis.objects.get_or_create(visit=visit, defaults={"store_id": visit.store_id})
        diagnosis.symptoms = data.symptoms.strip()[:4000]
        diagnosis.cause_analysis = data.cause_analysis.strip()[:4000]
        diagnosis.pre_repair_record = data.pre_repair_record.strip()[:8000]
        diagnosis.equipment = data.equipment.strip()[:100]
        diagnosis.diagnosed_by, diagnosis.diagnosed_at = actor, timezone.now()
        diagnosis.save()
        diagnosis.codes.all().delete()
        unique = list({code.text: code for code in parsed}.values())
        FaultCode.objects.bulk_create(
            FaultCode(diagnosis=diagnosis, code=c.code, failure_type=c.failure_type, brand_specific=c.brand_specific)
            for c in unique
        )
        visit_event(visit, actor=actor, action="diagnosis", note=" ".join(c.text for c in unique))
    return diagnosis


@dataclass
class RecommendationIn:
    operation_id: int
    source: str = Recommendation.Source.DIAGNOSIS
    note: str = ""
    fault_code: str = ""
    symptom: str = ""
    causal_part_id: int | None = None


def recommendation_problems(
    *,
    group_id: int,
    operation_id: int | None,
    fault_code: str,
    causal_part_id: int | None,
    errors: dict[str, list[str]],
) -> tuple[LabourOperation | None, str, Part | None]:
    """Check the catalogue operation, the fault code (normalised) and the causal part of recommended work."""
    operation = (
        LabourOperation.objects.filter(pk=operation_id, group_id=group_id, is_active=True).first()
        if operation_id
        else None
    )
    if operation is None:
        errors["operation"] = [_("Choose a labour operation of the catalogue.")]
    code = ""
    if fault_code.strip():
        try:
            code = fault_code_parse(fault_code).text
        except ValueError as error:
            errors["fault_code"] = [str(error)]
    part = None
    if causal_part_id is not None:
        part = Part.objects.filter(pk=causal_part_id, group_id=group_id).first()
        if part is None:
            errors["causal_part"] = [_("Unknown part.")]
    return operation, code, part


def recommendation_add(*, actor: User, visit_id: int, data: RecommendationIn) -> Recommendation:
    """Recommend work found at the walk-around or in the diagnosis; it is proposed on the order."""
    with transaction.atomic():
        visit = _on_site(actor, visit_id, "visits.diagnose")
        errors: dict[str, list[str]] = {}
        if data.source not in Recommendation.Source.values:
            errors["source"] = [_("Choose one of the listed values.")]
        operation, code, part = recommendation_problems(
            group_id=visit.store.group_id,
            operation_id=data.operation_id,
            fault_code=data.fault_code,
            causal_part_id=data.causal_part_id,
            errors=errors,
        )
        if errors or operation is None:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        recommendation = Recommendation.objects.create(
            visit=visit,
            source=data.source,
            operation=operation,
            note=data.note.strip()[:200],
            fault_code=code,
            symptom=data.symptom.strip()[:200],
            causal_part=part,
            created_by=actor,
        )
        visit_event(visit, actor=actor, action="recommend", note=operation.name if operation else "")
    return recommendation


def recommendation_remove(*, actor: User, visit_id: int, recommendation_id: int) -> None:
    with transaction.atomic():
        visit = _on_site(actor, visit_id, "visits.diagnose")
        deleted, _rows = Recommendation.objects.filter(pk=recommendation_id, visit=visit, line=None).delete()
        if not deleted:
            raise ApplicationError(_("Not found."), code="not_found", status=404)


# The store's walk-around checklist as installed (RCP-2; seed 000 §3.1: exterior, functional and
# safety checks); the store edits its own.
DEFAULT_CHECKLIST: list[tuple[str, str, str, str]] = [
    ("exterior", "body", "车身漆面", "Body and paint"),
    ("exterior", "wheels", "轮毂", "Wheels and rims"),
    ("exterior", "lamps", "灯罩", "Lamp covers"),
    ("functional", "engine", "发动机", "Engine"),
    ("functional", "gearbox", "变速箱", "Gearbox"),
    ("functional", "brakes", "制动", "Brakes"),
    ("functional", "steering", "转向", "Steering"),
    ("functional", "lights_outside", "外部灯光", "Lights outside"),
    ("functional", "lights_inside", "内部灯光", "Lights inside"),
    ("functional", "horn", "喇叭", "Horn"),
    ("functional", "wipers", "雨刮", "Wipers"),
    ("functional", "washers", "洗涤器", "Washers"),
    ("functional", "mirrors", "后视镜", "Mirrors"),
    ("functional", "audio", "音响", "Audio"),
    ("functional", "ac", "空调", "Air conditioning"),
    ("functional", "controls", "操纵装置", "Controls and switches"),
    ("safety", "safety_brakes", "制动系统", "Brake system"),
    ("safety", "suspension", "悬挂", "Suspension"),
    ("safety", "safety_steering", "转向系统", "Steering system"),
    ("safety", "tyres", "轮胎", "Tyres"),
]


def checklist_install(store: Store) -> int:
    """Give a store the default walk-around checklist, where it has none yet."""
    if ChecklistItem.objects.filter(store=store).exists():
        return 0
    ChecklistItem.objects.bulk_create(
        ChecklistItem(store=store, section=section, code=code, name=name, name_en=name_en, position=index)
        for index, (section, code, name, name_en) in enumerate(DEFAULT_CHECKLIST, start=1)
    )
    return len(DEFAULT_CHECKLIST)
