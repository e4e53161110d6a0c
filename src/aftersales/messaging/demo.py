"""The outbox's part of ``aftersales demo``: the usual templates, and a notification for each advisor."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from aftersales.core.models import StaffMembership
from aftersales.messaging import services
from aftersales.messaging.models import Message, MessageTemplate

TEMPLATES: list[dict[str, Any]] = [
    {
        "event": "booking_confirmation",
        "channel": "sms",
        "message_class": "service",
        "variables": ["name", "time", "store"],
        "body_zh": "{name}您好，您已预约{time}到{store}保养，请准时到店。",
        "body_en": "Dear {name}, your service at {store} is booked for {time}.",
        "sms_sign_name": "华东汽车",
        "sms_template_code": "SMS_100001",
    },
    {
        "event": "pickup_ready",
        "channel": "sms",
        "message_class": "service",
        "urgent": True,
        "variables": ["name", "plate"],
        "body_zh": "{name}您好，您的爱车{plate}已完成维修，可以取车了。",
        "sms_sign_name": "华东汽车",
        "sms_template_code": "SMS_100002",
    },
    {
        "event": "winter_check",
        "channel": "sms",
        "message_class": "marketing",
        "variables": ["name"],
        "body_zh": "{name}您好，冬季免费检测进行中，欢迎到店。回复TD退订",
        "sms_sign_name": "华东汽车",
        "sms_template_code": "SMS_100003",
    },
    {
        "event": "parts_not_ready",
        "channel": "inapp",
        "message_class": "service",
        "variables": ["order"],
        "subject_zh": "配件未到：{order}",
        "body_zh": "工单{order}所需配件未到，请联系客户确认是否改期。",
    },
]


@transaction.atomic
def messaging_demo_install() -> int:
    """Install the demo templates once (beside those the areas install with their migrations); give each
    advisor one unread notification. Returns templates made."""
    if MessageTemplate.objects.filter(event=TEMPLATES[0]["event"]).exists():
        return 0
    for data in TEMPLATES:
        services.template_save(actor=None, data=data)
    advisors = StaffMembership.all_objects.filter(role__code="advisor", is_active=True).select_related("user", "store")
    for membership in advisors:
        Message.objects.create(
            store=membership.store,
            event="parts_not_ready",
            channel="inapp",
            message_class="service",
            recipient_type="staff",
            user=membership.user,
            recipient_name=membership.user.full_name,
            address=membership.user.username,
            subject="配件未到：演示工单",
            body="演示工单所需配件未到，请联系客户确认是否改期。",
            status=Message.Status.DELIVERED,
        )
    return len(TEMPLATES)
