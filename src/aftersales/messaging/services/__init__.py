"""The messaging services: templates and the outbox."""

from aftersales.messaging.services.outbox import (
    BACKOFF,
    DECISIONS,
    DELIVER,
    MAX_ATTEMPTS,
    Recipient,
    message_decide,
    message_deliver,
    message_send,
    messages_recover,
    messages_release,
    notification_read,
)
from aftersales.messaging.services.templates import placeholders, render, template_clean, template_save

__all__ = [
    "BACKOFF",
    "DECISIONS",
    "DELIVER",
    "MAX_ATTEMPTS",
    "Recipient",
    "message_decide",
    "message_deliver",
    "message_send",
    "messages_recover",
    "messages_release",
    "notification_read",
    "placeholders",
    "render",
    "template_clean",
    "template_save",
]
