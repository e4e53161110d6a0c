"""The visits area's printed documents (SPEC RO-7, RCP-4): the signed repair order (维修委托书, part of the
repair archive 机动车维修管理规定 asks for), the estimate (维修估价单) and the inspection report (检查报告).

Each is an A4 Typst template under ``templates/visits/print/`` filled with JSON by ``core.pdf``; labels are
translated here, values are printed as recorded, and the customer's mobile number is masked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import Sum
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.catalogue.models import RepairCategory
from aftersales.catalogue.paytypes import PayType
from aftersales.core.calendar import StoreCalendar, store_calendar
from aftersales.core.identifiers import mask_mobile
from aftersales.core.media import media_storage
from aftersales.core.models import User
from aftersales.core.money import to_fen
from aftersales.core.pdf import pdf_render
from aftersales.core.templatetags.money import fen
from aftersales.messaging.models import Signature
from aftersales.parts.models import Reservation
from aftersales.parts.services import qty_text
from aftersales.visits.models import (
    ChecklistItem,
    CheckResult,
    Diagnosis,
    Line,
    Recommendation,
    RepairOrder,
    TyreReading,
    Visit,
    WalkAround,
)

PRINT_TEMPLATES = Path(__file__).parent / "templates" / "visits" / "print"
REPAIR_ORDER_PDF = PRINT_TEMPLATES / "repair_order.typ"
ESTIMATE_PDF = PRINT_TEMPLATES / "estimate.typ"
INSPECTION_PDF = PRINT_TEMPLATES / "inspection.typ"

# How long the prices of an estimate hold (parts prices and labour rates may change after that).
ESTIMATE_VALID_DAYS = 7
# Repair categories whose repair archive keeps a pre-repair diagnosis record (机动车维修管理规定).
PRE_REPAIR_RECORD_CATEGORIES = frozenset(
    {RepairCategory.SECOND_LEVEL, RepairCategory.ASSEMBLY, RepairCategory.WHOLE_VEHICLE}
)

L = Line.State
# Lines whose amount the customer (or payer) has agreed to: counted in the approved total.
AGREED = frozenset({L.APPROVED, L.DISPATCHED, L.IN_PROGRESS, L.DONE})
# Part lines whose availability an estimate shows: stock is still held (or wanted) for them.
AVAILABILITY_STATES = frozenset({L.PROPOSED, L.APPROVED})
STOCKED_KINDS = frozenset({Line.Kind.PART, Line.Kind.CONSUMABLE})
NONE = "—"


def _yuan(amount: Decimal) -> str:
    return fen(to_fen(amount))


def _text(value: str | None) -> str:
    return value.strip() if value and value.strip() else NONE


def _when(calendar: StoreCalendar, moment: datetime | None) -> str:
    return f"{calendar.local(moment):%Y-%m-%d %H:%M}" if moment is not None else NONE


def _person(user: User | None) -> str:
    return (user.full_name or user.username) if user is not None else NONE


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _printed_lines(order: RepairOrder) -> list[Line]:
    """The order's lines as printed: every line but the cancelled ones, in order."""
    return list(
        Line.all_objects.filter(order=order).exclude(state=L.CANCELLED).select_related("part").order_by("position")
    )


def _vehicle_facts(visit: Visit, mileage: int) -> list[list[str]]:
    vehicle = visit.vehicle
    return [
        [_("Plate"), vehicle.plate or NONE],
        [_("VIN"), vehicle.vin],
        [_("Model"), str(vehicle.model) if vehicle.model_id else NONE],
        [_("Mileage in"), _("%(km)s km") % {"km": mileage}],
    ]


def _customer_facts(visit: Visit) -> list[list[str]]:
    facts = [[_("Customer"), visit.customer.name]]
    if visit.contact_name and visit.contact_name != visit.customer.name:
        facts.append([_("Contact person"), visit.contact_name])
    facts.append([_("Mobile"), mask_mobile(visit.contact_mobile) if visit.contact_mobile else NONE])
    return facts


