"""The purchasing pages: suppliers (bank details masked by role), a new order, its actions, limits."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import Brand, User
from aftersales.parts.tests.factories import PartFactory
from aftersales.purchasing.models import PurchaseLimit, PurchaseOrder, Supplier
from aftersales.purchasing.tests.factories import SupplierFactory


def test_suppliers_show_bank_accounts_in_full_only_to_who_may_see_them(
    world: World, client_for: Callable[[User], Client]
) -> None:
    SupplierFactory.create(group=world.sh.group, code="LOC1", bank_name="工商银行", bank_account="6222020200112233")
    full = client_for(world.user("finance")).get("/purchasing/suppliers/").content.decode()
    masked = client_for(world.user("parts")).get("/purchasing/suppliers/").content.decode()
    assert "6222020200112233" in full and "6222020200112233" not in masked and "**** 2233" in masked
    api = client_for(world.user("parts")).get("/api/v1/suppliers?store=SH01").json()
    assert [row["bank_account"] for row in api["items"]] == ["**** 2233"]


def test_a_supplier_with_wrong_fields_is_refused_on_each_field(
    world: World, client_for: Callable[[User], Client]
) -> None:
    purchaser = client_for(world.user("purchaser"))
    wrong = purchaser.post(
        "/purchasing/suppliers/new/",
        {
            "kind": "manufacturer", "code": "VWPC", "name": "大众配件中心", "credit_code": "91310000MA1K00001X",
            "payment_days": "30", "lead_days_stock": "-1", "lead_days_urgent": "3", "lead_days_vor": "1",
        },
    )  # fmt: skip
    assert wrong.status_code == 400
    assert set(wrong.context["form"].errors) == {"lead_days_stock"}  # the form's own bound first
    wrong = purchaser.post(
        "/purchasing/suppliers/new/",
        {
            "kind": "manufacturer", "code": "VWPC", "name": "大众配件中心", "credit_code": "91310000MA1K00001X",
            "payment_days": "30", "lead_days_stock": "7", "lead_days_urgent": "3", "lead_days_vor": "1",
        },
    )  # fmt: skip
    assert wrong.status_code == 400
    assert set(wrong.context["form"].errors) == {"brand", "credit_code"}
    assert Supplier.objects.count() == 0
    brand = Brand.objects.first()
    assert brand is not None
    saved = purchaser.post(
        "/purchasing/suppliers/new/",
        {
            "kind": "manufacturer", "brand": brand.code, "code": "vwpc", "name": "大众配件中心", "payment_days": "30",
            "lead_days_stock": "7", "lead_days_urgent": "3", "lead_days_vor": "1", "order_days": ["0", "3"],
            "is_active": "on",
        },
    )  # fmt: skip
    assert saved.status_code == 302
    supplier = Supplier.objects.get()
    assert (supplier.code, supplier.brand, supplier.order_days) == ("VWPC", brand, [0, 3])


def test_an_order_written_submitted_approved_and_sent_on_the_pages(
    world: World, client_for: Callable[[User], Client]
) -> None:
    supplier = SupplierFactory.create(group=world.sh.group)
    PartFactory.create(group=world.sh.group, brand=Brand.objects.first(), number="5Q0115561A")
    clerk, manager = client_for(world.user("parts")), client_for(world.user("manager"))
    data = {"supplier": str(supplier.pk), "order_type": "urgent", "part_0": "5Q0115561A", "quantity_0": "3"}
    missing = clerk.post("/purchasing/orders/new/", data)
    assert missing.status_code == 400 and missing.context["form"].errors == {"unit_price_0": ["请输入价格。"]}
    unknown = clerk.post(
        "/purchasing/orders/new/", {**data, "unit_price_0": "12.5", "part_1": "NOPE", "quantity_1": "1"}
    )
    assert unknown.status_code == 400
    assert unknown.context["form"].errors == {"part_1": ["未知零件号 NOPE。"], "unit_price_1": ["请输入价格。"]}
    assert PurchaseOrder.all_objects.count() == 0
    written = clerk.post("/purchasing/orders/new/", {**data, "unit_price_0": "12.5"})
    order = PurchaseOrder.all_objects.get()
    assert written.status_code == 302 and written["Location"] == f"/purchasing/orders/{order.pk}/"
    assert clerk.post(f"/purchasing/orders/{order.pk}/submit/").status_code == 302
    refused = manager.post(f"/purchasing/orders/{order.pk}/approve/")
    assert refused.status_code == 403 and "您的审批额度为 0.00 元，此订单为 37.50 元。" in refused.content.decode()
    assert (
        manager.post("/purchasing/limits/", {"user": str(world.user("manager").pk), "limit": "-5"}).status_code == 400
    )
    assert (
        manager.post("/purchasing/limits/", {"user": str(world.user("manager").pk), "limit": "100"}).status_code == 302
    )
    assert PurchaseLimit.all_objects.get().limit == Decimal("100.00")
    assert manager.post(f"/purchasing/orders/{order.pk}/approve/").status_code == 302
    assert clerk.post(f"/purchasing/orders/{order.pk}/send/").status_code == 302
    page = clerk.get(f"/purchasing/orders/{order.pk}/")
    assert page.context["order"].status == "sent" and page.context["actions"] == [
        "receive_part",
        "receive_all",
        "close",
        "cancel",
    ]
    no_reason = clerk.post(f"/purchasing/orders/{order.pk}/cancel/", {"reason": ""})
    assert no_reason.status_code == 400 and PurchaseOrder.all_objects.get().status == "sent"
    assert clerk.post(f"/purchasing/orders/{order.pk}/cancel/", {"reason": "厂家缺货"}).status_code == 302
    assert PurchaseOrder.all_objects.get().cancel_reason == "厂家缺货"
    listing = clerk.get("/purchasing/orders/?status=cancelled")
    assert [row.number for row, _total in listing.context["orders"]] == [order.number]
    assert clerk.get("/purchasing/orders/?status=nope").status_code == 400


def test_a_delivery_received_on_the_order_page(world: World, client_for: Callable[[User], Client]) -> None:
    from aftersales.parts.models import StockMove
    from aftersales.parts.tests.factories import BinFactory, WarehouseFactory
    from aftersales.purchasing import services

    part = PartFactory.create(group=world.sh.group, brand=Brand.objects.first(), number="5Q0115561A")
    bin_ = BinFactory.create(
        store=world.sh, warehouse=WarehouseFactory.create(store=world.sh, code="MAIN"), code="A-01"
    )
    order = services.order_create(
        actor=None,
        store_id=world.sh.pk,
        supplier_id=SupplierFactory.create(group=world.sh.group).pk,
        order_type="stock",
        lines=[services.OrderLineIn(part.pk, Decimal(5), Decimal("11.3"))],
    )
    PurchaseOrder.all_objects.filter(pk=order.pk).update(status="sent")
    clerk = client_for(world.user("parts"))
    page = clerk.get(f"/purchasing/orders/{order.pk}/")
    assert page.context["receive_form"] is not None
    wrong = clerk.post(
        f"/purchasing/orders/{order.pk}/receive/",
        {"bin_1": str(bin_.pk), "delivered_1": "6", "rejected_1": "1"},
    )
    assert wrong.status_code == 400
    assert wrong.context["receive_form"].errors == {"reason_1": ["请填写拒收原因。"]}
    too_many = clerk.post(f"/purchasing/orders/{order.pk}/receive/", {"bin_1": str(bin_.pk), "delivered_1": "6"})
    assert too_many.context["receive_form"].errors == {
        "delivered_1": [f"{part.number_display}：订单上还有 5 待收；6 超出允许范围。"]
    }
    assert StockMove.all_objects.count() == 0
    done = clerk.post(
        f"/purchasing/orders/{order.pk}/receive/",
        {"delivery_note": "DN-9", "bin_1": str(bin_.pk), "delivered_1": "5", "rejected_1": "1", "reason_1": "锈蚀"},
    )
    assert done.status_code == 302
    move = StockMove.all_objects.get()
    assert (move.quantity, move.value_fen) == (Decimal(4), 4000)  # 11.30 incl. 13% VAT = 10.00 net
    assert PurchaseOrder.all_objects.get(pk=order.pk).status == "partly_received"  # 1 rejected is still owed
