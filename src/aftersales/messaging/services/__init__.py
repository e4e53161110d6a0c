"""The messaging services: templates and the outbox."""

from aftersales.messaging.services.outbox import (
    BACKOFF,
    DECISIONS,
    DELIVER,
    MAX_ATTEMPTS,
    OPT_OUT_HANDLERS,
    Recipient,
    message_decide,
    message_deliver,
    message_opt_out,
    message_send,
    messages_recover,
    messages_release,
    notification_read,
    sms_replies_apply,
    sms_reports_apply,
)
from aftersales.messaging.services.tasks import due_after_working_days, task_close, task_create
from aftersales.messaging.services.templates import placeholders, render, template_clean, template_save

__all__ = [
    "BACKOFF",
    "DECISIONS",
    "DELIVER",
    "MAX_ATTEMPTS",
    "OPT_OUT_HANDLERS",
    "Recipient",
    "due_after_working_days",
    "message_decide",
    "message_deliver",
    "message_opt_out",
    "message_send",
    "messages_recover",
    "messages_release",
    "notification_read",
    "placeholders",
    "render",
    "sms_replies_apply",
    "sms_reports_apply",
    "task_close",
    "task_create",
    "template_clean",
    "template_save",
]
