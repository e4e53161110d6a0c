"""E-mail attachments in the outbox: kept when the message is written, sent over a real SMTP server
exactly as attached (after quiet hours), listed on the outbox page and in the API, ignored by other
channels, and refused (nothing written, no file kept) when too large or badly named."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.media import local_storage
from aftersales.core.models import User
from aftersales.messaging import services
from aftersales.messaging.models import Message
from aftersales.messaging.tests.conftest import Clock, Inbox

Status = Message.Status
EN = {"accept-language": "en"}
# A small PDF-like file: every byte value, so that any re-encoding on the way would show.
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PDF_NAME = "采购订单 PO-SH01-2026-000123.pdf"
SUPPLIER = services.Recipient(type="customer", name="上海博世配件", email="orders@bosch-parts.example")


@pytest.fixture
def order_templates(world: World) -> None:
    """The purchase order event: an e-mail and an SMS template."""
    admin = world.user("admin")
    services.template_save(
        actor=admin,
        data={
            "event": "purchase_order",
            "channel": "email",
            "message_class": "service",
            "variables": ["order"],
            "subject_zh": "采购订单{order}",
            "body_zh": "您好：附件为采购订单{order}，请确认。",
        },
    )
    services.template_save(
        actor=admin,
        data={
            "event": "purchase_order",
            "channel": "sms",
            "message_class": "service",
            "variables": ["order"],
            "body_zh": "采购订单{order}已通过邮件发送，请查收。",
            "sms_sign_name": "华东汽车",
            "sms_template_code": "SMS_100002",
        },
    )


def _kept_files() -> set[Path]:
    directory = local_storage(Message.STORAGE_AREA).directory
    return set(directory.iterdir()) if directory.exists() else set()


@pytest.fixture
def kept_before() -> Iterator[set[Path]]:
    yield _kept_files()


def _send(world: World, capture: Any, attachments: list[services.Attachment], **recipient: Any) -> dict[str, Message]:
    fields = {"type": SUPPLIER.type, "name": SUPPLIER.name, "email": SUPPLIER.email, **recipient}
    with capture(execute=True):
        messages = services.message_send(
            store=world.sh,
            event="purchase_order",
            recipient=services.Recipient(**fields),
            variables={"order": "PO-SH01-2026-000123"},
            actor=world.user("manager"),
            attachments=attachments,
        )
    return {message.channel: Message.objects.get(pk=message.pk) for message in messages}


def _attached(content: bytes) -> list[tuple[str | None, str, bytes]]:
    email = message_from_bytes(content, policy=policy.default)
    assert isinstance(email, EmailMessage)
    return [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in email.iter_attachments()
    ]


def test_an_email_held_for_quiet_hours_goes_out_with_its_attachment_exactly_as_attached(
    clock: Clock,
    world: World,
    order_templates: None,
    smtp: Inbox,
    kept_before: set[Path],
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock.now = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai: held until 08:00
    pdf = services.Attachment(name=PDF_NAME, content_type="application/pdf", content=PDF)

    sent = _send(world, django_capture_on_commit_callbacks, [pdf], mobile="13812345678")

    email = sent["email"]
    [listed] = email.attachments
    assert listed == {"name": PDF_NAME, "content_type": "application/pdf", "size": 2064, "stored": listed["stored"]}
    assert len(PDF) == 2064
    assert _kept_files() - kept_before == {local_storage("messages").directory / listed["stored"]}
    assert local_storage("messages").open(listed["stored"]).read() == PDF
    assert sent["sms"].attachments == []  # the SMS of the same event carries none
    assert (email.status, smtp.received) == (Status.HELD, [])

    clock.now = datetime(2026, 11, 28, 0, 1, tzinfo=UTC)
    assert services.messages_release() == 2
    email.refresh_from_db()
    assert (email.status, email.provider) == (Status.SENT, "smtp")
    [(sender, recipients, content)] = smtp.received
    assert (sender, recipients) == ("service@huadong-auto.example", ["orders@bosch-parts.example"])
    assert _attached(content) == [(PDF_NAME, "application/pdf", PDF)]
    body = message_from_bytes(content, policy=policy.default)
    assert isinstance(body, EmailMessage)
    text = body.get_body(preferencelist=("plain",))
    assert text is not None and text.get_content().rstrip("\n") == "您好：附件为采购订单PO-SH01-2026-000123，请确认。"


def test_an_email_whose_kept_file_is_gone_fails_and_is_not_sent_without_it(
    clock: Clock,
    world: World,
    order_templates: None,
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pdf = services.Attachment(name="PO-SH01-2026-000124.pdf", content_type="application/pdf", content=PDF)
    with django_capture_on_commit_callbacks(execute=False):
        [email] = services.message_send(
            store=world.sh,
            event="purchase_order",
            recipient=SUPPLIER,
            variables={"order": "PO-SH01-2026-000124"},
            attachments=[pdf],
        )
    local_storage("messages").delete(email.attachments[0]["stored"])

    with translation.override("en"):
        assert services.message_deliver(email.pk) == Status.FAILED
    email.refresh_from_db()
    assert (email.status, email.error) == (
        Status.FAILED,
        "The attachment PO-SH01-2026-000124.pdf is no longer kept as it was attached: the e-mail was not sent.",
    )
    assert smtp.received == []


def test_an_sms_ignores_attachments_and_keeps_no_file(
    clock: Clock, world: World, order_templates: None, kept_before: set[Path], django_capture_on_commit_callbacks: Any
) -> None:
    pdf = services.Attachment(name="PO.pdf", content_type="application/pdf", content=PDF)

    sent = _send(world, django_capture_on_commit_callbacks, [pdf], email="", mobile="13812345678")

    assert list(sent) == ["sms"]
    assert sent["sms"].attachments == []
    assert _kept_files() == kept_before


@pytest.mark.parametrize(
    ("attachments", "refusal"),
    [
        (
            [("../../etc/PO.pdf", "application/pdf", PDF)],
            "../../etc/PO.pdf: a file name cannot contain / or \\ or control characters.",
        ),
        (
            [("C:\\orders\\PO.pdf", "application/pdf", PDF)],
            "C:\\orders\\PO.pdf: a file name cannot contain / or \\ or control characters.",
        ),
        (
            [("PO.pdf\r\nBcc: all@example.com", "application/pdf", PDF)],
            "PO.pdf??Bcc: all@example.com: a file name cannot contain / or \\ or control characters.",
        ),
        (
            [("invoice\u202efdp.exe", "application/pdf", PDF)],  # right-to-left override: shows as "exe.pdf"
            "invoice?fdp.exe: a file name cannot contain / or \\ or control characters.",
        ),
        ([(" . ", "application/pdf", PDF)], "Attachment 1 has no file name."),
        (
            [("PO.pdf", "application/pdf\r\nBcc: all@example.com", PDF)],
            "PO.pdf: application/pdf??Bcc: all@example.com is not a content type (such as application/pdf).",
        ),
        ([("PO.pdf", "application/pdf", b"")], "PO.pdf is empty."),
        (
            [
                ("PO-1.pdf", "application/pdf", b"%PDF-" + b"\0" * (6 * 1024 * 1024)),
                ("PO-2.pdf", "application/pdf", b"%PDF-" + b"\0" * (5 * 1024 * 1024)),
            ],
            "The attachments come to 11.0 MB; an e-mail may carry at most 10 MB.",
        ),
    ],
)
def test_oversize_and_badly_named_attachments_are_refused_and_nothing_is_written(
    clock: Clock,
    world: World,
    order_templates: None,
    kept_before: set[Path],
    attachments: list[tuple[str, str, bytes]],
    refusal: str,
) -> None:
    files = [services.Attachment(name=name, content_type=kind, content=content) for name, kind, content in attachments]
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        services.message_send(
            store=world.sh,
            event="purchase_order",
            recipient=SUPPLIER,
            variables={"order": "PO-SH01-2026-000125"},
            attachments=files,
        )
    assert (refused.value.status, refused.value.fields) == (422, {"attachments": [refusal]})
    assert not Message.objects.exists()
    assert _kept_files() == kept_before


def test_exactly_the_limit_is_taken(
    clock: Clock, world: World, order_templates: None, django_capture_on_commit_callbacks: Any
) -> None:
    half = services.ATTACHMENTS_MAX_BYTES // 2
    files = [
        services.Attachment(name=f"PO-{n}.pdf", content_type="application/pdf", content=b"%PDF-".ljust(half, b"\0"))
        for n in (1, 2)
    ]
    with django_capture_on_commit_callbacks(execute=False):
        sent = services.message_send(
            store=world.sh,
            event="purchase_order",
            recipient=SUPPLIER,
            variables={"order": "PO-SH01-2026-000126"},
            attachments=files,
        )
    assert [(f["name"], f["size"]) for f in sent[0].attachments] == [("PO-1.pdf", 5242880), ("PO-2.pdf", 5242880)]


def test_files_kept_by_a_send_that_fails_are_deleted(
    clock: Clock,
    world: World,
    order_templates: None,
    kept_before: set[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: Message, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database refused the row")

    monkeypatch.setattr(Message, "save", refuse)
    pdf = services.Attachment(name="PO.pdf", content_type="application/pdf", content=PDF)
    with pytest.raises(RuntimeError):
        services.message_send(
            store=world.sh,
            event="purchase_order",
            recipient=SUPPLIER,
            variables={"order": "PO-SH01-2026-000127"},
            attachments=[pdf],
        )
    monkeypatch.undo()
    assert not Message.objects.exists()
    assert _kept_files() == kept_before


def test_the_outbox_page_and_the_api_list_the_attachments_by_name_and_size(
    clock: Clock,
    world: World,
    order_templates: None,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    pdf = services.Attachment(name=PDF_NAME, content_type="application/pdf", content=PDF)
    with django_capture_on_commit_callbacks(execute=False):
        [email] = services.message_send(
            store=world.sh,
            event="purchase_order",
            recipient=SUPPLIER,
            variables={"order": "PO-SH01-2026-000123"},
            attachments=[pdf],
        )
    manager = client_for(world.user("manager"))

    page = manager.get("/messages/", headers=EN).content.decode()
    assert page.count('data-testid="attachment"') == 1
    assert f'<i class="bi bi-paperclip"></i> {PDF_NAME} <span class="text-nowrap">(2.0\xa0KB)</span>' in page
    assert email.attachments[0]["stored"] not in page

    [listed] = manager.get("/api/v1/messages").json()["items"]
    assert listed["attachments"] == [{"name": PDF_NAME, "content_type": "application/pdf", "size": 2064}]
