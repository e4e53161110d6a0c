"""Quality on the pages and timelines of other areas: the repair order's inspections and certificate, the
visit's running repair guarantees at reception and its next step, the delivery on the car's timeline."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from django.test import Client
from django.utils import timezone, translation

from aftersales.core.models import User
from aftersales.customers.models import Vehicle
from aftersales.customers.selectors import vehicle_timeline
from aftersales.quality.models import ReleaseCertificate
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import LineIn

from .conftest import Yard


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def section(page: str, testid: str) -> str:
    found = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', page, re.S)
    assert found is not None, testid
    return text(found.group(0))


def test_the_order_page_shows_its_inspections_and_certificate(yard: Yard, client_for: Callable[[User], Client]) -> None:
    order = yard.completed()
    page = client_for(yard.qc).get(f"/repair-orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert section(page, "quality-panel") == "Quality Final inspection Not inspected yet."
    assert f'href="/quality/orders/{order.pk}/inspect/"' in page
    yard.inspected(order)
    certificate = ReleaseCertificate.objects.get(order=order)
    page = client_for(yard.advisor).get(f"/repair-orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    panel = section(page, "quality-panel")
    issued = certificate.issued_at.astimezone(yard.store.zone)
    assert panel.startswith(
        f"Quality Release certificate {certificate.number} · 质检员 · {issued:%Y-%m-%d %H:%M} · PDF Passed "
    )
    assert "inspect/" not in page.split('data-testid="quality-panel"')[1].split("</section>")[0]


def test_reception_sees_the_guarantees_still_running_and_the_comeback(
    yard: Yard, client_for: Callable[[User], Client]
) -> None:
    delivery = yard.delivered()
    first = RepairOrder.all_objects.get(visit=delivery.visit)
    r = yard.shop.reception
    order = yard.order(LineIn(kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动异响"))
    today = timezone.now().astimezone(yard.store.zone).date()
    page = client_for(yard.advisor).get(f"/visits/{order.visit_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    panel = section(page, "quality-visit-panel")
    ten, hundred = today + timezone.timedelta(days=10), today + timezone.timedelta(days=100)
    assert panel == (
        "Quality and delivery Repair guarantees still running "
        f"{first.number} · 更换前制动片 · until {hundred:%Y-%m-%d} or 72305 km "
        f"{first.number} · 更换机油 · until {ten:%Y-%m-%d} or 54305 km "
        "Work on the same fault inside a guarantee is a comeback: free to the customer. "
        f"{order.number}: possible comeback of {first.number} · To be decided"
    )
    # The delivered visit's page links its delivery documents.
    page = client_for(yard.advisor).get(f"/visits/{delivery.visit_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert section(page, "quality-visit-panel") == "Quality and delivery Delivery · Delivery sheet · Guarantee card"
    assert Visit.all_objects.get(pk=delivery.visit_id).state == "delivered"


def test_the_delivery_is_on_the_cars_timeline(yard: Yard, client_for: Callable[[User], Client]) -> None:
    delivery = yard.delivered()
    rows = (
        client_for(yard.advisor)
        .get(f"/api/v1/vehicles/{delivery.visit.vehicle_id}/timeline?kind=delivery", HTTP_ACCEPT_LANGUAGE="en")
        .json()
    )
    on = delivery.next_service_on
    assert [(row["kind"], row["title"]) for row in rows] == [
        ("delivery", f"Delivered (visit {delivery.visit.number} at {yard.store.name})")
    ]
    with translation.override("en"):
        [item] = vehicle_timeline(Vehicle.objects.get(pk=delivery.visit.vehicle_id), kinds={"delivery"})
    assert item.note == f"52,305 km out, next service {on:%Y-%m-%d} or 62,300 km, rated 5 of 5"


def test_work_left_proposed_on_a_completed_order_is_declined_on_its_page(
    yard: Yard, client_for: Callable[[User], Client]
) -> None:
    r = yard.shop.reception
    order = yard.work(
        yard.order(
            LineIn(kind="labour", operation_id=r.oil.pk),
            LineIn(kind="part", part_id=r.filter.pk, quantity=Decimal(1), source="diagnosis"),
        )
    )
    line = yard.shop.line(order, 2)
    client = client_for(yard.advisor)
    page = client.get(f"/repair-orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The work is complete: what is still proposed can only be declined now." in page
    approve = client.post(
        f"/repair-orders/{order.pk}/approvals/",
        {"kind": "customer_phone", "person": "张伟", f"decide-{line.pk}": "approve"},
    )
    assert approve.status_code == 409
    assert Line.all_objects.get(pk=line.pk).state == "proposed"
    decline = client.post(
        f"/repair-orders/{order.pk}/approvals/",
        {"kind": "customer_phone", "person": "张伟", f"decide-{line.pk}": "decline", f"reason-{line.pk}": "下次再换"},
    )
    assert decline.status_code == 302
    assert (Line.all_objects.get(pk=line.pk).state, RepairOrder.all_objects.get(pk=order.pk).state) == (
        "declined",
        "completed",
    )
