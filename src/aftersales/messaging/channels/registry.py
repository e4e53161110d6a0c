"""The adapter of each channel, from the settings."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings

from aftersales.messaging.channels import NotConfigured, Outgoing, ProviderState, SmsProvider
from aftersales.messaging.channels.aliyun import AliyunSms
from aftersales.messaging.channels.email import SmtpEmail


class ChannelAdapter(Protocol):
    name: str

    def send(self, message: Outgoing) -> str: ...

    def query(self, message: Outgoing) -> ProviderState: ...


class InApp:
    """A staff member's notification: the outbox row is what the bell shows; nothing leaves."""

    name = "inapp"

    def send(self, message: Outgoing) -> str:
        return ""

    def query(self, message: Outgoing) -> ProviderState:
        return "delivered"


def _aliyun() -> SmsProvider:
    return AliyunSms(
        access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
        access_key_secret=settings.ALIYUN_SMS_ACCESS_KEY_SECRET,
        endpoint=settings.ALIYUN_SMS_ENDPOINT,
        region=settings.ALIYUN_SMS_REGION,
        timeout=settings.ALIYUN_SMS_TIMEOUT,
    )


# SMS providers by name (AFTERSALES_SMS_PROVIDER): a second provider is a new adapter and a line here.
SMS_PROVIDERS = {"aliyun": _aliyun}


class _NoSms:
    name = ""

    def send(self, message: Outgoing) -> str:
        raise NotConfigured("No SMS provider is configured (AFTERSALES_SMS_PROVIDER).")

    def query(self, message: Outgoing) -> ProviderState:
        return None


def channel_adapter(channel: str) -> ChannelAdapter:
    if channel == "sms":
        factory = SMS_PROVIDERS.get(settings.AFTERSALES_SMS_PROVIDER)
        return factory() if factory is not None else _NoSms()
    if channel == "email":
        return SmtpEmail()
    return InApp()
