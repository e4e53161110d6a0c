"""After sending: the PDF e-mailed to a local supplier through the outbox, amendments versioned (and
e-mailed again), the manufacturer's confirmation file dating backorders and cancelling what it will
not supply, and whoever waits for parts bought for their demand told when they arrive."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, User
from aftersales.messaging.models import Message, MessageTemplate
from aftersales.parts.models import Part
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory
from aftersales.purchasing import services
from aftersales.purchasing.documents import GENERIC
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderVersion, Supplier
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal


@pytest.fixture
def parts(world: World) -> list[Part]:
    brand = Brand.objects.first()
    return [
        PartFactory.create(group=world.sh.group, brand=brand, number="5Q0115561A", number_display="5Q0-115-561-A"),
        PartFactory.create(group=world.sh.group, brand=brand, number="1K0698151", number_display="1K0-698-151"),
        PartFactory.create(group=world.sh.group, brand=brand, number="G052195M4", number_display="G05-219-5M4"),
    ]


def _sent(world: World, supplier: Supplier, lines: list[services.OrderLineIn], actor: User) -> PurchaseOrder:
    """Written by ``actor``, approved and sent by the purchaser (limit 10,000 yuan)."""
    purchaser = world.user("purchaser")
    services.purchase_limit_set(actor=None, store_id=world.sh.pk, user_id=purchaser.pk, limit=D(10000))
    order = services.order_create(
        actor=actor, store_id=world.sh.pk, supplier_id=supplier.pk, order_type="stock", lines=lines
    )
    services.order_submit(actor=actor, order_id=order.pk)
    services.order_approve(actor=purchaser, order_id=order.pk)
    return services.order_send(actor=purchaser, order_id=order.pk)


def test_a_local_supplier_gets_the_order_and_each_amendment_by_e_mail(
    world: World, parts: list[Part], client_for: Callable[[User], Client]
) -> None:
    supplier = SupplierFactory.create(group=world.sh.group, name="浦东宏发汽配", email="order@hongfa.cn")
    manager = world.user("purchaser")
    order = _sent(
        world,
        supplier,
        [services.OrderLineIn(parts[0].pk, D(10), D("35.5")), services.OrderLineIn(parts[1].pk, D(4), D(100))],
        manager,
    )
    mail = Message.objects.get(event="purchase_order_sent")
    assert (mail.channel, mail.address, mail.subject, mail.about_id) == (
        "email", "order@hongfa.cn", f"采购订单 {order.number}（{world.sh.name}）", order.pk,
    )  # fmt: skip
    assert "共 2 行，含税合计 755.00 元" in mail.body
    assert [(a["name"], a["content_type"]) for a in mail.attachments] == [(f"{order.number}.pdf", "application/pdf")]
    services.order_receive(
        actor=world.user("parts"),
        order_id=order.pk,
        lines=[
            services.DeliveredLine(
                parts[0].pk,
                BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh)).pk,
                D(3),
            )
        ],
    )
    with pytest.raises(ApplicationError) as refused:
        services.order_amend(
            actor=manager, order_id=order.pk, lines=[services.OrderLineIn(parts[0].pk, D(2), D("35.5"))], reason="x"
        )
    assert refused.value.fields == {"lines.0.quantity": ["至少 3：已经收货这么多。"]}
    amended = services.order_amend(
        actor=manager,
        order_id=order.pk,
        lines=[  # 6 instead of 10 at a new price; 1K0-698-151 left out; G05-219-5M4 added
            services.OrderLineIn(parts[0].pk, D(6), D("34")),
            services.OrderLineIn(parts[2].pk, D(2), D("80")),
        ],
        reason="客户取消部分需求",
    )
    assert amended.version == 2
    assert list(amended.lines.order_by("position").values_list("position", "quantity", "cancelled", "unit_price")) == [
        (1, D(6), D(0), D(34)),
        (2, D(4), D(4), D(100)),
        (3, D(2), D(0), D(80)),
    ]
    version = PurchaseOrderVersion.objects.get(order=order, version=2)
    assert version.changes.splitlines() == [
        "第 1 行 5Q0-115-561-A：数量 10 → 6",
        "第 1 行 5Q0-115-561-A：单价 35.5 → 34",
        "第 2 行 1K0-698-151：未保留，取消 4",
        "第 3 行 G05-219-5M4：新增 2",
    ]
    assert [line["quantity"] for line in PurchaseOrderVersion.objects.get(order=order, version=1).lines] == ["10", "4"]
    again = Message.objects.filter(event="purchase_order_sent").order_by("pk").last()
    assert again is not None and again.attachments[0]["name"] == f"{order.number}-V2.pdf"
    assert "共 3 行，含税合计 364.00 元" in again.body  # 6 × 34 + 0 × 100 + 2 × 80
    page = client_for(manager).get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert page.count("order@hongfa.cn") == 2 and f"{order.number}-V2.pdf" in page
    with pytest.raises(ApplicationError) as refused:
        services.order_amend(
            actor=manager, order_id=order.pk, lines=[services.OrderLineIn(parts[0].pk, D(600), D(34))],
            reason="加量",
        )  # fmt: skip
    assert refused.value.code == "over_limit"
    assert PurchaseOrder.all_objects.get(pk=order.pk).version == 2


def test_the_manufacturers_confirmation_dates_backorders_and_cancels_what_it_will_not_supply(
    world: World, parts: list[Part]
) -> None:
    supplier = SupplierFactory.create(group=world.sh.group, kind="manufacturer", brand=parts[0].brand)
    manager = world.user("purchaser")
    order = _sent(
        world,
        supplier,
        [services.OrderLineIn(parts[0].pk, D(10), D(30)), services.OrderLineIn(parts[1].pk, D(5), D(90))],
        manager,
    )
    assert Message.objects.filter(event="purchase_order_sent").count() == 0  # the manufacturer takes the file
    text = (
        "订单号,行号,零件号,确认数量,预计到货日期\n"
        f"{order.number},1,,８,2026-12-09\n"
        f"{order.number}-V1,,1K0698151,,2026/12/16\n"
    )
    changed = services.order_confirmation_import(
        actor=manager, store_id=world.sh.pk, upload=SimpleUploadedFile("confirm.csv", text.encode("gb18030"))
    )
    assert changed == [order]
    assert list(order.lines.order_by("position").values_list("cancelled", "expected_on")) == [
        (D(2), date(2026, 12, 9)),
        (D(0), date(2026, 12, 16)),
    ]
    event = order.events.get(action="confirm")
    assert event.note == "第 1 行：2 不供货; 第 1 行：预计 2026-12-09; 第 2 行：预计 2026-12-16"
    assert GENERIC.export(order).decode("utf-8-sig").splitlines()[1].split(",")[5] == "8"
    bad = f'订单号,行号,确认数量\n{order.number},9,1\nPO-NOPE,1,1\n{order.number},1,20\n{order.number},1,"1,5"\n'
    with pytest.raises(ApplicationError) as refused:
        services.order_confirmation_import(
            actor=manager, store_id=world.sh.pk, upload=SimpleUploadedFile("c.csv", bad.encode())
        )
    assert refused.value.fields == {
        "rows.2.line": [f"{order.number} 没有这一行。"],
        "rows.3.order": ["PO-NOPE 不是本门店的订单。"],
        "rows.4.confirmed": ["超过订购数量（8）。"],
        "rows.5.confirmed": ["“1,5”有歧义：请用小数点、不加逗号书写数字（例如 12.3 或 123）。"],
    }
    assert order.lines.get(position=1).cancelled == D(2)


def test_whoever_waits_for_parts_bought_for_their_demand_is_told_when_they_arrive(
    world: World, parts: list[Part]
) -> None:
    clerk = world.user("parts")
    supplier = SupplierFactory.create(group=world.sh.group)
    order = _sent(
        world,
        supplier,
        [services.OrderLineIn(parts[0].pk, D(2), D(50), demand_type="transfer", demand_id=77)],
        clerk,
    )
    bin_ = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh))
    services.order_receive(actor=clerk, order_id=order.pk, lines=[services.DeliveredLine(parts[0].pk, bin_.pk, D(2))])
    told = Message.objects.get(event="parts_arrived")
    # No area names who waits for a transfer: whoever wrote the order is told.
    assert (told.channel, told.user, told.about_type, told.about_id) == ("inapp", clerk, "transfer", 77)
    assert told.body == f"5Q0-115-561-A × 2 已随采购订单 {order.number} 到货，已为调拨 77预留。"


def test_an_amendment_counts_what_stays_ordered_and_closes_an_order_owing_nothing(
    world: World, parts: list[Part]
) -> None:
    purchaser = world.user("purchaser")
    supplier = SupplierFactory.create(group=world.sh.group, kind="manufacturer", brand=parts[0].brand)
    order = _sent(
        world,
        supplier,
        [services.OrderLineIn(parts[0].pk, D(10), D(30)), services.OrderLineIn(parts[1].pk, D(4), D(90))],
        purchaser,
    )
    # The manufacturer confirms 8 of the 10; the second line is left out, then brought back with 2.
    confirmation = f"订单号,行号,确认数量\n{order.number},1,8\n"
    services.order_confirmation_import(
        actor=purchaser, store_id=world.sh.pk, upload=SimpleUploadedFile("c.csv", confirmation.encode())
    )
    services.order_amend(
        actor=purchaser, order_id=order.pk, lines=[services.OrderLineIn(parts[0].pk, D(8), D(29))], reason="降价"
    )
    assert list(order.lines.order_by("position").values_list("quantity", "cancelled")) == [(D(10), D(2)), (D(4), D(4))]
    assert PurchaseOrderVersion.objects.get(order=order, version=2).changes.splitlines() == [
        "第 1 行 5Q0-115-561-A：单价 30 → 29",
        "第 2 行 1K0-698-151：未保留，取消 4",
    ]
    services.order_amend(
        actor=purchaser,
        order_id=order.pk,
        lines=[services.OrderLineIn(parts[0].pk, D(8), D(29)), services.OrderLineIn(parts[1].pk, D(2), D(90))],
        reason="恢复",
    )
    assert [line.open_quantity for line in order.lines.order_by("position")] == [D(8), D(2)]
    bin_ = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh))
    services.order_receive(
        actor=world.user("parts"), order_id=order.pk, lines=[services.DeliveredLine(parts[0].pk, bin_.pk, D(3))]
    )
    with pytest.raises(ApplicationError) as refused:
        services.order_amend(
            actor=purchaser, order_id=order.pk, lines=[services.OrderLineIn(parts[0].pk, D(2), D(29))], reason="减"
        )
    assert refused.value.fields == {"lines.0.quantity": ["至少 3：已经收货这么多。"]}
    closed = services.order_amend(
        actor=purchaser, order_id=order.pk, lines=[services.OrderLineIn(parts[0].pk, D(3), D(29))], reason="够了"
    )
    assert (closed.status, closed.version) == ("closed", 4)


def test_a_message_template_changed_by_an_administrator_never_blocks_receiving(world: World, parts: list[Part]) -> None:
    MessageTemplate.objects.filter(event="parts_arrived").update(
        variables=["part", "quantity", "order", "demand", "advisor"]
    )
    clerk = world.user("parts")
    order = _sent(
        world,
        SupplierFactory.create(group=world.sh.group),
        [services.OrderLineIn(parts[0].pk, D(2), D(50), demand_type="repair_order", demand_id=78, demand_line_id=1)],
        clerk,
    )
    bin_ = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh))
    services.order_receive(actor=clerk, order_id=order.pk, lines=[services.DeliveredLine(parts[0].pk, bin_.pk, D(2))])
    assert PurchaseOrder.all_objects.get(pk=order.pk).status == "received"
    assert not Message.objects.filter(event="parts_arrived").exists()


def test_the_api_amends_a_sent_order(world: World, parts: list[Part], client_for: Callable[[User], Client]) -> None:
    purchaser = world.user("purchaser")
    order = _sent(
        world, SupplierFactory.create(group=world.sh.group), [services.OrderLineIn(parts[0].pk, D(5), D(20))], purchaser
    )
    api = client_for(purchaser)
    body = {"lines": [{"part": "5Q0115561A", "quantity": "7", "unit_price": "20"}], "reason": "加量"}
    amended = api.post(f"/api/v1/purchase-orders/{order.pk}/amend", body, content_type="application/json")
    assert amended.status_code == 200
    assert (amended.json()["version"], amended.json()["total"], amended.json()["lines"][0]["quantity"]) == (
        2,
        "140.00",
        "7.000",
    )
    body["lines"][0]["quantity"] = "5000"
    refused = api.post(f"/api/v1/purchase-orders/{order.pk}/amend", body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "over_limit")
    assert PurchaseOrder.all_objects.get(pk=order.pk).version == 2
