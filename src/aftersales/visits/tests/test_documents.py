"""The visits area's printed documents: the signed repair order, the estimate and the inspection report."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from aftersales.core.calendar import store_calendar
from aftersales.core.media import media_storage
from aftersales.visits.documents import estimate_pdf, inspection_report_pdf, pdf_response, repair_order_pdf
from aftersales.visits.models import ChecklistItem, Line, RepairOrder, Visit
from aftersales.visits.services import (
    ApprovalIn,
    Decision,
    DiagnosisIn,
    RecommendationIn,
    WalkAroundIn,
    approvals_record,
    damage_add,
    diagnosis_save,
    recommendation_add,
    repair_order_create,
    walk_around_complete,
    walk_around_save,
)
from aftersales.visits.tests.conftest import Reception, signature_png
from aftersales.visits.tests.test_orders import order_in


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    """The document's text without white space (extraction spaces Han characters and digits apart)."""
    return "".join(_pages(pdf))


def _lines(order: RepairOrder) -> list[Line]:
    return list(Line.all_objects.filter(order=order).order_by("position"))


@pytest.fixture
def order(reception: Reception, visit: Visit) -> RepairOrder:
    """Oil change (200.00) and filter (88.00) approved at signing, the filter reserved from the shelf; the
    front brake pads' labour (400.00, an assembly repair) and the pads (420.00, none on the shelf) proposed."""
    diagnosis_save(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=DiagnosisIn(
            symptoms="制动时前轮有异响",
            cause_analysis="前制动片磨损到极限",
            pre_repair_record="前制动片剩余厚度 2 mm，制动盘无沟槽",
            equipment="博世 KTS 590",
            codes=["C1234", "P0301"],
        ),
    )
    return repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))


def test_the_repair_order_prints_every_line_the_totals_and_the_customers_signature(
    reception: Reception, order: RepairOrder
) -> None:
    lines = _lines(order)
    approvals_record(
        actor=reception.advisor,
        order_id=order.pk,
        data=ApprovalIn(kind="customer_phone", person="张伟", decisions=[Decision(lines[3].pk, False, "下次再换")]),
    )
    order.refresh_from_db()
    visit = order.visit
    local = store_calendar(reception.store).local
    pdf = repair_order_pdf(order, printed_by="王建国")
    text = _text(pdf)
    with translation.override("en"):
        english = _text(repair_order_pdf(order))
    for expected in (
        order.number,
        visit.number,
        "张伟",
        "139****5678",
        "沪A12345",
        reception.vehicle.vin,
        "4/8",
        f"{local(visit.arrived_at):%Y-%m-%d%H:%M}",
        f"{local(visit.promised_at):%Y-%m-%d%H:%M}",  # type: ignore[arg-type]
        "保养，刹车有异响",
        # Position, kind, item, pay type, quantity, unit price, amount, state: the declined pads are shown.
        "1工时更换机油客户1200.00200.00已确认",
        "2配件机油滤清器客户188.0088.00已确认",
        "3工时更换前制动片客户2200.00400.00建议",
        "4配件前制动片客户1420.00420.00已拒绝",
        "交还客户",
        # The brake repair is an assembly repair: the pre-repair diagnosis record is printed.
        "前制动片剩余厚度2mm，制动盘无沟槽",
        "王建国",
    ):
        assert expected in text, expected
    assert "13912345678" not in text
    for expected in (
        "Repairorderagreement",
        # The declined pads (420.00) are counted nowhere: 200.00 + 88.00 agreed, 400.00 awaiting approval.
        "Approvedtotal(yuan)288.00",
        "Awaitingapproval(yuan)400.00",
        "Customer288.00400.00",
        "Roadtest" + "Agreed",
        "Pre-repairdiagnosisrecord(Assemblyrepair)",
        "Signedby张伟",
        f"Signedat{local(order.signed_at):%Y-%m-%d%H:%M}",
    ):
        assert expected in english, expected
    # The signature drawn on the pad is in the document, as kept.
    signature = order.signature.media
    with media_storage(signature.area).open(signature.storage_name) as handle:
        kept = handle.read()
    reader = PdfReader(io.BytesIO(pdf))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1
    assert images[0].image.size == (120, 40)  # type: ignore[union-attr]
    assert len(kept) > 0


def test_the_repair_order_prints_no_pre_repair_record_without_such_a_repair(reception: Reception, visit: Visit) -> None:
    order = repair_order_create(
        actor=reception.advisor, visit_id=visit.pk, data=order_in(reception, *order_in(reception).lines[:2])
    )
    with translation.override("en"):
        text = _text(repair_order_pdf(order))
    assert "Approvedtotal(yuan)288.00" in text
    assert "Awaitingapproval(yuan)0.00" in text
    assert "Pre-repair" not in text
    assert "Declinedlines" not in text


