"""The outbox, templates and notifications through their pages and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.messaging import services
from aftersales.messaging.models import Message, MessageTemplate

EN = {"accept-language": "en"}


def _message(world: World, status: str, **fields: Any) -> Message:
    values: dict[str, Any] = {
        "store": world.sh,
        "event": "booking_confirmation",
        "channel": "sms",
        "message_class": "service",
        "recipient_type": "customer",
        "recipient_name": "张三",
        "address": "13812345678",
        "body": "张三您好，您的预约时间为明天9点。",
        "status": status,
        **fields,
    }
    return Message.objects.create(**values)


def test_the_outbox_page_lists_the_stores_messages_and_decides_on_unknown_ones(
    world: World, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Any
) -> None:
    unknown = _message(world, "unknown", error="The attempt was cut off.")
    _message(world, "sent")
    _message(world, "sent", store=world.sz, recipient_name="苏州客户")
    manager = client_for(world.user("manager"))

    page = manager.get("/messages/").content.decode()
    assert page.count('data-testid="message-') == 2 and "苏州客户" not in page
    assert 'data-testid="unknown-alert"' in page and "13812345678" in page  # the manager may see mobiles in full
    assert "138****5678" in client_for(world.user("auditor")).get("/messages/").content.decode()  # the auditor not
    assert manager.get("/messages/", {"status": "unknown"}).content.decode().count('data-testid="message-') == 1

    with django_capture_on_commit_callbacks(execute=False):
        response = manager.post(f"/messages/{unknown.pk}/decision/", {"decision": "mark_sent", "back": "unknown"})
    assert (response.status_code, response["Location"]) == (302, "/messages/?status=unknown")
    unknown.refresh_from_db()
    assert unknown.status == "sent"
    assert AuditEntry.objects.get(object_type="messaging.message").changes == {
        "status": ["unknown", "sent"],
        "decision": "mark_sent",
    }
    # Deciding again on a message that is no longer unknown is refused, and changes nothing.
    manager.post(f"/messages/{unknown.pk}/decision/", {"decision": "resend"})
    unknown.refresh_from_db()
    assert unknown.status == "sent"
    # An advisor sees the outbox, but may not decide; another store's message is not found.
    advisor = client_for(world.user("advisor"))
    assert advisor.get("/messages/").status_code == 200
    assert advisor.post(f"/messages/{unknown.pk}/decision/", {"decision": "cancel"}).status_code == 403
    other = _message(world, "unknown", store=world.sz)
    assert manager.post(f"/messages/{other.pk}/decision/", {"decision": "cancel"}).status_code == 404


def test_the_api_lists_the_outbox_and_takes_decisions(world: World, client_for: Callable[[User], Client]) -> None:
    unknown = _message(world, "unknown")
    _message(world, "sent")
    manager = client_for(world.user("manager"))
    listed = manager.get("/api/v1/messages", {"status": "unknown"}).json()
    assert (listed["count"], listed["items"][0]["id"], listed["items"][0]["store"]) == (1, unknown.pk, "SH01")
    answer = manager.post(
        f"/api/v1/messages/{unknown.pk}/decision", {"decision": "cancel"}, content_type="application/json"
    )
    assert (answer.status_code, answer.json()["status"]) == (200, "cancelled")
    again = manager.post(
        f"/api/v1/messages/{unknown.pk}/decision",
        {"decision": "mark_sent"},
        content_type="application/json",
        headers=EN,
    )
    assert (again.status_code, again.json()["fields"]) == (
        409,
        {"decision": ["A message that is Cancelled cannot be decided on."]},
    )
    bad = manager.post(
        f"/api/v1/messages/{unknown.pk}/decision", {"decision": "shout"}, content_type="application/json"
    )
    assert bad.status_code == 422


def test_a_template_is_made_on_its_page_and_an_unknown_variable_is_shown_on_its_field(
    world: World, client_for: Callable[[User], Client]
) -> None:
    manager = client_for(world.user("manager"))
    data = {
        "event": "pickup_ready",
        "channel": "sms",
        "message_class": "service",
        "variables": "name, plate",
        "body_zh": "{name}您好，您的爱车{plate}已可取车，请于{time}前取车。",
        "sms_sign_name": "华东汽车",
        "sms_template_code": "SMS_100002",
        "is_active": "on",
    }
    refused = manager.post("/messages/templates/new/", data)
    assert refused.status_code == 400
    assert "未知变量 time：请先声明，或使用 name, plate。" in refused.content.decode()
    assert not MessageTemplate.objects.filter(event="pickup_ready").exists()
    created = manager.post("/messages/templates/new/", {**data, "variables": "name，plate，time"})
    assert created.status_code == 302
    template = MessageTemplate.objects.get(event="pickup_ready")
    assert (template.variables, template.version) == (["name", "plate", "time"], 1)
    edited = manager.post(
        f"/messages/templates/{template.pk}/", {**data, "variables": "name, plate, time", "urgent": "on"}
    )
    assert edited.status_code == 302
    template.refresh_from_db()
    assert (template.urgent, template.version, template.event) == (True, 2, "pickup_ready")
    assert "pickup_ready" in manager.get("/messages/templates/").content.decode()


def test_the_api_makes_and_changes_templates(world: World, client_for: Callable[[User], Client]) -> None:
    manager = client_for(world.user("manager"))
    body = {
        "event": "reminder",
        "channel": "inapp",
        "message_class": "service",
        "variables": ["time"],
        "body_zh": "明天{time}到店",
    }
    created = manager.post("/api/v1/message-templates", body, content_type="application/json")
    assert (created.status_code, created.json()["variables"]) == (201, ["time"])
    clash = manager.post("/api/v1/message-templates", body, content_type="application/json", headers=EN)
    assert (clash.status_code, clash.json()["fields"]) == (
        422,
        {"event": ["This event has a template for this channel already."]},
    )
    changed = manager.patch(
        f"/api/v1/message-templates/{created.json()['id']}",
        {"body_zh": "明天{time}到店，{place}"},
        content_type="application/json",
        headers=EN,
    )
    assert (changed.status_code, changed.json()["fields"]) == (
        422,
        {"body_zh": ["Unknown variable place: declare it, or use one of time."]},
    )
    assert MessageTemplate.objects.get(pk=created.json()["id"]).body_zh == "明天{time}到店"


@pytest.fixture
def in_app(world: World, django_capture_on_commit_callbacks: Any) -> Message:
    services.template_save(
        actor=world.user("admin"),
        data={
            "event": "parts_not_ready",
            "channel": "inapp",
            "message_class": "service",
            "variables": ["order"],
            "subject_zh": "配件未到",
            "body_zh": "工单{order}的配件未到。",
        },
    )
    advisor = world.user("advisor")
    with django_capture_on_commit_callbacks(execute=True):
        [message] = services.message_send(
            store=world.sh,
            event="parts_not_ready",
            recipient=services.Recipient(type="staff", name="李明", user=advisor),
            variables={"order": "RO-1"},
        )
    return message


def test_the_bell_counts_unread_messages_and_the_page_marks_them_read(
    world: World, in_app: Message, client_for: Callable[[User], Client]
) -> None:
    advisor = client_for(world.user("advisor"))
    assert 'data-testid="bell-count">1</span>' in advisor.get("/notifications/bell/").content.decode()
    assert 'hx-get="/notifications/bell/"' in advisor.get("/").content.decode()
    page = advisor.get("/notifications/").content.decode()
    assert "工单RO-1的配件未到。" in page
    assert advisor.post("/notifications/read/", {"id": str(in_app.pk)}).status_code == 302
    assert "bell-count" not in advisor.get("/notifications/bell/").content.decode()
    assert client_for(world.user("crm")).get("/api/v1/notifications").json() == {"unread": 0, "items": []}


def test_the_api_lists_and_reads_notifications(
    world: World, in_app: Message, client_for: Callable[[User], Client]
) -> None:
    advisor = client_for(world.user("advisor"))
    listed = advisor.get("/api/v1/notifications").json()
    assert (listed["unread"], [item["body"] for item in listed["items"]]) == (1, ["工单RO-1的配件未到。"])
    read = advisor.post("/api/v1/notifications/read", {}, content_type="application/json").json()
    assert read == {"marked": 1, "unread": 0}


def test_the_outbox_masks_addresses_and_never_shows_a_links_token(
    world: World, client_for: Callable[[User], Client]
) -> None:
    _message(world, "sent", body="请查看：https://dms.example.com/l/AbCdEfGhIjKlMnOpQrStUvWxYz012345/ 谢谢")
    _message(world, "sent", channel="email", address="zhang.san@example.com", body="您好")
    auditor = client_for(world.user("auditor"))  # sees the outbox, not personal data
    items = auditor.get("/api/v1/messages").json()["items"]
    assert sorted((item["address"], item["body"]) for item in items) == [
        ("****", "您好"),
        ("138****5678", "请查看：https://dms.example.com/l/••••••/ 谢谢"),
    ]
    manager = client_for(world.user("manager"))  # may see personal data: addresses in full, tokens never
    page = manager.get("/messages/").content.decode()
    assert "zhang.san@example.com" in page and "/l/••••••/" in page and "AbCdEfGh" not in page
