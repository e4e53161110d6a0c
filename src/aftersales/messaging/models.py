"""The outbox: message templates per event, and one row per message to a customer or staff member."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import ANY_ACTION, AuditedModel, AuditKey, AuditKeys


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    INAPP = "inapp", _("In-app")


class MessageClass(models.TextChoices):
    # PIPL Art. 13: a service message performs the contract (booking confirmation, reminder, progress,
    # pickup) or a legal duty (recall notice); a marketing message needs the person's consent.
    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")


class MessageTemplate(AuditedModel):
    """What is sent for one event on one channel, in Chinese and English, with its declared variables.

    Placeholders are written ``{name}``; every one must be declared in ``variables``. An SMS template
    also names the provider's approved signature and template code (the provider holds the approved
    text; ``body_zh`` repeats it for our outbox)."""

    event = models.CharField(_("event"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    message_class = models.CharField(_("class"), max_length=10, choices=MessageClass.choices)
    urgent = models.BooleanField(_("urgent (sent during quiet hours)"), default=False)
    variables = models.JSONField(_("variables"), default=list, blank=True)
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_zh = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    sms_sign_name = models.CharField(_("SMS signature"), max_length=40, blank=True)
    sms_template_code = models.CharField(_("SMS template code"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="message_template_event_channel")]

    def __str__(self) -> str:
        return f"{self.event} · {self.get_channel_display()}"


class Message(models.Model):
    """One message in the outbox, from queued to sent (or held, failed, unknown), with its attempts."""

    STORAGE_AREA = "messages"  # where an e-mail's attachments are kept (core media storage)

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        HELD = "held", _("Held")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown")
        CANCELLED = "cancelled", _("Cancelled")

    class HoldReason(models.TextChoices):
        QUIET_HOURS = "quiet_hours", _("Quiet hours: sent when they end")
        NO_CONSENT = "no_consent", _("No marketing consent")
        OPTED_OUT = "opted_out", _("The recipient opted out (退订)")

    class RecipientType(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")
        SUPPLIER = "supplier", _("Supplier")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    event = models.CharField(_("event"), max_length=40)
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, null=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    message_class = models.CharField(_("class"), max_length=10, choices=MessageClass.choices)
    urgent = models.BooleanField(_("urgent"), default=False)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    recipient_type = models.CharField(_("recipient"), max_length=10, choices=RecipientType.choices)
    recipient_id = models.PositiveBigIntegerField(_("recipient id"), null=True)  # the customer, when one
    user = models.ForeignKey(  # the staff member, when one (in-app messages are theirs)
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("staff")
    )
    recipient_name = models.CharField(_("recipient name"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True)  # mobile or e-mail
    variables = models.JSONField(_("variables"), default=dict)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    # E-mail only: [{"name", "content_type", "size", "stored"}], the bytes kept in STORAGE_AREA under "stored".
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    about_type = models.CharField(max_length=60, blank=True)  # the record it is about ("app_label.model")
    about_id = models.PositiveBigIntegerField(null=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    hold_reason = models.CharField(_("held because"), max_length=20, choices=HoldReason.choices, blank=True)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    out_id = models.CharField(max_length=32, unique=True, default="", editable=False)  # ours, given to the provider
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)  # in-app: when the staff member read it

    audit_keys: ClassVar[AuditKeys] = {ANY_ACTION: {"decision": AuditKey(_("decision"))}}

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["store", "status", "created_at"], name="message_store_status"),
            # The messages about one record (a recall's outreach row, say), as follow-up jobs ask.
            models.Index(fields=["about_type", "about_id"], name="message_about"),
            models.Index(fields=["status", "sending_since"], name="message_sending", condition=Q(status="sending")),
            models.Index(fields=["status", "not_before"], name="message_held", condition=Q(status="held")),
            models.Index(
                fields=["user", "created_at"], name="message_unread", condition=Q(channel="inapp", read_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_name or self.address} ({self.status})"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.out_id:
            self.out_id = uuid.uuid4().hex
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def audit_repr(self) -> str:
        return f"{self.event} #{self.pk}"


class Task(AuditedModel):
    """A piece of work for a person or a role in a store, about some record (a call to make, a part to
    chase), due on the store's calendar; areas create them through ``services.task_create``."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    subject = models.CharField(_("subject"), max_length=200)
    about_type = models.CharField(_("about"), max_length=60, blank=True)  # "app_label.model"
    about_id = models.PositiveBigIntegerField(_("about record"), null=True, blank=True)
    about_label = models.CharField(_("about (as shown)"), max_length=100, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    assignee_role = models.CharField(_("assigned to role"), max_length=30, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("closed by")
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_open"),
            models.Index(fields=["store", "assignee_role", "status", "due_at"], name="task_role_open"),
        ]

    def __str__(self) -> str:
        return self.subject

    def audit_store_id(self) -> int | None:
        return self.store_id


class CustomerLink(models.Model):
    """A link a customer opens without an account (to see, approve, sign or correct something): only a
    digest of its token is kept. It shows one version of one record: the hash of the canonical JSON of
    what it shows is kept with it, and an approval binds to that hash; once the record changes, the
    link is superseded (revoked)."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    token_digest = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(_("purpose"), max_length=40)
    object_type = models.CharField(_("record type"), max_length=60)
    object_id = models.PositiveBigIntegerField(_("record"))
    snapshot_hash = models.CharField(_("snapshot hash"), max_length=64)
    expires_at = models.DateTimeField(_("expires"))
    max_uses = models.PositiveSmallIntegerField(_("allowed uses"), default=1)
    uses = models.PositiveSmallIntegerField(_("uses"), default=0)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("revoked because"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer link")
        verbose_name_plural = _("customer links")
        indexes = [models.Index(fields=["object_type", "object_id", "purpose"], name="customer_link_object")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.object_type}#{self.object_id}"


class Signature(models.Model):
    """A signature drawn on a pad (a staff tablet or a customer link), kept as a PNG by the media service,
    with who signed, when, and the hash of the canonical JSON of what they signed."""

    class SignerType(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")

    OWNER_TYPE = "messaging.signature"
    STORAGE_AREA = "signatures"

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    media = models.OneToOneField("core.MediaFile", on_delete=models.PROTECT, related_name="+", verbose_name=_("image"))
    signer_type = models.CharField(_("signed by"), max_length=10, choices=SignerType.choices)
    signer_name = models.CharField(_("signer"), max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    link = models.ForeignKey(CustomerLink, on_delete=models.SET_NULL, null=True, related_name="+")
    object_type = models.CharField(_("record type"), max_length=60)
    object_id = models.PositiveBigIntegerField(_("record"))
    what = models.CharField(_("what was signed"), max_length=60)
    snapshot_hash = models.CharField(_("snapshot hash"), max_length=64)
    client_ip = models.CharField(_("client address"), max_length=45, blank=True)
    signed_at = models.DateTimeField(_("signed"), auto_now_add=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        indexes = [models.Index(fields=["object_type", "object_id"], name="signature_object")]

    def __str__(self) -> str:
        return f"{self.signer_name} · {self.what}"


class OneTimeCode(models.Model):
    """A one-time code sent by SMS to prove a mobile number is the person's (a booking made without an
    account): only its keyed digest is kept, it expires, and it is used once (``services.codes``)."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    mobile = models.CharField(_("mobile"), max_length=20)
    purpose = models.CharField(_("purpose"), max_length=40)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [
            models.Index(fields=["mobile", "purpose", "created_at"], name="one_time_code_mobile"),
            # A store's codes of the last hour and day (services.codes: the store's ceiling).
            models.Index(fields=["store", "created_at"], name="one_time_code_store"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.mobile}"


class OneTimeCodeGuard(models.Model):
    """The wrong codes entered for a mobile and purpose, and the lock they lead to. Its row lock
    serialises the codes sent to and checked for that mobile."""

    mobile = models.CharField(_("mobile"), max_length=20)
    purpose = models.CharField(_("purpose"), max_length=40)
    failures = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code guard")
        verbose_name_plural = _("one-time code guards")
        constraints = [models.UniqueConstraint(fields=["mobile", "purpose"], name="one_time_code_guard_unique")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.mobile}"
