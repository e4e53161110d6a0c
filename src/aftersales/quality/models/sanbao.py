"""The 三包 watch (家用汽车产品修理、更换、退货责任规定, 2021, LAW-4): the systems the rules name and the major
assemblies, the group's list of 三包 main parts, the 三包 reading of a repair line and the alerts raised on a
vehicle."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.models import StoreOwnedModel

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
