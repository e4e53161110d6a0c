"""The parts and stock pages as a clerk uses them: search, receive, issue at the desk, the ledger,
stock as of a date, warehouses and the month closing; refusals shown on their fields, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from aftersales.core.models import User
from aftersales.parts.models import Bin, StockBalance, StockClosing, StockMove, Warehouse
from aftersales.parts.tests.conftest import Stock


def _receipt(stock: Stock, **rows: str) -> dict[str, str]:
    data = {"document_no": "DN-7", "moved_on": ""}
    data.update(rows)
    return data


def test_search_receive_issue_and_read(stock: Stock, client_for: Callable[[User], Client]) -> None:
    clerk = client_for(stock.world.user("parts"))
    page = clerk.get("/parts/?q=5q0 115")
    assert page.status_code == 200 and "5Q0-115-561-A" in page.content.decode()
    assert "G052-195" not in page.content.decode()
    by_pinyin = clerk.get("/parts/?q=jyllq")
    assert "5Q0-115-561-A" in by_pinyin.content.decode()

    refused = clerk.post(
        "/stock/receive/",
        _receipt(stock, part_0="5Q0115561A", bin_0=str(stock.a1.pk), quantity_0="1.5", unit_cost_0="10", part_1="XX-1"),
    )
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert errors["bin_1"] == ["此字段为必填项。"] and errors["part_1"] == ["未知零件号 XX-1。"]
    assert StockMove.all_objects.count() == 0
    response = clerk.post(
        "/stock/receive/",
        _receipt(
            stock,
            part_0="5Q0115561A",
            bin_0=str(stock.a1.pk),
            quantity_0="3",
            unit_cost_0="10.5",
            part_1="G052195",
            bin_1=str(stock.a2.pk),
            quantity_1="8.5",
            unit_cost_1="55",
        ),
    )
    assert response.status_code == 302 and response["Location"] == "/stock/moves/?document_no=DN-7"
    assert StockBalance.all_objects.get(part=stock.part).value_fen == 3150
    too_many = clerk.post(
        "/stock/receive/",
        _receipt(stock, part_0="5Q0115561A", bin_0=str(stock.a1.pk), quantity_0="2.5", unit_cost_0="1"),
    )
    assert too_many.context["form"].errors == {"quantity_0": ["5Q0-115-561-A 以整数件计：请输入整数。"]}

    technician = stock.world.user("technician")
    desk = clerk.get("/stock/issue/")
    assert desk.status_code == 200 and technician.full_name in desk.content.decode()
    unconfirmed = clerk.post(
        "/stock/issue/",
        {"demand_id": "12", "part_number": "5Q0115561A", "quantity": "1", "received_by": str(technician.pk)},
    )
    assert unconfirmed.status_code == 400 and "confirmed" in unconfirmed.context["form"].errors
    short = clerk.post(
        "/stock/issue/",
        {
            "demand_id": "12",
            "part_number": "5Q0115561A",
            "quantity": "4",
            "received_by": str(technician.pk),
            "confirmed": "on",
        },
    )
    assert short.status_code == 400
    assert short.context["form"].errors["quantity"] == ["库存不足:5Q0-115-561-A 在 MAIN/A-01:缺 1(可用 3)。"]
    done = clerk.post(
        "/stock/issue/",
        {
            "demand_id": "12",
            "part_number": "5Q0-115-561-A",
            "quantity": "2",
            "received_by": str(technician.pk),
            "confirmed": "on",
        },
    )
    assert done.status_code == 302
    assert StockBalance.all_objects.get(part=stock.part).on_hand == Decimal(1)

    ledger = clerk.get("/stock/moves/?kind=issue").content.decode()
    assert ledger.count('data-testid="move-') == 1 and "-2" in ledger
    as_of = clerk.get(f"/stock/as-of/?date={timezone.localdate()}")
    assert as_of.context["lines"] == 2 and as_of.context["value"] == Decimal("478.00")
    assert clerk.get("/stock/as-of/?date=2026-13-01").status_code == 400
    detail = clerk.get(f"/parts/{stock.part.pk}/").content.decode()
    assert "MAIN/A-01" in detail and "DN-7" in detail


def test_warehouses_bins_and_labels_from_the_page(stock: Stock, client_for: Callable[[User], Client]) -> None:
    clerk = client_for(stock.world.user("parts"))
    assert clerk.post("/stock/warehouses/", {"code": "tyre", "name": "轮胎库"}).status_code == 302
    warehouse_id = Warehouse.all_objects.get(code="TYRE").pk
    added = clerk.post(f"/stock/warehouses/{warehouse_id}/bins/", {"codes": "T-01, T-02\nT-03"})
    assert added.status_code == 302
    assert list(Bin.all_objects.filter(warehouse_id=warehouse_id).values_list("code", flat=True).order_by("code")) == [
        "T-01",
        "T-02",
        "T-03",
    ]
    again = clerk.post(f"/stock/warehouses/{warehouse_id}/bins/", {"codes": "T-03"})
    assert again.status_code == 400 and "T-03" in again.content.decode()
    labels = clerk.get(f"/stock/warehouses/{warehouse_id}/labels.pdf")
    assert labels.status_code == 200 and labels["Content-Type"] == "application/pdf"
    advisor = client_for(stock.world.user("advisor"))
    assert advisor.post("/stock/warehouses/", {"code": "X", "name": "x"}).status_code == 403


def test_closing_a_month_from_the_page(stock: Stock, client_for: Callable[[User], Client]) -> None:
    clerk, finance = client_for(stock.world.user("parts")), client_for(stock.world.user("finance"))
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    assert clerk.post("/stock/closings/", {"month": f"{last_month:%Y-%m}"}).status_code == 403
    wrong = finance.post("/stock/closings/", {"month": "2026-13"})
    assert wrong.status_code == 400 and wrong.context["form"].errors == {"month": ["请按 YYYY-MM 输入月份。"]}
    this_month = finance.post("/stock/closings/", {"month": f"{timezone.localdate():%Y-%m}"})
    assert this_month.context["form"].errors == {"month": ["只能对已结束的月份结账。"]}
    assert finance.post("/stock/closings/", {"month": f"{last_month:%Y-%m}"}).status_code == 302
    assert list(StockClosing.all_objects.values_list("month", flat=True)) == [last_month]
