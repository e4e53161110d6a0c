"""Urgent orders for a demand (PRT-9; an appointment's pre-pick, a repair order): one draft per brand's
parts centre, each line naming the demand, at the last price the store ordered the part at (else its
standard cost plus VAT); what open orders already bring is not ordered again; refused whole when a
brand has no parts centre."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.tests.factories import BrandFactory
from aftersales.parts.tests.factories import PartFactory
from aftersales.purchasing import services
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from aftersales.purchasing.services import DemandShort, OrderLineIn
from aftersales.purchasing.services.replenishment import _prices
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal


def written() -> tuple[int, int]:
    return PurchaseOrder.all_objects.count(), PurchaseOrderLine.objects.count()


def lines_of(order: PurchaseOrder) -> list[tuple[str, Decimal, Decimal, str, int | None, int | None]]:
    return [
        (line.part.number, line.quantity, line.unit_price, line.demand_type, line.demand_id, line.demand_line_id)
        for line in PurchaseOrderLine.objects.filter(order=order).select_related("part").order_by("position")
    ]


@pytest.fixture
def centres(world: World) -> tuple[Supplier, Supplier]:
    group = world.sh.group
    brand = world.sh.brands.get()
    other = BrandFactory.create(code="SK", name="斯柯达")
    return (
        SupplierFactory.create(group=group, kind="manufacturer", brand=brand, code="PC1", name="大众配件中心"),
        SupplierFactory.create(group=group, kind="manufacturer", brand=other, code="PC2", name="斯柯达配件中心"),
    )


def test_one_urgent_draft_per_parts_centre_at_the_last_price_and_nothing_ordered_twice(
    world: World, centres: tuple[Supplier, Supplier]
) -> None:
    vw, skoda = centres
    clerk = world.user("parts")
    group = world.sh.group
    pads = PartFactory.create(group=group, brand=vw.brand, number="PADS", standard_cost=D("10.0000"))
    disc = PartFactory.create(group=group, brand=vw.brand, number="DISC", standard_cost=D("80.0000"))
    bulb = PartFactory.create(
        group=group, brand=skoda.brand, number="BULB", standard_cost=D("4.0000"), tax_rate=D("0.09")
    )
    # The disc was ordered twice here (the later price counts) and once in the other store (it does not).
    for store, price in ((world.sh, D("88.00")), (world.sh, D("91.50")), (world.sz, D("70.00"))):
        services.order_create(
            actor=None,
            store_id=store.pk,
            supplier_id=vw.pk,
            order_type="stock",
            lines=[OrderLineIn(disc.pk, D(1), price)],
        )
    assert _prices(world.sh.pk, [pads.pk, disc.pk, bulb.pk]) == {
        pads.pk: D("11.30"),
        disc.pk: D("91.50"),
        bulb.pk: D("4.36"),
    }

    shorts = [DemandShort(pads.pk, D(2), 11), DemandShort(disc.pk, D(1), 12), DemandShort(bulb.pk, D(3))]
    orders = services.demand_orders_create(
        actor=clerk, store_id=world.sh.pk, demand_type="repair_order", demand_id=77, shorts=shorts, note="工单 77 缺件"
    )
    assert [(o.supplier_id, o.order_type, o.status, o.note, o.created_by_id) for o in orders] == [
        (vw.pk, "urgent", "draft", "工单 77 缺件", clerk.pk),
        (skoda.pk, "urgent", "draft", "工单 77 缺件", clerk.pk),
    ]
    assert [lines_of(order) for order in orders] == [
        [
            ("PADS", D(2), D("11.30"), "repair_order", 77, 11),
            ("DISC", D(1), D("91.50"), "repair_order", 77, 12),
        ],
        [("BULB", D(3), D("4.36"), "repair_order", 77, None)],
    ]

    # Asked again: open orders bring it all.
    before = written()
    with pytest.raises(ApplicationError) as error:
        services.demand_orders_create(
            actor=clerk, store_id=world.sh.pk, demand_type="repair_order", demand_id=77, shorts=shorts, note=""
        )
    assert (error.value.code, list(error.value.fields)) == ("on_order", ["lines"])
    assert written() == before
    # More pads wanted, and the bulbs' order cancelled: only the difference, and the bulbs again.
    services.order_cancel(actor=world.user("purchaser"), order_id=orders[1].pk, reason="错订")
    again = services.demand_orders_create(
        actor=clerk,
        store_id=world.sh.pk,
        demand_type="repair_order",
        demand_id=77,
        shorts=[DemandShort(pads.pk, D(5), 11), DemandShort(disc.pk, D(1), 12), DemandShort(bulb.pk, D(3))],
        note="",
    )
    assert [lines_of(order) for order in again] == [
        [("PADS", D(3), D("11.30"), "repair_order", 77, 11)],
        [("BULB", D(3), D("4.36"), "repair_order", 77, None)],
    ]
    # Another demand is its own.
    [other] = services.demand_orders_create(
        actor=clerk, store_id=world.sh.pk, demand_type="repair_order", demand_id=78, shorts=shorts[:1], note=""
    )
    assert lines_of(other) == [("PADS", D(2), D("11.30"), "repair_order", 78, 11)]


def test_a_brand_without_a_parts_centre_refuses_the_whole_demand(
    world: World, centres: tuple[Supplier, Supplier]
) -> None:
    vw, _skoda = centres
    group = world.sh.group
    pads = PartFactory.create(group=group, brand=vw.brand, number="PADS")
    orphan = PartFactory.create(group=group, brand=BrandFactory.create(code="XX", name="无配件中心"), number="ORPH")
    before = written()
    with pytest.raises(ApplicationError) as error:
        services.demand_orders_create(
            actor=world.user("parts"),
            store_id=world.sh.pk,
            demand_type="appointment",
            demand_id=5,
            shorts=[DemandShort(pads.pk, D(1), 1), DemandShort(orphan.pk, D(1), 2)],
            note="",
        )
    assert (error.value.code, list(error.value.fields)) == ("no_supplier", ["supplier"])
    with pytest.raises(ApplicationError) as error:
        services.demand_orders_create(
            actor=world.user("parts"), store_id=world.sh.pk, demand_type="appointment", demand_id=5, shorts=[], note=""
        )
    assert (error.value.code, error.value.detail) == ("nothing", "没有需要订购的配件。")
    with pytest.raises(ApplicationError) as error:
        services.demand_orders_create(
            actor=world.user("crm"),
            store_id=world.sh.pk,
            demand_type="appointment",
            demand_id=5,
            shorts=[DemandShort(pads.pk, D(1), 1)],
            note="",
        )
    assert (error.value.status, error.value.code) == (403, "store_not_allowed")
    assert written() == before
