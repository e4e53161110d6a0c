"""The quality area's printed documents (SPEC RO-7, QC-1, RO-8, LAW-1): the final inspection sheet (总检单),
the release certificate (机动车维修竣工出厂合格证), the delivery sheet (交车单) and the repair guarantee
card (质量保证卡).

Each is an A4 Typst template under ``templates/quality/print/`` filled with JSON by ``core.pdf``, made the
way the visits area's documents are (and with their helpers): labels are translated here, values are
printed as recorded, times are on the store's calendar and the customer's mobile number is masked.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from aftersales.catalogue.models import GUARANTEE, RepairCategory
from aftersales.core.calendar import StoreCalendar, store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.pdf import pdf_render
from aftersales.parts.services import qty_text
from aftersales.quality.models import (
    Delivery,
    FinalInspection,
    Guarantee,
    OldPartsOutcome,
    ReleaseCertificate,
    Rework,
)
from aftersales.quality.services.guarantees import guarantee_terms
from aftersales.visits.documents import (
    NONE,
    _customer_facts,
    _load_visit,
    _person,
    _signature_image,
    _text,
    _vehicle_facts,
    _when,
    _yes_no,
)
from aftersales.visits.models import Line, Rating, RepairOrder, Visit

PRINT_TEMPLATES = Path(__file__).parent / "templates" / "quality" / "print"
QC_SHEET_PDF = PRINT_TEMPLATES / "qc_sheet.typ"
CERTIFICATE_PDF = PRINT_TEMPLATES / "certificate.typ"
DELIVERY_SHEET_PDF = PRINT_TEMPLATES / "delivery_sheet.typ"
GUARANTEE_CARD_PDF = PRINT_TEMPLATES / "guarantee_card.typ"

L = Line.State
PARTS_FITTED = (Line.Kind.PART, Line.Kind.CONSUMABLE)
OK_MARK = "✓"
FAILED_MARK = "✗"
STAR, NO_STAR = "★", "☆"
RATING_MAX = 5
# The repair categories of 机动车维修管理规定 grouped as its guarantee article states them.
STATUTE_GROUPS = (
    (RepairCategory.WHOLE_VEHICLE, RepairCategory.ASSEMBLY),
    (RepairCategory.SECOND_LEVEL,),
    (RepairCategory.FIRST_LEVEL, RepairCategory.MINOR, RepairCategory.SPECIAL),
)


def _category(value: str) -> str:
    return str(RepairCategory(value).label) if value in RepairCategory.values else NONE


def _km(value: int | None) -> str:
    return _("%(km)s km") % {"km": value} if value is not None else NONE


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else NONE


def _local_day(calendar: StoreCalendar, moment: datetime | None) -> str:
    return calendar.local_date(moment).isoformat() if moment is not None else NONE


def _done_lines(orders: list[RepairOrder], kinds: tuple[str, ...]) -> list[Line]:
    """The done lines of ``kinds`` of the orders, order by order, in position."""
    return list(
        Line.all_objects.filter(order__in=orders, kind__in=kinds, state=L.DONE)
        .select_related("part")
        .order_by("order_id", "position")
    )


def _term(days: int, km: int) -> str:
    return _("%(days)d days or %(km)s km, whichever is reached first") % {"days": days, "km": km}


def _statute() -> list[str]:
    """The law's minimum guarantee per group of repair categories, from ``catalogue.models.GUARANTEE``."""
    rows = []
    for group in STATUTE_GROUPS:
        days, km = GUARANTEE[group[0]]
        names = "、".join(str(RepairCategory(category).label) for category in group)
        rows.append(f"{names}：{_term(days, km)}")
    return rows


# --- the final inspection sheet -------------------------------------------------------------------------


def _rework_worker(rework: Rework) -> str:
    if rework.technician is not None:
        return _person(rework.technician)
    return rework.team.name if rework.team is not None else NONE


