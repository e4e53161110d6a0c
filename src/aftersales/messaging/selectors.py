"""Reads of the outbox: a store's messages, the templates, a staff member's in-app messages."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.errors import ApplicationError
from aftersales.core.models import StaffMembership, User
from aftersales.messaging.models import Channel, Message, MessageTemplate, Task


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


def bell_count(user: User, *, store_id: int | None) -> int:
    """What the bell shows: unread in-app messages and open tasks to do in the store."""
    return unread_count(user) + tasks_of(user, store_id=store_id).count()


def tasks_of(user: User, *, store_id: int | None, status: str = Task.Status.OPEN) -> QuerySet[Task]:
    """The tasks ``user`` is to do (in the store): theirs, and those of the role they hold in the task's
    store (a role in one store gives nothing in another)."""
    memberships = StaffMembership.all_objects.filter(user=user, is_active=True)
    if store_id is not None:
        memberships = memberships.filter(store_id=store_id)
    theirs = Q(assignee=user)
    for member_store, role_code in memberships.values_list("store_id", "role__code"):
        theirs |= Q(assignee=None, store_id=member_store, assignee_role=role_code)
    tasks = Task.objects.filter(status=status).filter(theirs)
    if store_id is not None:
        tasks = tasks.filter(store_id=store_id)
    return tasks.select_related("store", "assignee").order_by("due_at", "pk")


def tasks_closed_by(user: User, *, store_id: int | None) -> QuerySet[Task]:
    """The tasks ``user`` closed (in the store), the latest first."""
    tasks = Task.objects.filter(closed_by=user).exclude(status=Task.Status.OPEN)
    if store_id is not None:
        tasks = tasks.filter(store_id=store_id)
    return tasks.select_related("store", "assignee").order_by("-closed_at", "-pk")


_LINK_TOKEN = re.compile(r"(/l/)[A-Za-z0-9_-]{16,}(/?)")


def message_shown(message: Message, *, personal: bool) -> tuple[str, str]:
    """A message's address and text as the outbox shows them: the address masked unless ``personal``
    (the view-personal right), and the token of any customer link in the text always hidden (whoever
    holds it acts as the customer)."""
    address = message.address
    if not personal and message.channel != "inapp":
        address = identifiers.mask_hidden(address) if "@" in address else identifiers.mask_mobile(address)
    return address, _LINK_TOKEN.sub(r"\1••••••\2", message.body)
