"""Vehicles: models, the vehicle record, warranty policies, plate history, mileage, owners and drivers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import AuditedModel
from aftersales.customers.models.customers import Customer


class VehicleModel(models.Model):
    """Catalogue of brand / series / model, e.g. 大众 / 帕萨特 / 330TSI 精英版."""

    brand = models.ForeignKey("core.Brand", on_delete=models.PROTECT, related_name="vehicle_models")
    series = models.CharField(_("series"), max_length=50)
    name = models.CharField(_("model"), max_length=80)
    fuel_type = models.CharField(_("fuel type"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("vehicle model")
        verbose_name_plural = _("vehicle models")
        constraints = [
            models.UniqueConstraint(fields=["brand", "series", "name"], name="vehicle_model_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.series} {self.name}"


class Vehicle(AuditedModel):
    class FuelType(models.TextChoices):
        PETROL = "petrol", _("Petrol")
        DIESEL = "diesel", _("Diesel")
        HYBRID = "hybrid", _("Hybrid")
        PHEV = "phev", _("Plug-in hybrid")
        BEV = "bev", _("Battery electric")

    class UseType(models.TextChoices):
        # 三包 covers household vehicles only (家用汽车产品修理、更换、退货责任规定 2021 第二条).
        HOUSEHOLD = "household", _("Household")
        COMMERCIAL = "commercial", _("Commercial")

    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    vin_check_override = models.BooleanField(_("VIN check digit not used"), default=False)
    vin_override_reason = models.CharField(_("reason"), max_length=200, blank=True)
    plate = models.CharField(_("licence plate"), max_length=10, blank=True, db_index=True)
    model = models.ForeignKey(
        VehicleModel, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("model")
    )
    model_year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    engine_no = models.CharField(_("engine number"), max_length=30, blank=True)
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    fuel_type = models.CharField(_("fuel type"), max_length=10, choices=FuelType.choices, default=FuelType.PETROL)
    use_type = models.CharField(_("use"), max_length=12, choices=UseType.choices, blank=True)
    # The date on the purchase invoice (购车发票) and the date the car was handed over: the statutory
    # periods run from the invoice date, or from delivery where that differs (三包规定 2021 第十七条).
    purchase_date = models.DateField(_("purchase-invoice date"), null=True, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    # When the car left the factory line: recalls name the vehicles of a model built in a period.
    production_date = models.DateField(_("production date"), null=True, blank=True)
    selling_store = models.ForeignKey(
        "core.Store", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("selling store")
    )
    # Derived by services.warranty.warranty_derive from the dates and the brand's policy; never typed.
    warranty_policy = models.ForeignKey(
        "WarrantyPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warranty policy"),
    )
    warranty_start = models.DateField(_("warranty start"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    warranty_km_limit = models.PositiveIntegerField(_("warranty mileage limit (km)"), null=True, blank=True)
    sanbao_end = models.DateField(_("三包 period end"), null=True, blank=True)
    sanbao_km_limit = models.PositiveIntegerField(_("三包 mileage limit (km)"), null=True, blank=True)
    # When the car is next due for service, as agreed with the customer at its last delivery.
    next_service_on = models.DateField(_("next service date"), null=True, blank=True)
    next_service_km = models.PositiveIntegerField(_("next service at (km)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = frozenset({"updated_at", "version"})

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.CheckConstraint(
                condition=Q(use_type__in=["", "household", "commercial"]), name="vehicle_use_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plate or '—'} {self.vin}"

    def audit_store_id(self) -> int | None:
        return self.selling_store_id


class WarrantyPolicy(models.Model):
    """A brand's warranty terms for vehicles sold in a period: the basic warranty (包修期) and the 三包 period.

    Neither may be shorter than the law's minimum (家用汽车产品修理、更换、退货责任规定, 2021, 第十七条:
    "包修期不低于3年或者行驶里程60000公里，以先到者为准；三包有效期不低于2年或者行驶里程50000公里，
    以先到者为准"). The policy a vehicle follows is the one of its brand valid on its warranty start.
    """

    LEGAL_WARRANTY_YEARS = 3
    LEGAL_WARRANTY_KM = 60_000
    LEGAL_SANBAO_YEARS = 2
    LEGAL_SANBAO_KM = 50_000

    brand = models.ForeignKey(
        "core.Brand", on_delete=models.PROTECT, related_name="warranty_policies", verbose_name=_("brand")
    )
    warranty_years = models.PositiveSmallIntegerField(_("warranty (years)"))
    warranty_km = models.PositiveIntegerField(_("warranty (km)"))
    sanbao_years = models.PositiveSmallIntegerField(_("三包 period (years)"))
    sanbao_km = models.PositiveIntegerField(_("三包 period (km)"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("warranty policy")
        verbose_name_plural = _("warranty policies")
        ordering = ["brand", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "valid_from"], name="warranty_policy_brand_from"),
            models.CheckConstraint(
                condition=Q(warranty_years__gte=3, warranty_km__gte=60_000, sanbao_years__gte=2, sanbao_km__gte=50_000),
                name="warranty_policy_legal_minimum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.valid_from}: {self.warranty_years}y/{self.warranty_km}km"


class PlateRegistration(AuditedModel):
    """Which vehicle held a plate from when to when: the source of truth for plates (Vehicle.plate is the
    current one, kept for display and search). A plate is on one vehicle at a time; a plate that moves
    (to the owner's next car, a 沪牌 transfer) is ended on the old vehicle with a date and a reason."""

    class EndReason(models.TextChoices):
        REPLACED = "replaced", _("Replaced by a new plate")
        MOVED = "moved", _("Plate moved to another vehicle")
        TRANSFERRED = "transferred", _("Plate transferred (e.g. 沪牌 transfer)")
        DEREGISTERED = "deregistered", _("Vehicle deregistered or scrapped")
        CORRECTED = "corrected", _("Entered in error")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="plates")
    plate = models.CharField(_("licence plate"), max_length=10)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True)
    end_reason = models.CharField(_("reason it ended"), max_length=12, choices=EndReason.choices, blank=True)
    end_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("plate registration")
        verbose_name_plural = _("plate registrations")
        constraints = [
            models.UniqueConstraint(fields=["plate"], condition=Q(valid_to=None), name="plate_on_one_vehicle"),
            models.UniqueConstraint(fields=["vehicle"], condition=Q(valid_to=None), name="vehicle_one_current_plate"),
        ]
        indexes = [models.Index(fields=["vehicle", "valid_from"], name="plate_vehicle_from")]

    def __str__(self) -> str:
        return f"{self.plate} {self.vehicle_id} {self.valid_from}–{self.valid_to or ''}"

    def audit_store_id(self) -> int | None:
        return self.vehicle.selling_store_id

    def audit_repr(self) -> str:
        return f"{self.plate} · {self.vehicle.vin}"


