"""Quality and delivery: the final inspection of a repair order (总检) with its release certificate and
the internal rework it sends back, the wash, the workshop's handover to the advisor and the advisor's
pre-delivery check, the delivery of the visit (交车), the repair guarantee of every labour line (质量保证期)
and the comebacks (返修) found inside one (SPEC QC-1..3, QC-5, RO-8, LAW-1)."""

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


# --- the 三包 watch (家用汽车产品修理、更换、退货责任规定, 2021) ----------------------------------------------


class SanbaoSystem(models.TextChoices):
    """The systems the 三包 rules name (第二十一条 to 第二十四条): the four major assemblies first, then the
    systems whose same main part replaced twice counts (第二十四条第一款第三项)."""

    ENGINE = "engine", _("Engine")
    GEARBOX = "gearbox", _("Gearbox")
    TRACTION_BATTERY = "traction_battery", _("Traction battery")
    DRIVE_MOTOR = "drive_motor", _("Drive motor")
    STEERING = "steering", _("Steering system")
    BRAKE = "brake", _("Brake system")
    SUSPENSION = "suspension", _("Suspension system")
    DRIVETRAIN = "drivetrain", _("Drivetrain")
    EMISSION = "emission", _("Emission control")
    BODY = "body", pgettext_lazy("vehicle system", "Body")


# 发动机、变速器、动力蓄电池、行驶驱动电机: the major assemblies (第二十一条, 第二十二条, 第二十四条第一款第二项).
MAJOR_ASSEMBLIES = frozenset(
    {SanbaoSystem.ENGINE, SanbaoSystem.GEARBOX, SanbaoSystem.TRACTION_BATTERY, SanbaoSystem.DRIVE_MOTOR}
)


class SanbaoPart(models.Model):
    """A part the brand's 三包凭证 names: a major assembly itself (the whole engine, gearbox, traction battery
    or drive motor) or one of the main parts (主要零部件) of a system. Parts not listed are no main part;
    their repairs still count as the same quality problem by part number."""

    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+")
    part = models.OneToOneField("parts.Part", on_delete=models.CASCADE, related_name="sanbao", verbose_name=_("part"))
    system = models.CharField(_("system"), max_length=20, choices=SanbaoSystem.choices)
    is_assembly = models.BooleanField(_("the assembly itself"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("三包 main part")
        verbose_name_plural = _("三包 main parts")
        ordering = ["system", "part"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_assembly=False)
                | models.Q(system__in=["engine", "gearbox", "traction_battery", "drive_motor"]),
                name="sanbao_part_assembly_is_major",
            )
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.part_id}"


class SanbaoLine(models.Model):
    """What the advisor or the inspector said of a repair line beyond the line itself: whether its fault is
    a quality problem (an accident or misuse is not, DESIGN-visit), and whether it is a serious
    safety fault (严重安全性能故障) and which. A line without this row is a quality problem and no safety fault,
    unless its pay type says accident (insurance)."""

    class Cause(models.TextChoices):
        QUALITY = "quality", _("Quality problem")
        ACCIDENT = "accident", _("Accident")
        MISUSE = "misuse", _("Misuse or unauthorised modification")

    class Safety(models.TextChoices):
        NONE = "", _("No serious safety fault")
        STEERING_FAILURE = "steering_failure", _("Steering failure")
        BRAKE_FAILURE = "brake_failure", _("Brake failure")
        BODY_CRACK = "body_crack", _("Body crack")
        FUEL_LEAK = "fuel_leak", _("Fuel leak")
        BATTERY_FIRE = "battery_fire", _("Traction battery fire")
        OTHER = "other", _("Other serious safety fault")

    line = models.OneToOneField("visits.Line", on_delete=models.CASCADE, primary_key=True, related_name="sanbao")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey("customers.Vehicle", on_delete=models.PROTECT, related_name="+")
    cause = models.CharField(_("cause"), max_length=10, choices=Cause.choices, default=Cause.QUALITY)
    safety = models.CharField(
        _("serious safety fault"), max_length=20, choices=Safety.choices, default=Safety.NONE, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("set"), auto_now=True)

    class Meta:
        verbose_name = _("三包 reading of a line")
        verbose_name_plural = _("三包 readings of lines")
        indexes = [models.Index(fields=["vehicle"], name="sanbao_line_vehicle")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.cause} {self.safety}"


