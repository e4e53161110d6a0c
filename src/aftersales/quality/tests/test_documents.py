"""The quality area's printed documents: the final inspection sheet, the release certificate, the delivery
sheet and the repair guarantee card; and their pages (who may open them, of which store, and when)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.core.tests.factories import LegalEntityFactory
from aftersales.quality.documents import certificate_pdf, delivery_sheet_pdf, guarantee_card_pdf, qc_sheet_pdf
from aftersales.quality.models import Delivery, FinalInspection, Handover, ReleaseCertificate
from aftersales.quality.services import (
    FreeCheckIn,
    delivery_record,
    final_inspection_record,
    guarantee_terms_save,
    pickup_arrived,
    quality_settings,
)
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop.models import Job

from .conftest import Yard

# The resident ID number of GB 11643's example (its check digit is right); kept masked at delivery.
AGENT_ID = "11010519491231002X"
STANDARD_CHECKS = [
    "灯光、仪表及警告灯正常",
    "油液液位正常，无渗漏",
    "轮胎气压及车轮螺栓力矩符合要求",
    "车身漆面及内饰无新增损伤",
    "座椅、后视镜、音响及时钟已复位",
    "车内无遗留工具，防护套已取下",
    "旧件已按客户选择处理",
]


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    """The document's text without white space (extraction spaces Han characters and digits apart)."""
    return "".join(_pages(pdf))


def _images(pdf: bytes) -> int:
    return len([image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images])


def _today(yard: Yard) -> date:
    return timezone.now().astimezone(yard.store.zone).date()


def _line(order: RepairOrder, position: int) -> Line:
    return Line.all_objects.get(order=order, position=position)


def _failed(yard: Yard) -> tuple[RepairOrder, FinalInspection]:
    """A completed order whose final inspection fails: the brake line's check not in order, sent back."""
    order = yard.completed()
    data = yard.passing(order, passed=False, reason="制动异响未消除", rework_lines=[_line(order, 3).pk], signature="")
    data.checks[1].ok, data.checks[1].note = False, "低速制动仍有异响"
    inspection = final_inspection_record(actor=yard.qc, order_id=order.pk, data=data)
    return RepairOrder.all_objects.get(pk=order.pk), inspection


def _reworked(yard: Yard, order: RepairOrder) -> RepairOrder:
    """The brake job worked again by its technician: the order completed and passed this time."""
    line = _line(order, 3)
    job = Job.all_objects.get(line=line)
    yard.clock_through(job.pk, line, yard.shop.middle, timezone.now() - timedelta(minutes=61))
    return yard.inspected(RepairOrder.all_objects.get(pk=order.pk))


def _delivered_to_an_agent(yard: Yard) -> Delivery:
    """The car collected by an agent (ID checked) 12 minutes after arriving at pick-up; the battery red, the
    brake pads amber, the rest green; four stars."""
    order = yard.ready()
    yard.paid(order)
    pickup_arrived(actor=yard.advisor, visit_id=order.visit_id)
    # The car came in an hour ago; the collector arrived 12 minutes ago.
    Visit.all_objects.filter(pk=order.visit_id).update(arrived_at=timezone.now() - timedelta(hours=1))
    Handover.objects.filter(visit_id=order.visit_id).update(customer_arrived_at=timezone.now() - timedelta(minutes=12))
    visit = Visit.all_objects.get(pk=order.visit_id)
    checks = [FreeCheckIn("green") for _check in quality_settings(visit.store_id).delivery_checks]
    checks[5] = FreeCheckIn("red", "蓄电池电压偏低")
    checks[19] = FreeCheckIn("amber", "前片约 4 mm")
    return delivery_record(
        actor=yard.advisor,
        visit_id=visit.pk,
        data=yard.delivery_in(
            visit,
            collector="agent",
            collector_name="李强",
            collector_id_number=AGENT_ID,
            id_checked=True,
            rating=4,
            comment="服务很好，等待时间稍长",
            free_checks=checks,
        ),
    )


# --- the final inspection sheet -------------------------------------------------------------------------