def _pay_type_totals(lines: Iterable[Line], columns: dict[str, frozenset[str]]) -> list[list[str]]:
    """One row per pay type present: its label and the sum of its lines in each column's states."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(columns, Decimal("0.00")))
    for line in lines:
        for column, states in columns.items():
            if line.state in states:
                sums[line.pay_type][column] += line.amount
    return [
        [str(PayType(pay_type).label), *(_yuan(sums[pay_type][column]) for column in columns)]
        for pay_type in PayType.values
        if pay_type in sums
    ]


def _signature_image(signature: Signature | None) -> bytes | None:
    """The PNG of a signature as kept by the media service; None when its file is gone."""
    if signature is None:
        return None
    media = signature.media
    try:
        with media_storage(media.area).open(media.storage_name) as handle:
            content: bytes = handle.read()
    except FileNotFoundError:
        return None
    return content


def _load_visit(visit_id: int) -> Visit:
    return Visit.all_objects.select_related("store__legal_entity", "customer", "vehicle__model", "advisor").get(
        pk=visit_id
    )


# --- the repair order -----------------------------------------------------------------------------------


def repair_order_data(order: RepairOrder) -> tuple[dict[str, Any], bytes | None]:
    """What the signed repair order prints, and the customer's signature image."""
    visit = _load_visit(order.visit_id)
    calendar = store_calendar(visit.store)
    lines = _printed_lines(order)
    approved = sum((line.amount for line in lines if line.state in AGREED), start=Decimal("0.00"))
    awaiting = sum((line.amount for line in lines if line.state == L.PROPOSED), start=Decimal("0.00"))
    found = {line.repair_category for line in lines if line.kind == Line.Kind.LABOUR}
    categories = [category for category in RepairCategory.values if category in found & PRE_REPAIR_RECORD_CATEGORIES]
    pre_repair = None
    if categories:
        diagnosis = Diagnosis.objects.filter(visit_id=visit.pk).first()
        pre_repair = {
            "title": _("Pre-repair diagnosis record (%(categories)s)")
            % {"categories": "、".join(str(RepairCategory(category).label) for category in categories)},
            "text": _text(diagnosis.pre_repair_record if diagnosis is not None else ""),
        }
    signature = Signature.objects.select_related("media").get(pk=order.signature_id)
    image = _signature_image(signature)
    data = {
        "facts": [
            [_("Repair order number"), order.number],
            [_("Visit number"), visit.number],
            *_customer_facts(visit),
            *_vehicle_facts(visit, order.mileage_in),
            [_("Fuel level"), f"{visit.fuel_level}/8"],
            [_("Arrived at"), _when(calendar, visit.arrived_at)],
            [_("Promised for"), _when(calendar, visit.promised_at)],
            [_("Service advisor"), _person(order.advisor)],
        ],
        "headings": {
            "statement": _("Customer statement"),
            "lines": _("Work and parts"),
            "pay_types": _("By pay type"),
            "agreements": _("Agreements"),
            "signature": _("Customer signature"),
        },
        "statement": _text(order.customer_statement),
        "columns": [
            _("No."), _("Kind"), _("Item"), _("Pay type"), _("Quantity"), _("Unit price (yuan)"),
            _("Amount (yuan)"), _("State"),
        ],
        "rows": [
            [
                str(line.position), line.get_kind_display(), line.description, line.get_pay_type_display(),
                qty_text(line.quantity), _yuan(line.unit_price), _yuan(line.amount), line.get_state_display(),
            ]
            for line in lines
        ],
        "declined": [index for index, line in enumerate(lines) if line.state == L.DECLINED],
        "declined_note": _("Declined lines are not counted in the totals.") if any(
            line.state == L.DECLINED for line in lines
        ) else "",
        "totals": [
            [_("Approved total (yuan)"), _yuan(approved)],
            [_("Awaiting approval (yuan)"), _yuan(awaiting)],
        ],
        "pay_type_columns": [_("Pay type"), _("Approved (yuan)"), _("Awaiting approval (yuan)")],
        "pay_types": _pay_type_totals(lines, {"approved": AGREED, "awaiting": frozenset({L.PROPOSED})}),
        "agreements": [
            [_("Road test"), _("Agreed") if order.road_test_consent else _("Not agreed")],
            [_("Old parts"), order.get_old_parts_display()],
            [_("Valuables left in the car"), _text(order.valuables)],
        ],
        "pre_repair": pre_repair,
        "consent": _(
            "The customer has read the work and prices above and entrusts the store with the approved work; "
            "work awaiting approval is only done once approved."
        ),
        "signed": [
            [_("Signed by"), order.signed_name],
            [_("Signed at"), _when(calendar, order.signed_at)],
        ],
        "signature_missing": "" if image is not None else _("The signature image is not available."),
    }  # fmt: skip
    return data, image


def repair_order_pdf(order: RepairOrder, *, printed_by: str = "") -> bytes:
    """The signed repair order (维修委托书) with the customer's signature, as a PDF."""
    data, image = repair_order_data(order)
    return pdf_render(
        REPAIR_ORDER_PDF,
        data,
        title=_("Repair order agreement"),
        store=order.store,
        printed_by=printed_by,
        qr=order.number,
        images={"signature": image} if image is not None else None,
    )


