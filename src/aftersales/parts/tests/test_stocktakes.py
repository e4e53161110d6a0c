"""Stocktakes: the scope, counts that take their book snapshot when counted (moves during the count
are no variance), double counts, approval by someone who did not count, one posting, a clean ledger."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client

from aftersales.core.audit import AuditEntry
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, DealerGroup, Role, StaffMembership, Store, User
from aftersales.parts import services
from aftersales.parts.models import StockBalance, StockMove, Stocktake, StocktakeLine
from aftersales.parts.selectors.stock import stock_verify
from aftersales.parts.services import ReceiptLine
from aftersales.parts.services.stocktakes import (
    CountEntry,
    Scope,
    stocktake_approve,
    stocktake_count,
    stocktake_create,
    stocktake_post,
    stocktake_resolve,
)
from aftersales.parts.tests.conftest import Stock
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory

D = Decimal


def _stock(stock: Stock) -> None:
    services.stock_receive(
        actor=None,
        store_id=stock.world.sh.pk,
        lines=[
            ReceiptLine(stock.part.pk, stock.a1.pk, D(10), D(10)),  # 10 × 10.00
            ReceiptLine(stock.litre.pk, stock.a2.pk, D(20), D(5)),  # 20 L × 5.00
        ],
    )


def test_count_approve_and_post_the_variances(stock: Stock) -> None:
    _stock(stock)
    clerk, other, manager = (
        stock.world.user("parts"),
        stock.world.user("purchaser"),
        stock.world.user("service_manager"),
    )
    take = stocktake_create(actor=clerk, store_id=stock.world.sh.pk, kind="full", scope=Scope())
    assert take.number.startswith("ST-SH01-") and take.status == "counting"
    assert StocktakeLine.objects.filter(stocktake=take).count() == 2
    with pytest.raises(ApplicationError) as refused:  # the same parts and bins on a second open stocktake
        stocktake_create(
            actor=clerk, store_id=stock.world.sh.pk, kind="partial", scope=Scope(warehouse_id=stock.a1.warehouse_id)
        )
    assert refused.value.code == "overlap"

    # The part is counted (8 of a book 10), then 3 are issued: the count's snapshot stays 10.
    stocktake_count(actor=clerk, stocktake_id=take.pk, entries=[CountEntry(stock.part.pk, stock.a1.pk, D(8))])
    services.stock_issue(
        actor=clerk,
        store_id=stock.world.sh.pk,
        demand_type="repair_order",
        demand_id=1,
        demand_line_id=None,
        part_number=stock.part.number,
        quantity=D(3),
        received_by_id=stock.world.user("technician").pk,
    )
    before = (StocktakeLine.objects.filter(counted__isnull=False).count(), StockMove.all_objects.count())
    bad = [CountEntry(stock.litre.pk, stock.a2.pk, D("-1")), CountEntry(stock.litre.pk, stock.a1.pk, D(1))]
    with pytest.raises(ApplicationError) as refused:
        stocktake_count(actor=other, stocktake_id=take.pk, entries=bad)
    assert refused.value.fields == {
        "entries.0.quantity": ["盘点数量须为零或以上。"],
        "entries.1.reason": ["G052-195 在 MAIN/A-01 不在盘点表上:请说明原因以作为盘盈行加入。"],
    }
    assert (StocktakeLine.objects.filter(counted__isnull=False).count(), StockMove.all_objects.count()) == before
    admin = stock.world.user("admin")
    result = stocktake_count(
        actor=admin,
        stocktake_id=take.pk,
        entries=[CountEntry(stock.litre.pk, stock.a2.pk, D("20.5")), CountEntry(stock.litre.pk, stock.a2.pk, D("21"))],
    )
    assert len(result.conflicts) == 1
    with pytest.raises(ApplicationError) as refused:
        stocktake_approve(actor=manager, stocktake_id=take.pk)
    assert refused.value.code == "not_counted"
    stocktake_resolve(actor=other, line_id=result.conflicts[0], quantity=D("20.5"))
    with pytest.raises(ApplicationError) as refused:  # a counter never approves
        stocktake_approve(actor=admin, stocktake_id=take.pk)
    assert refused.value.code == "counted_yourself"
    stocktake_approve(actor=manager, stocktake_id=take.pk)

    entries = AuditEntry.objects.count()
    posted = stocktake_post(actor=manager, stocktake_id=take.pk)
    assert posted.status == "posted" and posted.document_no.startswith("ADJ-SH01-")
    assert AuditEntry.objects.count() == entries + 1
    moves = list(
        StockMove.all_objects.filter(document_type="stocktake")
        .order_by("pk")
        .values_list("part_id", "quantity", "value_fen")
    )
    # Part: counted 8 against the snapshot 10 → -2 at the average 10.00; oil: +0.5 L at the average 5.00.
    assert moves == [(stock.part.pk, D(-2), -2000), (stock.litre.pk, D("0.5"), 250)]
    assert StockBalance.all_objects.get(part=stock.part).on_hand == D(5)  # 10 - 3 issued - 2 short
    with pytest.raises(ApplicationError) as refused:
        stocktake_post(actor=manager, stocktake_id=take.pk)
    assert refused.value.code == "not_approved"
    assert stock_verify().differences == []


@pytest.mark.django_db(transaction=True)
def test_two_clerks_posting_at_once_post_once() -> None:
    group = DealerGroup.objects.create(code="SG", name="盘点集团")
    store = Store.objects.create(group=group, code="ST01", name="盘点店")
    role = Role.objects.create(code="stock_st", name="配件", permissions=["stock.move", "stock.adjust"])
    counter, approver = User.objects.create(username="counter_st"), User.objects.create(username="approver_st")
    for user in (counter, approver):
        StaffMembership.objects.create(user=user, store=store, role=role)
    part = PartFactory.create(group=group, brand=Brand.objects.create(code="SB", name="盘点品牌"))
    bin_ = BinFactory.create(store=store, warehouse=WarehouseFactory.create(store=store))
    services.stock_receive(actor=counter, store_id=store.pk, lines=[ReceiptLine(part.pk, bin_.pk, D(5), D(2))])
    take = stocktake_create(actor=counter, store_id=store.pk, kind="full", scope=Scope())
    stocktake_count(actor=counter, stocktake_id=take.pk, entries=[CountEntry(part.pk, bin_.pk, D(7))])
    stocktake_approve(actor=approver, stocktake_id=take.pk)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            stocktake_post(actor=approver, stocktake_id=take.pk)
            outcomes.append("posted")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["not_approved", "posted"]
    assert StockMove.all_objects.filter(document_type="stocktake").count() == 1
    assert StockBalance.all_objects.get(part=part).on_hand == D(7)
    assert Stocktake.all_objects.get(pk=take.pk).status == "posted"


def test_the_stocktake_pages(stock: Stock, client_for: Callable[[User], Client]) -> None:
    _stock(stock)
    clerk, manager = client_for(stock.world.user("parts")), client_for(stock.world.user("service_manager"))
    assert clerk.post("/stock/stocktakes/", {"kind": "full", "blind": "on"}).status_code == 302
    take = Stocktake.all_objects.get()
    page = clerk.get(f"/stock/stocktakes/{take.pk}/")
    assert page.status_code == 200 and not page.context["shown"]  # blind: no book quantities while counting
    wrong = clerk.post(
        f"/stock/stocktakes/{take.pk}/count/", {"bin": str(stock.a1.pk), "part": "NOPE", "quantity": "1"}
    )
    assert wrong.status_code == 400 and wrong.context["count_form"].errors["part"] == ["未知零件号 NOPE。"]
    for part, bin_id, quantity in (("5Q0115561A", stock.a1.pk, "9"), ("G052195", stock.a2.pk, "20")):
        assert (
            clerk.post(
                f"/stock/stocktakes/{take.pk}/count/", {"bin": str(bin_id), "part": part, "quantity": quantity}
            ).status_code
            == 302
        )
    assert manager.post(f"/stock/stocktakes/{take.pk}/approve/").status_code == 302
    review = manager.get(f"/stock/stocktakes/{take.pk}/")
    assert [variance for _line, variance in review.context["lines"]] == [D(-1), D(0)]
    assert manager.post(f"/stock/stocktakes/{take.pk}/post/").status_code == 302
    assert manager.post(f"/stock/stocktakes/{take.pk}/post/").status_code == 409
    sheet = clerk.get(f"/stock/stocktakes/{take.pk}/sheet.pdf")
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    assert StockBalance.all_objects.get(part=stock.part).on_hand == D(9)


def test_a_posting_the_ledger_refuses_names_the_lines_and_stays_approved(stock: Stock) -> None:
    _stock(stock)
    clerk, manager = stock.world.user("parts"), stock.world.user("service_manager")
    take = stocktake_create(actor=clerk, store_id=stock.world.sh.pk, kind="full", scope=Scope())
    stocktake_count(
        actor=clerk,
        stocktake_id=take.pk,
        entries=[CountEntry(stock.part.pk, stock.a1.pk, D(8)), CountEntry(stock.litre.pk, stock.a2.pk, D(20))],
    )
    # After the count every unit is issued: the 2 short can no longer be written off.
    services.stock_issue(
        actor=clerk,
        store_id=stock.world.sh.pk,
        demand_type="repair_order",
        demand_id=1,
        demand_line_id=None,
        part_number=stock.part.number,
        quantity=D(10),
        received_by_id=stock.world.user("technician").pk,
    )
    stocktake_approve(actor=manager, stocktake_id=take.pk)
    with pytest.raises(ApplicationError) as refused:
        stocktake_post(actor=manager, stocktake_id=take.pk)
    assert refused.value.code == "insufficient_stock"
    assert refused.value.extra["shortfalls"] == [{"part": "5Q0-115-561-A", "bin": "MAIN/A-01", "short": "2"}]
    assert Stocktake.all_objects.get(pk=take.pk).status == "approved"
    assert StockMove.all_objects.filter(document_type="stocktake").count() == 0
