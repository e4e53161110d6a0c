"""Messages to a customer from the archive, and an opt-out (退订) recorded on the customer at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.customers import services
from aftersales.customers.models import Customer
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory
from aftersales.messaging import services as messaging
from aftersales.messaging.channels.aliyun_fake import FakeAliyun, fake_aliyun_running
from aftersales.messaging.models import Message

DAYTIME = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
EN = {"accept-language": "en"}


@pytest.fixture(autouse=True)
def daytime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: DAYTIME)


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeAliyun]:
    with fake_aliyun_running(FakeAliyun(approved={("华东汽车", "SMS_1"), ("华东汽车", "SMS_2")})) as running:
        settings.AFTERSALES_SMS_PROVIDER = "aliyun"
        settings.ALIYUN_SMS_ENDPOINT = running.endpoint
        settings.ALIYUN_SMS_ACCESS_KEY_ID = running.access_key_id
        settings.ALIYUN_SMS_ACCESS_KEY_SECRET = running.access_key_secret

        yield running


@pytest.fixture
def templates(world: World) -> None:
    common = {"channel": "sms", "sms_sign_name": "华东汽车"}
    messaging.template_save(
        actor=world.user("admin"),
        data={
            **common,
            "event": "pickup_ready",
            "message_class": "service",
            "variables": ["name", "plate"],
            "body_zh": "{name}您好，您的爱车{plate}已可取车。",
            "sms_template_code": "SMS_1",
        },
    )
    messaging.template_save(
        actor=world.user("admin"),
        data={
            **common,
            "event": "winter_check",
            "message_class": "marketing",
            "variables": ["name"],
            "body_zh": "{name}您好，冬季免费检测进行中。回复TD退订",
            "sms_template_code": "SMS_2",
        },
    )


def test_a_service_message_from_the_customer_page_reaches_the_mobile(
    world: World,
    templates: None,
    fake: FakeAliyun,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer = CustomerFactory(name="孙八", mobiles=["13912345678"])
    VehicleFactory(owner=customer, plate="沪A88888")
    advisor = client_for(world.user("advisor"))
    assert 'data-testid="send-message"' in advisor.get(f"/customers/{customer.pk}/").content.decode()
    form = advisor.get(f"/customers/{customer.pk}/message/", {"event": "pickup_ready"}).content.decode()
    assert 'name="var_name"' in form and 'value="孙八"' in form and 'value="沪A88888"' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor.post(
            f"/customers/{customer.pk}/message/",
            {"event": "pickup_ready", "var_name": "孙八", "var_plate": "沪A88888", "send": "1"},
        )
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.status, message.recipient_id, message.about_type, message.body) == (
        "sent",
        customer.pk,
        "customers.customer",
        "孙八您好，您的爱车沪A88888已可取车。",
    )
    assert [(sent.phone, sent.params) for sent in fake.sends] == [
        ("13912345678", {"name": "孙八", "plate": "沪A88888"})
    ]


def test_marketing_without_consent_is_held_and_a_reply_td_opts_out_at_once(
    world: World,
    templates: None,
    fake: FakeAliyun,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    without = CustomerFactory(name="周九", mobiles=["13912340001"])
    agreed = CustomerFactory(
        name="吴十", mobiles=["13912340002"], marketing_consent=True, marketing_consent_channel="paper"
    )
    crm = client_for(world.user("crm"))
    with django_capture_on_commit_callbacks(execute=True):
        held = crm.post(
            f"/api/v1/customers/{without.pk}/messages",
            {"event": "winter_check", "variables": {"name": "周九"}},
            content_type="application/json",
        ).json()
        sent = crm.post(
            f"/api/v1/customers/{agreed.pk}/messages",
            {"event": "winter_check", "variables": {"name": "吴十"}},
            content_type="application/json",
        ).json()
    assert [(m["status"], m["hold_reason"]) for m in held] == [("held", "no_consent")]
    assert [Message.objects.get(pk=m["id"]).status for m in sent] == ["sent"]
    assert [s.phone for s in fake.sends] == ["13912340002"]

    # The customer replies TD: the provider pushes it, the consent goes at once, and the next one is held.
    pushed = Client().post(
        "/api/v1/messaging/aliyun/test-push-token/reply",
        [{"phone_number": "13912340002", "content": "td", "sign_name": "华东汽车", "sequence_id": 1}],
        content_type="application/json",
    )
    assert (pushed.status_code, pushed.json()) == (200, {"code": 0, "msg": "成功"})
    agreed.refresh_from_db()
    assert (agreed.marketing_consent, agreed.marketing_consent_at) == (False, DAYTIME)
    entry = AuditEntry.objects.filter(object_type="customers.customer", object_id=str(agreed.pk)).latest("pk")
    assert (entry.actor_username, entry.changes["marketing_consent"]) == ("", [True, False])
    with django_capture_on_commit_callbacks(execute=True):
        again = crm.post(
            f"/api/v1/customers/{agreed.pk}/messages",
            {"event": "winter_check", "variables": {"name": "吴十"}},
            content_type="application/json",
        ).json()
    assert [(m["status"], m["hold_reason"]) for m in again] == [("held", "opted_out")]
    assert len(fake.sends) == 1


def test_delivery_receipts_are_pushed_to_a_secret_url(
    world: World, templates: None, fake: FakeAliyun, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(name="郑一", mobiles=["13912340003"])
    with django_capture_on_commit_callbacks(execute=True):
        [message] = messaging.message_send(
            store=world.sh,
            event="pickup_ready",
            recipient=messaging.Recipient(type="customer", name="郑一", id=customer.pk, mobile="13912340003"),
            variables={"name": "郑一", "plate": "沪A1"},
        )
    report = [
        {
            "out_id": Message.objects.get(pk=message.pk).out_id,
            "success": True,
            "err_code": "DELIVERED",
            "phone_number": "13912340003",
        }
    ]
    assert (
        Client().post("/api/v1/messaging/aliyun/wrong/report", report, content_type="application/json").status_code
        == 404
    )
    assert Client().post(
        "/api/v1/messaging/aliyun/test-push-token/report", report, content_type="application/json"
    ).json() == {"code": 0, "msg": "成功"}
    message.refresh_from_db()
    assert (message.status, message.delivered_at) == ("delivered", DAYTIME)


def test_an_anonymised_customer_gets_no_message_and_bad_variables_are_field_errors(
    world: World, templates: None, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(name="王二", mobiles=["13912340004"])
    crm = client_for(world.user("crm"))
    bad = crm.post(
        f"/api/v1/customers/{customer.pk}/messages",
        {"event": "pickup_ready", "variables": {"name": "王二"}},
        content_type="application/json",
        headers=EN,
    )
    assert (bad.status_code, bad.json()["fields"]) == (422, {"variables": ["Missing: plate."]})
    Customer.all_objects.filter(pk=customer.pk).update(anonymised_at=DAYTIME)
    gone = crm.post(
        f"/api/v1/customers/{customer.pk}/messages",
        {"event": "pickup_ready", "variables": {"name": "x", "plate": "y"}},
        content_type="application/json",
        headers=EN,
    )
    assert (gone.status_code, gone.json()["detail"]) == (
        422,
        "This customer was anonymised: there is nobody to write to.",
    )
    assert not Message.objects.exists()
    assert client_for(world.user("technician")).get(f"/customers/{customer.pk}/message/").status_code == 403


def test_a_marketing_email_ends_with_a_link_that_opts_out_at_once(
    world: World, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    messaging.template_save(
        actor=world.user("admin"),
        data={
            "event": "spring_offer",
            "channel": "email",
            "message_class": "marketing",
            "variables": ["name"],
            "subject_zh": "春季保养优惠",
            "body_zh": "{name}您好，春季保养八折。",
        },
    )
    customer = CustomerFactory(
        name="冯五",
        mobiles=["13912340005"],
        email="feng@example.com",
        marketing_consent=True,
        marketing_consent_channel="paper",
    )
    crm = client_for(world.user("crm"))
    with django_capture_on_commit_callbacks(execute=False):
        [sent] = crm.post(
            f"/api/v1/customers/{customer.pk}/messages",
            {"event": "spring_offer", "variables": {"name": "冯五"}},
            content_type="application/json",
        ).json()
    body = Message.objects.get(pk=sent["id"]).body
    assert body.startswith("冯五您好，春季保养八折。\n\n退订：http://testserver/l/")
    path = body.rsplit("http://testserver", 1)[1]
    page = Client().get(path).content.decode()
    assert "冯五" in page and 'data-testid="unsubscribe-form"' in page
    shown = re.search(r'name="shown" value="([0-9a-f]{64})"', page).group(1)  # type: ignore[union-attr]
    done = Client().post(path, {"shown": shown})
    assert done.status_code == 200 and 'data-testid="done"' in done.content.decode()
    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.marketing_consent_at) == (False, DAYTIME)
    assert Client().get(path).status_code == 410  # used


def test_withdrawing_marketing_consent_cancels_what_was_not_sent_yet(
    world: World, templates: None, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(
        name="褚七", mobiles=["13912340007"], marketing_consent=True, marketing_consent_channel="paper"
    )
    night = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai: held until the morning
    monkeypatch.setattr(timezone, "now", lambda: night)
    with django_capture_on_commit_callbacks(execute=True):
        [held] = services.customer_message_send(
            actor=world.user("crm"),
            store=world.sh,
            customer_id=customer.pk,
            event="winter_check",
            variables={"name": "褚七"},
        )
    assert (held.status, held.hold_reason) == ("held", "quiet_hours")
    services.consent_withdraw(actor=world.user("manager"), customer_id=customer.pk, which="marketing")
    held.refresh_from_db()
    assert (held.status, held.hold_reason) == ("cancelled", "opted_out")
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 28, 1, 0, tzinfo=UTC))
    assert messaging.messages_release() == 0