def test_the_qc_sheet_prints_each_check_the_advice_and_the_certificate_of_a_pass(yard: Yard) -> None:
    order = yard.inspected()
    inspection = FinalInspection.objects.get(order=order)
    number = ReleaseCertificate.objects.get(order=order).number
    local = store_calendar(yard.store).local
    pdf = qc_sheet_pdf(order, inspection, printed_by="质检员")
    text = _text(pdf)
    for expected in (
        order.number,
        order.visit.number,
        "张伟",
        "139****5678",
        "沪A12345",
        yard.shop.reception.vehicle.vin,
        "52300公里",
        # Each check and its result: the order's done labour lines first, then the store's standard list.
        "1.更换机油✓",
        "3.更换前制动片✓",
        *(f"{check}✓" for check in STANDARD_CHECKS),
        "建议5000公里后检查制动片",
        "新制动片磨合期200公里内避免急刹",
        number,
        "质检员",
        f"{local(inspection.at):%Y-%m-%d%H:%M}",
    ):
        assert expected in text, expected
    assert "✗" not in text
    assert "13912345678" not in text
    assert _images(pdf) == 1  # the inspector's signature of the certificate
    with translation.override("en"):
        english = _text(qc_sheet_pdf(order, inspection))
    for expected in (
        "Finalinspectionsheet",
        "Inspection1of1",
        "RoadtestNotneededforthiswork",
        "Faultverifiedgoneyes",
        "ResultPassed",
        f"Releasecertificate{number}",
        "Inspector质检员",
        f"Inspectedat{local(inspection.at):%Y-%m-%d%H:%M}",
    ):
        assert expected in english, expected
    assert "Worksentback" not in english


def test_the_qc_sheet_of_a_failed_inspection_prints_why_and_the_work_sent_back(yard: Yard) -> None:
    order, inspection = _failed(yard)
    pdf = qc_sheet_pdf(order, inspection)
    text = _text(pdf)
    for expected in (
        "1.更换机油✓",
        "3.更换前制动片✗低速制动仍有异响",
        "制动异响未消除",
        # Position, work, the technician it went back to.
        "3更换前制动片维修技师",
    ):
        assert expected in text, expected
    assert _images(pdf) == 0  # a fail issues no certificate: nothing signed
    with translation.override("en"):
        english = _text(qc_sheet_pdf(order, inspection))
    for expected in ("ResultFailed", "Whyitfailed制动异响未消除", "Worksentback", "No.WorkTechnician"):
        assert expected in english, expected
    assert "Releasecertificate" not in english


# --- the release certificate ----------------------------------------------------------------------------


def test_the_certificate_prints_the_business_the_car_the_work_and_the_guarantee(yard: Yard) -> None:
    store = yard.store
    store.legal_entity = LegalEntityFactory.create(
        group=store.group, name="上海测试汽车服务有限公司", repair_filing_no="310115-2019-0123"
    )
    store.save()
    # The store guarantees its assembly repairs longer than the law's 100 days / 20,000 km.
    guarantee_terms_save(
        actor=yard.shop.reception.world.user("service_manager"), store_id=store.pk, terms={"assembly": (120, 30_000)}
    )
    order = yard.inspected()
    certificate = ReleaseCertificate.objects.get(order=order)
    visit = Visit.all_objects.get(pk=order.visit_id)
    calendar = store_calendar(store)
    pdf = certificate_pdf(order, printed_by="质检员")
    text = _text(pdf)
    for expected in (
        certificate.number,
        "上海测试汽车服务有限公司",
        "310115-2019-0123",
        order.number,
        "张伟",
        "沪A12345",
        yard.shop.reception.vehicle.vin,
        "52300公里",
        # The repair categories of the done labour lines, the most extensive first.
        "总成修理、一级维护",
        calendar.local_date(visit.arrived_at).isoformat(),
        # Position, work, repair category.
        "1更换机油一级维护",
        "3更换前制动片总成修理",
        "质检员",
    ):
        assert expected in text, expected
    assert "13912345678" not in text
    assert _images(pdf) == 1  # the inspector's signature
    with translation.override("en"):
        english = _text(certificate_pdf(order))
    for expected in (
        "Motorvehiclerepaircompletionandreleasecertificate",
        f"Certificatenumber{certificate.number}",
        "Numberedbythestore",
        "Repairbusiness上海测试汽车服务有限公司",
        "Repairfilingnumber310115-2019-0123",
        "RepaircategoryAssemblyrepair、First-levelmaintenance",
        f"Datein{calendar.local_date(visit.arrived_at).isoformat()}",
        # Not delivered yet: the day the repair was completed and certified.
        f"Dateout{calendar.local_date(certificate.issued_at).isoformat()}",
        "Qualityinspector质检员",
        # The store's longer term for assembly repairs, the law's for first-level maintenance.
        "Assemblyrepair：120daysor30000km,whicheverisreachedfirst",
        "First-levelmaintenance：10daysor2000km,whicheverisreachedfirst",
        "机动车维修管理规定",
        "repairedagainfreeofcharge",
    ):
        assert expected in english, expected


