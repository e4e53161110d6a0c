"""Suppliers and purchase orders: written, submitted, approved within people's limits, sent with the
manufacturer's order file, cancelled and closed; every state change an event; wrong input refused."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, User
from aftersales.parts.models import Part
from aftersales.parts.tests.factories import PartFactory
from aftersales.purchasing import services
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderEvent, Supplier
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal


@pytest.fixture
def brand(world: World) -> Brand:
    brand = Brand.objects.first()
    assert brand is not None
    return brand


@pytest.fixture
def parts(world: World, brand: Brand) -> list[Part]:
    return [
        PartFactory.create(group=world.sh.group, brand=brand, number="5Q0115561A", number_display="5Q0-115-561-A"),
        PartFactory.create(group=world.sh.group, brand=brand, number="G052195", unit="litre", decimals=1),
    ]


def test_an_order_from_draft_to_sent_with_approval_limits(
    world: World, brand: Brand, parts: list[Part], client_for: Callable[[User], Client]
) -> None:
    supplier = SupplierFactory.create(group=world.sh.group, kind="manufacturer", brand=brand, code="VWPC")
    purchaser, clerk, manager = world.user("purchaser"), world.user("parts"), world.user("manager")
    lines = [
        services.OrderLineIn(parts[0].pk, D(10), D("35.5")),
        services.OrderLineIn(parts[1].pk, D("20.5"), D("6.1234")),
    ]
    order = services.order_create(
        actor=clerk, store_id=world.sh.pk, supplier_id=supplier.pk, order_type="stock", lines=lines
    )
    assert (order.number.startswith("PO-SH01-"), order.status) == (True, "draft")
    assert services.order_total(order) == D("480.53")  # 355.00 + 125.53
    services.order_submit(actor=clerk, order_id=order.pk)
    with pytest.raises(ApplicationError) as refused:  # no limit set
        services.order_approve(actor=purchaser, order_id=order.pk)
    assert (refused.value.code, refused.value.detail) == ("over_limit", "您的审批额度为 0.00 元，此订单为 480.53 元。")
    services.purchase_limit_set(actor=manager, store_id=world.sh.pk, user_id=purchaser.pk, limit=D("480.52"))
    with pytest.raises(ApplicationError):  # a fen short
        services.order_approve(actor=purchaser, order_id=order.pk)
    services.purchase_limit_set(actor=manager, store_id=world.sh.pk, user_id=purchaser.pk, limit=D("500"))
    approved = services.order_approve(actor=purchaser, order_id=order.pk)
    assert (approved.status, approved.approved_by) == ("approved", purchaser)
    sent = services.order_send(actor=clerk, order_id=order.pk)
    assert sent.status == "sent" and sent.sent_at is not None
    assert list(PurchaseOrderEvent.objects.filter(order=order).values_list("action", "from_state", "to_state")) == [
        ("create", "", "draft"),
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
        ("send", "approved", "sent"),
    ]
    client = client_for(clerk)
    file = client.get(f"/api/v1/purchase-orders/{order.pk}/order-file")
    assert file.status_code == 200 and file["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
    expected = sent.lines.get(position=1).expected_on.isoformat()
    assert rows == [
        ["经销商代码", "订单号", "订单类型", "行号", "零件号", "数量", "单价", "要求到货日期"],
        ["SH01", order.number, "S", "1", "5Q0-115-561-A", "10", "35.50", expected],
        ["SH01", order.number, "S", "2", parts[1].number_display, "20.5", "6.1234", expected],
    ]
    pdf = client.get(f"/api/v1/purchase-orders/{order.pk}/order.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with pytest.raises(ApplicationError) as refused:
        services.order_submit(actor=clerk, order_id=order.pk)
    assert refused.value.status == 409


def test_ones_own_order_above_the_self_approval_limit_needs_another_approver(
    world: World, brand: Brand, parts: list[Part]
) -> None:
    supplier = SupplierFactory.create(group=world.sh.group)
    purchaser, manager = world.user("purchaser"), world.user("manager")
    services.purchase_limit_set(actor=manager, store_id=world.sh.pk, user_id=purchaser.pk, limit=D("100"))
    services.purchase_limit_set(actor=manager, store_id=world.sh.pk, user_id=manager.pk, limit=D("10000"))
    order = services.order_create(
        actor=purchaser,
        store_id=world.sh.pk,
        supplier_id=supplier.pk,
        order_type="urgent",
        lines=[services.OrderLineIn(parts[0].pk, D(5), D(30))],
    )
    services.order_submit(actor=purchaser, order_id=order.pk)
    with pytest.raises(ApplicationError) as refused:
        services.order_approve(actor=purchaser, order_id=order.pk)
    assert refused.value.detail == "您的自审额度为 100.00 元，此订单为 150.00 元：需由额度足够的人审批。"
    assert PurchaseOrder.all_objects.get(pk=order.pk).status == "submitted"
    assert services.order_approve(actor=manager, order_id=order.pk).status == "approved"


def test_wrong_lines_and_suppliers_are_refused_and_nothing_is_written(
    world: World, brand: Brand, parts: list[Part]
) -> None:
    other = Brand.objects.create(code="XX", name="其他")
    supplier = SupplierFactory.create(group=world.sh.group, kind="manufacturer", brand=other, code="XXPC")
    Part.objects.filter(pk=parts[0].pk).update(is_active=False)
    with pytest.raises(ApplicationError) as refused:
        services.order_create(
            actor=world.user("parts"),
            store_id=world.sh.pk,
            supplier_id=supplier.pk,
            order_type="stock",
            lines=[
                services.OrderLineIn(parts[0].pk, D(1), D(1)),
                services.OrderLineIn(parts[1].pk, D("1.25"), D("1.23456")),
            ],
        )
    assert refused.value.fields == {
        "lines.0.part": ["5Q0-115-561-A 已停用。"],
        "lines.1.part": [f"{parts[1].number_display} 不是该供应商所供品牌的零件。"],
        "lines.1.quantity": [f"{parts[1].number_display} 最多允许 1 位小数。"],
        "lines.1.unit_price": ["请输入不小于零、最多 4 位小数的价格（元）。"],
    }
    assert PurchaseOrder.all_objects.count() == 0

    with pytest.raises(ApplicationError) as refused:
        services.supplier_save(
            actor=world.user("purchaser"),
            store_id=world.sh.pk,
            data={
                "kind": "local",
                "code": "L1",
                "name": "本地",
                "credit_code": "91310000MA1K00001X",
                "lead_days_stock": -1,
            },
        )
    assert set(refused.value.fields) == {"credit_code", "lead_days_stock"}
    assert Supplier.objects.filter(code="L1").count() == 0


def test_an_order_partly_received_is_closed_not_cancelled(world: World, brand: Brand, parts: list[Part]) -> None:
    supplier = SupplierFactory.create(group=world.sh.group)
    clerk = world.user("parts")
    order = services.order_create(
        actor=clerk,
        store_id=world.sh.pk,
        supplier_id=supplier.pk,
        order_type="stock",
        lines=[services.OrderLineIn(parts[0].pk, D(10), D(30))],
    )
    PurchaseOrder.all_objects.filter(pk=order.pk).update(status="partly_received")
    order.lines.update(received=D(4))
    with pytest.raises(ApplicationError) as refused:
        services.order_cancel(actor=clerk, order_id=order.pk, reason="不要了")
    assert refused.value.detail == "当前状态为“部分到货”，不能进行此操作。"
    PurchaseOrder.all_objects.filter(pk=order.pk).update(status="sent")
    with pytest.raises(ApplicationError) as refused:  # the guard: something was received
        services.order_cancel(actor=clerk, order_id=order.pk, reason="不要了")
    assert refused.value.detail == "订单已部分到货：请改为关闭订单（其余数量将取消）。"
    closed = services.order_close(actor=clerk, order_id=order.pk, note="余量不再供货")
    line = closed.lines.get()
    assert (closed.status, line.received, line.cancelled, line.open_quantity) == ("closed", D(4), D(6), D(0))
