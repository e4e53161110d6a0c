"""Quality and delivery: the final inspection of a repair order (总检) with its release certificate and
the internal rework it sends back, the wash, the workshop's handover to the advisor and the advisor's
pre-delivery check, the delivery of the visit (交车), the repair guarantee of every labour line (质量保证期)
and the comebacks (返修) found inside one (SPEC QC-1..3, QC-5, RO-8, LAW-1); and the store's quality rules."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.catalogue.models import RepairCategory
from aftersales.core.models import StoreOwnedModel


class QualitySettings(StoreOwnedModel):
    """A store's quality and delivery rules: its standard final-inspection list, its washing standard
    (车辆清洗清洁标准) and the order types it does not wash, the 24-point free check shown at delivery, how
    long after a delivery a new order on the same car is checked for a comeback, and whether the province
    issues the release certificate's number through its platform. Each list is one check per entry."""

    final_checks = models.JSONField(_("standard final-inspection checks"), default=list)
    wash_checks = models.JSONField(_("washing standard"), default=list)
    wash_skip = models.JSONField(_("order types not washed"), default=list)
    delivery_checks = models.JSONField(_("free check at delivery"), default=list)
    comeback_days = models.PositiveSmallIntegerField(
        _("comeback window (days after delivery)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("A new order on the same car within this time (or inside an open guarantee) is checked."),
    )
    certificate_from_platform = models.BooleanField(
        _("the province issues release certificate numbers"),
        default=False,
        help_text=_("On: the inspector types the number the provincial platform gave; off: the store numbers it."),
    )
    # Quality evaluations (QC-4): every so many days an internal evaluation is opened with a random sample of
    # the orders delivered since the last one (seed 004 服务质量管理: 系统会自动抽样评估最近一段时间内的工单).
    audit_every_days = models.PositiveSmallIntegerField(
        _("internal evaluation every (days)"),
        default=30,
        validators=[MaxValueValidator(366)],
        help_text=_("0: evaluations are opened by hand only."),
    )
    audit_sample_size = models.PositiveSmallIntegerField(
        _("orders sampled per evaluation"), default=10, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )

    class Meta:
        verbose_name = _("quality settings")
        verbose_name_plural = _("quality settings")
        constraints = [models.UniqueConstraint(fields=["store"], name="quality_settings_once_per_store")]

    def __str__(self) -> str:
        return str(self.store_id)


class GuaranteeTerm(StoreOwnedModel):
    """A store's own repair guarantee for a repair category, longer than the law's (it may never be
    shorter: ``services.guarantees``)."""

    repair_category = models.CharField(_("repair category"), max_length=20, choices=RepairCategory.choices)
    days = models.PositiveIntegerField(_("days"), validators=[MaxValueValidator(3650)])
    km = models.PositiveIntegerField(_("km"), validators=[MaxValueValidator(1_000_000)])

    class Meta:
        verbose_name = _("repair guarantee term")
        verbose_name_plural = _("repair guarantee terms")
        constraints = [
            models.UniqueConstraint(fields=["store", "repair_category"], name="guarantee_term_once_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.repair_category}: {self.days} / {self.km}"


class RoadTest(models.TextChoices):
    PASSED = "passed", _("Road-tested: fine")
    NOT_NEEDED = "not_needed", _("Not needed for this work")
    NO_CONSENT = "no_consent", _("The customer did not agree to a road test")


class FinalInspection(models.Model):
    """One final inspection of a completed order (总检): each check (the order's labour lines, then the
    store's standard list) with its result, the road test, the fault verified gone, the inspector's repair
    and driving advice, and the outcome. A failed one names the lines sent back and why."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.CASCADE, related_name="final_inspections")
    items = models.JSONField(_("checks"))  # [{"check": str, "line": int | None, "ok": bool, "note": str}]
    road_test = models.CharField(_("road test"), max_length=12, choices=RoadTest.choices)
    fault_verified = models.BooleanField(_("fault verified gone"), default=False)
    repair_advice = models.CharField(_("repair advice"), max_length=500, blank=True)
    driving_advice = models.CharField(_("driving advice"), max_length=500, blank=True)
    passed = models.BooleanField(_("passed"))
    reason = models.CharField(_("why it failed"), max_length=300, blank=True)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("final inspection")
        verbose_name_plural = _("final inspections")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["order", "at"], name="final_inspection_order"),
            models.Index(fields=["store", "at"], name="final_inspection_store"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {'passed' if self.passed else 'failed'}"


class Rework(models.Model):
    """A labour line a failed final inspection sent back to its technician (internal rework, 内部返修):
    counted per technician and labour operation."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    inspection = models.ForeignKey(FinalInspection, on_delete=models.CASCADE, related_name="reworks")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey("visits.Line", on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey("workshop.Job", on_delete=models.CASCADE, related_name="+")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey("workshop.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    operation = models.ForeignKey(
        "catalogue.LabourOperation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal rework")
        verbose_name_plural = _("internal rework")
        indexes = [
            models.Index(fields=["store", "at"], name="rework_store_at"),
            models.Index(fields=["technician", "at"], name="rework_technician_at"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_id}"


class ReleaseCertificate(models.Model):
    """The release certificate (机动车维修竣工出厂合格证) of an order whose repair category needs one, signed
    by the inspector who passed it: the store's gap-free number, or the number the province's platform
    issued (stored, never generated)."""

    class Source(models.TextChoices):
        STORE = "store", _("Numbered by the store")
        PLATFORM = "platform", _("Issued by the provincial platform")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField("visits.RepairOrder", on_delete=models.CASCADE, related_name="release_certificate")
    inspection = models.OneToOneField(FinalInspection, on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField(_("number"), max_length=40)
    source = models.CharField(_("number from"), max_length=10, choices=Source.choices)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signature = models.ForeignKey("messaging.Signature", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        verbose_name = _("release certificate")
        verbose_name_plural = _("release certificates")
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="release_certificate_number_unique")]

    def __str__(self) -> str:
        return self.number


class Wash(models.Model):
    """The car's wash after its final inspection (or that it was not washed: the store skips its order
    type), by a named washer against the store's washing standard, and where it was parked in the
    finished area (nose out)."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    visit = models.OneToOneField("visits.Visit", on_delete=models.CASCADE, related_name="wash")
    skipped = models.BooleanField(_("not washed"), default=False)
    washer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    checks = models.JSONField(_("washing standard"), default=list)  # [{"check": str, "ok": bool}]
    spot = models.CharField(_("finished-area spot"), max_length=20)
    nose_out = models.BooleanField(_("parked nose out"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("wash")
        verbose_name_plural = _("washes")

    def __str__(self) -> str:
        return str(self.visit_id)


class Handover(models.Model):
    """The workshop hands the car over to the advisor: the orders and keys (recorded) and what was done and
    is recommended; then the advisor's pre-delivery check of every line and the car, standing in the
    pick-up area, after which the customer is told the car is ready."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    visit = models.OneToOneField("visits.Visit", on_delete=models.CASCADE, related_name="handover")
    handed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    keys = models.CharField(_("keys handed over"), max_length=60)
    explanation = models.CharField(_("work and recommendations explained"), max_length=1000)
    handed_at = models.DateTimeField(_("handed over"), auto_now_add=True)
    # The advisor's pre-delivery check (交车前检查).
    lines_checked = models.JSONField(_("lines checked"), default=list)  # [{"line": int, "ok": bool, "note": str}]
    car_checked = models.BooleanField(_("the car checked"), default=False)
    pickup_spot = models.CharField(_("pick-up area spot"), max_length=20, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    notified_at = models.DateTimeField(_("customer told"), null=True, blank=True)  # the pickup notice
    customer_arrived_at = models.DateTimeField(_("customer arrived for pick-up"), null=True, blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        indexes = [models.Index(fields=["store", "checked_at"], name="handover_store_checked")]

    def __str__(self) -> str:
        return str(self.visit_id)


class Delivery(models.Model):
    """The delivery of a visit (交车), once for all its orders: the customer's arrival at pick-up, the free
    check shown and explained, advice, the next service, who collected (the customer or a named agent
    whose ID was checked) and their signature, the satisfaction card, the keys handed and the mileage out."""

    class Collector(models.TextChoices):
        CUSTOMER = "customer", _("The customer")
        AGENT = "agent", _("An agent (代取车)")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    visit = models.OneToOneField("visits.Visit", on_delete=models.CASCADE, related_name="delivery")
    arrived_at = models.DateTimeField(_("customer arrived for pick-up"))
    delivered_at = models.DateTimeField(_("keys handed"))
    collector = models.CharField(_("collected by"), max_length=10, choices=Collector.choices)
    collector_name = models.CharField(_("name"), max_length=60)
    collector_id_number = models.CharField(_("ID number"), max_length=30, blank=True)
    id_checked = models.BooleanField(_("ID checked"), default=False)
    signature = models.ForeignKey("messaging.Signature", on_delete=models.PROTECT, related_name="+")
    signed_hash = models.CharField(_("hash of what was signed"), max_length=64)
    free_checks = models.JSONField(_("free check"), default=list)  # [{"check": str, "result": str, "note": str}]
    driving_advice = models.CharField(_("driving advice"), max_length=500, blank=True)
    next_service_on = models.DateField(_("next service date"), null=True, blank=True)
    next_service_km = models.PositiveIntegerField(_("next service at (km)"), null=True, blank=True)
    mileage_out = models.PositiveIntegerField(_("mileage out (km)"))
    keys_handed = models.BooleanField(_("keys handed"), default=False)
    rating = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.CharField(_("customer's comment"), max_length=500, blank=True)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    personal_fields: ClassVar[dict[str, Any]] = {"collector_name": None, "collector_id_number": None}

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["store", "delivered_at"], name="delivery_store_at")]

    def __str__(self) -> str:
        return str(self.visit_id)

    @property
    def waiting_minutes(self) -> int:
        """From the customer's arrival at pick-up to the keys in their hand."""
        return max(0, int((self.delivered_at - self.arrived_at).total_seconds() // 60))


class OldPartsOutcome(models.Model):
    """What became of an order's old parts at delivery: returned to the customer, left with the store, or
    kept for a claim."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="old_parts")
    order = models.OneToOneField("visits.RepairOrder", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(_("old parts"), max_length=8)  # visits.RepairOrder.OldParts

    class Meta:
        verbose_name = _("old parts outcome")
        verbose_name_plural = _("old parts outcomes")

    def __str__(self) -> str:
        return self.outcome


class Guarantee(models.Model):
    """The repair guarantee (质量保证期) of one delivered labour line, by its repair category: at least the
    law's (机动车维修管理规定; ``catalogue.models.GUARANTEE``), or the store's longer term; whichever of
    the days and the km is reached first ends it, the km counted from the mileage at delivery. ``watch_to``
    is the later of its end and the store's comeback window: a new order on the car before it is checked
    for a comeback (``services.comebacks``), with one index scan on (vehicle, watch_to)."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey("customers.Vehicle", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.CASCADE, related_name="guarantees")
    line = models.OneToOneField("visits.Line", on_delete=models.CASCADE, related_name="guarantee")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operation = models.ForeignKey(
        "catalogue.LabourOperation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    repair_category = models.CharField(_("repair category"), max_length=20, choices=RepairCategory.choices)
    operation_category = models.CharField(_("operation category"), max_length=20, blank=True)
    fault_code = models.CharField(_("fault code"), max_length=8, blank=True)
    part_ids = models.JSONField(_("parts fitted"), default=list)  # the order's parts and the line's causal part
    delivered_on = models.DateField(_("delivered"))
    mileage_out = models.PositiveIntegerField(_("mileage at delivery"))
    days = models.PositiveIntegerField(_("days"))
    km = models.PositiveIntegerField(_("km"))
    valid_to = models.DateField(_("valid to"))
    km_to = models.PositiveIntegerField(_("valid to (km)"))
    watch_to = models.DateField(_("checked for comebacks until"))

    class Meta:
        verbose_name = _("repair guarantee")
        verbose_name_plural = _("repair guarantees")
        indexes = [
            models.Index(fields=["vehicle", "watch_to"], name="guarantee_vehicle_watch"),
            models.Index(fields=["store", "delivered_on"], name="guarantee_store_delivered"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.valid_to} / {self.km_to}"

    def open_on(self, day: Any, km: int | None = None) -> bool:
        """Whether the guarantee still runs on ``day`` (and at ``km``, when known): the first limit wins."""
        return day <= self.valid_to and (km is None or km <= self.km_to)


class Comeback(StoreOwnedModel):
    """A new order on a car flagged as a possible comeback (返修) of an earlier delivered order: inside an
    open guarantee or the store's window, with the same operation category, the same part (or its
    supersession chain) or the same fault code. The QC inspector confirms it (the matching work becomes
    the ``comeback`` pay type: free to the customer, at the store's cost) or rejects it."""

    class State(models.TextChoices):
        FLAGGED = "flagged", _("To be decided")
        CONFIRMED = "confirmed", pgettext_lazy("comeback", "Confirmed")
        REJECTED = "rejected", pgettext_lazy("comeback", "Rejected")

    order = models.ForeignKey("visits.RepairOrder", on_delete=models.CASCADE, related_name="comebacks")
    original = models.ForeignKey("visits.RepairOrder", on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey("customers.Vehicle", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        pgettext_lazy("comeback", "state"), max_length=10, choices=State.choices, default=State.FLAGGED
    )
    in_guarantee = models.BooleanField(_("inside a repair guarantee"))
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    flagged_at = models.DateTimeField(_("flagged"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("comeback")
        verbose_name_plural = _("comebacks")
        ordering = ["-flagged_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["order", "original"], name="comeback_once_per_pair")]
        indexes = [
            models.Index(fields=["store", "state"], name="comeback_store_state"),
            models.Index(fields=["store", "flagged_at"], name="comeback_store_flagged"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ← {self.original_id}"


class ComebackLine(models.Model):
    """A line of the new order matching a delivered labour line of the original, and by what: the same
    operation category, part (or supersession chain) or fault code. The original line's technician and
    operation are what the comeback rate counts."""

    class Match(models.TextChoices):
        CATEGORY = "category", _("Same operation category")
        PART = "part", _("Same part or its supersession")
        FAULT = "fault", _("Same fault code")

    comeback = models.ForeignKey(Comeback, on_delete=models.CASCADE, related_name="lines")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey("visits.Line", on_delete=models.CASCADE, related_name="+")
    original_line = models.ForeignKey("visits.Line", on_delete=models.PROTECT, related_name="+")
    matched_by = models.JSONField(_("matched by"))  # Match values
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operation = models.ForeignKey(
        "catalogue.LabourOperation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("comeback line")
        verbose_name_plural = _("comeback lines")
        constraints = [models.UniqueConstraint(fields=["comeback", "line", "original_line"], name="comeback_line_once")]

    def __str__(self) -> str:
        return f"{self.line_id} ← {self.original_line_id}"
