"""Headless Chromium on a tablet (768×1024, touch): a customer-care agent finds the caller's car, picks a
service and the day, takes the first offered time and books; the lobby's welcome board then shows the
arrival with the name and plate masked."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from aftersales.conftest import PASSWORD

pytestmark = [pytest.mark.browser]


@pytest.fixture
def tablet(browser_pages: Callable[..., object]) -> object:
    return browser_pages(viewport={"width": 768, "height": 1024}, is_mobile=True, has_touch=True)


@pytest.mark.django_db(transaction=True)
def test_an_agent_books_on_a_tablet_and_the_board_shows_the_arrival(live_server: object, tablet: object) -> None:
    from playwright.sync_api import Page, expect

    from aftersales.appointments.models import Appointment, Shift, Technician
    from aftersales.catalogue.tests.factories import LabourOperationFactory
    from aftersales.core.models import Role, StaffMembership, User
    from aftersales.core.tests.factories import StoreFactory
    from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory

    # Transactional tests flush the database: the role is made here rather than read from a migration.
    store = StoreFactory.create(
        code="SH01",
        name="上海浦东店",
        business_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "08:30-18:00"),
    )
    role = Role.objects.create(
        code="apt_agent",
        name="客服",
        permissions=["appointments.view", "appointments.book", "customers.view", "customers.edit"],
    )
    agent = User.objects.create_user(username="crm_sh01", password=PASSWORD, full_name="李客服")
    technician_user = User.objects.create(username="tech_sh01", full_name="王师傅")
    for user in (agent, technician_user):
        StaffMembership.objects.create(user=user, store=store, role=role)
    technician = Technician.objects.create(store=store, user=technician_user, efficiency=Decimal("1.00"))
    Shift.objects.bulk_create(
        Shift(technician=technician, weekday=day, starts=time(8, 30), ends=time(17, 30)) for day in range(7)
    )
    oil = LabourOperationFactory.create(
        group=store.group, code="MT01", name="更换机油", default_hours=Decimal("1.00"), bay_kind="general_lift"
    )
    customer = CustomerFactory.create(name="张伟", mobiles=["13912345678"], actor=agent, store=store)
    vehicle = VehicleFactory.create(owner=customer, plate="沪A12345", actor=agent)
    tomorrow = timezone.now().astimezone(store.zone).date() + timedelta(days=1)

    page: Page = tablet  # type: ignore[assignment]
    page.goto(f"{live_server}/")
    page.fill("input[name=username]", "crm_sh01")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/appointments/new/")
    expect(page.get_by_test_id("page-title")).to_have_text("新建预约")
    expect(page.get_by_test_id("slots")).to_contain_text("选择服务项目和日期后，这里显示可约时间。")

    page.get_by_test_id("find").fill("A12345")
    party = page.get_by_test_id("party")
    expect(party).to_contain_text("张伟")
    party.click()
    expect(page.get_by_test_id("chosen")).to_contain_text("沪A12345")
    expect(page.locator("#id_contact_name")).to_have_value("张伟")
    page.get_by_label("MT01 更换机油 · 1 h").check()
    page.fill("#id_day", tomorrow.isoformat())
    page.locator("#id_day").dispatch_event("change")
    page.fill("#id_wish", "10:00")
    page.locator("#id_wish").dispatch_event("change")
    offered = page.get_by_test_id("offered-1")
    expect(offered).to_have_text("10:00")
    expect(page.get_by_test_id("offered-2")).to_have_text("09:45")
    # The day's and the wish's changes each ask for the times: the later answer may replace the buttons.
    page.wait_for_load_state("networkidle")
    offered.click()
    expect(page.locator("#id_time")).to_have_value("10:00")
    expect(offered).to_have_class(re.compile(r"\bbtn-primary\b"))  # the time taken stands out
    assert page.evaluate("document.documentElement.scrollWidth") <= 768  # nothing wider than the tablet
    screenshots = Path(os.environ.get("AFTERSALES_SCREENSHOTS", "/tmp"))
    page.screenshot(path=str(screenshots / "appointment-new-tablet.png"), full_page=True, animations="disabled")
    page.get_by_test_id("book").click()

    appointment = Appointment.all_objects.get()
    expect(page.get_by_test_id("page-title")).to_contain_text(appointment.number)
    expect(page.get_by_test_id("arrival")).to_contain_text(f"{tomorrow.isoformat()}")
    expect(page.get_by_test_id("arrival")).to_contain_text("10:00")
    assert (appointment.customer_id, appointment.vehicle_id, appointment.channel, appointment.technician) == (
        customer.pk,
        vehicle.pk,
        "phone",
        technician,
    )
    assert [row.operation_id for row in appointment.services.all()] == [oil.pk]

    page.goto(f"{live_server}/appointments/board/")
    board = page.get_by_test_id("board-tomorrow")
    expect(board).to_contain_text("10:00")
    expect(board).to_contain_text("张*")
    expect(board).to_contain_text("沪A***45")
    expect(page.get_by_test_id("board-rows")).to_have_attribute("hx-trigger", "every 60s")
    assert "张伟" not in page.content() and "沪A12345" not in page.content()
    page.screenshot(path=str(screenshots / "appointment-board-tablet.png"), full_page=True)