def test_the_estimate_prints_net_tax_and_whether_each_part_is_in_stock(
    reception: Reception, order: RepairOrder
) -> None:
    with translation.override("en"):
        text = _text(estimate_pdf(order))
    for expected in (
        "Repairestimate",
        order.number,
        "139****5678",
        # Position, item, pay type, quantity, unit price, amount, net, tax, availability.
        "1更换机油Customer1200.00200.00176.9923.01",
        "2机油滤清器Customer188.0088.0077.8810.12Instock",
        "3更换前制动片Customer2200.00400.00353.9846.02",
        "4前制动片Customer1420.00420.00371.6848.32Toorder1",
        "Total1,108.00980.53127.47",
        "Customer1,108.00",
    ):
        assert expected in text, expected
    assert "13912345678" not in text


def test_the_estimate_leaves_out_declined_lines(reception: Reception, order: RepairOrder) -> None:
    lines = _lines(order)
    approvals_record(
        actor=reception.advisor,
        order_id=order.pk,
        data=ApprovalIn(kind="customer_phone", person="张伟", decisions=[Decision(lines[3].pk, False, "下次再换")]),
    )
    with translation.override("en"):
        text = _text(estimate_pdf(order))
    assert "前制动片Customer1420.00" not in text
    assert "Total688.00608.8579.15" in text


def test_the_inspection_report_prints_the_walk_around_the_diagnosis_and_the_recommendations(
    reception: Reception, visit: Visit
) -> None:
    items = list(ChecklistItem.objects.filter(store=reception.store).order_by("position", "pk"))
    checks = {item.pk: ("green", "") for item in items}
    checks[items[0].pk] = ("amber", "左前灯罩发黄")
    checks[items[-1].pk] = ("red", "刹车片过薄")
    walk_around_save(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=WalkAroundIn(
            covers_fitted=True,
            glass_ok=False,
            glass_note="前挡风玻璃右下角裂纹",
            valuables="行车记录仪",
            tyres={"fl": "6.5", "fr": "6.0", "rl": "3.5", "rr": "4.0"},
            checks=checks,
        ),
    )
    damage_add(actor=reception.advisor, visit_id=visit.pk, kind="scratch", x=800, y=400, note="右后门划痕")
    walk_around_complete(actor=reception.advisor, visit_id=visit.pk, signature=signature_png(), signer_name="张伟")
    diagnosis_save(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=DiagnosisIn(symptoms="制动时有异响", cause_analysis="前制动片磨损到极限", codes=["C1234", "P0301"]),
    )
    recommendation_add(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=RecommendationIn(operation_id=reception.brakes.pk, fault_code="C1234", note="建议更换前制动片"),
    )
    pdf = inspection_report_pdf(visit)
    text = _text(pdf)
    for expected in (
        visit.number,
        "张伟",
        "139****5678",
        "沪A12345",
        "前挡风玻璃右下角裂纹",
        "行车记录仪",
        "1划痕右后门划痕",
        "左前6.5mm",
        "右后4.0mm",
        f"{items[0].name}●黄：",
        "左前灯罩发黄",
        f"{items[-1].name}●红：",
        "刹车片过薄",
        "制动时有异响",
        "前制动片磨损到极限",
        "C1234",
        "P0301",
        "1更换前制动片诊断C1234建议更换前制动片",
    ):
        assert expected in text, expected
    assert "13912345678" not in text
    assert len([image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]) == 1
    with translation.override("en"):
        english = _text(inspection_report_pdf(visit))
    for expected in ("Inspectionreport", "C1234—Manufacturer-specific", "P0301—", "Protectivecoversfittedyes"):
        assert expected in english, expected
    assert "P0301—Manufacturer-specific" not in english
    assert "Spare" not in english  # no spare wheel measured: none printed


def test_the_inspection_report_of_a_visit_without_records(reception: Reception, visit: Visit) -> None:
    with translation.override("en"):
        text = _text(inspection_report_pdf(visit))
    assert text.count("Notrecorded.") == 2
    assert "张伟" in text


def test_a_document_is_shown_in_the_browser() -> None:
    response = pdf_response(b"%PDF-1.7", "RO-SH01-2026-000001.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="RO-SH01-2026-000001.pdf"'
    assert response.content == b"%PDF-1.7"
