"""The service catalogue of a dealer group, brand by brand: labour operations with standard hours per
model series and what they need (skill, certificate, bay), service packages, and labour rates per
store and pay type. The pay types themselves are declared once in ``paytypes``."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.catalogue.paytypes import PayType
from aftersales.core.models import AuditedModel, Bay, Certificate, StaffProfile


class RepairCategory(models.TextChoices):
    """The repair categories of 机动车维修管理规定 (交通运输部令, 2023 修正), which fix the statutory
    quality guarantee after a repair: whole-vehicle or assembly repair 100 days or 20,000 km; second-level
    maintenance 30 days or 5,000 km; first-level maintenance, minor and special repairs 10 days or
    2,000 km (whichever comes first). The quality area reads ``GUARANTEE`` below."""

    WHOLE_VEHICLE = "whole_vehicle", _("Whole-vehicle repair")
    ASSEMBLY = "assembly", _("Assembly repair")
    SECOND_LEVEL = "second_level", _("Second-level maintenance")
    FIRST_LEVEL = "first_level", _("First-level maintenance")
    MINOR = "minor", _("Minor repair")
    SPECIAL = "special", _("Special repair")


# (days, km) of the statutory quality guarantee per repair category (机动车维修管理规定, see above).
GUARANTEE: dict[str, tuple[int, int]] = {
    RepairCategory.WHOLE_VEHICLE: (100, 20_000),
    RepairCategory.ASSEMBLY: (100, 20_000),
    RepairCategory.SECOND_LEVEL: (30, 5_000),
    RepairCategory.FIRST_LEVEL: (10, 2_000),
    RepairCategory.MINOR: (10, 2_000),
    RepairCategory.SPECIAL: (10, 2_000),
}


class LabourOperation(AuditedModel):
    """A labour operation (工时项目) of the group's catalogue, for one brand or every brand."""

    class Category(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        ENGINE = "engine", _("Engine")
        TRANSMISSION = "transmission", _("Transmission")
        CHASSIS = "chassis", _("Chassis and brakes")
        ELECTRICAL = "electrical", _("Electrical")
        AIR_CONDITIONING = "ac", _("Air conditioning")
        TYRES = "tyres", _("Tyres and wheels")
        BODY = "body", _("Body")
        PAINT = "paint", _("Paint")
        EV = "ev", _("High-voltage system")
        DIAGNOSIS = "diagnosis", _("Diagnosis and testing")
        WASH = "wash", _("Washing and care")

    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+", verbose_name=_("group"))
    brand = models.ForeignKey(
        "core.Brand", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("brand")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    default_hours = models.DecimalField(
        _("standard hours"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Where no hours are given for the model series."),
    )
    skill_level = models.CharField(_("skill level"), max_length=20, choices=StaffProfile.SkillLevel.choices)
    certificate = models.CharField(
        _("certificate required"), max_length=20, choices=Certificate.Kind.choices, blank=True
    )
    bay_kind = models.CharField(_("bay type required"), max_length=20, choices=Bay.Kind.choices, blank=True)
    repair_category = models.CharField(_("repair category"), max_length=20, choices=RepairCategory.choices)
    tax_code = models.CharField(_("tax classification code"), max_length=19, blank=True)
    tax_rate = models.DecimalField(_("VAT rate"), max_digits=4, decimal_places=2, default=Decimal("0.13"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("labour operation")
        verbose_name_plural = _("labour operations")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "brand", "code"], name="labour_operation_code_unique"),
            models.CheckConstraint(condition=models.Q(default_hours__gt=0), name="labour_operation_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def audit_store_id(self) -> int | None:
        return None


class LabourTime(models.Model):
    """Standard hours of an operation on one model series (标准工时)."""

    operation = models.ForeignKey(LabourOperation, on_delete=models.CASCADE, related_name="times")
    series = models.CharField(_("series"), max_length=50)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("standard hours")
        verbose_name_plural = _("standard hours")
        constraints = [
            models.UniqueConstraint(fields=["operation", "series"], name="labour_time_once_per_series"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="labour_time_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.series}: {self.hours}"


class ServicePackage(AuditedModel):
    """A canned job (保养套餐, e.g. "10,000 km maintenance") for a brand's model series."""

    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+")
    brand = models.ForeignKey("core.Brand", on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    series = models.CharField(_("series"), max_length=50, blank=True, help_text=_("Empty: every series of the brand."))
    interval_km = models.PositiveIntegerField(_("every (km)"), null=True, blank=True)
    interval_months = models.PositiveSmallIntegerField(_("every (months)"), null=True, blank=True)
    fixed_price = models.DecimalField(
        _("fixed price (tax incl.)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        ordering = ["brand", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "brand", "code"], name="service_package_code_unique"),
            models.CheckConstraint(
                condition=models.Q(fixed_price__isnull=True) | models.Q(fixed_price__gte=0),
                name="service_package_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def audit_store_id(self) -> int | None:
        return None


class PackageItem(models.Model):
    """A labour operation, part or consumable of a package."""

    class Kind(models.TextChoices):
        LABOUR = "labour", _("Labour")
        PART = "part", _("Part")
        CONSUMABLE = "consumable", _("Consumable")

    package = models.ForeignKey(ServicePackage, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    operation = models.ForeignKey(LabourOperation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3, default=Decimal(1))

    class Meta:
        verbose_name = _("package item")
        verbose_name_plural = _("package items")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="labour", operation__isnull=False, part__isnull=True))
                | (models.Q(kind__in=["part", "consumable"], part__isnull=False, operation__isnull=True)),
                name="package_item_labour_or_part",
            ),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="package_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.operation_id or self.part_id} × {self.quantity}"


class LabourRate(models.Model):
    """The hourly labour rate (tax-inclusive CNY) of a pay type from a date: the group's (``store``
    empty, the guide rate) or a store's own."""

    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(
        "core.Store", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("store")
    )
    pay_type = models.CharField(_("pay type"), max_length=20, choices=PayType.choices)
    rate = models.DecimalField(_("rate per hour (tax incl.)"), max_digits=10, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("labour rate")
        verbose_name_plural = _("labour rates")
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="labour_rate_not_negative"),
            models.UniqueConstraint(
                fields=["group", "pay_type", "valid_from"],
                condition=models.Q(store__isnull=True),
                name="labour_rate_group_once",
            ),
            models.UniqueConstraint(fields=["store", "pay_type", "valid_from"], name="labour_rate_store_once"),
        ]

    def __str__(self) -> str:
        return f"{self.pay_type} {self.rate}/h from {self.valid_from}"
