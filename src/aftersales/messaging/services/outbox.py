"""The outbox: a message is a row first, sent by a job after the commit, retried with back-off, and
never sent twice by itself: after a crash between the provider accepting it and our commit, the
provider is asked about it; if it cannot say, the message is ``unknown`` for a person to decide.

An e-mail may carry attachments: their bytes are kept in the media storage when the message is written,
so that what goes out (after retries, quiet hours or a person's "send again") is what was attached."""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.audit import audit_append
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.media import Storage, media_storage, megabytes
from aftersales.core.models import Store, User
from aftersales.messaging.channels import Attachment, Outgoing, SendAmbiguous, SendError
from aftersales.messaging.channels.registry import channel_adapter
from aftersales.messaging.models import Channel, Message, MessageClass, MessageTemplate
from aftersales.messaging.services.templates import render

logger = logging.getLogger(__name__)

# Attempts of a message the provider could not take for now, and the waits between them.
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30))
MAX_ATTEMPTS = len(BACKOFF) + 1
_BEIJING = ZoneInfo("Asia/Shanghai")  # the date Aliyun files a message under

# What one e-mail's attachments may come to in all (their bytes, before the e-mail's encoding adds a third).
ATTACHMENTS_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_NAME_MAX = 150
# A content type as RFC 6838 names one (type/subtype, no parameters): it goes into the e-mail's headers.
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}", re.IGNORECASE)

# Jobs the outbox hands its work to (set by aftersales.messaging.tasks: the service never imports them).
DELIVER: list[Callable[[int, datetime | None], None]] = []

# What an opt-out (退订) from a mobile or e-mail address means to the areas that keep recipients: each
# handler records it on theirs and returns how many it changed (the archive registers one).
OPT_OUT_HANDLERS: list[Callable[[str], int]] = []


def marketing_cancel(*, recipient_type: str, recipient_id: int) -> int:
    """Cancel the recipient's marketing messages not sent yet (consent withdrawn): at once, so that none
    held for quiet hours or waiting for a retry goes out afterwards."""
    return Message.objects.filter(
        recipient_type=recipient_type,
        recipient_id=recipient_id,
        message_class=MessageClass.MARKETING,
        status__in=[Message.Status.QUEUED, Message.Status.HELD],
    ).update(status=Message.Status.CANCELLED, hold_reason=Message.HoldReason.OPTED_OUT)


def message_opt_out(address: str) -> int:
    """Record that the holder of ``address`` (a mobile or an e-mail) opted out of marketing messages,
    at once: their held or queued marketing messages are cancelled, and every area's recipients with
    that address lose their marketing consent. Returns the recipients changed."""
    address = address.strip()
    if not address:
        return 0
    Message.objects.filter(
        address=address,
        message_class=MessageClass.MARKETING,
        status__in=[Message.Status.QUEUED, Message.Status.HELD],
    ).update(status=Message.Status.CANCELLED, hold_reason=Message.HoldReason.OPTED_OUT)
    return sum(handler(address) for handler in OPT_OUT_HANDLERS)


@dataclass(frozen=True)
class Recipient:
    """Whom a message goes to, as the area that sends it knows them."""

    type: str  # Message.RecipientType
    name: str
    id: int | None = None  # the customer's id
    mobile: str = ""
    email: str = ""
    user: User | None = None  # a staff member (in-app messages)
    marketing_consent: bool = False
    opted_out: bool = False  # 退订 recorded
    language: str = "zh-hans"
    # Where a marketing e-mail's reader opts out with one click (a customer link the sending area made).
    unsubscribe_url: str = ""


def _deliver_later(message: Message, at: datetime | None = None) -> None:
    pk = message.pk
    transaction.on_commit(lambda: [deliver(pk, at) for deliver in DELIVER])


def _unsubscribe_footer(template: MessageTemplate, recipient: Recipient, *, english: bool) -> str:
    """A marketing e-mail ends with the link that opts its reader out at once (退订)."""
    if template.channel != Channel.EMAIL or template.message_class != MessageClass.MARKETING:
        return ""
    if not recipient.unsubscribe_url:
        return ""
    line = "Unsubscribe: %(url)s" if english else "退订：%(url)s"
    return "\n\n" + line % {"url": recipient.unsubscribe_url}