def test_an_order_without_a_certificate_has_none_to_print(yard: Yard) -> None:
    order = yard.completed()
    with pytest.raises(ApplicationError) as refused:
        certificate_pdf(order)
    assert refused.value.status == 404


# --- the delivery sheet and the guarantee card ----------------------------------------------------------


def test_the_delivery_sheet_prints_the_work_the_check_the_guarantees_and_who_collected(yard: Yard) -> None:
    delivery = _delivered_to_an_agent(yard)
    visit = Visit.all_objects.get(pk=delivery.visit_id)
    order = RepairOrder.all_objects.get(visit=visit)
    today = _today(yard)
    local = store_calendar(yard.store).local
    checks = quality_settings(yard.store.pk).delivery_checks
    pdf = delivery_sheet_pdf(visit, printed_by="服务顾问")
    text = _text(pdf)
    for expected in (
        visit.number,
        "张伟",
        "139****5678",
        "沪A12345",
        "52300公里",
        "52305公里",
        order.number,
        # Work done: position, work, repair category; parts replaced: position, part number, part, quantity.
        "1更换机油一级维护",
        "3更换前制动片总成修理",
        "206L-115-562机油滤清器1",
        "交还客户",
        # The free check, rated as recorded.
        "蓄电池●红：需立即维修蓄电池电压偏低",
        "制动片厚度●黄：近期需关注前片约4mm",
        *(f"{check}●绿：正常" for index, check in enumerate(checks) if index not in (5, 19)),
        # The final inspection's driving advice, the next service.
        "新制动片磨合期200公里内避免急刹",
        (today + timedelta(days=180)).isoformat(),
        "62300公里",
        # Each labour line's guarantee: order, position, work, category, valid to (first-level 10 days and
        # 2,000 km, assembly 100 days and 20,000 km from the delivery day and 52,305 km).
        f"{order.number}1更换机油一级维护{(today + timedelta(days=10)).isoformat()}54305公里",
        f"{order.number}3更换前制动片总成修理{(today + timedelta(days=100)).isoformat()}72305公里",
        "李强",
        "1101**********002X",
        "★★★★☆4/5",
        "服务很好，等待时间稍长",
        "服务顾问",
        f"{local(delivery.delivered_at):%Y-%m-%d%H:%M}",
    ):
        assert expected in text, expected
    assert len(checks) == 24
    assert text.count("●") == 24
    assert "13912345678" not in text
    assert AGENT_ID not in text
    assert _images(pdf) == 1  # the collector's signature
    with translation.override("en"):
        english = _text(delivery_sheet_pdf(visit))
    for expected in (
        "Deliverysheet",
        "CollectedbyAnagent(代取车)",
        "Collector'sname李强",
        "IDnumber1101**********002X",
        "IDcheckedyes",
        "Keyshandedyes",
        "Waitingtimeatpick-up12min",
        "Deliveredby服务顾问",
        f"Deliveredat{local(delivery.delivered_at):%Y-%m-%d%H:%M}",
        "Satisfaction★★★★☆4/5",
        "Oldparts" + "Returntothecustomer",
        "whicheverisreachedfirst",
        "Signedby李强",
    ):
        assert expected in english, expected


def test_the_guarantee_card_prints_each_guaranteed_line_its_end_and_the_law(yard: Yard) -> None:
    delivery = yard.delivered()
    visit = Visit.all_objects.get(pk=delivery.visit_id)
    order = RepairOrder.all_objects.get(visit=visit)
    today = _today(yard)
    pdf = guarantee_card_pdf(visit, printed_by="服务顾问")
    text = _text(pdf)
    for expected in (
        visit.number,
        "张伟",
        "139****5678",
        "沪A12345",
        today.isoformat(),
        "52305公里",
        # Order, work, repair category, days, km, valid to, valid to (km).
        f"{order.number}更换机油一级维护102000公里{(today + timedelta(days=10)).isoformat()}54305公里",
        f"{order.number}更换前制动片总成修理10020000公里{(today + timedelta(days=100)).isoformat()}72305公里",
        "《机动车维修管理规定》第三十八条",
        "返修",
    ):
        assert expected in text, expected
    assert "13912345678" not in text
    with translation.override("en"):
        english = _text(guarantee_card_pdf(visit))
    for expected in (
        "Repairguaranteecard",
        f"Deliverydate{today.isoformat()}",
        "Mileageout52305km",
        "whicheverisreachedfirst",
        # The law's minimums, whichever first.
        "Whole-vehiclerepair、Assemblyrepair：100daysor20000km",
        "Second-levelmaintenance：30daysor5000km",
        "First-levelmaintenance、Minorrepair、Specialrepair：10daysor2000km",
        "werepairitagainfreeofcharge",
    ):
        assert expected in english, expected
    # Collected by the customer: the delivery sheet names no agent and no ID number.
    with translation.override("en"):
        sheet = _text(delivery_sheet_pdf(visit))
    assert "CollectedbyThecustomer" in sheet
    assert "IDnumber" not in sheet


