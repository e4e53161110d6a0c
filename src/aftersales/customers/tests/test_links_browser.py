"""Headless Chromium as WeChat's browser on a phone (375×667): a customer opens their review link, the
page fits the screen, opens no window and starts no download, and the correction goes through."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytestmark = [pytest.mark.browser]

WECHAT = (
    "Mozilla/5.0 (Linux; Android 13; V2183A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 "
    "MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)


@pytest.fixture
def phone(browser_pages: Callable[..., object]) -> object:
    return browser_pages(viewport={"width": 375, "height": 667}, user_agent=WECHAT, is_mobile=True, has_touch=True)


@pytest.mark.django_db(transaction=True)
def test_a_customer_corrects_the_mobile_in_wechat(live_server: object, phone: object) -> None:
    from playwright.sync_api import Page, expect

    from aftersales.core.models import DealerGroup, Role, Store, User
    from aftersales.customers import services
    from aftersales.customers.models import ContactCorrection
    from aftersales.messaging.models import Signature

    store = Store.objects.create(
        group=DealerGroup.objects.create(code="G", name="集团"), code="SH01", name="上海浦东店"
    )
    admin = User.objects.create_superuser(username="root", password="Correct-Horse-Battery-9")
    # The correction becomes a task for the CRM role (a test with a database of its own may start without it).
    Role.objects.get_or_create(code="crm", defaults={"name": "客服专员", "scope": "store"})
    customer = services.customer_create(
        actor=admin, store=store, data={"name": "钱多多", "mobiles": ["13912345678"]}, confirm_duplicates=True
    )
    _link, url = services.review_link_send(actor=admin, store=store, customer_id=customer.pk, base_url=str(live_server))

    page: Page = phone  # type: ignore[assignment]
    page.add_init_script(
        "window.__opened = []; window.open = (...args) => { window.__opened.push(args); return null; };"
    )
    downloads: list[object] = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(url)
    expect(page.get_by_test_id("page-title")).to_have_text("您的客户档案")
    expect(page.get_by_test_id("card")).to_contain_text("139****5678")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    page.fill("#mobile", "021-58881234")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("error-mobile")).to_be_visible()
    page.fill("#mobile", "13800009999")
    pad = page.get_by_test_id("pad").bounding_box()
    assert pad is not None and pad["width"] <= 375
    page.mouse.move(pad["x"] + 20, pad["y"] + 30)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 20 + step * 20, pad["y"] + 30 + (step % 3) * 25)
    page.mouse.up()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("done")).to_contain_text("谢谢")
    assert page.evaluate("window.__opened") == [] and downloads == []
    assert list(ContactCorrection.objects.values_list("mobile", "status")) == [("13800009999", "pending")]
    signature = Signature.objects.get()
    assert (signature.media.content_type, signature.media.width) == ("image/png", int(pad["width"]))