def _address(template: MessageTemplate, recipient: Recipient) -> tuple[str, str]:
    """The recipient's address on the template's channel, and why it cannot be used ("" when it can)."""
    if template.channel == Channel.SMS:
        if not recipient.mobile:
            return "", ""
        try:
            return identifiers.clean_mobile(recipient.mobile), ""
        except ValidationError:
            return recipient.mobile, _("%(number)s is not a mobile number: an SMS cannot reach it.") % {
                "number": recipient.mobile
            }
    if template.channel == Channel.EMAIL:
        return recipient.email, ""
    if recipient.user is None:
        return "", ""
    return recipient.user.username, ""


def _shown_name(name: str) -> str:
    """A file name as an error message may show it: control characters as "?"."""
    return "".join("?" if unicodedata.category(char)[0] == "C" else char for char in name)


def _attachments_clean(attachments: Sequence[Attachment]) -> list[Attachment]:
    """The attachments as given, or one refusal listing every problem (422 on ``attachments``): a file
    without a name, a name with a path separator or a control character (refused, not rewritten: the
    sender chose the name the reader sees), a content type that is not one, an empty file, more than
    ATTACHMENTS_MAX_BYTES in all."""
    problems = []
    for number, attachment in enumerate(attachments, start=1):
        name = attachment.name
        shown = _shown_name(name)
        if not name.strip(" ."):
            problems.append(_("Attachment %(number)s has no file name.") % {"number": number})
        elif "/" in name or "\\" in name or shown != name:
            problems.append(_("%(name)s: a file name cannot contain / or \\ or control characters.") % {"name": shown})
        elif len(name) > ATTACHMENT_NAME_MAX:
            problems.append(
                _("%(name)s: a file name has at most %(max)s characters.") % {"name": shown, "max": ATTACHMENT_NAME_MAX}
            )
        if not _CONTENT_TYPE.fullmatch(attachment.content_type):
            problems.append(
                _("%(name)s: %(type)s is not a content type (such as application/pdf).")
                % {"name": shown, "type": _shown_name(attachment.content_type)}
            )
        if not attachment.content:
            problems.append(_("%(name)s is empty.") % {"name": shown})
    total = sum(len(attachment.content) for attachment in attachments)
    if total > ATTACHMENTS_MAX_BYTES:
        problems.append(
            _("The attachments come to %(size)s MB; an e-mail may carry at most %(limit)d MB.")
            % {"size": megabytes(total), "limit": ATTACHMENTS_MAX_BYTES // (1024 * 1024)}
        )
    if problems:
        raise ApplicationError(" ".join(problems), field="attachments", status=422)
    return list(attachments)


def _attachments_keep(attachments: list[Attachment], *, storage: Storage, kept: list[str]) -> list[dict[str, Any]]:
    """Keep the attachments' bytes in ``storage`` (each name stored is added to ``kept`` at once, for the
    caller to delete should it fail) and return what the message lists of them."""
    listed = []
    for attachment in attachments:
        stored = storage.write([attachment.content])
        kept.append(stored)
        listed.append(
            {
                "name": attachment.name,
                "content_type": attachment.content_type.lower(),
                "size": len(attachment.content),
                "stored": stored,
            }
        )
    return listed


def message_try(
    description: str, send: Callable[[], list[Message]], *, also: tuple[type[Exception], ...] = ()
) -> list[Message]:
    """Run ``send`` (calls of ``message_send``) in a savepoint without letting a message refuse the work
    it reports: a refusal (a template an administrator changed or deactivated, a recipient without an
    address; ``also`` adds the caller's own, e.g. a PDF that cannot be drawn) is logged and [] returned."""
    refusals: tuple[type[Exception], ...] = (ApplicationError, *also)
    try:
        with transaction.atomic():
            return send()
    except refusals as error:
        logger.warning("%s not put in the outbox: %s", description, error)
        return []


def message_send(
    *,
    store: Store,
    event: str,
    recipient: Recipient,
    variables: dict[str, Any],
    actor: User | None = None,
    about: tuple[str, int] | None = None,
    channels: tuple[str, ...] | None = None,
    attachments: Sequence[Attachment] = (),
) -> list[Message]:
    """Put the event's message to ``recipient`` in the outbox, one row per channel the recipient has an
    address on, and send each after the commit.

    ``attachments`` go with the e-mail only (an SMS or in-app message of the same event is written
    without them); their bytes are kept now, in ``Message.STORAGE_AREA``, and listed on the message.

    Refused (422, nothing written): no active template for the event, variables that are missing or not
    declared, attachments that ``_attachments_clean`` refuses (checked whichever channels the event has
    today). Written but not sent: a marketing message without consent or after an opt-out (held, for
    good), one during the store's quiet hours that is not urgent (held until they end), an SMS to a
    number that is not a mobile (failed, with the reason).

    The files kept are deleted again if this call fails. If the caller's own transaction rolls back
    after this call returns, the rows go but the files stay (Django has no hook for a rollback): they
    are named by no message, so nothing reads them, but nothing deletes them either (a sweep of
    ``Message.STORAGE_AREA`` for files no message names would).
    """
    templates = list(MessageTemplate.objects.filter(event=event, is_active=True).order_by("channel"))
    if channels is not None:
        templates = [template for template in templates if template.channel in channels]
    if not templates:
        raise ApplicationError(
            _("No active message template for the event %(event)s.") % {"event": event}, field="event", status=422
        )
    values = {str(name): str(value) for name, value in (variables or {}).items()}
    declared = set().union(*(template.variables for template in templates))
    missing = sorted(declared - set(values))
    unknown = sorted(set(values) - declared)
    if missing or unknown:
        problems = []
        if missing:
            problems.append(_("Missing: %(names)s.") % {"names": ", ".join(missing)})
        if unknown:
            problems.append(_("Not declared by the template: %(names)s.") % {"names": ", ".join(unknown)})
        raise ApplicationError(" ".join(problems), field="variables", status=422)
    files = _attachments_clean(attachments)
    storage = media_storage(Message.STORAGE_AREA)
    kept: list[str] = []  # the files stored by this call, deleted again if it fails
    now = timezone.now()
    quiet_until = store_calendar(store).quiet_until(now)
    english = recipient.language.startswith("en")
    messages = []
    try:
        with transaction.atomic():
            for template in templates:
                address, refusal = _address(template, recipient)
                if not address:
                    continue
                status, hold_reason, not_before, error = Message.Status.QUEUED, "", None, refusal
                if refusal:
                    status = Message.Status.FAILED
                elif template.message_class == MessageClass.MARKETING and recipient.opted_out:
                    status, hold_reason = Message.Status.HELD, Message.HoldReason.OPTED_OUT
                elif template.message_class == MessageClass.MARKETING and not recipient.marketing_consent:
                    status, hold_reason = Message.Status.HELD, Message.HoldReason.NO_CONSENT
                elif quiet_until is not None and not template.urgent and template.channel != Channel.INAPP:
                    status, hold_reason, not_before = Message.Status.HELD, Message.HoldReason.QUIET_HOURS, quiet_until
                subject = (template.subject_en if english and template.subject_en else template.subject_zh) or ""
                listed: list[dict[str, Any]] = []
                if template.channel == Channel.EMAIL and files:
                    listed = _attachments_keep(files, storage=storage, kept=kept)
                body = template.body_en if english and template.body_en else template.body_zh
                message = Message.objects.create(
                    store=store,
                    event=event,
                    template=template,
                    channel=template.channel,
                    message_class=template.message_class,
                    urgent=template.urgent,
                    language="en" if english else "zh-hans",
                    recipient_type=recipient.type,
                    recipient_id=recipient.id,
                    user=recipient.user,
                    recipient_name=recipient.name,
                    address=address,
                    variables=values,
                    subject=render(subject, values),
                    body=render(body, values) + _unsubscribe_footer(template, recipient, english=english),
                    attachments=listed,
                    about_type=about[0] if about else "",
                    about_id=about[1] if about else None,
                    status=status,
                    hold_reason=hold_reason,
                    not_before=not_before,
                    error=error,
                    created_by=actor,
                )
                if status == Message.Status.QUEUED:
                    _deliver_later(message)
                elif hold_reason == Message.HoldReason.QUIET_HOURS:
                    _deliver_later(message, not_before)
                messages.append(message)
    except BaseException:
        for name in kept:
            storage.delete(name)
        raise
    if not messages:
        raise ApplicationError(
            _("The recipient has no mobile, e-mail or account for this event's channels."),
            field="recipient",
            status=422,
        )
    return messages


def _attachments_read(message: Message) -> tuple[Attachment, ...]:
    """The files kept with an e-mail, as they were attached. One missing or not of its recorded size
    fails the message: an e-mail is never sent without what it was written with."""
    storage = media_storage(Message.STORAGE_AREA)
    files = []
    for listed in message.attachments:
        try:
            with storage.open(listed["stored"]) as handle:
                content = handle.read()
        except OSError:  # gone, or unreadable: not sent without it
            content = None
        if content is None or len(content) != listed["size"]:
            raise SendError(
                _("The attachment %(name)s is no longer kept as it was attached: the e-mail was not sent.")
                % {"name": listed["name"]},
                temporary=False,
                code="attachment_missing",
            )
        files.append(Attachment(name=listed["name"], content_type=listed["content_type"], content=content))
    return tuple(files)


def _outgoing(message: Message, *, with_attachments: bool = True) -> Outgoing:
    """The message as its channel sends it; ``with_attachments`` False to ask about it (no file read)."""
    template = message.template
    began = message.sending_since or message.created_at
    return Outgoing(
        out_id=message.out_id,
        address=message.address,
        subject=message.subject,
        body=message.body,
        variables=message.variables,
        sign_name=template.sms_sign_name if template else "",
        template_code=template.sms_template_code if template else "",
        sent_on=began.astimezone(_BEIJING).date() if began else None,
        attachments=_attachments_read(message) if with_attachments else (),
    )


def message_deliver(message_id: int) -> str | None:
    """Send one queued message (the job's work): claimed by a conditional update, so that two workers
    never both send it; a temporary failure is tried again after BACKOFF, up to MAX_ATTEMPTS. Returns
    the status it ended in, or None when it was not this call's to send."""
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, status=Message.Status.QUEUED)
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
        .update(status=Message.Status.SENDING, attempts=F("attempts") + 1, sending_since=now)
    )
    if not claimed:
        return None
    message = Message.objects.select_related("template").get(pk=message_id)
    adapter = channel_adapter(message.channel)
    try:
        provider_id = adapter.send(_outgoing(message))
    except SendAmbiguous as error:
        # Perhaps taken: left "sending" for messages_recover to ask the provider (never sent again as is).
        Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
            error=str(error)[:500], provider=adapter.name
        )
        return Message.Status.SENDING
    except SendError as error:
        if error.temporary and message.attempts < MAX_ATTEMPTS:
            retry_at = now + BACKOFF[message.attempts - 1]
            Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
                status=Message.Status.QUEUED, next_attempt_at=retry_at, error=str(error)[:500], provider=adapter.name
            )
            for deliver in DELIVER:
                deliver(message_id, retry_at)
            return Message.Status.QUEUED
        Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
            status=Message.Status.FAILED, error=str(error)[:500], provider=adapter.name
        )
        return Message.Status.FAILED
    done = Message.Status.DELIVERED if message.channel == Channel.INAPP else Message.Status.SENT
    Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
        status=done,
        provider=adapter.name,
        provider_message_id=provider_id[:100],
        sent_at=timezone.now(),
        delivered_at=timezone.now() if done == Message.Status.DELIVERED else None,
        error="",
    )
    return done