class MileageReading(models.Model):
    """One odometer reading; readings are a history, never overwritten."""

    class Source(models.TextChoices):
        RECEPTION = "reception", _("Reception")
        REPAIR_ORDER = "repair_order", _("Repair order")
        CUSTOMER = "customer", _("Customer")
        IMPORT = "import", _("Import")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="mileage_readings")
    km = models.PositiveIntegerField(_("mileage (km)"))
    read_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=15, choices=Source.choices)
    reason = models.CharField(_("reason for a lower reading"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mileage reading")
        verbose_name_plural = _("mileage readings")
        indexes = [models.Index(fields=["vehicle", "read_on"], name="mileage_vehicle_date")]

    def __str__(self) -> str:
        return f"{self.km} km @ {self.read_on}"


class VehicleLink(AuditedModel):
    """Who owns or drives a vehicle, from when to when; transfers end one link and start another."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        DRIVER = "driver", _("Driver")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicle_links")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("vehicle owner or driver")
        verbose_name_plural = _("vehicle owners and drivers")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"], condition=Q(role="owner", valid_to__isnull=True), name="vehicle_one_current_owner"
            ),
            # A customer drives a vehicle in one open period at a time (the service checks it under a lock).
            models.UniqueConstraint(
                fields=["vehicle", "customer"],
                condition=Q(role="driver", valid_to__isnull=True),
                name="vehicle_one_open_driver_period",
            ),
        ]
        indexes = [models.Index(fields=["customer", "valid_to"], name="vehicle_link_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.role} {self.vehicle_id}"

    def audit_store_id(self) -> int | None:
        return self.customer.home_store_id

    def audit_repr(self) -> str:
        """The vehicle by plate (or VIN) and the customer by number: their ids say nothing to a reader."""
        return f"{self.vehicle.plate or self.vehicle.vin} · {self.customer.number}"
