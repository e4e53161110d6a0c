"""Stocktakes: the scope, counts that take their book snapshot when counted (moves during the count
are no variance), double counts, approval by someone who did not count, one posting, a clean ledger."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from aftersales.core.audit import AuditEntry
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, DealerGroup, Role, StaffMembership, Store, User
from aftersales.parts import services
from aftersales.parts.models import StockBalance, StockMove, Stocktake, StocktakeLine, Warehouse
from aftersales.parts.selectors.stock import stock_verify
from aftersales.parts.services import ReceiptLine
from aftersales.parts.services.stocktakes import (
    CountEntry,
    Scope,
    stocktake_approve,
    stocktake_count,
    stocktake_create,
    stocktake_post,
    stocktake_reopen,
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


def test_count_approve_and_post_the_variances(stock: Stock, django_capture_on_commit_callbacks: Any) -> None:
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
    with django_capture_on_commit_callbacks(execute=True) as jobs:
        asked = stocktake_post(actor=manager, stocktake_id=take.pk)
    assert (asked.status, asked.post_total, len(jobs)) == ("posting", 2, 1)  # the job runs after the commit
    posted = Stocktake.all_objects.get(pk=take.pk)
    assert posted.status == "posted" and posted.document_no.startswith("ADJ-SH01-")
    assert (posted.post_done, posted.post_errors, posted.posted_by) == (2, [], manager)
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


def test_the_stocktake_pages(
    stock: Stock, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
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
    assert [(variance, value) for _line, variance, value in review.context["lines"]] == [(D(-1), -1000), (D(0), 0)]
    assert review.context["gain_loss"] == (0, 1000)  # 1 short at the average 10.00
    assert "盘盈 0.00 元，盘亏 10.00 元。" in review.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as jobs:
        assert manager.post(f"/stock/stocktakes/{take.pk}/post/").status_code == 302
    posting = manager.get(f"/stock/stocktakes/{take.pk}/?part=status", headers={"HX-Request": "true"})
    assert posting.status_code == 200 and posting.context["posting"] and posting.context["progress"] == 0
    assert 'hx-trigger="every 1s"' in posting.content.decode()  # the bar polls while the job runs
    assert "<html" not in posting.content.decode()
    jobs[0]()
    done = manager.get(f"/stock/stocktakes/{take.pk}/")
    assert done.context["progress"] == 100 and 'data-testid="post-counts"' in done.content.decode()
    assert manager.post(f"/stock/stocktakes/{take.pk}/post/").status_code == 409
    assert manager.get(f"/stock/stocktakes/{take.pk}/?show=nope").status_code == 400
    sheet = clerk.get(f"/stock/stocktakes/{take.pk}/sheet.pdf")
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    assert StockBalance.all_objects.get(part=stock.part).on_hand == D(9)


def test_every_line_the_posting_cannot_take_is_reported_and_nothing_posts(
    stock: Stock, django_capture_on_commit_callbacks: Any
) -> None:
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
    entries = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        stocktake_post(actor=manager, stocktake_id=take.pk)
    refused = Stocktake.all_objects.get(pk=take.pk)
    short = StocktakeLine.objects.get(stocktake=take, part=stock.part)
    assert refused.status == "approved" and refused.post_message == "1 行无法过账，未过账任何内容。"
    assert refused.post_errors == [
        {
            "line": short.pk,
            "part": "5Q0-115-561-A",
            "bin": "MAIN/A-01",
            "message": "应冲减 2，当前在库 0：盘点后有出库。",
        }
    ]
    assert StockMove.all_objects.filter(document_type="stocktake").count() == 0
    assert AuditEntry.objects.count() == entries  # nothing written

    # Back to counting: the refused line is counted again (a new snapshot), approved and posted.
    stocktake_reopen(actor=manager, stocktake_id=take.pk)
    short.refresh_from_db()
    assert (short.counted, short.book) == (None, None)
    stocktake_count(actor=clerk, stocktake_id=take.pk, entries=[CountEntry(stock.part.pk, stock.a1.pk, D(0))])
    stocktake_approve(actor=manager, stocktake_id=take.pk)
    with django_capture_on_commit_callbacks(execute=True):
        stocktake_post(actor=manager, stocktake_id=take.pk)
    assert Stocktake.all_objects.get(pk=take.pk).status == "posted"
    assert StockMove.all_objects.filter(document_type="stocktake").count() == 0  # 0 counted, 0 on the book
    assert stock_verify().differences == []


def test_cycle_counts_take_the_next_slice_of_bins_each_day(stock: Stock) -> None:
    main = stock.a1.warehouse
    a3, a4 = (BinFactory.create(store=stock.world.sh, warehouse=main, code=code) for code in ("A-03", "A-04"))
    BinFactory.create(store=stock.world.sh, warehouse=main, code="A-02")  # empty: never counted
    services.stock_receive(
        actor=None,
        store_id=stock.world.sh.pk,
        lines=[ReceiptLine(stock.part.pk, bin_.pk, D(1), D(10)) for bin_ in (stock.a1, a3, a4)],
    )
    assert services.cycle_counts_plan(today=date(2026, 11, 2)) == 0  # no warehouse has a cycle yet
    Warehouse.all_objects.filter(pk=main.pk).update(cycle_days=2)  # 3 bins hold stock: 2 a day

    def bins_of_day(day: int) -> list[str]:
        before = set(Stocktake.all_objects.values_list("pk", flat=True))
        services.cycle_counts_plan(today=date(2026, 11, day))
        new = Stocktake.all_objects.exclude(pk__in=before)
        lines = StocktakeLine.objects.filter(stocktake__in=new).order_by("bin__code")
        return [line.bin.code for line in lines]

    assert bins_of_day(3) == ["A-01", "A-03"]
    assert bins_of_day(3) == []  # planned once a day however often the job runs
    assert bins_of_day(4) == ["A-04"]
    take = Stocktake.all_objects.get(scope__bin_from="A-01")
    assert (take.kind, take.blind, take.created_by) == ("cycle", True, None)
    assert bins_of_day(5) == []  # a new round: A-01 and A-03 are still on day 3's open count (counted there)
    services.stocktakes.stocktake_cancel(actor=stock.world.user("service_manager"), stocktake_id=take.pk)
    assert bins_of_day(6) == []  # the round goes on: A-04 is on day 4's open count
    assert bins_of_day(7) == ["A-01", "A-03"]


def test_the_cycle_is_set_on_the_warehouses_page_and_through_the_api(
    stock: Stock, client_for: Callable[[User], Client]
) -> None:
    admin = client_for(stock.world.user("admin"))
    main = stock.a1.warehouse
    wrong = admin.post(f"/stock/warehouses/{main.pk}/cycle/", {"cycle_days": "400"})
    assert wrong.status_code == 400 and wrong.context["cycle_form"].errors["cycle_days"] == ["确保该值小于或等于366。"]
    assert Warehouse.all_objects.get(pk=main.pk).cycle_days == 0
    assert admin.post(f"/stock/warehouses/{main.pk}/cycle/", {"cycle_days": "30"}).status_code == 302
    assert "每 30 天盘点一次" in admin.get("/stock/warehouses/").content.decode()
    api = admin.post(f"/api/v1/stock/warehouses/{main.pk}/cycle", {"cycle_days": -1}, content_type="application/json")
    assert api.status_code == 422 and list(api.json()["fields"]) == ["cycle_days"]
    done = admin.post(f"/api/v1/stock/warehouses/{main.pk}/cycle", {"cycle_days": 0}, content_type="application/json")
    assert done.status_code == 200 and done.json()["cycle_days"] == 0
    clerk = client_for(stock.world.user("technician"))  # a technician does not manage warehouses
    assert clerk.post(f"/stock/warehouses/{main.pk}/cycle/", {"cycle_days": "30"}).status_code == 403


def test_a_posting_job_delivered_twice_or_lost_posts_once(
    stock: Stock, django_capture_on_commit_callbacks: Any
) -> None:
    _stock(stock)
    clerk, manager = stock.world.user("parts"), stock.world.user("service_manager")
    take = stocktake_create(actor=clerk, store_id=stock.world.sh.pk, kind="full", scope=Scope())
    stocktake_count(
        actor=clerk,
        stocktake_id=take.pk,
        entries=[CountEntry(stock.part.pk, stock.a1.pk, D(12)), CountEntry(stock.litre.pk, stock.a2.pk, D(20))],
    )
    stocktake_approve(actor=manager, stocktake_id=take.pk)
    with django_capture_on_commit_callbacks(execute=False):  # the worker is down: the job is lost
        stocktake_post(actor=manager, stocktake_id=take.pk)
    assert services.stocktakes_recover() == 0  # not quiet for long yet
    later = timezone.now() + timedelta(minutes=11)
    assert services.stocktakes_recover(now=later) == 1  # started again (the queue runs it at once here)
    assert services.stocktakes_recover(now=later) == 0
    assert Stocktake.all_objects.get(pk=take.pk).status == "posted"
    assert services.stocktakes.stocktake_post_run(take.pk) is None  # a second delivery: left alone
    assert StockMove.all_objects.filter(document_type="stocktake").count() == 1
    assert StockBalance.all_objects.get(part=stock.part).on_hand == D(12)


def test_a_short_count_on_reserved_stock_says_to_release_the_reservation(
    stock: Stock, django_capture_on_commit_callbacks: Any
) -> None:
    _stock(stock)
    clerk, manager = stock.world.user("parts"), stock.world.user("service_manager")
    take = stocktake_create(actor=clerk, store_id=stock.world.sh.pk, kind="partial", scope=Scope(bin_to="A-01"))
    stocktake_count(actor=clerk, stocktake_id=take.pk, entries=[CountEntry(stock.part.pk, stock.a1.pk, D(5))])
    services.stock_reserve(
        actor=None,
        store_id=stock.world.sh.pk,
        demands=[services.Demand(stock.part.pk, D(8), "repair_order", 7, 1, bin_id=stock.a1.pk)],
    )
    stocktake_approve(actor=manager, stocktake_id=take.pk)
    with django_capture_on_commit_callbacks(execute=True):
        stocktake_post(actor=manager, stocktake_id=take.pk)
    refused = Stocktake.all_objects.get(pk=take.pk)
    assert [problem["message"] for problem in refused.post_errors] == [
        "应冲减 5，但现有 10 中有 8 已被预留：请先释放或转移这些预留。"
    ]