def test_a_car_not_delivered_has_no_delivery_sheet_or_guarantee_card(yard: Yard) -> None:
    visit = Visit.all_objects.get(pk=yard.inspected().visit_id)
    for document in (delivery_sheet_pdf, guarantee_card_pdf):
        with pytest.raises(ApplicationError) as refused:
            document(visit)
        assert refused.value.status == 404


# --- the pages ------------------------------------------------------------------------------------------


def _urls(order: RepairOrder) -> dict[str, str]:
    return {
        "qc": reverse("quality:qc_pdf", args=[order.pk]),
        "certificate": reverse("quality:certificate_pdf", args=[order.pk]),
        "delivery": reverse("quality:delivery_pdf", args=[order.visit_id]),
        "guarantee": reverse("quality:guarantee_pdf", args=[order.visit_id]),
    }


def test_the_pages_show_each_document_once_it_exists(yard: Yard, client_for: Callable[[User], Client]) -> None:
    order, failed = _failed(yard)
    urls = _urls(order)
    client = client_for(yard.qc)
    # Failed once: its sheet, but no certificate and no delivery yet.
    response = client.get(urls["qc"])
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response["Content-Disposition"] == f'inline; filename="{order.number}-qc.pdf"'
    assert "制动异响未消除" in _text(response.content)
    for name in ("certificate", "delivery", "guarantee"):
        assert client.get(urls[name]).status_code == 404, name
    # Passed the second time: the latest inspection is shown unless another is asked for.
    order = _reworked(yard, order)
    latest = _text(client.get(urls["qc"]).content)
    assert "制动异响未消除" not in latest
    assert ReleaseCertificate.objects.get(order=order).number in latest
    assert "制动异响未消除" in _text(client.get(urls["qc"], {"inspection": failed.pk}).content)
    for wrong in ("abc", "-1", str(failed.pk + 1000)):
        assert client.get(urls["qc"], {"inspection": wrong}).status_code == 404, wrong
    response = client.get(urls["certificate"])
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response["Content-Disposition"] == f'inline; filename="{order.number}-certificate.pdf"'
    assert client.get(urls["delivery"]).status_code == 404
    # Delivered: the delivery sheet and the guarantee card.
    yard.delivered(yard.ready(order))
    visit = Visit.all_objects.get(pk=order.visit_id)
    for name, filename in (
        ("delivery", f"{visit.number}-delivery.pdf"),
        ("guarantee", f"{visit.number}-guarantee.pdf"),
    ):
        response = client.get(urls[name])
        assert (response.status_code, response["Content-Type"]) == (200, "application/pdf"), name
        assert response["Content-Disposition"] == f'inline; filename="{filename}"'
        assert "139****5678" in _text(response.content)
    assert client.post(urls["qc"]).status_code == 405


def test_the_documents_are_of_the_pages_store_and_for_those_who_see_quality(
    yard: Yard, client_for: Callable[[User], Client]
) -> None:
    order = RepairOrder.all_objects.get(visit_id=yard.delivered().visit_id)
    urls = _urls(order)
    world = yard.shop.reception.world
    # The other store's inspector: none of this store's records is found.
    other = client_for(world.user("qc", "sz"))
    for name, url in urls.items():
        assert other.get(url).status_code == 404, name
    # A parts clerk holds no "quality.view": refused.
    parts = client_for(world.user("parts"))
    for name, url in urls.items():
        assert parts.get(url).status_code == 403, name
    # The front desk holds it: shown.
    frontdesk = client_for(world.user("frontdesk"))
    for name, url in urls.items():
        assert frontdesk.get(url).status_code == 200, name
