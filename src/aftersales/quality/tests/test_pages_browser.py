"""Headless Chromium: the QC inspector passes a finished order on a tablet held upright (768×1024, touch),
ticking each check and signing the release certificate; the washer records the wash on the same tablet;
the advisor delivers the car at the desk (1280×800): the customer's arrival, the 24-point free check, the
signature on the pad, the satisfaction card and the keys. Screenshots go to ``AFTERSALES_SCREENSHOTS``
(default /tmp/quality_shots)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from aftersales.conftest import PASSWORD
from aftersales.core.models import Role
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.quality.models import Comeback, Delivery, FinalInspection, ReleaseCertificate, Wash
from aftersales.quality.services import HandoverIn, handover_record
from aftersales.quality.services.common import DELIVERY_CHECKS_DEFAULT, WASH_CHECKS_DEFAULT
from aftersales.quality.services.delivery import agreed_lines
from aftersales.visits.models import RepairOrder
from aftersales.visits.services import LineIn, line_add, visit_open

from .conftest import Yard

pytestmark = [pytest.mark.browser]


@pytest.fixture
def roles(transactional_db: None) -> None:
    """The built-in roles (a transactional test starts from a flushed database, without the migrations' rows)."""
    for default in ROLE_DEFAULTS:
        Role.objects.update_or_create(
            code=default.code,
            defaults={
                "name": default.name,
                "name_en": default.name_en,
                "scope": default.scope,
                "landing": default.landing,
                "permissions": list(default.permissions),
            },
        )


def _sign_in(page: Any, live_server: object, username: str) -> None:
    page.goto(f"{live_server}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _sign(page: Any) -> None:
    """Draw a signature on the page's pad."""
    pad = page.get_by_test_id("pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    left, top = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(left, top)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(left + step * 30, top + (18 if step % 2 else -18), steps=4)
    page.mouse.up()


def _shot(page: Any, path: Path) -> None:
    """A full-page screenshot from the top (the sticky menu stays where it belongs)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True, animations="disabled")


def _no_overflow(page: Any) -> None:
    """Nothing wider than the window: no sideways scrolling on the tablet or the desk."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_qc_and_wash_on_a_tablet_and_delivery_at_the_desk(
    roles: None, live_server: object, browser_pages: Callable[..., Any], yard: Yard
) -> None:
    from playwright.sync_api import expect

    shots = Path(os.environ.get("AFTERSALES_SCREENSHOTS", "/tmp/quality_shots"))
    shots.mkdir(parents=True, exist_ok=True)
    order = yard.completed()

    # The QC inspector on the tablet: the desk, then the order's final inspection.
    tablet = browser_pages(viewport={"width": 768, "height": 1024}, is_mobile=True, has_touch=True)
    _sign_in(tablet, live_server, yard.qc.username)
    tablet.goto(f"{live_server}/quality/")
    expect(tablet.get_by_test_id("count-inspect")).to_have_text("1")
    _no_overflow(tablet)
    _shot(tablet, shots / "desk-tablet.png")
    tablet.get_by_test_id(f"inspect-{order.pk}").tap()
    expect(tablet.get_by_test_id("check-0")).to_contain_text("更换机油")
    for index in range(9):
        tablet.get_by_test_id(f"ok_{index}-yes").tap()
    tablet.get_by_test_id("road_test-not_needed").tap()
    tablet.get_by_test_id("fault-verified").tap()
    tablet.fill("textarea[name=repair_advice]", "建议 5000 公里后检查制动片")
    tablet.fill("textarea[name=driving_advice]", "新制动片磨合期 200 公里内避免急刹")
    tablet.get_by_test_id("outcome-pass").tap()
    expect(tablet.get_by_test_id("fail-part")).to_be_hidden()
    expect(tablet.get_by_test_id("pass-part")).to_be_visible()
    _sign(tablet)
    _no_overflow(tablet)
    _shot(tablet, shots / "inspection-tablet.png")
    tablet.get_by_test_id("save").tap()
    expect(tablet.get_by_test_id("quality-panel")).to_be_visible()
    assert FinalInspection.objects.get(order=order).passed is True
    assert ReleaseCertificate.objects.get(order=order).signature.media_id is not None
    _shot(tablet, shots / "order-after-inspection-tablet.png")

    # The washer on the tablet.
    washer = browser_pages(viewport={"width": 768, "height": 1024}, is_mobile=True, has_touch=True)
    _sign_in(washer, live_server, yard.washer.username)
    washer.goto(f"{live_server}/quality/visits/{order.visit_id}/wash/")
    for index in range(len(WASH_CHECKS_DEFAULT)):
        washer.get_by_test_id(f"check_{index}").tap()
    washer.fill("input[name=spot]", "F-03")
    washer.get_by_test_id("nose_out").tap()
    _no_overflow(washer)
    _shot(washer, shots / "wash-tablet.png")
    washer.get_by_test_id("save").tap()
    expect(washer.get_by_test_id("page-title")).to_be_visible()
    wash = Wash.objects.get(visit_id=order.visit_id)
    assert (wash.washer, wash.spot, len(wash.checks)) == (yard.washer, "F-03", len(WASH_CHECKS_DEFAULT))

    handover_record(
        actor=yard.shop.foreman,
        visit_id=order.visit_id,
        data=HandoverIn(keys="K-07 两把", explanation="更换机油和前制动片"),
    )

    # The advisor at the desk: every line and the car checked, then the customer arrives and the sheet is
    # gone through and signed.
    desk = browser_pages(viewport={"width": 1280, "height": 800})
    _sign_in(desk, live_server, yard.advisor.username)
    desk.goto(f"{live_server}/quality/visits/{order.visit_id}/check/")
    for line in agreed_lines([order]):
        desk.get_by_test_id(f"ok_{line.pk}-yes").click()
    desk.get_by_test_id("car_checked").click()
    desk.fill("input[name=pickup_spot]", "P-01")
    _no_overflow(desk)
    _shot(desk, shots / "check-desk.png")
    desk.get_by_test_id("save").click()
    expect(desk.get_by_test_id("arrived-button")).to_be_visible()
    assert RepairOrder.all_objects.get(pk=order.pk).state == "ready"
    yard.paid(order)  # settled at the counter
    desk.get_by_test_id("arrived-button").click()
    expect(desk.get_by_test_id("arrived")).to_be_visible()
    for index in range(len(DELIVERY_CHECKS_DEFAULT)):
        desk.get_by_test_id(f"free_{index}-{'amber' if index == 16 else 'green'}").click()
    desk.fill("input[name=free_note_16]", "左后胎气压偏低，已补气")
    desk.fill("input[name=next_service_on]", (date.today() + timedelta(days=180)).isoformat())
    desk.fill("input[name=next_service_km]", "62300")
    desk.fill("input[name=mileage_out]", "52305")
    expect(desk.get_by_test_id("agent")).to_be_hidden()
    _sign(desk)
    desk.get_by_test_id("rating-5").click()
    desk.get_by_test_id("keys_handed").click()
    _no_overflow(desk)
    _shot(desk, shots / "delivery-desk.png")
    desk.get_by_test_id("save").click()
    expect(desk.get_by_test_id("delivered")).to_be_visible()
    delivery = Delivery.objects.get(visit_id=order.visit_id)
    assert (delivery.collector_name, delivery.rating, delivery.free_checks[16]["result"]) == ("张伟", 5, "amber")
    _no_overflow(desk)
    _shot(desk, shots / "delivered-desk.png")
    desk.goto(f"{live_server}/quality/")
    _shot(desk, shots / "desk-desktop.png")

    # The car comes back with the brakes squealing: the QC inspector's comeback queue, the rates, the rules.
    r = yard.shop.reception
    visit_open(actor=r.advisor, data=r.visit_in(mileage_in=53_000, promised_at=r.later(4)))
    new = yard.order(LineIn(kind="labour", operation_id=yard.shop.ev_operation.pk))
    line_add(
        actor=r.advisor,
        order_id=new.pk,
        data=LineIn(kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动又异响"),
    )
    manager = browser_pages(viewport={"width": 1280, "height": 800})
    _sign_in(manager, live_server, yard.shop.reception.world.user("service_manager").username)
    for path, name in (
        ("/quality/comebacks/", "comebacks-desk.png"),
        ("/quality/comebacks/rates/", "rates-desk.png"),
        ("/quality/settings/", "settings-desk.png"),
    ):
        manager.goto(f"{live_server}{path}")
        expect(manager.get_by_test_id("page-title")).to_be_visible()
        _no_overflow(manager)
        _shot(manager, shots / name)
    assert Comeback.all_objects.filter(order=new).count() == 1