def messages_recover(*, older_than: timedelta | None = None) -> dict[str, int]:
    """Settle the messages a worker lost mid-send (still ``sending`` after ``older_than``): what the
    provider says of each (sent, delivered, failed), else ``unknown``, never sent again by itself."""
    older_than = older_than or timedelta(seconds=settings.AFTERSALES_MESSAGE_RECOVER_SECONDS)
    cutoff = timezone.now() - older_than
    counts = {"sent": 0, "delivered": 0, "failed": 0, "unknown": 0}
    lost = Message.objects.select_related("template").filter(status=Message.Status.SENDING, sending_since__lt=cutoff)
    for message in lost.order_by("pk"):
        adapter = channel_adapter(message.channel)
        try:
            state = adapter.query(_outgoing(message, with_attachments=False))
        except SendError:
            continue  # the provider cannot be asked now: the next round asks again
        changes: dict[str, Any] = {"provider": adapter.name}
        outcome: str = state or "unknown"
        if state in ("sent", "delivered"):
            changes |= {"status": state, "sent_at": message.sending_since}
            if state == "delivered":
                changes["delivered_at"] = timezone.now()
        elif state == "failed":
            changes |= {"status": Message.Status.FAILED, "error": _("The provider reports the message failed.")}
        else:
            changes |= {
                "status": Message.Status.UNKNOWN,
                "error": _("The attempt was cut off and the provider cannot say whether it sent the message."),
            }
        if Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(**changes):
            counts[outcome] += 1
    return counts