# --- the estimate ---------------------------------------------------------------------------------------


def _reserved(order: RepairOrder) -> dict[int, Decimal]:
    """Stock held for each line of ``order``, by line."""
    rows = (
        Reservation.all_objects.filter(
            store_id=order.store_id, demand_type=Reservation.DemandType.REPAIR_ORDER, demand_id=order.pk
        )
        .values("demand_line_id")
        .annotate(quantity=Sum("quantity"))
    )
    return {row["demand_line_id"]: row["quantity"] for row in rows if row["demand_line_id"] is not None}


def _availability(line: Line, reserved: dict[int, Decimal]) -> str:
    if line.kind not in STOCKED_KINDS or line.part_id is None or line.state not in AVAILABILITY_STATES:
        return ""
    held = reserved.get(line.pk, Decimal(0))
    if held >= line.quantity:
        return _("In stock")
    return _("To order %(quantity)s") % {"quantity": qty_text(line.quantity - held)}


def estimate_data(order: RepairOrder) -> dict[str, Any]:
    """What the estimate prints: the order's lines not declined, with net, tax and availability."""
    visit = _load_visit(order.visit_id)
    calendar = store_calendar(visit.store)
    lines = [line for line in _printed_lines(order) if line.state != L.DECLINED]
    reserved = _reserved(order)
    amount = sum((line.amount for line in lines), start=Decimal("0.00"))
    net = sum((line.net for line in lines), start=Decimal("0.00"))
    tax = sum((line.tax for line in lines), start=Decimal("0.00"))
    today = calendar.local_date(timezone.now())
    return {
        "facts": [
            [_("Repair order number"), order.number],
            [_("Visit number"), visit.number],
            *_customer_facts(visit),
            *_vehicle_facts(visit, visit.mileage_in),
            [_("Promised for"), _when(calendar, visit.promised_at)],
            [_("Service advisor"), _person(order.advisor)],
        ],
        "columns": [
            _("No."), _("Item"), _("Pay type"), _("Quantity"), _("Unit price (yuan)"), _("Amount (yuan)"),
            _("Net (yuan)"), _("Tax (yuan)"), _("Availability"),
        ],
        "rows": [
            [
                str(line.position), line.description, line.get_pay_type_display(), qty_text(line.quantity),
                _yuan(line.unit_price), _yuan(line.amount), _yuan(line.net), _yuan(line.tax),
                _availability(line, reserved),
            ]
            for line in lines
        ],
        "total_label": _("Total"),
        "totals": [_yuan(amount), _yuan(net), _yuan(tax)],
        "pay_types_heading": _("By pay type"),
        "pay_type_columns": [_("Pay type"), _("Amount (yuan)")],
        "pay_types": _pay_type_totals(lines, {"amount": frozenset(L.values)}),
        "notes": [
            _("Prices include VAT. This estimate is valid until %(date)s.")
            % {"date": (today + timedelta(days=ESTIMATE_VALID_DAYS)).isoformat()},
            _("Parts to order arrive before the work starts; the promised time assumes they arrive in time."),
            _("Work found during the repair is only done once you approve it."),
        ],
    }  # fmt: skip


def estimate_pdf(order: RepairOrder, *, printed_by: str = "") -> bytes:
    """The estimate (维修估价单) of an order's work, as a PDF."""
    return pdf_render(
        ESTIMATE_PDF,
        estimate_data(order),
        title=_("Repair estimate"),
        store=order.store,
        printed_by=printed_by,
        qr=order.number,
    )


# --- the inspection report ------------------------------------------------------------------------------


def _walk_around_data(walk: WalkAround | None, calendar: StoreCalendar) -> dict[str, Any] | None:
    if walk is None:
        return None
    glass = _("Without damage") if walk.glass_ok else _("Damaged")
    if walk.glass_note:
        glass = f"{glass}：{walk.glass_note}"
    tyres = {tyre.position: tyre for tyre in TyreReading.objects.filter(walk_around=walk)}
    results = list(CheckResult.objects.filter(walk_around=walk).select_related("item"))
    sections = []
    for section, label in ChecklistItem.Section.choices:
        checks = sorted(
            (result for result in results if result.item.section == section),
            key=lambda result: (result.item.position, result.item.pk),
        )
        if checks:
            sections.append(
                {
                    "title": str(label),
                    "rows": [[result.item.name, result.get_rating_display(), result.note or ""] for result in checks],
                    "ratings": [result.rating for result in checks],
                }
            )
    return {
        "facts": [
            [_("Protective covers fitted"), _yes_no(walk.covers_fitted)],
            [_("Glass"), glass],
            [_("Valuables left in the car"), _text(walk.valuables)],
            [_("Walk-around completed"), _when(calendar, walk.completed_at)],
            *([[_("Remarks"), walk.notes]] if walk.notes else []),
        ],
        "damages": [
            [str(index), mark.get_kind_display(), mark.note or NONE]
            for index, mark in enumerate(walk.damages.order_by("pk"), start=1)
        ],
        "tyres": [
            [str(label), _("%(mm)s mm") % {"mm": tyres[position].tread_mm} if position in tyres else NONE]
            for position, label in TyreReading.Position.choices
            if position in tyres or position != TyreReading.Position.SPARE
        ],
        "sections": sections,
    }


