"""Headless Chromium on a tablet held upright (820×1180, touch): the advisor walks around the car with the
customer, taps the diagram where the door is scratched, chooses 划痕, adds the mark and sees it drawn, measures
a tyre, rates a check and saves; then the same pages on a desktop (1366×900)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone

from aftersales.conftest import PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_an_advisor_marks_a_scratch_on_the_tablet(live_server: object, browser_pages: Callable[..., object]) -> None:
    from playwright.sync_api import Page, expect

    from aftersales.core.models import Role, StaffMembership, User
    from aftersales.core.tests.factories import StoreFactory
    from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory
    from aftersales.visits.models import DamageMark, TyreReading, Visit
    from aftersales.visits.services.inspection import checklist_install

    # Transactional tests flush the database: the role is made here rather than read from a migration.
    store = StoreFactory.create(code="SH01", name="上海浦东店")
    role = Role.objects.create(
        code="walk_advisor",
        name="服务顾问",
        permissions=["visits.view", "visits.receive", "visits.diagnose", "messages.view"],
    )
    advisor = User.objects.create_user(username="sa_sh01", password=PASSWORD, full_name="王顾问")
    StaffMembership.objects.create(user=advisor, store=store, role=role)
    customer = CustomerFactory.create(name="张伟", mobiles=["13912345678"], actor=advisor, store=store)
    vehicle = VehicleFactory.create(owner=customer, plate="沪A12345", actor=advisor)
    checklist_install(store)
    visit = Visit.all_objects.create(
        store=store,
        number="VS-SH01-2026-000001",
        customer=customer,
        vehicle=vehicle,
        advisor=advisor,
        contact_name="张伟",
        contact_mobile="13912345678",
        arrived_at=timezone.now(),
        mileage_in=52_300,
        fuel_level=4,
    )
    screenshots = Path(os.environ.get("AFTERSALES_SCREENSHOTS", "/tmp"))

    page: Page = browser_pages(viewport={"width": 820, "height": 1180}, is_mobile=True, has_touch=True)  # type: ignore[assignment]
    page.goto(f"{live_server}/")
    page.fill("input[name=username]", "sa_sh01")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/visits/{visit.pk}/walk-around/")
    expect(page.get_by_test_id("page-title")).to_contain_text("环检")
    expect(page.get_by_test_id("damage-form")).to_be_hidden()

    diagram = page.get_by_test_id("diagram")
    box = diagram.bounding_box()
    assert box is not None
    # The front-left door of the car seen from above: 215/600 across, 300/640 down the drawing, which keeps
    # its proportions in the middle of the element's box.
    scale = min(box["width"] / 600, box["height"] / 640)
    left, top = (box["width"] - 600 * scale) / 2, (box["height"] - 640 * scale) / 2
    diagram.tap(position={"x": left + 215 * scale, "y": top + 300 * scale})
    expect(page.get_by_test_id("damage-form")).to_be_visible()
    page.locator("label", has_text="划痕").tap()
    page.locator("#damage-note").fill("左前门划痕")
    page.screenshot(path=str(screenshots / "walk-around-tablet-marking.png"), animations="disabled")
    page.get_by_test_id("damage-save").tap()
    mark = page.get_by_test_id("mark")
    expect(mark).to_have_count(1)
    expect(mark).to_have_attribute("data-kind", "scratch")
    expect(page.get_by_test_id("damage-list")).to_contain_text("左前门划痕")
    expect(page.get_by_test_id("damage-form")).to_be_hidden()
    row = DamageMark.objects.get()
    assert (row.kind, row.note) == ("scratch", "左前门划痕")
    assert abs(row.x - 358) <= 3 and abs(row.y - 469) <= 3

    page.locator("input[name=tyre_fl]").fill("4.5")
    page.get_by_test_id("rate-brakes-amber").tap()
    expect(page.get_by_test_id("save")).to_be_visible()
    page.get_by_test_id("save").tap()
    expect(page.locator("input[name=tyre_fl]")).to_have_value("4.5")
    expect(page.get_by_test_id("recommend-brakes")).to_be_visible()
    assert list(TyreReading.objects.values_list("position", flat=True)) == ["fl"]
    page.screenshot(path=str(screenshots / "walk-around-tablet.png"), full_page=True, animations="disabled")

    desktop: Page = browser_pages(viewport={"width": 1366, "height": 900})  # type: ignore[assignment]
    desktop.goto(f"{live_server}/")
    desktop.fill("input[name=username]", "sa_sh01")
    desktop.fill("input[name=password]", PASSWORD)
    desktop.click("button[type=submit]")
    desktop.goto(f"{live_server}/visits/{visit.pk}/walk-around/")
    expect(desktop.get_by_test_id("mark")).to_have_count(1)
    desktop.screenshot(path=str(screenshots / "walk-around-desktop.png"), full_page=True, animations="disabled")
    desktop.get_by_test_id("recommend-brakes").click()
    expect(desktop.locator("input[name=symptom]")).to_have_value("制动")
    desktop.screenshot(path=str(screenshots / "diagnosis-desktop.png"), full_page=True, animations="disabled")
    page.goto(f"{live_server}/visits/{visit.pk}/diagnosis/")
    page.screenshot(path=str(screenshots / "diagnosis-tablet.png"), full_page=True, animations="disabled")
