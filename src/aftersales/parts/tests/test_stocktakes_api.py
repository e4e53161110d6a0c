"""The stocktake API: plan, count blind, approve by another person, post once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.test import Client

from aftersales.core.models import User
from aftersales.parts import services
from aftersales.parts.models import StockBalance
from aftersales.parts.services import ReceiptLine
from aftersales.parts.tests.conftest import Stock


def test_a_stocktake_through_the_api(
    stock: Stock, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    services.stock_receive(
        actor=None, store_id=stock.world.sh.pk, lines=[ReceiptLine(stock.part.pk, stock.a1.pk, Decimal(6), Decimal(10))]
    )
    clerk, manager = client_for(stock.world.user("parts")), client_for(stock.world.user("service_manager"))
    created = clerk.post("/api/v1/stocktakes", {"store": "SH01", "kind": "full"}, content_type="application/json")
    assert created.status_code == 201, created.content
    take = created.json()
    assert (take["lines"], take["counted"], take["status"]) == (1, 0, "counting")
    url = f"/api/v1/stocktakes/{take['id']}"
    detail = clerk.get(url).json()
    assert [(line["part"], line["book"], line["counted"]) for line in detail["items"]] == [
        ("5Q0-115-561-A", None, None)
    ]
    bad = clerk.post(
        f"{url}/counts",
        {"counts": [{"part": "5Q0115561A", "bin": stock.a1.pk, "quantity": "-1"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["fields"] == {"counts.0.quantity": ["盘点数量须为零或以上。"]}
    counted = clerk.post(
        f"{url}/counts",
        {"counts": [{"part": "5q0-115-561-a", "bin": stock.a1.pk, "quantity": "5"}]},
        content_type="application/json",
    )
    assert counted.json() == {"counted": 1, "conflicts": []}
    assert clerk.post(f"{url}/approve").status_code == 403  # a parts clerk does not approve adjustments
    assert manager.post(f"{url}/approve").json()["status"] == "approved"
    after = manager.get(url).json()
    assert [(line["book"], line["counted"], line["variance"], line["variance_value"]) for line in after["items"]] == [
        ("6.000", "5.000", "-1.000", "-10.00")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        posting = manager.post(f"{url}/post")
    assert posting.status_code == 202, posting.content
    assert (posting.json()["status"], posting.json()["post_total"]) == ("posting", 1)
    posted = manager.get(url).json()
    assert (posted["status"], posted["post_done"], posted["post_errors"]) == ("posted", 1, [])
    assert manager.post(f"{url}/post").status_code == 409
    assert manager.post(f"{url}/cancel").status_code == 409  # posted: nothing to cancel
    assert manager.post(f"{url}/reopen").status_code == 409
    assert StockBalance.all_objects.get(part=stock.part).on_hand == Decimal(5)
