"""Headless Chromium: a service advisor signs in (Chinese by default) and switches to English."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from aftersales.conftest import PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.fixture
def browser_page(browser_pages: Callable[..., object]) -> object:
    return browser_pages(viewport={"width": 1024, "height": 768})


@pytest.mark.django_db(transaction=True)
def test_advisor_signs_in_in_chinese_and_switches_to_english(live_server: object, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    from aftersales.core.models import Bay, DealerGroup, Role, StaffMembership, Store, User
    from aftersales.core.services import roles_install_defaults

    # A transactional test that ran before this one flushed the roles the migrations installed.
    roles_install_defaults()
    store = Store.objects.create(
        group=DealerGroup.objects.create(code="G", name="集团"), code="SH01", name="上海浦东店"
    )
    Bay.objects.create(store=store, code="A01", kind="general_lift")
    Bay.objects.create(store=store, code="A02", kind="general_lift")
    advisor = User.objects.create_user(username="advisor_sh01", password=PASSWORD, full_name="李明轩")
    StaffMembership.objects.create(user=advisor, store=store, role=Role.objects.get(code="advisor"))

    page: Page = browser_page  # type: ignore[assignment]
    page.goto(f"{live_server}/")
    expect(page.locator("h1")).to_contain_text("售后系统")
    page.fill("input[name=username]", "advisor_sh01")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码不正确。")

    page.fill("input[name=username]", "advisor_sh01")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("page-title")).to_have_text("今日 · 上海浦东店")
    expect(page.get_by_test_id("card-bays_active")).to_have_text("2")
    expect(page.get_by_test_id("current-user")).to_contain_text("李明轩")
    expect(page.get_by_test_id("menu")).to_contain_text("门店")
    expect(page.get_by_test_id("menu")).not_to_contain_text("审计日志")
    screenshots = Path(os.environ.get("AFTERSALES_SCREENSHOTS", "/tmp"))
    page.screenshot(path=str(screenshots / "today-zh.png"), full_page=True)

    page.get_by_test_id("language-switcher").get_by_role("button", name="English").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Today · 上海浦东店")
    expect(page.get_by_test_id("menu")).to_contain_text("Stores")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=str(screenshots / "today-en.png"), full_page=True)