def _diagnosis_data(diagnosis: Diagnosis | None, calendar: StoreCalendar) -> dict[str, Any] | None:
    if diagnosis is None:
        return None
    return {
        "facts": [
            [_("Diagnosed by"), _person(diagnosis.diagnosed_by)],
            [_("Diagnosed at"), _when(calendar, diagnosis.diagnosed_at)],
            [_("Equipment used"), _text(diagnosis.equipment)],
        ],
        "symptoms": _text(diagnosis.symptoms),
        "cause": _text(diagnosis.cause_analysis),
        "codes": [
            [code.text, code.description or NONE, _("Manufacturer-specific") if code.brand_specific else ""]
            for code in diagnosis.codes.order_by("pk")
        ],
    }


def inspection_report_data(visit: Visit) -> tuple[dict[str, Any], bytes | None]:
    """What the inspection report prints, and the customer's walk-around signature image."""
    visit = _load_visit(visit.pk)
    calendar = store_calendar(visit.store)
    walk = WalkAround.objects.filter(visit=visit).select_related("completed_by", "signature__media").first()
    diagnosis = Diagnosis.objects.filter(visit=visit).select_related("diagnosed_by").first()
    recommendations = Recommendation.objects.filter(visit=visit).select_related("operation").order_by("pk")
    image = _signature_image(walk.signature if walk is not None else None)
    data = {
        "facts": [
            [_("Visit number"), visit.number],
            [_("Arrived at"), _when(calendar, visit.arrived_at)],
            *_customer_facts(visit),
            *_vehicle_facts(visit, visit.mileage_in),
            [_("Fuel level"), f"{visit.fuel_level}/8"],
            [_("Service advisor"), _person(visit.advisor)],
        ],
        "headings": {
            "walk_around": _("Walk-around"),
            "damages": _("Damage"),
            "tyres": _("Tyre tread depth"),
            "checks": _("Checklist"),
            "diagnosis": _("Diagnosis"),
            "symptoms": _("Symptoms"),
            "cause": _("Cause analysis"),
            "codes": _("Fault codes"),
            "recommendations": _("Recommended work"),
            "signature": _("Customer signature"),
            "none": _("None"),
            "not_recorded": _("Not recorded."),
        },
        "damage_columns": [_("No."), _("Kind"), _("Remarks")],
        "tyre_columns": [_("Wheel"), _("Tread depth")],
        "check_columns": [_("Check"), _("Rating"), _("Remarks")],
        "code_columns": [_("Fault code"), _("Description"), ""],
        "recommendation_columns": [_("No."), _("Work"), _("Found in"), _("Fault code"), _("Remarks")],
        "walk_around": _walk_around_data(walk, calendar),
        "diagnosis": _diagnosis_data(diagnosis, calendar),
        "recommendations": [
            [
                str(index), rec.operation.name, rec.get_source_display(), rec.fault_code or NONE,
                rec.note or rec.symptom or NONE,
            ]
            for index, rec in enumerate(recommendations, start=1)
        ],
        "signed": (
            [
                [_("Signed by"), walk.signature.signer_name],
                [_("Signed at"), _when(calendar, walk.signature.signed_at)],
            ]
            if walk is not None and walk.signature is not None
            else []
        ),
        "signed_note": _("The customer confirmed the walk-around above."),
    }  # fmt: skip
    return data, image


def inspection_report_pdf(visit: Visit, *, printed_by: str = "") -> bytes:
    """The inspection report (检查报告) of a visit: walk-around, diagnosis and recommended work, as a PDF."""
    data, image = inspection_report_data(visit)
    return pdf_render(
        INSPECTION_PDF,
        data,
        title=_("Inspection report"),
        store=visit.store,
        printed_by=printed_by,
        qr=visit.number,
        images={"signature": image} if image is not None else None,
    )


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A printed document shown in the browser."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
