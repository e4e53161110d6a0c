"""The parts and stock API end to end: a receipt, the balance, an issue with its reservation, the
ledger, stock as of a date, the month closing, refusals with field errors, and the verify command."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from aftersales.core.audit import AuditEntry
from aftersales.core.models import User
from aftersales.core.xlsx import XlsxWriter
from aftersales.parts.models import PartPrice, StockBalance, StockMove
from aftersales.parts.tests.conftest import Stock


@pytest.fixture
def api(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    return client_for


def test_receive_reserve_issue_and_read_the_ledger(stock: Stock, api: Callable[[User], Client]) -> None:
    clerk = api(stock.world.user("parts"))
    advisor = api(stock.world.user("advisor"))
    response = clerk.post(
        "/api/v1/stock/receipts",
        {
            "store": "SH01",
            "document_no": "DN-88",
            "lines": [
                {"part": "5q0-115-561a", "bin": stock.a1.pk, "quantity": "6", "unit_cost": "12.5"},
                {"part": "G052 195", "bin": stock.a2.pk, "quantity": "4.5", "unit_cost": "60"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["document_no"] == "DN-88"
    assert [(m["part"], m["quantity"], m["value"]) for m in body["moves"]] == [
        ("5Q0-115-561-A", "6.000", "75"),
        ("G052-195", "4.500", "270"),
    ]
    response = advisor.post(
        "/api/v1/stock/reservations",
        {
            "store": "SH01",
            "demands": [
                {
                    "part": "5Q0115561A",
                    "quantity": "2",
                    "demand_type": "repair_order",
                    "demand_id": 5,
                    "demand_line_id": 51,
                }
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"reservations": 1, "quantity": "2.000", "shortfalls": []}
    response = clerk.post(
        "/api/v1/stock/issues",
        {
            "store": "SH01",
            "demand_id": 5,
            "demand_line_id": 51,
            "part_number": "G052195",
            "quantity": "1",
            "received_by": stock.world.user("technician").pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"part_number": ["G052195 不是预留的配件:请发 5Q0-115-561-A。"]}
    response = clerk.post(
        "/api/v1/stock/issues",
        {
            "store": "SH01",
            "demand_id": 5,
            "demand_line_id": 51,
            "part_number": "5Q0115561A",
            "quantity": "2",
            "received_by": stock.world.user("technician").pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert [(m["kind"], m["quantity"], m["value"]) for m in response.json()["moves"]] == [("issue", "-2.000", "-25")]

    balances = clerk.get("/api/v1/stock/balances?store=SH01").json()
    assert [
        (b["part"], b["bin"], b["on_hand"], b["reserved"], b["available"], b["value"]) for b in balances["items"]
    ] == [
        ("5Q0-115-561-A", "A-01", "4.000", "0.000", "4.000", "50"),
        ("G052-195", "B-01", "4.500", "0.000", "4.500", "270"),
    ]
    moves = clerk.get("/api/v1/stock/moves?store=SH01&kind=issue").json()
    assert [(m["part"], m["document_type"], m["document_id"]) for m in moves["items"]] == [
        ("5Q0-115-561-A", "repair_order", 5)
    ]
    as_of = clerk.get(f"/api/v1/stock/as-of?store=SH01&date={timezone.localdate()}").json()
    assert (as_of["lines"], as_of["quantity"], as_of["value"], as_of["snapshot"]) == (2, "8.500", "320", None)
    detail = clerk.get(f"/api/v1/parts/{stock.part.pk}").json()
    assert [(b["store"], b["on_hand"]) for b in detail["balances"]] == [("SH01", "4.000")]


def test_bad_input_gets_field_errors_and_writes_nothing(stock: Stock, api: Callable[[User], Client]) -> None:
    clerk = api(stock.world.user("parts"))
    moves, entries = StockMove.all_objects.count(), AuditEntry.objects.count()
    cases = [
        ({"part": "5Q0115561A", "bin": stock.a1.pk, "quantity": "0", "unit_cost": "1"}, "lines.0.quantity"),
        ({"part": "5Q0115561A", "bin": stock.a1.pk, "quantity": "-2", "unit_cost": "1"}, "lines.0.quantity"),
        ({"part": "5Q0115561A", "bin": stock.a1.pk, "quantity": "1", "unit_cost": "1.23456"}, "lines.0.unit_cost"),
        ({"part": "5Q0115561A", "bin": stock.a1.pk, "quantity": "1.5", "unit_cost": "1"}, "lines.0.quantity"),
        ({"part": "5Q0115569Z", "bin": stock.a1.pk, "quantity": "1", "unit_cost": "1"}, "lines.0.part"),
        ({"part": "5Q0115561A", "bin": stock.other.pk, "quantity": "1", "unit_cost": "1"}, "lines.0.bin"),
    ]
    for line, field in cases:
        response = clerk.post(
            "/api/v1/stock/receipts", {"store": "SH01", "lines": [line]}, content_type="application/json"
        )
        assert response.status_code in {400, 422}, (line, response.content)
        assert list(response.json()["fields"]) == [field], response.json()
    unknown = clerk.post(
        "/api/v1/stock/receipts",
        {"store": "SH01", "lines": [{"part": "5Q0115561B", "bin": stock.a1.pk, "quantity": "1", "unit_cost": "1"}]},
        content_type="application/json",
    ).json()
    assert unknown["fields"] == {"lines.0.part": ["未知零件号 5Q0115561B。 您是否要找 5Q0-115-561-A?"]}
    other_store = clerk.post(
        "/api/v1/stock/receipts",
        {"store": "SZ01", "lines": [{"part": "5Q0115561A", "bin": stock.other.pk, "quantity": "1", "unit_cost": "1"}]},
        content_type="application/json",
    )
    assert other_store.status_code == 400
    assert other_store.json()["fields"] == {"store": ["未知门店。"]}
    assert (StockMove.all_objects.count(), AuditEntry.objects.count()) == (moves, entries)


def test_the_month_closing_refuses_moves_in_it(stock: Stock, api: Callable[[User], Client]) -> None:
    clerk, finance = api(stock.world.user("parts")), api(stock.world.user("finance"))
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    response = clerk.post(
        "/api/v1/stock/receipts",
        {
            "store": "SH01",
            "moved_on": str(last_month),
            "lines": [{"part": "5Q0115561A", "bin": stock.a1.pk, "quantity": "3", "unit_cost": "10"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    response = finance.post(
        "/api/v1/stock/closings", {"store": "SH01", "month": f"{last_month:%Y-%m}"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["balances"], response.json()["value"]) == (1, "30")
    response = clerk.post(
        "/api/v1/stock/receipts",
        {
            "store": "SH01",
            "moved_on": str(last_month + timedelta(days=5)),
            "lines": [{"part": "5Q0115561A", "bin": stock.a1.pk, "quantity": "1", "unit_cost": "10"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"moved_on": [f"{last_month:%Y-%m} 已结账:请在未结账的月份记账。"]}
    as_of = clerk.get(f"/api/v1/stock/as-of?store=SH01&date={timezone.localdate()}").json()
    assert (as_of["snapshot"], as_of["lines"], as_of["value"]) == (f"{last_month:%Y-%m}", 1, "30")


def test_warehouses_bins_and_their_labels(stock: Stock, api: Callable[[User], Client]) -> None:
    clerk = api(stock.world.user("parts"))
    response = clerk.post(
        "/api/v1/stock/warehouses",
        {"store": "SH01", "code": "tyre", "name": "轮胎库", "bins": ["T-01", "T-02"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    warehouse = response.json()
    assert (warehouse["code"], [b["code"] for b in warehouse["bins"]]) == ("TYRE", ["T-01", "T-02"])
    again = clerk.post(
        f"/api/v1/stock/warehouses/{warehouse['id']}/bins", {"codes": ["T-02", "T-03"]}, content_type="application/json"
    )
    assert again.status_code == 400
    assert again.json()["fields"] == {"codes": ["这些货位已存在或重复列出:T-02。"]}
    pdf = clerk.get(f"/api/v1/stock/warehouses/{warehouse['id']}/labels.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "T-01" in text and "T-02" in text and "轮胎库" in text


def test_a_store_price_off_the_guide_needs_the_right_and_a_reason(stock: Stock, api: Callable[[User], Client]) -> None:
    clerk, manager = api(stock.world.user("parts")), api(stock.world.user("admin"))
    url = f"/api/v1/parts/{stock.part.pk}/prices"
    guide_price = {"kind": "retail", "price": "88.00", "valid_from": "2026-01-01"}
    # The group's guide price is set by whoever holds prices.guide, not by a store's parts clerk.
    assert clerk.post(url, guide_price, content_type="application/json").status_code == 403
    guide = manager.post(url, guide_price, content_type="application/json")
    assert guide.status_code == 200, guide.content
    off = {"kind": "retail", "store": "SH01", "price": "80.00", "valid_from": "2026-02-01"}
    refused = clerk.post(url, off, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["fields"] == {"price": ["偏离指导价(88.00)的价格需要偏离权限。"]}
    no_reason = manager.post(url, off, content_type="application/json")
    assert no_reason.json()["fields"] == {"reason": ["请说明偏离指导价的原因。"]}
    done = manager.post(url, {**off, "reason": "店庆促销"}, content_type="application/json")
    assert done.status_code == 200
    assert list(PartPrice.objects.order_by("valid_from").values_list("store__code", "price", "reason")) == [
        (None, Decimal("88.00"), ""),
        ("SH01", Decimal("80.00"), "店庆促销"),
    ]


def _price_file(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    writer = XlsxWriter(buffer, title="价格")
    for row in rows:
        writer.append(row)
    writer.close()
    return buffer.getvalue()


def test_a_price_file_reports_every_wrong_row_and_imports_only_a_clean_one(
    stock: Stock, api: Callable[[User], Client]
) -> None:
    clerk = api(stock.world.user("admin"))
    bad = _price_file(
        [
            ["零件号", "名称", "价格"],
            ["5Q0-115-561-A", "机滤", "88.5"],
            ["5q0115561a", "机滤", "90"],
            ["N-1", "新件", "abc"],
            ["N-2", "", "3"],
        ]
    )
    brand = stock.part.brand.code
    response = clerk.post(
        "/api/v1/parts/price-files",
        {
            "brand": brand,
            "kind": "retail",
            "effective_from": "2026-12-01",
            "dry_run": "false",
            "file": SimpleUploadedFile("p.xlsx", bad),
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["imported"] is False
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "number"), (4, "price"), (5, "name")]
    assert PartPrice.objects.count() == 0
    good = _price_file([["零件号", "名称", "价格"], ["5Q0-115-561-A", "机滤", "88.5"], ["N-2", "新件", "3"]])
    response = clerk.post(
        "/api/v1/parts/price-files",
        {
            "brand": brand,
            "kind": "retail",
            "effective_from": "2026-12-01",
            "dry_run": "false",
            "file": SimpleUploadedFile("p.xlsx", good),
        },
    )
    body = response.json()
    assert (body["imported"], body["rows"], body["updated"], body["created_parts"]) == (True, 2, 1, 1)
    assert sorted(PartPrice.objects.values_list("part__number", "price", "valid_from")) == [
        ("5Q0115561A", Decimal("88.50"), date(2026, 12, 1)),
        ("N2", Decimal("3.00"), date(2026, 12, 1)),
    ]


def test_the_verify_command_prints_its_line_and_fails_on_a_difference(
    stock: Stock, api: Callable[[User], Client]
) -> None:
    api(stock.world.user("parts")).post(
        "/api/v1/stock/receipts",
        {"store": "SH01", "lines": [{"part": "5Q0115561A", "bin": stock.a1.pk, "quantity": "2", "unit_cost": "5"}]},
        content_type="application/json",
    )
    out = io.StringIO()
    call_command("stock", "verify", stdout=out)
    assert out.getvalue().splitlines() == ["stock verify: 1 balances, 0 differences"]
    StockBalance.all_objects.filter(part=stock.part).update(value_fen=999)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("stock", "verify", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1] == "stock verify: 1 balances, 1 differences"
    assert (
        lines[0]
        == f"store {stock.world.sh.pk} part {stock.part.pk} bin {stock.a1.pk}: value_fen recorded 999, computed 1000"
    )