class SanbaoAlert(StoreOwnedModel):
    """A 三包 rule reached on a vehicle (``level`` alert) or about to be (warning), raised once per rule,
    counted thing and level, told to the advisor and the after-sales manager, and closed with what was done."""

    class Level(models.TextChoices):
        WARNING = "warning", _("Early warning")
        ALERT = "alert", _("Alert")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("alert state", "Open")
        DONE = "done", pgettext_lazy("alert state", "Dealt with")

    class Action(models.TextChoices):
        COURTESY_CAR = "courtesy_car", _("Courtesy car provided")
        TRAVEL_COMPENSATION = "travel_compensation", _("Travel costs compensated")
        CUSTOMER_INFORMED = "customer_informed", _("Customer informed of their rights")
        ASSEMBLY_REPLACED = "assembly_replaced", _("Assembly replaced free of charge")
        VEHICLE_REPLACED = "vehicle_replaced", _("Vehicle replaced")
        REFUNDED = "refunded", _("Vehicle taken back and refunded")
        MANUFACTURER_ESCALATED = "manufacturer", _("Escalated to the manufacturer")
        CUSTOMER_DECLINED = "customer_declined", _("Customer chose not to claim")
        OTHER = "other", _("Other")

    # The dealer group whose visits reached it: each group watches (and is told of) what it sees of the car.
    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey("customers.Vehicle", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField(_("rule"), max_length=30)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    key = models.CharField(_("what is counted"), max_length=60)  # the visit, part family, system or "all" counted
    subject = models.CharField(_("subject"), max_length=200)
    value = models.PositiveIntegerField(_("value"))
    threshold = models.PositiveIntegerField(_("threshold"))
    orders = models.JSONField(_("orders"), default=list)  # the numbers of the orders behind it
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)
    state = models.CharField(pgettext_lazy("alert", "state"), max_length=6, choices=State.choices, default=State.OPEN)
    action = models.CharField(_("what was done"), max_length=20, choices=Action.choices, blank=True)
    action_note = models.CharField(_("note"), max_length=500, blank=True)
    action_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_at = models.DateTimeField(_("dealt with"), null=True, blank=True)

    class Meta:
        verbose_name = _("三包 alert")
        verbose_name_plural = _("三包 alerts")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "vehicle", "rule", "key", "level"], name="sanbao_alert_once"),
        ]
        indexes = [
            models.Index(fields=["store", "state", "raised_at"], name="sanbao_alert_store_state"),
            models.Index(fields=["vehicle", "raised_at"], name="sanbao_alert_vehicle"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.rule} {self.level}"


# --- quality evaluations (QC-4) ----------------------------------------------------------------------------


class QualityAudit(StoreOwnedModel):
    """A periodic evaluation of the store's work, internal or by a third party: a random sample of the orders
    delivered in its period (drawn by the system, seed 004 服务质量管理), each reviewed, and the findings
    with their corrective actions, tracked to closure. It closes only when every finding is closed."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        THIRD_PARTY = "third_party", _("Third party")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("audit state", "Open")
        CLOSED = "closed", pgettext_lazy("audit state", "Closed")

    number = models.CharField(_("number"), max_length=30)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    auditor = models.CharField(_("carried out by"), max_length=100)
    standard = models.CharField(_("standard evaluated against"), max_length=200)
    period_from = models.DateField(_("orders delivered from"))
    period_to = models.DateField(_("orders delivered to"))
    sample_size = models.PositiveSmallIntegerField(
        _("sample size"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    seed = models.CharField(_("draw"), max_length=32)  # what drew the sample: the same seed draws it again
    state = models.CharField(pgettext_lazy("audit", "state"), max_length=8, choices=State.choices, default=State.OPEN)
    summary = models.CharField(_("conclusion"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: planned by the schedule
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("quality evaluation")
        verbose_name_plural = _("quality evaluations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="quality_audit_number_unique"),
            models.CheckConstraint(
                condition=models.Q(period_to__gte=models.F("period_from")), name="quality_audit_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def audit_repr(self) -> str:
        return self.number


class AuditSample(models.Model):
    """A delivered order drawn into an evaluation's sample, and its review."""

    class Result(models.TextChoices):
        PENDING = "", _("Not reviewed")
        PASS = "pass", _("Meets the standard")
        FINDING = "finding", _("Finding raised")

    audit = models.ForeignKey(QualityAudit, on_delete=models.CASCADE, related_name="samples")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, blank=True, default=Result.PENDING)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("sampled order")
        verbose_name_plural = _("sampled orders")
        ordering = ["audit", "position"]
        constraints = [models.UniqueConstraint(fields=["audit", "order"], name="audit_sample_once")]

    def __str__(self) -> str:
        return f"{self.audit_id} {self.order_id}"


class AuditFinding(models.Model):
    """What an evaluation found, the corrective action asked for, who owns it and by when; the action taken,
    then its verification, which closes the finding."""

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("finding state", "Open")
        ACTIONED = "actioned", _("Action taken")
        CLOSED = "closed", pgettext_lazy("finding state", "Closed")

    audit = models.ForeignKey(QualityAudit, on_delete=models.CASCADE, related_name="findings")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    sample = models.ForeignKey(AuditSample, on_delete=models.PROTECT, null=True, blank=True, related_name="findings")
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.CharField(_("finding"), max_length=500)
    corrective_action = models.CharField(_("corrective action"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due"))
    state = models.CharField(pgettext_lazy("finding", "state"), max_length=8, choices=State.choices, default=State.OPEN)
    action_taken = models.CharField(_("action taken"), max_length=500, blank=True)
    actioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actioned_at = models.DateTimeField(_("action recorded"), null=True, blank=True)
    verification = models.CharField(_("verification"), max_length=500, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["audit", "pk"]
        indexes = [models.Index(fields=["store", "state", "due_on"], name="audit_finding_store_state")]

    def __str__(self) -> str:
        return f"{self.audit_id} {self.severity}"