def messages_requeue(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Hand the job queue again the queued messages whose job was lost (a queue emptied, a worker gone
    before it claimed them): queued, due, and waiting longer than ``older_than``. The claim keeps a
    message from being sent twice should its first job turn up after all."""
    now = timezone.now()
    due = list(
        Message.objects.filter(status=Message.Status.QUEUED, created_at__lt=now - older_than)
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lt=now - older_than))
        .values_list("pk", flat=True)[:1000]
    )
    for pk in due:
        for deliver in DELIVER:
            deliver(pk, None)
    return len(due)


def messages_release(*, now: datetime | None = None) -> int:
    """Queue the messages held for quiet hours that have ended (the job also schedules each for then)."""
    now = now or timezone.now()
    due = list(
        Message.objects.filter(
            status=Message.Status.HELD, hold_reason=Message.HoldReason.QUIET_HOURS, not_before__lte=now
        ).values_list("pk", flat=True)
    )
    released = Message.objects.filter(pk__in=due, status=Message.Status.HELD).update(
        status=Message.Status.QUEUED, hold_reason=""
    )
    for pk in due:
        for deliver in DELIVER:
            deliver(pk, None)
    return released


DECISIONS = ("resend", "mark_sent", "cancel")


def message_decide(*, actor: User, message_id: int, decision: str) -> Message:
    """A person's decision on a message whose delivery is unknown (or that failed): send it again, record
    it as sent, or cancel it. Audited."""
    if decision not in DECISIONS:
        raise ApplicationError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(DECISIONS)}, field="decision")
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        allowed = {Message.Status.UNKNOWN, Message.Status.FAILED}
        if decision == "mark_sent":
            allowed = {Message.Status.UNKNOWN}
        if message.status not in allowed:
            raise ApplicationError(
                _("A message that is %(status)s cannot be decided on.") % {"status": message.get_status_display()},
                code="conflict",
                field="decision",
                status=409,
            )
        before = message.status
        if decision == "resend":
            message.status, message.next_attempt_at, message.attempts = Message.Status.QUEUED, None, 0
            message.out_id = uuid.uuid4().hex  # a new attempt: receipts of the old one are not its own
            _deliver_later(message)
        elif decision == "mark_sent":
            message.status, message.sent_at = Message.Status.SENT, timezone.now()
        else:
            message.status = Message.Status.CANCELLED
        message.save(update_fields=["status", "next_attempt_at", "attempts", "out_id", "sent_at"])
        audit_append(
            action="update",
            actor=actor,
            store_id=message.store_id,
            object_type="messaging.message",
            object_id=str(message.pk),
            object_repr=message.audit_repr(),
            changes={"status": [before, message.status], "decision": decision},
        )
    return message


def notification_read(*, user: User, message_id: int | None = None) -> int:
    """Mark one of the user's in-app messages read, or all of them (``message_id`` None)."""
    unread = Message.objects.filter(user=user, channel=Channel.INAPP, read_at=None)
    if message_id is not None:
        unread = unread.filter(pk=message_id)
    return unread.update(read_at=timezone.now())


# What an SMS reply that opts out reads like (退订 and its usual short forms).
OPT_OUT_REPLIES = frozenset({"TD", "T", "N", "退订", "退", "取消", "UNSUBSCRIBE", "STOP"})


def sms_reports_apply(reports: list[dict[str, Any]]) -> int:
    """The provider's delivery receipts (Aliyun's pushed ``SmsReport``: ``out_id``, ``success``,
    ``err_code``, ``err_msg``): a sent message becomes delivered, or failed with the operator's code."""
    changed = 0
    now = timezone.now()
    for report in reports:
        out_id = str(report.get("out_id") or "")
        if not out_id:
            continue
        waiting = Message.objects.filter(
            out_id=out_id, status__in=[Message.Status.SENT, Message.Status.SENDING, Message.Status.UNKNOWN]
        )
        if report.get("success") in (True, "true", "True", 1):
            changed += waiting.update(status=Message.Status.DELIVERED, delivered_at=now)
        else:
            error = f"{report.get('err_code', '')} {report.get('err_msg', '')}".strip()[:500]
            changed += waiting.update(status=Message.Status.FAILED, error=error)
    return changed


def sms_replies_apply(replies: list[dict[str, Any]]) -> int:
    """Customers' SMS replies (Aliyun's pushed ``SmsUp``: ``phone_number``, ``content``): a reply that
    opts out (``OPT_OUT_REPLIES``) takes effect at once. Returns the opt-outs recorded."""
    opted = 0
    for reply in replies:
        content = str(reply.get("content") or "").strip().upper()
        phone = str(reply.get("phone_number") or "").strip()
        if phone and content in OPT_OUT_REPLIES:
            message_opt_out(phone)
            opted += 1
    return opted
