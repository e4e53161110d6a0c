"""Recalls and service campaigns (召回与服务活动) of a dealer group: what the issuer asks to be done (a
labour operation and its parts), to which vehicles (a VIN list, VIN ranges, models built in a period),
from when to when; and the outreach to the affected owners of the archive, store by store."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.models import AuditedModel, StoreOwnedModel
from aftersales.core.models.base import StoreScopedManager
from aftersales.core.models.events import StateEventBase

# A VIN's first 11 characters (WMI, VDS, check digit, model year, plant) and its serial (the last 6).
VIN_PREFIX_LENGTH = 11
VIN_SERIAL_LENGTH = 6


class Campaign(AuditedModel):
    """A recall or service campaign of the group's registry, under the issuer's number."""

    class Kind(models.TextChoices):
        RECALL = "recall", _("Recall")
        SERVICE = "service", _("Service campaign")
        INSPECTION = "inspection", _("Free inspection")
        PROMOTION = "promotion", _("Promotion")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", pgettext_lazy("campaign state", "Open")
        CLOSED = "closed", pgettext_lazy("campaign state", "Closed")

    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+", verbose_name=_("group"))
    brand = models.ForeignKey(
        "core.Brand", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("brand")
    )
    code = models.CharField(_("campaign number"), max_length=40, help_text=_("The issuer's number, e.g. S-2026-014."))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    operation = models.ForeignKey(
        "catalogue.LabourOperation", on_delete=models.PROTECT, related_name="+", verbose_name=_("labour operation")
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-valid_from", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="campaign_code_unique"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="campaign_valid_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["group", "state", "valid_from"], name="campaign_open")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def audit_store_id(self) -> int | None:
        return None


class CampaignEvent(StateEventBase):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign events")
        ordering = ["at", "pk"]


class CampaignPart(models.Model):
    """A part the campaign's work fits, with its quantity per vehicle."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="parts")
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(
        _("quantity"), max_digits=10, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )

    class Meta:
        verbose_name = _("campaign part")
        verbose_name_plural = _("campaign parts")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "part"], name="campaign_part_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="campaign_part_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.part_id} × {self.quantity}"


class CampaignVin(models.Model):
    """A vehicle of the issuer's VIN list. The unique index leads with the VIN: matching a VIN is one
    index lookup, whatever the size of the lists (millions of rows)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="vins")
    vin = models.CharField(_("VIN"), max_length=17)

    class Meta:
        verbose_name = _("listed VIN")
        verbose_name_plural = _("listed VINs")
        constraints = [models.UniqueConstraint(fields=["vin", "campaign"], name="campaign_vin_once")]

    def __str__(self) -> str:
        return self.vin


class CampaignVinRange(models.Model):
    """Vehicles whose VINs share their first 11 characters and whose serial (the last 6) lies between
    two serials, both included. Serials are compared as text of equal length, as the issuer counts them
    (they may hold letters)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="ranges")
    prefix = models.CharField(_("first 11 characters"), max_length=VIN_PREFIX_LENGTH)
    serial_from = models.CharField(_("serial from"), max_length=VIN_SERIAL_LENGTH)
    serial_to = models.CharField(_("serial to"), max_length=VIN_SERIAL_LENGTH)

    class Meta:
        verbose_name = _("VIN range")
        verbose_name_plural = _("VIN ranges")
        ordering = ["prefix", "serial_from"]
        constraints = [
            models.CheckConstraint(condition=Q(serial_to__gte=F("serial_from")), name="campaign_range_ordered")
        ]
        indexes = [models.Index(fields=["prefix", "serial_from"], name="campaign_range_prefix")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.serial_from}–{self.prefix}{self.serial_to}"

    @property
    def first_vin(self) -> str:
        return self.prefix + self.serial_from

    @property
    def last_vin(self) -> str:
        return self.prefix + self.serial_to


class CampaignModelRange(models.Model):
    """Vehicles of a model built in a period (either end open). A vehicle whose production date is not
    known matches only a period open at both ends: it cannot be shown to lie inside a bounded one."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="models")
    model = models.ForeignKey(
        "customers.VehicleModel", on_delete=models.PROTECT, related_name="+", verbose_name=_("model")
    )
    produced_from = models.DateField(_("produced from"), null=True, blank=True)
    produced_until = models.DateField(_("produced until"), null=True, blank=True)

    class Meta:
        verbose_name = _("model and production period")
        verbose_name_plural = _("models and production periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(produced_from__isnull=True)
                | Q(produced_until__isnull=True)
                | Q(produced_until__gte=F("produced_from")),
                name="campaign_model_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_id} {self.produced_from or '…'}–{self.produced_until or '…'}"


class Outreach(StoreOwnedModel):
    """An affected vehicle of the archive, chased by one store: the notice sent to its owner, the call
    task of an owner the notice did not reach, and when the owner was reached and the work done."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="outreach")
    vehicle = models.ForeignKey("customers.Vehicle", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, null=True, related_name="+")
    notified_at = models.DateTimeField(_("notice sent"), null=True, blank=True)
    reached_at = models.DateTimeField(_("reached"), null=True, blank=True)
    task = models.ForeignKey("messaging.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Set by the workshop once the campaign's work is done on the vehicle.
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()

    class Meta:
        verbose_name = _("campaign outreach")
        verbose_name_plural = _("campaign outreach")
        constraints = [models.UniqueConstraint(fields=["campaign", "vehicle"], name="outreach_once_per_vehicle")]
        indexes = [
            models.Index(fields=["campaign", "store"], name="outreach_campaign_store"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.vehicle_id}"
