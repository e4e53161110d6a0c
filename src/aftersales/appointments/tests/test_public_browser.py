"""Headless Chromium as a phone in WeChat (375×667, touch, WeChat's user agent): a customer chooses the
store, gives the car, takes the suggested package and an offered time, proves the mobile with the code
the outbox sent and books; the booking is exactly what was given."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser]

WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)


@pytest.fixture
def wechat(browser_pages: Callable[..., object]) -> object:
    return browser_pages(viewport={"width": 375, "height": 667}, user_agent=WECHAT, is_mobile=True, has_touch=True)


@pytest.mark.django_db(transaction=True)
def test_a_customer_books_in_wechat_on_a_phone(live_server: object, wechat: object) -> None:
    from playwright.sync_api import Page, expect

    from aftersales.appointments.models import Appointment, BookingSettings, Shift, Technician
    from aftersales.catalogue.models import PackageItem, ServicePackage
    from aftersales.catalogue.tests.factories import LabourOperationFactory
    from aftersales.core.models import Brand, User
    from aftersales.core.tests.factories import StoreFactory
    from aftersales.messaging.models import Message, MessageTemplate

    # Transactional tests may flush the database: what migrations install is made here if gone.
    store = StoreFactory.create(
        code="SH01",
        name="上海浦东店",
        address="上海市浦东新区张江路100号",
        phone="021-58881234",
        business_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "08:30-18:00"),
    )
    brand = Brand.objects.create(code="VW", name="大众")
    store.brands.set([brand])
    BookingSettings.objects.create(store=store, online_booking=True)
    MessageTemplate.objects.update_or_create(
        event="verification_code",
        channel="sms",
        defaults={
            "message_class": "service",
            "urgent": True,
            "variables": ["code", "minutes"],
            "body_zh": "您的验证码为 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。",
            "sms_sign_name": "华东汽车",
            "sms_template_code": "SMS_300001",
            "is_active": True,
        },
    )
    technician_user = User.objects.create(username="tech_sh01", full_name="王师傅")
    technician = Technician.objects.create(store=store, user=technician_user, efficiency=Decimal("1.00"))
    Shift.objects.bulk_create(
        Shift(technician=technician, weekday=day, starts=time(8, 30), ends=time(17, 30)) for day in range(7)
    )
    oil = LabourOperationFactory.create(
        group=store.group, code="MT01", name="更换机油", default_hours=Decimal("1.00"), bay_kind=""
    )
    package = ServicePackage.objects.create(
        group=store.group, brand=brand, code="PK10", name="1万公里保养", interval_km=10000, fixed_price=Decimal("699")
    )
    PackageItem.objects.create(package=package, kind="labour", operation=oil)
    tomorrow = timezone.now().astimezone(store.zone).date() + timedelta(days=1)
    screenshots = Path(os.environ.get("AFTERSALES_SCREENSHOTS", "/tmp"))

    page: Page = wechat  # type: ignore[assignment]
    page.goto(f"{live_server}/book/")
    expect(page.get_by_test_id("store-SH01")).to_contain_text("上海浦东店")
    page.screenshot(path=str(screenshots / "public-booking-0-stores.png"), full_page=True)
    page.get_by_test_id("choose-SH01").click()

    expect(page.get_by_test_id("step")).to_contain_text("1")
    page.fill("#id_plate_text", "沪A 12345")
    page.fill("#id_model_text", "帕萨特 330TSI")
    page.fill("#id_mileage", "9800")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    page.screenshot(path=str(screenshots / "public-booking-1-car.png"), full_page=True)
    page.get_by_test_id("next").click()

    expect(page.get_by_test_id("step")).to_contain_text("2")
    expect(page.get_by_test_id("car-summary")).to_contain_text("沪A12345")
    expect(page.get_by_test_id("suggested")).to_be_visible()
    expect(page.locator(f"#package-{package.pk}")).to_be_checked()
    with page.expect_response(lambda response: "/times/" in response.url):  # the day's times, swapped in
        page.select_option("#id_day", tomorrow.isoformat())
    page.wait_for_load_state("networkidle")
    offered = page.get_by_test_id("offered-1")
    expect(offered).to_be_visible()
    chosen = offered.inner_text().strip()
    offered.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(screenshots / "public-booking-2-time.png"), full_page=True)
    page.get_by_test_id("next").click()

    expect(page.get_by_test_id("step")).to_contain_text("3")
    expect(page.get_by_test_id("time-summary")).to_contain_text(f"{tomorrow.isoformat()} {chosen}")
    expect(page.get_by_test_id("privacy-notice")).to_be_visible()
    expect(page.locator("#id_marketing_consent")).not_to_be_checked()
    page.fill("#id_contact_name", "张先生")
    page.fill("#id_mobile", "13912345678")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_contain_text("139****5678")
    code = Message.objects.get(event="verification_code").variables["code"]
    page.fill("#id_code", code)
    page.locator("#id_marketing_consent").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(screenshots / "public-booking-3-contact.png"), full_page=True)
    page.get_by_test_id("book").click()

    appointment = Appointment.all_objects.get()
    expect(page.get_by_test_id("booking-time")).to_have_text(f"{tomorrow.isoformat()} {chosen}")
    expect(page.get_by_test_id("booking")).to_contain_text(appointment.number)
    page.screenshot(path=str(screenshots / "public-booking-4-done.png"), full_page=True)
    local = appointment.starts_at.astimezone(store.zone)
    assert (
        appointment.channel,
        appointment.state,
        appointment.customer_id,
        appointment.vehicle_id,
        appointment.contact_name,
        appointment.contact_mobile,
        appointment.plate_text,
        appointment.model_text,
        appointment.vin_text,
        appointment.mileage,
        local.date(),
        f"{local:%H:%M}",
        appointment.hours,
        appointment.marketing_consent,
        appointment.marketing_consent_at is not None,
        appointment.created_by_id,
        appointment.technician_id,
    ) == (
        "online",
        "booked",
        None,
        None,
        "张先生",
        "13912345678",
        "沪A12345",
        "帕萨特 330TSI",
        "",
        9800,
        tomorrow,
        chosen,
        Decimal("1.00"),
        True,
        True,
        None,
        technician.pk,
    )
    assert [(row.operation_id, row.package_id) for row in appointment.services.all()] == [(oil.pk, package.pk)]
