"""Replenishment: reorder points a person can check by hand, the position against them, suggestions
grouped by supplier made into a draft in one step, emergency parts never suggested, rules by hand kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.models import Brand, User
from aftersales.parts import services as parts
from aftersales.parts.models import Part
from aftersales.parts.services import ReceiptLine
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory
from aftersales.purchasing import services
from aftersales.purchasing.models import PurchaseOrder, ReorderRule
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal


def test_reorder_points_and_suggestions(world: World, client_for: Callable[[User], Client]) -> None:
    brand = Brand.objects.first()
    assert brand is not None
    centre = SupplierFactory.create(
        group=world.sh.group, kind="manufacturer", brand=brand, code="PC", lead_days_stock=5, order_days=[0, 3]
    )
    filter_, pads, flare = (
        PartFactory.create(group=world.sh.group, brand=brand, number=number, part_class=kind)
        for number, kind in (("F1", "common"), ("P1", "common"), ("E1", "emergency"))
    )
    bin_ = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh))
    parts.stock_receive(
        actor=None,
        store_id=world.sh.pk,
        lines=[ReceiptLine(part.pk, bin_.pk, D(100), D(10)) for part in (filter_, pads, flare)],
        moved_on=timezone.localdate() - timedelta(days=100),
    )
    # 90 issued of the filter in the last 90 days (1 a day), 9 of the pads, 45 of the flare.
    for part, quantity in ((filter_, 90), (pads, 9), (flare, 45)):
        parts.stock_issue(
            actor=None,
            store_id=world.sh.pk,
            demand_type="repair_order",
            demand_id=1,
            demand_line_id=None,
            part_number=part.number,
            quantity=D(quantity),
            received_by_id=world.user("technician").pk,
        )
    assert services.reorder_points_compute(store_id=world.sh.pk) == 3
    rule = ReorderRule.objects.get(part=filter_)
    # 1.0000 a day × 5 days + 3 safety = 8; cycle 7 ÷ 2 order days = 4 days → up to 12.
    assert (rule.daily_demand, rule.safety_stock, rule.reorder_point, rule.cycle_days, rule.order_up_to) == (
        D("1.0000"),
        D(3),
        D(8),
        4,
        D(12),
    )
    # The filter holds 10 (above 8); the pads' rule is set by hand above what is there.
    services.reorder_rule_set(
        actor=world.user("parts"), store_id=world.sh.pk, part_id=pads.pk, reorder_point=D(95), order_up_to=D(120)
    )
    services.reorder_rule_set(
        actor=world.user("parts"), store_id=world.sh.pk, part_id=flare.pk, reorder_point=D(95), order_up_to=D(120)
    )
    assert services.reorder_points_compute(store_id=world.sh.pk) == 1  # the rules by hand are kept
    rows = services.suggestions(store_id=world.sh.pk)
    assert [(row.number, row.position, row.quantity, row.supplier_id) for row in rows] == [
        (pads.number_display, D(91), D(29), centre.pk)
    ]  # the flare is below its point too, but an emergency part is never suggested for stock
    client = client_for(world.user("parts"))
    api = client.get("/api/v1/replenishment?store=SH01").json()
    assert api["count"] == 1 and [(row["part"], row["quantity"]) for row in api["items"]] == [
        (pads.number_display, "29.000")
    ]
    assert "生成订单草稿" in client.get("/purchasing/suggestions/").content.decode()
    assert client.post(f"/purchasing/suggestions/{centre.pk}/order/").status_code == 302
    order = PurchaseOrder.all_objects.get()
    line = order.lines.get()
    assert (order.status, order.order_type, line.part_id, line.quantity, line.unit_price) == (
        "draft",
        "stock",
        pads.pk,
        D(29),
        D("11.3000"),  # standard cost 10.00 + 13% VAT: never ordered before
    )
    assert services.suggestions(store_id=world.sh.pk) == []  # now on order
    bad = client.put(
        "/api/v1/replenishment/rules",
        {"store": "SH01", "part": filter_.number, "reorder_point": "10", "order_up_to": "5"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["fields"] == {"order_up_to": ["补货上限不能低于再订货点。"]}
    assert not ReorderRule.objects.get(part=filter_).manual
    assert Part.objects.get(pk=flare.pk).part_class == "emergency"
