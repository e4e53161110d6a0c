"""The archive's printed documents: the archive card and the printed personal-information export."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.core.tests.factories import LegalEntityFactory
from aftersales.customers import services
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory


def _squeezed(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def test_the_archive_card_prints_the_record_masked_with_the_stores_letterhead(
    world: World, client_for: Callable[[User], Client]
) -> None:
    world.sh.legal_entity = LegalEntityFactory(
        group=world.sh.group, name="上海测试汽车服务有限公司", repair_filing_no="310115-2019-0123"
    )
    world.sh.save()
    customer = CustomerFactory(name="吉𠮷堃", mobiles=["13812345678"], preferences="周末来店")
    VehicleFactory(owner=customer, plate="沪A12345")
    client = client_for(world.user("technician"))
    response = client.get(f"/customers/{customer.pk}/archive-card.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{customer.number}.pdf"'
    text = _squeezed(response.content)
    for expected in (
        "上海测试汽车服务有限公司",
        "维修备案号310115-2019-0123",
        "客户档案卡",
        customer.number,
        "吉𠮷堃",
        "138****5678",
        "沪A12345",
        "打印的档案卡中个人信息已脱敏。",
        "第1页/共1页",
    ):
        assert expected in text, expected
    assert "13812345678" not in text
    printed = AuditEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk), action="export")
    assert [entry.changes for entry in printed] == [{"kind": "archive_card", "format": "pdf", "masked": True}]
    # The API answers the same card.
    api = client.get(f"/api/v1/customers/{customer.pk}/archive-card")
    assert (api.status_code, api["Content-Type"]) == (200, "application/pdf")
    assert customer.number in _squeezed(api.content)
    assert client.get("/customers/999999/archive-card.pdf").status_code == 404
    # The record page links to it.
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f'href="/customers/{customer.pk}/archive-card.pdf"' in page


def test_the_personal_information_export_prints_every_section(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(name="卫九", mobiles=["13812345678"], data_consent=True, data_consent_channel="paper")
    VehicleFactory(owner=customer, plate="沪B54321")
    response = client_for(world.user("manager")).get(f"/api/v1/customers/{customer.pk}/pi-export", {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _squeezed(response.content)
    # In full: the export is the person's own data, handed to them.
    for expected in ("卫九的个人信息", "13812345678", "沪B54321", "客户", "手机号", "车辆", "变更记录"):
        assert expected in text, expected
    page = client_for(world.user("manager")).get(f"/customers/privacy/{customer.pk}/export/", {"format": "pdf"})
    assert (page.status_code, page["Content-Type"]) == (200, "application/pdf")
    exports = AuditEntry.objects.filter(object_id=str(customer.pk), action="export").values_list("changes", flat=True)
    assert list(exports) == [{"format": "pdf", "kind": "personal_information"}] * 2


def test_the_archive_cards_queries_do_not_grow_with_the_record(
    world: World, client_for: Callable[[User], Client]
) -> None:
    client = client_for(world.user("advisor"))
    small = CustomerFactory(name="甲")
    VehicleFactory(owner=small)
    large = CustomerFactory(name="乙")
    for _serial in range(4):
        vehicle = VehicleFactory(owner=large)
        services.vehicle_update(actor=world.user("advisor"), vehicle_id=vehicle.pk, version=1, data={"colour": "白"})

    def queries(customer_id: int) -> int:
        client.get(f"/customers/{customer_id}/archive-card.pdf")  # the session settles on the first
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/customers/{customer_id}/archive-card.pdf").status_code == 200
        return len(captured.captured_queries)

    assert queries(large.pk) == queries(small.pk)
