"""The reception desk, receiving a car, the visit page, writing and signing the order, and the order's
page with its decisions, through the pages as staff use them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aftersales.appointments.models import Appointment
from aftersales.core.models import User
from aftersales.customers.models import MileageReading
from aftersales.visits.models import Line, LineApproval, RepairOrder, Visit
from aftersales.visits.services import DiagnosisIn, diagnosis_save, repair_order_create
from aftersales.visits.tests.conftest import Reception, signature_png
from aftersales.visits.tests.test_orders import order_in, snapshot

D = Decimal


def _local(reception: Reception, hours: int = 4) -> str:
    return (timezone.now() + timedelta(hours=hours)).astimezone(reception.store.zone).strftime("%Y-%m-%dT%H:%M")


def test_the_desk_finds_the_car_and_reception_opens_its_visit(
    reception: Reception, client_for: Callable[[User], Client]
) -> None:
    client = client_for(reception.advisor)
    desk = client.get(reverse("visits:desk"))
    assert desk.status_code == 200
    found = client.get(reverse("visits:find"), {"q": "沪A12345"})
    assert f"customer={reception.customer.pk}&amp;vehicle={reception.vehicle.pk}" in found.content.decode()
    form = client.get(reverse("visits:receive"), {"customer": reception.customer.pk, "vehicle": reception.vehicle.pk})
    body = form.content.decode()
    assert form.status_code == 200
    assert "您好，欢迎光临！" in body and "48000 km" in body
    data = {
        "customer": reception.customer.pk,
        "vehicle": reception.vehicle.pk,
        "mileage_in": "45000",
        "fuel_level": "6",
        "contact_mobile": "13912345678",
        "waiting": "lounge",
        "promised_at": _local(reception),
    }
    refused = client.post(reverse("visits:receive"), data)
    assert refused.status_code == 422
    assert "里程低于上次读数（2026-05-01 为 48,000 公里）：请填写原因。" in refused.content.decode()
    assert Visit.all_objects.count() == 0 and MileageReading.objects.count() == 1
    opened = client.post(reverse("visits:receive"), {**data, "mileage_reason": "仪表更换", "key_tag": "K-09"})
    visit = Visit.all_objects.get()
    assert opened.status_code == 302 and opened["Location"] == reverse("visits:visit", args=[visit.pk])
    assert (visit.mileage_in, visit.fuel_level, visit.key_tag, visit.contact_name) == (45_000, 6, "K-09", "张伟")
    page = client.get(opened["Location"]).content.decode()
    assert "45000 km" in page and 'data-testid="stage">已到店</span>' in page
    assert list(MileageReading.objects.order_by("pk").values_list("km", "reason")) == [
        (48_000, ""),
        (45_000, "仪表更换"),
    ]
    on_site = client.get(reverse("visits:desk")).content.decode()
    assert visit.number in on_site


def test_a_booking_is_received_and_checked_in(reception: Reception, client_for: Callable[[User], Client]) -> None:
    starts = timezone.now().astimezone(reception.store.zone).replace(minute=0, second=0, microsecond=0)
    appointment = Appointment.all_objects.create(
        store=reception.store,
        number="AP-SH01-2026-000001",
        channel="phone",
        customer=None,
        vehicle=None,
        contact_name="张伟",
        contact_mobile="13912345678",
        plate_text="沪A12345",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        hours=D("1.00"),
        description="保养",
    )
    client = client_for(reception.advisor)
    desk = client.get(reverse("visits:desk")).content.decode()
    assert f"?appointment={appointment.pk}" in desk
    page = client.get(reverse("visits:receive"), {"appointment": appointment.pk}).content.decode()
    assert f"customer={reception.customer.pk}&amp;vehicle={reception.vehicle.pk}" in page  # the typed plate matched
    response = client.post(
        reverse("visits:receive"),
        {
            "appointment": appointment.pk,
            "customer": reception.customer.pk,
            "vehicle": reception.vehicle.pk,
            "mileage_in": "52000",
            "fuel_level": "4",
            "waiting": "leaves",
            "promised_at": _local(reception),
        },
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.state, appointment.vehicle_id, appointment.customer_id) == (
        "arrived",
        reception.vehicle.pk,
        reception.customer.pk,
    )
    visit = Visit.all_objects.get()
    assert (visit.appointment_id, visit.needs) == (appointment.pk, "保养")


def test_the_order_is_written_and_signed_on_the_page(
    reception: Reception, visit: Visit, client_for: Callable[[User], Client]
) -> None:
    client = client_for(reception.advisor)
    page = client.get(reverse("visits:order_new", args=[visit.pk]))
    assert page.status_code == 200
    rows = {
        "line-0-include": "on",
        "line-0-kind": "labour",
        "line-0-source": "requested",
        "line-0-pay_type": "customer",
        "line-0-operation": str(reception.oil.pk),
        "line-1-include": "on",
        "line-1-kind": "part",
        "line-1-source": "requested",
        "line-1-pay_type": "customer",
        "line-1-part_number": "06L-115-562",
        "line-1-quantity": "1",
        "line-2-include": "on",
        "line-2-kind": "labour",
        "line-2-source": "diagnosis",
        "line-2-pay_type": "customer",
        "line-2-operation": str(reception.brakes.pk),
        "line-2-fault_code": "P03O1",
        "line-3-kind": "labour",
        "line-3-source": "requested",
        "line-3-pay_type": "customer",
    }
    terms = {"statement": "保养", "old_parts": "return", "signed_name": "张伟", "promised_at": _local(reception)}
    refused = client.post(reverse("visits:order_new", args=[visit.pk]), {**terms, **rows})
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "“P03O1”不是故障码：数字 0 的位置输入了字母 O。" in body
    assert RepairOrder.all_objects.count() == 0
    rows["line-2-fault_code"] = "P0301"
    unsigned = client.post(reverse("visits:order_new", args=[visit.pk]), {**terms, **rows})
    assert unsigned.status_code == 422 and "请在框内签名。" in unsigned.content.decode()
    signed = client.post(reverse("visits:order_new", args=[visit.pk]), {**terms, **rows, "signature": signature_png()})
    order = RepairOrder.all_objects.get()
    assert signed.status_code == 302 and signed["Location"] == reverse("visits:order", args=[order.pk])
    assert list(Line.all_objects.order_by("position").values_list("position", "state", "amount", "fault_code")) == [
        (1, "approved", D("200.00"), ""),
        (2, "approved", D("88.00"), ""),
        (3, "proposed", D("400.00"), "P0301"),
    ]
    page = client.get(signed["Location"]).content.decode()
    assert (
        order.number in page
        and 'data-testid="total-approved">288.00' in page
        and 'data-testid="total-proposed">400.00' in page
    )


def test_decisions_on_the_order_page(reception: Reception, visit: Visit, client_for: Callable[[User], Client]) -> None:
    order = repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))
    lines = {line.position: line for line in order.lines.all()}
    client = client_for(reception.advisor)
    before = snapshot(order)
    refused = client.post(
        reverse("visits:approval", args=[order.pk]),
        {"kind": "insurer_assessment", f"decide-{lines[3].pk}": "approve", "person": "张伟"},
    )
    assert refused.status_code == 403 and "您无权记录此类确认。" in refused.content.decode()
    assert snapshot(order) == before
    response = client.post(
        reverse("visits:approval", args=[order.pk]),
        {
            "kind": "customer_phone",
            "person": "张伟",
            f"decide-{lines[3].pk}": "approve",
            f"decide-{lines[4].pk}": "decline",
            f"reason-{lines[4].pk}": "自带配件",
        },
    )
    assert response.status_code == 302
    assert list(
        LineApproval.objects.filter(kind="customer_phone")
        .order_by("line__position")
        .values_list("line__position", "approved")
    ) == [
        (3, True),
        (4, False),
    ]
    price = client.post(
        reverse("visits:line_price", args=[order.pk, lines[1].pk]), {"unit_price": "150", "reason": "优惠"}
    )
    assert price.status_code == 403
    assert "该项目已确认：修改其价格需要“修改已确认价格”权限。" in price.content.decode()
    foreman = client_for(reception.world.user("foreman"))
    # The brake job is an assembly repair: its pre-repair diagnosis record comes first (the repair archive).
    early = foreman.post(reverse("visits:order_action", args=[order.pk]), {"action": "start_work"})
    assert early.status_code == 400
    assert "请先记录维修前诊断检验记录：此维修类别的维修档案需要它。" in early.content.decode()
    assert RepairOrder.all_objects.get().state == "open"
    diagnosis_save(
        actor=reception.world.user("technician"),
        visit_id=visit.pk,
        data=DiagnosisIn(symptoms="制动异响", pre_repair_record="前制动片剩余 2 mm，制动盘无沟槽"),
    )
    start = foreman.post(reverse("visits:order_action", args=[order.pk]), {"action": "start_work"})
    assert start.status_code == 302
    ready = client.post(reverse("visits:order_action", args=[order.pk]), {"action": "ready"})
    assert ready.status_code == 409 and "“ready”由总检和交车完成，不在此处操作。" in ready.content.decode()
    assert RepairOrder.all_objects.get().state == "in_work"


def test_another_stores_visit_and_order_are_not_found(
    reception: Reception, visit: Visit, client_for: Callable[[User], Client]
) -> None:
    order = repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))
    client = client_for(reception.world.user("advisor", "sz"))
    assert client.get(reverse("visits:visit", args=[visit.pk])).status_code == 404
    assert client.get(reverse("visits:order", args=[order.pk])).status_code == 404
    assert client.get(reverse("visits:order_pdf", args=[order.pk])).status_code == 404
