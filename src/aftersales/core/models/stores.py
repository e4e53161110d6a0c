"""Dealer groups, their stores (4S 店), departments and workshop bays."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core import identifiers
from aftersales.core.current import current_scope
from aftersales.core.models.base import AuditedModel, StoreOwnedModel


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value}, code="invalid")


def validate_hours_range(value: str) -> None:
    """ "HH:MM-HH:MM" with two valid times of day (the end may be the next day's, e.g. 21:00-08:00)."""
    if not value:
        return
    start, dash, end = value.partition("-")
    try:
        if not dash:
            raise ValueError(value)
        time.fromisoformat(start)
        time.fromisoformat(end)
    except ValueError:
        raise ValidationError(_('Enter hours as "HH:MM-HH:MM", e.g. 21:00-08:00.'), code="invalid") from None


store_code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$", _("Use 2 to 10 capital letters or digits, starting with a letter (e.g. SH01).")
)


class DealerGroup(AuditedModel):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("dealer group")
        verbose_name_plural = _("dealer groups")

    def __str__(self) -> str:
        return self.name


class LegalEntity(AuditedModel):
    """A company of the group (法人主体): the stores of a group are often separate companies, and
    documents, invoices, tax, uploads to the authorities and transfers between stores read it."""

    class TaxpayerType(models.TextChoices):
        GENERAL = "general", _("General taxpayer")
        SMALL_SCALE = "small_scale", _("Small-scale taxpayer")

    group = models.ForeignKey(
        DealerGroup, on_delete=models.PROTECT, related_name="legal_entities", verbose_name=_("group")
    )
    name = models.CharField(_("company name"), max_length=100)
    # GB 32100-2015, checked by identifiers.clean_uscc.
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    taxpayer_type = models.CharField(_("taxpayer type"), max_length=20, choices=TaxpayerType.choices)
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=32, blank=True)
    # 机动车维修管理规定 (2023 修正) 第九条: a repair business files with the county transport authority
    # (备案) before it opens; its documents show the filing number.
    repair_filing_no = models.CharField(_("repair business filing number"), max_length=50, blank=True)
    # The enterprise code of the national vehicle maintenance electronic health archive (JT/T 1132).
    health_record_code = models.CharField(_("health-record enterprise code"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    # Masked for a reader without "companies.bank" on every page and answer, and in the history.
    personal_masks: ClassVar[dict[str, Any]] = {"bank_account": identifiers.mask_bank_account}

    class Meta:
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Brand(AuditedModel):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class VisibleStoreManager(models.Manager["Store"]):
    """Stores limited to those the current actor may see."""

    def get_queryset(self) -> models.QuerySet[Store]:
        queryset = super().get_queryset()
        scope = current_scope()
        if scope is not None and scope.store_ids is not None:
            queryset = queryset.filter(pk__in=scope.store_ids)
        return queryset


class Store(AuditedModel):
    group = models.ForeignKey(DealerGroup, on_delete=models.PROTECT, related_name="stores", verbose_name=_("group"))
    code = models.CharField(_("code"), max_length=10, unique=True, validators=[store_code_validator])
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    brands = models.ManyToManyField(Brand, blank=True, related_name="stores", verbose_name=_("brands served"))
    business_hours = models.JSONField(
        _("business hours"),
        default=dict,
        blank=True,
        help_text=_('Per weekday "HH:MM-HH:MM", e.g. {"mon": "08:30-18:00"}; a missing day is closed.'),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    holiday_hours = models.CharField(
        _("hours on public holidays"),
        max_length=11,
        blank=True,
        help_text=_('"HH:MM-HH:MM", e.g. 09:00-17:00; empty: closed on public holidays.'),
    )
    # Messages that are not urgent wait until these hours end (aftersales.messaging), in the store's zone.
    quiet_hours = models.CharField(
        _("quiet hours for messages"),
        max_length=11,
        default="21:00-08:00",
        blank=True,
        validators=[validate_hours_range],
        help_text=_('"HH:MM-HH:MM", e.g. 21:00-08:00 (across midnight); empty: none.'),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Empty only for a store recorded before legal entities were: its documents then carry no company.
    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stores",
        verbose_name=_("legal entity"),
    )

    objects: ClassVar[VisibleStoreManager] = VisibleStoreManager()
    all_objects: ClassVar[models.Manager[Store]] = models.Manager()

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["code"]
        base_manager_name = "all_objects"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def audit_store_id(self) -> int | None:
        return self.pk

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate_business_hours(value: Any) -> dict[str, str]:
    """Check a business-hours mapping and return it normalised."""
    if not isinstance(value, dict):
        raise ValidationError(_("Business hours must map weekdays to opening hours."))
    result: dict[str, str] = {}
    for day, hours in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(_("Unknown weekday: %(day)s"), params={"day": day})
        match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", str(hours))
        if not match or match.group(1) + match.group(2) >= match.group(3) + match.group(4):
            raise ValidationError(_("Opening hours must look like 08:30-18:00 and end after they start."))
        result[day] = str(hours)
    return result


class Department(StoreOwnedModel):
    class Kind(models.TextChoices):
        SERVICE = "service", _("Service reception")
        WORKSHOP = "workshop", _("Workshop")
        PARTS = "parts", _("Parts")
        CRM = "crm", _("Customer care")
        FINANCE = "finance", _("Finance")
        MANAGEMENT = "management", _("Management")

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="department_code_unique_per_store")]

    def __str__(self) -> str:
        return self.name


class Bay(StoreOwnedModel):
    class Kind(models.TextChoices):
        GENERAL_LIFT = "general_lift", _("General lift")
        ALIGNMENT = "alignment", _("Wheel alignment")
        QUICK_SERVICE = "quick_service", _("Quick service")
        BODY = "body", _("Body shop")
        PAINT_BOOTH = "paint_booth", _("Paint booth")
        WASH = "wash", _("Wash")
        EV_HIGH_VOLTAGE = "ev_hv", _("EV high-voltage")

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bay")
        verbose_name_plural = _("bays")
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="bay_code_unique_per_store")]
        indexes = [models.Index(fields=["store", "kind", "is_active"], name="bay_store_kind_active")]

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display()}"
