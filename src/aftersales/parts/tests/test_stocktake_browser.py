"""Headless Chromium on a tablet (768×1024, touch): a parts clerk counts at the shelf with a scanner:
the bin's label, then the part, then the quantity; a second, different count asks which is right."""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from aftersales.conftest import PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.fixture
def tablet(browser_pages: Callable[..., object]) -> object:
    return browser_pages(viewport={"width": 768, "height": 1024}, is_mobile=True, has_touch=True)


@pytest.mark.django_db(transaction=True)
def test_a_clerk_counts_with_a_scanner_on_a_tablet(live_server: object, tablet: object) -> None:
    from playwright.sync_api import Page, expect

    from aftersales.core.models import Brand, DealerGroup, Role, StaffMembership, Store, User
    from aftersales.parts import services
    from aftersales.parts.models import StocktakeLine
    from aftersales.parts.services import ReceiptLine
    from aftersales.parts.services.stocktakes import Scope, stocktake_create
    from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory

    group = DealerGroup.objects.create(code="G", name="集团")
    store = Store.objects.create(group=group, code="SH01", name="上海浦东店")
    clerk = User.objects.create_user(username="parts_sh01", password=PASSWORD, full_name="王库管")
    # A role of its own: a test with a database of its own may start without the built-in roles.
    role = Role.objects.create(code="counter", name="库管", permissions=["parts.view", "stock.move"])
    StaffMembership.objects.create(user=clerk, store=store, role=role)
    brand = Brand.objects.create(code="VW", name="大众")
    part = PartFactory.create(group=group, brand=brand, number="5Q0115561A", number_display="5Q0-115-561-A")
    main = WarehouseFactory.create(store=store, code="MAIN")
    a1, a2 = (
        BinFactory.create(store=store, warehouse=main, code="A-01"),
        BinFactory.create(store=store, warehouse=main, code="A-02"),
    )
    services.stock_receive(
        actor=None,
        store_id=store.pk,
        lines=[
            ReceiptLine(part.pk, a1.pk, Decimal(10), Decimal(30)),
            ReceiptLine(part.pk, a2.pk, Decimal(2), Decimal(30)),
        ],
    )
    take = stocktake_create(actor=clerk, store_id=store.pk, kind="full", scope=Scope())

    page: Page = tablet  # type: ignore[assignment]
    page.goto(f"{live_server}/")
    page.fill("input[name=username]", "parts_sh01")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/stock/stocktakes/{take.pk}/")
    expect(page.get_by_test_id("page-title")).to_contain_text(take.number)
    lines = page.get_by_test_id("stocktake-lines")
    expect(lines).not_to_contain_text("账面")  # a blind count: no book quantities while counting

    scan = page.locator("input[name=part]")
    expect(scan).to_be_focused()
    scan.fill("BIN:SH01/MAIN/Z-99")  # a label of a bin not on this stocktake
    scan.press("Enter")
    expect(page.get_by_test_id("scan-message")).to_have_text("货位 MAIN/Z-99 不在本次盘点中。")
    scan.fill("BIN:SH01/MAIN/A-01")
    scan.press("Enter")
    expect(page.locator("select[name=bin]")).to_have_value(str(a1.pk))
    expect(scan).to_have_value("")
    scan.fill("5Q0115561A")
    scan.press("Enter")  # the scanner's Enter moves on to the quantity
    expect(page.locator("input[name=quantity]")).to_be_focused()
    page.keyboard.type("9")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("已盘点 5Q0-115-561-A")
    expect(page.locator("select[name=bin]")).to_have_value(str(a1.pk))  # the bin stays for the next part
    expect(page.locator("input[name=part]")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 768

    page.locator("input[name=part]").fill("5Q0115561A")  # the same line again, counted 8 this time
    page.locator("input[name=part]").press("Enter")
    page.keyboard.type("8")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-warning").first).to_contain_text("之前盘点的数量不同")
    expect(lines).to_contain_text("9 还是 8？")
    line = StocktakeLine.objects.get(stocktake=take, bin=a1)
    assert (line.counted, line.recount, line.book) == (Decimal(9), Decimal(8), Decimal(10))
    screenshots = Path(os.environ.get("AFTERSALES_SCREENSHOTS", "/tmp"))
    page.screenshot(path=str(screenshots / "stocktake-count-tablet.png"), full_page=True)