def qc_sheet_data(order: RepairOrder, inspection: FinalInspection) -> tuple[dict[str, Any], bytes | None]:
    """What the final inspection sheet prints, and the inspector's signature image (of the certificate)."""
    visit = _load_visit(order.visit_id)
    calendar = store_calendar(visit.store)
    attempts = list(FinalInspection.objects.filter(order_id=order.pk).order_by("at", "pk").values_list("pk", flat=True))
    certificate = (
        ReleaseCertificate.objects.filter(inspection_id=inspection.pk).select_related("signature__media").first()
    )
    reworks = list(
        Rework.objects.filter(inspection_id=inspection.pk)
        .select_related("line", "technician", "team")
        .order_by("line__position")
    )
    items = list(inspection.items)
    image = _signature_image(certificate.signature if certificate is not None else None)
    result = pgettext("final inspection", "Passed") if inspection.passed else pgettext("final inspection", "Failed")
    attempt = {"n": attempts.index(inspection.pk) + 1, "total": len(attempts)}
    outcome = [
        [_("Result"), result],
        *([[_("Release certificate"), certificate.number]] if certificate is not None else []),
        *([[_("Why it failed"), _text(inspection.reason)]] if not inspection.passed else []),
    ]
    data = {
        "facts": [
            [_("Repair order number"), order.number],
            [_("Visit number"), visit.number],
            *_customer_facts(visit),
            *_vehicle_facts(visit, order.mileage_in),
            [_("Service advisor"), _person(order.advisor)],
            [_("Inspection"), _("%(n)d of %(total)d") % attempt],
        ],
        "headings": {
            "checks": _("Checks"),
            "findings": _("Road test and advice"),
            "outcome": _("Outcome"),
            "reworks": _("Work sent back"),
            "inspector": _("Inspector"),
        },
        "check_columns": [_("Check"), _("Result"), _("Remarks")],
        "checks": [[item["check"], OK_MARK if item["ok"] else FAILED_MARK, item.get("note") or ""] for item in items],
        "failed": [index for index, item in enumerate(items) if not item["ok"]],
        "findings": [
            [_("Road test"), inspection.get_road_test_display()],
            [_("Fault verified gone"), _yes_no(inspection.fault_verified)],
        ],
        "advice": [
            [_("Repair advice"), _text(inspection.repair_advice)],
            [_("Driving advice"), _text(inspection.driving_advice)],
        ],
        "passed": inspection.passed,
        "outcome": outcome,
        "rework_columns": [_("No."), _("Work"), _("Technician")],
        "reworks": [[str(row.line.position), row.line.description, _rework_worker(row)] for row in reworks],
        "signed": [
            [_("Inspector"), _person(inspection.inspector)],
            [_("Inspected at"), _when(calendar, inspection.at)],
        ],
        "signature": image is not None,
    }
    return data, image


def qc_sheet_pdf(order: RepairOrder, inspection: FinalInspection, *, printed_by: str = "") -> bytes:
    """The final inspection sheet (总检单) of one inspection of an order, as a PDF."""
    data, image = qc_sheet_data(order, inspection)
    return pdf_render(
        QC_SHEET_PDF,
        data,
        title=_("Final inspection sheet"),
        store=order.store,
        printed_by=printed_by,
        qr=order.number,
        images={"signature": image} if image is not None else None,
    )


# --- the release certificate ----------------------------------------------------------------------------


def certificate_data(order: RepairOrder) -> tuple[dict[str, Any], bytes | None]:
    """What the release certificate prints, and the inspector's signature image; 404 without one."""
    certificate = (
        ReleaseCertificate.objects.filter(order_id=order.pk)
        .select_related("signed_by", "signature__media", "inspection")
        .first()
    )
    if certificate is None:
        raise ApplicationError(_("This order has no release certificate."), code="not_found", status=404)
    visit = _load_visit(order.visit_id)
    store = visit.store
    entity = store.legal_entity
    calendar = store_calendar(store)
    lines = _done_lines([order], (Line.Kind.LABOUR,))
    found = {line.repair_category for line in lines}
    categories = [category for category in RepairCategory.values if category in found]
    terms = guarantee_terms(order.store_id)
    delivery = Delivery.objects.filter(visit_id=visit.pk).first()
    image = _signature_image(certificate.signature)
    data = {
        "number": [_("Certificate number"), certificate.number],
        "source": certificate.get_source_display(),
        "facts": [
            [_("Repair business"), entity.name if entity is not None else store.name],
            [_("Repair filing number"), (entity.repair_filing_no if entity is not None else "") or NONE],
            [_("Repair order number"), order.number],
            [_("Customer"), visit.customer.name],
            *_vehicle_facts(visit, order.mileage_in),
            [_("Repair category"), "、".join(_category(category) for category in categories) or NONE],
            [_("Date in"), _local_day(calendar, visit.arrived_at)],
            # The car leaves with its certificate: the delivery day, and before it the day the repair was
            # completed and certified.
            [_("Date out"), _local_day(calendar, delivery.delivered_at if delivery else certificate.issued_at)],
        ],
        "headings": {
            "work": _("Work done"),
            "guarantee": _("Repair guarantee"),
            "inspector": _("Completion quality inspection"),
        },
        "work_columns": [_("No."), _("Work"), _("Repair category")],
        "work": [[str(line.position), line.description, _category(line.repair_category)] for line in lines],
        "statement": _(
            "The vehicle above has been repaired, has passed the completion quality inspection and is released."
        ),
        "signed": [
            [_("Quality inspector"), _person(certificate.signed_by)],
            [_("Inspected at"), _when(calendar, certificate.inspection.at)],
            [_("Issued at"), _when(calendar, certificate.issued_at)],
        ],
        "signature_missing": "" if image is not None else _("The signature image is not available."),
        "guarantee": [
            f"{_category(category)}：{_term(*terms.get(category, GUARANTEE[RepairCategory.MINOR]))}"
            for category in categories
        ],
        "guarantee_note": _(
            "Under 机动车维修管理规定 the repair guarantee runs from the day the vehicle leaves the workshop. "
            "Inside it, a vehicle that cannot be used normally because of the quality of this repair is "
            "repaired again free of charge; keep this certificate and show it."
        ),
    }
    return data, image


