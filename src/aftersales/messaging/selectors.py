"""Reads of the outbox: a store's messages, the templates, a staff member's in-app messages."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.messaging.models import Channel, Message, MessageTemplate


def outbox(*, store_ids: list[int] | None, status: str | None = None, channel: str | None = None) -> QuerySet[Message]:
    """Messages of the stores (None: every store), newest first."""
    messages = Message.objects.select_related("store", "created_by").order_by("-created_at", "-pk")
    if store_ids is not None:
        messages = messages.filter(store_id__in=store_ids)
    if status:
        messages = messages.filter(status=status)
    if channel:
        messages = messages.filter(channel=channel)
    return messages


def message_in_stores(message_id: int, store_ids: list[int] | None) -> Message:
    found = outbox(store_ids=store_ids).filter(pk=message_id).first()
    if found is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return found


def templates() -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.order_by("event", "channel")


def template_get(template_id: int) -> MessageTemplate:
    found = MessageTemplate.objects.filter(pk=template_id).first()
    if found is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return found


def notifications(user: User) -> QuerySet[Message]:
    """The user's in-app messages, newest first."""
    return Message.objects.filter(user=user, channel=Channel.INAPP).order_by("-created_at", "-pk")


def unread_count(user: User) -> int:
    return Message.objects.filter(user=user, channel=Channel.INAPP, read_at=None).count()
