"""The outbox: templates, consent and quiet hours, sending through Aliyun SMS (a local fake that checks
the signature), e-mail over a real SMTP server, in-app messages, retries, and recovery after a crash."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, User
from aftersales.messaging import services
from aftersales.messaging.channels.aliyun_fake import FakeAliyun, fake_aliyun_running
from aftersales.messaging.models import Message, MessageTemplate
from aftersales.messaging.tests.conftest import DAYTIME, Clock, Inbox

Status = Message.Status


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeAliyun]:
    with fake_aliyun_running() as running:
        settings.AFTERSALES_SMS_PROVIDER = "aliyun"
        settings.ALIYUN_SMS_ENDPOINT = running.endpoint
        settings.ALIYUN_SMS_ACCESS_KEY_ID = running.access_key_id
        settings.ALIYUN_SMS_ACCESS_KEY_SECRET = running.access_key_secret
        yield running


@pytest.fixture
def templates(world: World) -> dict[str, MessageTemplate]:
    admin = world.user("admin")
    return {
        "booking": services.template_save(
            actor=admin,
            data={
                "event": "booking_confirmation",
                "channel": "sms",
                "message_class": "service",
                "variables": ["name", "time"],
                "body_zh": "{name}您好，您的预约时间为{time}。",
                "body_en": "Dear {name}, your booking is at {time}.",
                "sms_sign_name": "华东汽车",
                "sms_template_code": "SMS_100001",
            },
        ),
        "offer": services.template_save(
            actor=admin,
            data={
                "event": "winter_check",
                "channel": "sms",
                "message_class": "marketing",
                "variables": ["name"],
                "body_zh": "{name}您好，冬季免费检测进行中。回复TD退订",
                "sms_sign_name": "华东汽车",
                "sms_template_code": "SMS_100001",
            },
        ),
    }


def customer(**fields: Any) -> services.Recipient:
    values: dict[str, Any] = {"type": "customer", "id": 7, "name": "张三", "mobile": "13812345678", **fields}
    return services.Recipient(**values)


def send(world: World, capture: Any, event: str = "booking_confirmation", **fields: Any) -> list[Message]:
    variables = {"name": "张三", "time": "11月28日 09:00"} if event == "booking_confirmation" else {"name": "张三"}
    with capture(execute=True):
        messages = services.message_send(
            store=world.sh, event=event, recipient=customer(**fields), variables=variables, actor=world.user("crm")
        )
    return [Message.objects.get(pk=message.pk) for message in messages]


def test_a_service_sms_goes_out_through_aliyun_after_the_commit(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, django_capture_on_commit_callbacks: Any
) -> None:
    [message] = send(world, django_capture_on_commit_callbacks)

    assert (message.status, message.attempts, message.provider, message.error) == (Status.SENT, 1, "aliyun", "")
    assert message.body == "张三您好，您的预约时间为11月28日 09:00。"
    [sent] = fake.sends
    assert (sent.phone, sent.sign_name, sent.template_code, sent.params, sent.out_id) == (
        "13812345678",
        "华东汽车",
        "SMS_100001",
        {"name": "张三", "time": "11月28日 09:00"},
        message.out_id,
    )
    assert message.provider_message_id == sent.biz_id
    assert fake.refused == []
    # Sending it again is nobody's job: the message is no longer queued.
    assert services.message_deliver(message.pk) is None
    assert len(fake.sends) == 1


def test_marketing_needs_consent_and_an_opt_out_holds_it_for_good(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, django_capture_on_commit_callbacks: Any
) -> None:
    [without] = send(world, django_capture_on_commit_callbacks, "winter_check")
    [opted_out] = send(
        world, django_capture_on_commit_callbacks, "winter_check", marketing_consent=True, opted_out=True
    )
    [consented] = send(world, django_capture_on_commit_callbacks, "winter_check", marketing_consent=True)
    assert [(m.status, m.hold_reason) for m in (without, opted_out, consented)] == [
        (Status.HELD, "no_consent"),
        (Status.HELD, "opted_out"),
        (Status.SENT, ""),
    ]
    assert len(fake.sends) == 1
    assert services.messages_release() == 0  # held for consent: never released by time


def test_quiet_hours_hold_a_message_until_the_morning_in_the_stores_zone(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, django_capture_on_commit_callbacks: Any
) -> None:
    clock.now = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    [message] = send(world, django_capture_on_commit_callbacks)
    assert (message.status, message.hold_reason, message.not_before) == (
        Status.HELD,
        "quiet_hours",
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC),  # 08:00 the next morning in Shanghai
    )
    assert fake.sends == []
    clock.now = datetime(2026, 11, 27, 23, 59, tzinfo=UTC)
    assert services.messages_release() == 0
    clock.now = datetime(2026, 11, 28, 0, 1, tzinfo=UTC)
    assert services.messages_release() == 1
    message.refresh_from_db()
    assert (message.status, len(fake.sends)) == (Status.SENT, 1)


def test_an_sms_to_a_landline_fails_with_its_reason_and_nothing_is_sent(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, django_capture_on_commit_callbacks: Any
) -> None:
    [message] = send(world, django_capture_on_commit_callbacks, mobile="021-58881234")
    assert (message.status, message.error) == (Status.FAILED, "021-58881234 不是手机号码，无法接收短信。")
    assert fake.sends == []


def test_bad_variables_and_unknown_events_are_refused_and_nothing_is_written(
    clock: Clock, world: World, templates: Any
) -> None:
    with pytest.raises(ApplicationError) as missing:
        services.message_send(
            store=world.sh,
            event="booking_confirmation",
            recipient=customer(),
            variables={"name": "张三", "plate": "沪A1"},
        )
    assert missing.value.fields == {"variables": ["缺少：time。 模板未声明：plate。"]}
    with pytest.raises(ApplicationError) as unknown:
        services.message_send(store=world.sh, event="no_such_event", recipient=customer(), variables={})
    assert unknown.value.fields == {"event": ["没有事件 no_such_event 的有效消息模板。"]}
    assert not Message.objects.exists()


def test_a_template_with_an_unknown_variable_is_refused(clock: Clock, world: World, templates: Any) -> None:
    before = MessageTemplate.objects.count()
    with pytest.raises(ApplicationError) as refused:
        services.template_save(
            actor=world.user("admin"),
            data={
                "event": "pickup",
                "channel": "sms",
                "message_class": "service",
                "variables": ["name"],
                "body_zh": "{name}您好，您的爱车{plate}已可取车。",
                "sms_sign_name": "",
                "sms_template_code": "SMS_1",
            },
        )
    assert refused.value.fields == {
        "body_zh": ["未知变量 plate：请先声明，或使用 name。"],
        "sms_sign_name": ["短信模板需要服务商已审核通过的签名和模板代码。"],
    }
    assert MessageTemplate.objects.count() == before


def test_a_throttled_send_is_tried_again_later_and_a_refused_one_fails(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, django_capture_on_commit_callbacks: Any
) -> None:
    fake.fail_next = ["isv.BUSINESS_LIMIT_CONTROL"]
    [message] = send(world, django_capture_on_commit_callbacks)
    assert (message.status, message.attempts, message.next_attempt_at) == (
        Status.QUEUED,
        1,
        DAYTIME + timedelta(seconds=30),
    )
    assert message.error.startswith("Aliyun SMS isv.BUSINESS_LIMIT_CONTROL")
    assert services.message_deliver(message.pk) is None  # not before its time
    clock.now = DAYTIME + timedelta(seconds=31)
    assert services.message_deliver(message.pk) == Status.SENT
    assert len(fake.sends) == 1

    fake.fail_next = ["isv.SMS_TEMPLATE_ILLEGAL"]
    [refused] = send(world, django_capture_on_commit_callbacks)
    assert (refused.status, refused.attempts) == (Status.FAILED, 1)
    assert refused.error.startswith("Aliyun SMS isv.SMS_TEMPLATE_ILLEGAL")


def test_a_wrong_secret_is_refused_by_the_providers_signature_check(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "not-the-secret"
    [message] = send(world, django_capture_on_commit_callbacks)
    assert (message.status, fake.refused, fake.sends) == (Status.FAILED, ["SignatureDoesNotMatch"], [])


def test_after_a_crash_mid_send_the_provider_is_asked_and_nothing_is_sent_twice(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, django_capture_on_commit_callbacks: Any
) -> None:
    # A worker accepted by the provider, then killed before its commit: the rows stay "sending".
    def crash(sent: Any) -> None:
        raise SystemExit("worker killed")

    fake.on_accept = crash
    with django_capture_on_commit_callbacks(execute=False):
        accepted = services.message_send(
            store=world.sh,
            event="booking_confirmation",
            recipient=customer(),
            variables={"name": "张三", "time": "9点"},
        )[0]
        lost = services.message_send(
            store=world.sh,
            event="booking_confirmation",
            recipient=customer(mobile="13900001111"),
            variables={"name": "李四", "time": "10点"},
        )[0]
    Message.objects.filter(pk__in=[accepted.pk, lost.pk]).update(
        status=Status.SENDING, attempts=1, sending_since=DAYTIME
    )
    fake.on_accept = None
    # The provider accepted the first (our own call recorded it) but never heard of the second.
    from aftersales.messaging.channels.aliyun_fake import Sent

    fake.sends.append(Sent("13812345678", "华东汽车", "SMS_100001", {}, accepted.out_id, "000009^0", "20261127"))

    assert services.messages_recover(older_than=timedelta(minutes=2)) == {
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "unknown": 0,
    }
    clock.now = DAYTIME + timedelta(minutes=3)
    counts = services.messages_recover(older_than=timedelta(minutes=2))
    assert counts == {"sent": 0, "delivered": 1, "failed": 0, "unknown": 1}
    accepted.refresh_from_db()
    lost.refresh_from_db()
    assert (accepted.status, lost.status) == (Status.DELIVERED, Status.UNKNOWN)
    assert services.message_deliver(lost.pk) is None  # never sent again by itself
    assert len(fake.sends) == 1

    # A person decides: send it again.
    with django_capture_on_commit_callbacks(execute=True):
        services.message_decide(actor=world.user("manager"), message_id=lost.pk, decision="resend")
    old_out_id = lost.out_id
    lost.refresh_from_db()
    assert (lost.status, len(fake.sends)) == (Status.SENT, 2)
    assert lost.out_id != old_out_id and fake.sends[-1].out_id == lost.out_id  # a new attempt, its own id
    entry = AuditEntry.objects.get(object_type="messaging.message")
    assert entry.changes == {"status": ["unknown", "queued"], "decision": "resend"}


def test_an_email_goes_over_smtp(
    clock: Clock, world: World, smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    services.template_save(
        actor=world.user("admin"),
        data={
            "event": "pickup_ready",
            "channel": "email",
            "message_class": "service",
            "variables": ["name", "plate"],
            "subject_zh": "您的爱车{plate}已可取车",
            "body_zh": "{name}您好：您的爱车{plate}已完成维修，可以取车了。",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        [message] = services.message_send(
            store=world.sh,
            event="pickup_ready",
            recipient=customer(email="zhang.san@example.com"),
            variables={"name": "张三", "plate": "沪A12345"},
        )
    message.refresh_from_db()
    assert (message.status, message.provider) == (Status.SENT, "smtp")
    [(sender, recipients, content)] = smtp.received
    email = message_from_bytes(content)
    assert (sender, recipients) == ("service@huadong-auto.example", ["zhang.san@example.com"])
    assert str(make_header(decode_header(email["Subject"]))) == "您的爱车沪A12345已可取车"
    assert email["X-AfterSales-Message"] == message.out_id
    assert (
        email.get_payload(decode=True).decode().rstrip("\r\n") == "张三您好：您的爱车沪A12345已完成维修，可以取车了。"
    )


def test_an_sms_without_a_provider_fails_with_the_reason(
    clock: Clock, world: World, templates: Any, django_capture_on_commit_callbacks: Any
) -> None:
    [message] = send(world, django_capture_on_commit_callbacks)
    assert (message.status, message.error) == (
        Status.FAILED,
        "No SMS provider is configured (AFTERSALES_SMS_PROVIDER).",
    )


def test_a_staff_member_gets_an_in_app_message_and_reads_it(
    clock: Clock, world: World, django_capture_on_commit_callbacks: Any, client_for: Callable[[User], Client]
) -> None:
    clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: in-app ignores quiet hours
    services.template_save(
        actor=world.user("admin"),
        data={
            "event": "parts_not_ready",
            "channel": "inapp",
            "message_class": "service",
            "variables": ["order"],
            "subject_zh": "配件未到：{order}",
            "body_zh": "工单{order}的配件未到，请联系客户改期。",
        },
    )
    advisor = world.user("advisor")
    with django_capture_on_commit_callbacks(execute=True):
        [message] = services.message_send(
            store=world.sh,
            event="parts_not_ready",
            recipient=services.Recipient(type="staff", name=advisor.full_name, user=advisor),
            variables={"order": "RO-SH01-2026-000001"},
        )
    message.refresh_from_db()
    assert (message.status, message.address) == (Status.DELIVERED, "advisor_sh")
    assert services.notification_read(user=world.user("crm")) == 0
    assert services.notification_read(user=advisor, message_id=message.pk) == 1
    message.refresh_from_db()
    assert message.read_at == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def test_a_send_cut_off_after_the_provider_took_it_is_not_retried_but_asked_about(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import time as real_time

    settings.ALIYUN_SMS_TIMEOUT = 0.2
    fake.on_accept = lambda sent: real_time.sleep(0.6)  # the answer comes after the caller gave up
    [message] = send(world, django_capture_on_commit_callbacks)
    assert (message.status, message.attempts) == (Status.SENDING, 1)
    assert message.error.startswith("Aliyun SMS: the request may have been taken")
    fake.on_accept = None
    settings.ALIYUN_SMS_TIMEOUT = 5
    clock.now = DAYTIME + timedelta(minutes=3)
    assert services.messages_recover(older_than=timedelta(minutes=2))["delivered"] == 1
    message.refresh_from_db()
    assert (message.status, len(fake.sends)) == (Status.DELIVERED, 1)  # sent once


def test_a_queued_message_whose_job_was_lost_is_handed_to_the_queue_again(
    clock: Clock, world: World, templates: Any, fake: FakeAliyun, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # the job never reached the queue
        [message] = services.message_send(
            store=world.sh,
            event="booking_confirmation",
            recipient=customer(),
            variables={"name": "张三", "time": "9点"},
        )
    assert services.messages_requeue() == 0  # not yet: its job may still come
    clock.now = DAYTIME + timedelta(minutes=6)
    assert services.messages_requeue() == 1
    message.refresh_from_db()
    assert (message.status, len(fake.sends)) == (Status.SENT, 1)