def certificate_pdf(order: RepairOrder, *, printed_by: str = "") -> bytes:
    """The release certificate (机动车维修竣工出厂合格证) of an order, as a PDF; 404 when it has none."""
    data, image = certificate_data(order)
    return pdf_render(
        CERTIFICATE_PDF,
        data,
        title=_("Motor vehicle repair completion and release certificate"),
        store=order.store,
        printed_by=printed_by,
        qr=data["number"][1],
        images={"signature": image} if image is not None else None,
    )


# --- the delivery sheet ---------------------------------------------------------------------------------


def _delivery_of(visit: Visit) -> Delivery:
    delivery = Delivery.objects.filter(visit_id=visit.pk).select_related("signature__media", "delivered_by").first()
    if delivery is None:
        raise ApplicationError(_("This car has not been delivered yet."), code="not_found", status=404)
    return delivery


def _live_orders(visit: Visit) -> list[RepairOrder]:
    return list(RepairOrder.all_objects.filter(visit=visit).exclude(state=RepairOrder.State.CANCELLED).order_by("pk"))


def _old_parts(outcome: str) -> str:
    return str(RepairOrder.OldParts(outcome).label) if outcome in RepairOrder.OldParts.values else outcome


def _rating(value: str) -> str:
    return str(Rating(value).label) if value in Rating.values else value


def _stars(rating: int | None) -> str:
    if rating is None:
        return _("Not rated")
    return f"{STAR * rating}{NO_STAR * (RATING_MAX - rating)} {rating}/{RATING_MAX}"


def _guarantees(visit: Visit) -> list[Guarantee]:
    return list(
        Guarantee.objects.filter(order__visit=visit)
        .select_related("order", "line")
        .order_by("order_id", "line__position")
    )


def _collector_facts(delivery: Delivery) -> list[list[str]]:
    facts = [
        [_("Collected by"), delivery.get_collector_display()],
        [_("Collector's name"), delivery.collector_name],
    ]
    if delivery.collector == Delivery.Collector.AGENT:
        # Stored masked (PIPL): printed as kept, with whether the ID card was checked against the name.
        facts.append([_("ID number"), delivery.collector_id_number or NONE])
        facts.append([_("ID checked"), _yes_no(delivery.id_checked)])
    return facts


def delivery_sheet_data(visit: Visit) -> tuple[dict[str, Any], bytes | None]:
    """What the delivery sheet prints, and the signature image of whoever collected the car."""
    visit = _load_visit(visit.pk)
    delivery = _delivery_of(visit)
    calendar = store_calendar(visit.store)
    orders = _live_orders(visit)
    labour = _done_lines(orders, (Line.Kind.LABOUR,))
    parts = _done_lines(orders, PARTS_FITTED)
    outcomes = dict(OldPartsOutcome.objects.filter(delivery=delivery).values_list("order_id", "outcome"))
    image = _signature_image(delivery.signature)
    data = {
        "facts": [
            [_("Visit number"), visit.number],
            [_("Arrived at"), _when(calendar, visit.arrived_at)],
            *_customer_facts(visit),
            *_vehicle_facts(visit, visit.mileage_in),
            [_("Mileage out"), _km(delivery.mileage_out)],
            [_("Service advisor"), _person(visit.advisor)],
            [_("Next service date"), _day(delivery.next_service_on)],
            [_("Next service at"), _km(delivery.next_service_km)],
        ],
        "advice": [[_("Driving advice"), _text(delivery.driving_advice)]],
        "headings": {
            "work": _("Work done"),
            "parts": _("Parts replaced"),
            "checks": _("Free check"),
            "guarantees": _("Repair guarantees"),
            "collected": _("Handed over"),
            "none": _("None"),
        },
        "work_columns": [_("No."), _("Work"), _("Repair category")],
        "part_columns": [_("No."), _("Part number"), _("Part"), _("Quantity")],
        "orders": [
            {
                "title": _("Repair order %(number)s") % {"number": order.number},
                "work": [
                    [str(line.position), line.description, _category(line.repair_category)]
                    for line in labour
                    if line.order_id == order.pk
                ],
                "parts": [
                    [
                        str(line.position),
                        line.part.number_display if line.part is not None else NONE,
                        line.description,
                        qty_text(line.quantity),
                    ]
                    for line in parts
                    if line.order_id == order.pk
                ],
                "old_parts": [[_("Old parts"), _old_parts(outcomes.get(order.pk, order.old_parts))]],
            }
            for order in orders
        ],
        "free_checks": [
            {
                "check": row["check"],
                "result": _rating(row["result"]),
                "rating": row["result"],
                "note": row.get("note") or "",
            }
            for row in delivery.free_checks
        ],
        "guarantee_columns": [
            _("Repair order"), _("No."), _("Work"), _("Repair category"), _("Valid to"), _("Valid to (km)"),
        ],
        "guarantees": [
            [
                row.order.number, str(row.line.position), row.line.description, _category(row.repair_category),
                _day(row.valid_to), _km(row.km_to),
            ]
            for row in _guarantees(visit)
        ],
        "guarantee_note": _("Each guarantee ends on its date or at its mileage, whichever is reached first."),
        "collected": [
            *_collector_facts(delivery),
            [_("Keys handed"), _yes_no(delivery.keys_handed)],
            [_("Arrived for pick-up"), _when(calendar, delivery.arrived_at)],
            [_("Waiting time at pick-up"), _("%(n)d min") % {"n": delivery.waiting_minutes}],
            [_("Delivered by"), _person(delivery.delivered_by)],
            [_("Delivered at"), _when(calendar, delivery.delivered_at)],
            [_("Satisfaction"), _stars(delivery.rating)],
            [_("Customer's comment"), _text(delivery.comment)],
        ],
        "consent": _(
            "I have received the car, its keys and the explanation of the work done, the check and the advice."
        ),
        "signed": [
            [_("Signed by"), delivery.signature.signer_name],
            [_("Signed at"), _when(calendar, delivery.signature.signed_at)],
        ],
        "signature_missing": "" if image is not None else _("The signature image is not available."),
    }  # fmt: skip
    return data, image


