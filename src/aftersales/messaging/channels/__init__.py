"""How a message leaves: one adapter per channel (SMS through a provider, e-mail over SMTP, in-app).

An SMS provider is one class with ``send`` and ``query`` (``SmsProvider``), registered by name in
``SMS_PROVIDERS``; ``AFTERSALES_SMS_PROVIDER`` picks it. A second provider is a new adapter, nothing
else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

# What the provider says of a message it may have accepted: None when it has no record of it.
ProviderState = Literal["sent", "delivered", "failed"] | None


class SendError(Exception):
    """The provider refused or could not be reached. ``temporary``: worth another attempt later
    (network, throttling, the provider's own failure); otherwise final (a bad number, a template the
    provider does not know)."""

    def __init__(self, message: str, *, temporary: bool, code: str = "") -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code


class SendAmbiguous(SendError):
    """The request may have reached the provider and been taken (a timeout or a dropped connection after
    it was sent, an answer that cannot be read): never retried as such; the outbox asks the provider."""

    def __init__(self, message: str) -> None:
        super().__init__(message, temporary=False, code="ambiguous")


class NotConfigured(SendError):
    def __init__(self, message: str) -> None:
        super().__init__(message, temporary=False, code="not_configured")


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail: the name its reader sees, its content type, its bytes."""

    name: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class Outgoing:
    """One message as a channel sends it."""

    out_id: str  # ours: the provider keeps it with the message (Aliyun's OutId), so we can ask about it
    address: str
    subject: str
    body: str
    variables: dict[str, str]
    sign_name: str = ""
    template_code: str = ""
    sent_on: date | None = None  # the provider's date of the attempt (Beijing time for Aliyun)
    attachments: tuple[Attachment, ...] = ()  # e-mail only: the files as they were when the message was written


class SmsProvider(Protocol):
    name: str

    def send(self, message: Outgoing) -> str:
        """Send and return the provider's id of the message; raise SendError."""
        ...

    def query(self, message: Outgoing) -> ProviderState:
        """What the provider knows of a message we may have sent (found by our ``out_id``)."""
        ...
