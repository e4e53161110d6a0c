"""Receiving deliveries against orders: matched (a superseding number too), inspected, accepted into
stock at the delivered price net of VAT, rejected with a reason; over-delivery and closed orders
refused; a line bought for a waiting demand reserved to it; two clerks at once never exceed the order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, DealerGroup, Role, StaffMembership, Store, User
from aftersales.parts.models import Bin, Part, Reservation, StockBalance, StockMove, Supersession
from aftersales.parts.selectors.stock import stock_verify
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory
from aftersales.purchasing import selectors, services
from aftersales.purchasing.models import PurchaseOrder, PurchaseReceipt
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal


def _sent_order(store: Store, actor: User, lines: list[services.OrderLineIn], **supplier: object) -> PurchaseOrder:
    order = services.order_create(
        actor=None,
        store_id=store.pk,
        supplier_id=SupplierFactory.create(group=store.group, **supplier).pk,
        order_type="stock",
        lines=lines,
    )
    PurchaseOrder.all_objects.filter(pk=order.pk).update(status="sent")
    return order


@pytest.fixture
def setting(world: World) -> tuple[Part, Part, Bin]:
    brand = Brand.objects.first()
    old = PartFactory.create(group=world.sh.group, brand=brand, number="1K0698151", tax_rate=D("0.13"))
    new = PartFactory.create(group=world.sh.group, brand=brand, number="1K0698151A", tax_rate=D("0.13"))
    Supersession.objects.create(old_part=old, new_part=new, interchangeability="two_way", effective_on="2026-01-01")
    bin_ = BinFactory.create(store=world.sh, warehouse=WarehouseFactory.create(store=world.sh, code="MAIN"))
    return old, new, bin_


def test_a_delivery_is_inspected_and_received_at_its_price(world: World, setting: tuple[Part, Part, Bin]) -> None:
    old, new, bin_ = setting
    clerk = world.user("parts")
    order = _sent_order(world.sh, clerk, [services.OrderLineIn(old.pk, D(10), D("113"))])
    receipt = services.order_receive(
        actor=clerk,
        order_id=order.pk,
        delivery_note="DN-001",
        lines=[  # the manufacturer delivers the new number for the old one ordered; 2 are damaged
            services.DeliveredLine(new.pk, bin_.pk, D(6), rejected=D(2), reject_reason="外包装破损")
        ],
    )
    assert receipt.number.startswith("GR-SH01-")
    line = order.lines.get()
    assert (line.received, line.rejected, line.open_quantity) == (D(4), D(2), D(6))
    assert PurchaseOrder.all_objects.get(pk=order.pk).status == "partly_received"
    move = StockMove.all_objects.get(document_type="purchase_order")
    assert (move.part_id, move.quantity, move.value_fen) == (new.pk, D(4), 40000)  # 113 / 1.13 = 100.00 net
    stranger = PartFactory.create(group=world.sh.group)
    with pytest.raises(ApplicationError) as refused:
        services.order_receive(
            actor=clerk,
            order_id=order.pk,
            lines=[
                services.DeliveredLine(new.pk, bin_.pk, D(7)),  # 6 still open
                services.DeliveredLine(stranger.pk, bin_.pk, D(1)),
                services.DeliveredLine(old.pk, bin_.pk, D(1), rejected=D(1)),
            ],
        )
    assert refused.value.fields == {
        "lines.0.delivered": [f"{new.number_display}：订单上还有 6 待收；7 超出允许范围。"],
        "lines.1.part": [f"{stranger.number_display} 不在此订单上。"],
        "lines.2.reject_reason": ["请填写拒收原因。"],
    }
    assert PurchaseReceipt.all_objects.count() == 1 and StockMove.all_objects.count() == 1
    services.order_receive(actor=clerk, order_id=order.pk, lines=[services.DeliveredLine(old.pk, bin_.pk, D(6))])
    assert PurchaseOrder.all_objects.get(pk=order.pk).status == "received"
    with pytest.raises(ApplicationError) as refused:
        services.order_receive(actor=clerk, order_id=order.pk, lines=[services.DeliveredLine(old.pk, bin_.pk, D(1))])
    assert refused.value.code == "not_receivable"
    assert StockBalance.all_objects.filter(bin=bin_).count() == 2 and stock_verify().differences == []


def test_a_line_bought_for_a_waiting_repair_order_is_reserved_to_it(
    world: World, setting: tuple[Part, Part, Bin]
) -> None:
    old, _new, bin_ = setting
    line = services.OrderLineIn(old.pk, D(2), D(50), demand_type="repair_order", demand_id=77, demand_line_id=3)
    order = _sent_order(world.sh, world.user("parts"), [line], over_delivery_percent=10)
    services.order_receive(
        actor=world.user("parts"), order_id=order.pk, lines=[services.DeliveredLine(old.pk, bin_.pk, D(2))]
    )
    reservation = Reservation.all_objects.get()
    assert (reservation.demand_type, reservation.demand_id, reservation.demand_line_id, reservation.quantity) == (
        "repair_order",
        77,
        3,
        D(2),
    )


@pytest.mark.django_db(transaction=True)
def test_two_clerks_receiving_the_same_line_at_once_never_exceed_the_order() -> None:
    group = DealerGroup.objects.create(code="RG", name="收货集团")
    store = Store.objects.create(group=group, code="RC01", name="收货店")
    role = Role.objects.create(code="recv", name="收货", permissions=["stock.move"])
    clerks = [User.objects.create(username=f"clerk{n}") for n in range(2)]
    for clerk in clerks:
        StaffMembership.objects.create(user=clerk, store=store, role=role)
    part = PartFactory.create(group=group, brand=Brand.objects.create(code="RB", name="收货品牌"))
    bin_ = BinFactory.create(store=store, warehouse=WarehouseFactory.create(store=store))
    order = _sent_order(store, clerks[0], [services.OrderLineIn(part.pk, D(5), D(10))])
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def receive(clerk: User) -> None:
        try:
            barrier.wait()
            services.order_receive(
                actor=clerk, order_id=order.pk, lines=[services.DeliveredLine(part.pk, bin_.pk, D(4))]
            )
            outcomes.append("received")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receive, args=(clerk,)) for clerk in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["invalid", "received"]
    assert order.lines.get().received == D(4)
    assert StockBalance.all_objects.get(part=part).on_hand == D(4)


def test_a_suppliers_rating_comes_from_its_receipts(
    world: World, setting: tuple[Part, Part, Bin], client_for: Callable[[User], Client]
) -> None:
    old, _new, bin_ = setting
    clerk = world.user("parts")
    order = _sent_order(world.sh, clerk, [services.OrderLineIn(old.pk, D(10), D(20))], code="RATE")
    order.lines.update(expected_on=timezone.localdate() - timedelta(days=1))  # due yesterday: late
    services.order_receive(
        actor=clerk,
        order_id=order.pk,
        lines=[services.DeliveredLine(old.pk, bin_.pk, D(10), rejected=D(1), reject_reason="锈蚀")],
    )
    services.order_close(actor=clerk, order_id=order.pk)
    rating = selectors.supplier_ratings([order.supplier_id], today=timezone.localdate())[order.supplier_id]
    assert (rating.receipts, rating.quality, rating.on_time, rating.in_full) == (1, D("90.0"), D("0.0"), D("0.0"))
    api = client_for(clerk).get("/api/v1/suppliers?store=SH01").json()["items"]
    assert [row["rating"] for row in api if row["code"] == "RATE"] == [
        {"receipts": 1, "quality": "90.0", "on_time": "0.0", "in_full": "0.0"}
    ]
    history = client_for(clerk).get(f"/api/v1/suppliers/{order.supplier_id}/rating-history").json()
    assert [(row["delivered"], row["quality"], row["on_time"]) for row in history] == [("10.000", "90.0", "0.0")]
    page = client_for(clerk).get("/purchasing/suppliers/").content.decode()
    assert "90.0% / 0.0% / 0.0%" in page


def test_backorders_are_listed_dated_and_cancelled(
    world: World, setting: tuple[Part, Part, Bin], client_for: Callable[[User], Client]
) -> None:
    old, _new, bin_ = setting
    other = PartFactory.create(group=world.sh.group, brand=old.brand)
    clerk = world.user("parts")
    order = _sent_order(
        world.sh, clerk, [services.OrderLineIn(old.pk, D(10), D(20)), services.OrderLineIn(other.pk, D(3), D(5))]
    )
    services.order_receive(actor=clerk, order_id=order.pk, lines=[services.DeliveredLine(old.pk, bin_.pk, D(6))])
    client = client_for(clerk)
    late = timezone.localdate() - timedelta(days=2)
    refused = client.put(
        f"/api/v1/purchase-orders/{order.pk}/expected-dates",
        {"lines": [{"line": 1, "expected_on": late.isoformat()}, {"line": 9, "expected_on": late.isoformat()}]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["fields"] == {"lines": ["订单没有第 9 行。"]}
    client.put(
        f"/api/v1/purchase-orders/{order.pk}/expected-dates",
        {"lines": [{"line": 1, "expected_on": late.isoformat()}]},
        content_type="application/json",
    )
    listed = client.get("/api/v1/backorders?store=SH01").json()["items"]
    assert [(row["line"], row["owed"], row["days_late"]) for row in listed] == [(1, "4.000", 2), (2, "3.000", 0)]
    page = client.get("/purchasing/backorders/")
    assert "逾期 2 天" in page.content.decode()
    no_reason = client.post(f"/purchasing/backorders/{listed[1]['id']}/cancel/", {"reason": ""})
    assert no_reason.status_code == 400 and order.lines.get(position=2).cancelled == 0
    assert client.post(f"/purchasing/backorders/{listed[1]['id']}/cancel/", {"reason": "停产"}).status_code == 302
    cancelled = client.post(
        f"/api/v1/backorders/{listed[0]['id']}/cancel", {"reason": "厂家缺货"}, content_type="application/json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["owed"] == "0.000"
    assert PurchaseOrder.all_objects.get(pk=order.pk).status == "closed"  # nothing owed any more
    assert client.get("/api/v1/backorders?store=SH01").json()["items"] == []