def delivery_sheet_pdf(visit: Visit, *, printed_by: str = "") -> bytes:
    """The delivery sheet (交车单) of a delivered visit, signed by whoever collected the car, as a PDF."""
    data, image = delivery_sheet_data(visit)
    return pdf_render(
        DELIVERY_SHEET_PDF,
        data,
        title=_("Delivery sheet"),
        store=visit.store,
        printed_by=printed_by,
        qr=visit.number,
        images={"signature": image} if image is not None else None,
    )


# --- the repair guarantee card --------------------------------------------------------------------------


def guarantee_card_data(visit: Visit) -> dict[str, Any]:
    """What the repair guarantee card prints: every guaranteed line of the visit and the law behind it."""
    visit = _load_visit(visit.pk)
    delivery = _delivery_of(visit)
    calendar = store_calendar(visit.store)
    return {
        "facts": [
            [_("Visit number"), visit.number],
            *_customer_facts(visit),
            *_vehicle_facts(visit, visit.mileage_in),
            [_("Delivery date"), _local_day(calendar, delivery.delivered_at)],
            [_("Mileage out"), _km(delivery.mileage_out)],
        ],
        "headings": {
            "lines": _("Guaranteed work"),
            "law": _("Legal basis"),
            "comeback": _("A fault inside the guarantee"),
            "none": _("None"),
        },
        "columns": [
            _("Repair order"), _("Work"), _("Repair category"), _("Days"), _("Distance"), _("Valid to"),
            _("Valid to (km)"),
        ],
        "rows": [
            [
                row.order.number, row.line.description, _category(row.repair_category), str(row.days),
                _km(row.km), _day(row.valid_to), _km(row.km_to),
            ]
            for row in _guarantees(visit)
        ],
        "first": _(
            "Each guarantee runs from the delivery date and the mileage out above and ends on its date or at its "
            "mileage, whichever is reached first."
        ),
        "law": _(
            "机动车维修管理规定 第三十八条 sets the least repair guarantee a repair business gives, whichever of "
            "the distance and the days is reached first:"
        ),
        "statute": _statute(),
        "law_more": _("A repair business may give a longer guarantee, never a shorter one; the terms above are ours."),
        "comeback": _(
            "If, inside the guarantee, the vehicle cannot be used normally because of the quality of the work above, "
            "we repair it again free of charge and without delay (返修). Bring the vehicle and this card to the "
            "store, or call us."
        ),
    }  # fmt: skip


def guarantee_card_pdf(visit: Visit, *, printed_by: str = "") -> bytes:
    """The repair guarantee card (质量保证卡) of a delivered visit, as a PDF."""
    return pdf_render(
        GUARANTEE_CARD_PDF,
        guarantee_card_data(visit),
        title=_("Repair guarantee card"),
        store=visit.store,
        printed_by=printed_by,
        qr=visit.number,
    )
