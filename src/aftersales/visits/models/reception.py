"""The visit (the car's stay) and what reception records on it: the walk-around (环检) with its damage
marks, tyres and checklist, and the diagnosis with its fault codes. DESIGN-visit "Records"."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core import identifiers
from aftersales.core.models import StoreOwnedModel
from aftersales.core.models.base import StoreScopedManager
from aftersales.core.models.events import StateEventBase


class ReceptionSettings(models.Model):
    """A store's reception: the script advisors follow (接待话术) and the diagnosis fee charged when a
    customer declines every repair after diagnosis."""

    store = models.OneToOneField("core.Store", on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    reception_script = models.TextField(_("reception script"), blank=True)
    diagnosis_fee = models.DecimalField(
        _("diagnosis fee (tax incl.)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal(0))],
    )
    diagnosis_fee_tax_code = models.CharField(_("diagnosis fee tax classification code"), max_length=19, blank=True)
    diagnosis_fee_tax_rate = models.DecimalField(
        _("diagnosis fee VAT rate"), max_digits=4, decimal_places=2, default=Decimal("0.06")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reception settings")
        verbose_name_plural = _("reception settings")

    def __str__(self) -> str:
        return f"{self.store_id}"


class ChecklistItem(models.Model):
    """One check of a store's walk-around checklist (the store keeps its own; a default is installed)."""

    class Section(models.TextChoices):
        EXTERIOR = "exterior", _("Exterior")
        FUNCTIONAL = "functional", _("Functional")
        SAFETY = "safety", _("Safety")

    store = models.ForeignKey("core.Store", on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    section = models.CharField(_("section"), max_length=12, choices=Section.choices)
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("check"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("walk-around check")
        verbose_name_plural = _("walk-around checks")
        ordering = ["store", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="checklist_item_code_unique")]

    def __str__(self) -> str:
        return self.name


class Visit(StoreOwnedModel):
    """The car's stay, from check-in at reception to leaving the store (DESIGN-visit)."""

    class State(models.TextChoices):
        ON_SITE = "on_site", _("On site")
        DELIVERED = "delivered", _("Delivered")
        LEFT = "left", _("Left without an order")

    class Waiting(models.TextChoices):
        LOUNGE = "lounge", _("Waits in the lounge")
        LEAVES = "leaves", _("Leaves and comes back")
        SHUTTLE = "shuttle", _("Shuttle or courtesy car")

    number = models.CharField(_("number"), max_length=30)
    state = models.CharField(
        pgettext_lazy("visit", "state"), max_length=12, choices=State.choices, default=State.ON_SITE
    )
    appointment = models.OneToOneField(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit",
        verbose_name=_("appointment"),
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle", on_delete=models.PROTECT, related_name="+", verbose_name=_("vehicle")
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("service advisor")
    )
    contact_name = models.CharField(_("contact"), max_length=60)
    contact_mobile = models.CharField(_("mobile"), max_length=20)
    address_as = models.CharField(_("address the customer as"), max_length=30, blank=True)
    contact_verified_at = models.DateTimeField(_("contact details verified"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"))
    mileage_in = models.PositiveIntegerField(_("mileage in (km)"))
    fuel_level = models.PositiveSmallIntegerField(
        _("fuel or charge level (eighths)"), validators=[MaxValueValidator(8)]
    )
    parking_spot = models.CharField(_("parking spot"), max_length=20, blank=True)
    key_tag = models.CharField(_("key tag"), max_length=20, blank=True)
    waiting = models.CharField(_("while waiting"), max_length=10, choices=Waiting.choices, default=Waiting.LOUNGE)
    lounge_notes = models.CharField(_("lounge preferences"), max_length=200, blank=True)
    needs = models.TextField(_("needs as told"), blank=True)
    promised_at = models.DateTimeField(_("promised for"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("opened by")
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()
    personal_fields: ClassVar[dict[str, Callable[[str], str] | None]] = {
        "contact_name": None,
        "contact_mobile": identifiers.mask_mobile,
        "address_as": None,
    }
    audit_personal = frozenset(personal_fields)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-arrived_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="visit_number_unique")]
        indexes = [
            models.Index(fields=["store", "arrived_at"], name="visit_store_arrived"),
            models.Index(fields=["store", "state"], name="visit_store_state"),
            models.Index(fields=["vehicle", "arrived_at"], name="visit_vehicle"),
            models.Index(fields=["customer", "arrived_at"], name="visit_customer"),
        ]

    def __str__(self) -> str:
        return self.number

    def audit_subject(self) -> str:
        return f"customers.customer:{self.customer_id}"

    def audit_repr(self) -> str:
        return self.number


class VisitEvent(StateEventBase):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = _("visit event")
        verbose_name_plural = _("visit events")
        ordering = ["at", "pk"]


class WalkAround(models.Model):
    """The walk-around inspection with the customer (环检): damage on the diagram, glass, tyres,
    valuables, protective covers fitted in front of the customer, and the store's checklist."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="walk_around")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    covers_fitted = models.BooleanField(_("protective covers fitted in front of the customer"), default=False)
    glass_ok = models.BooleanField(_("glass without damage"), default=True)
    glass_note = models.CharField(_("glass"), max_length=200, blank=True)
    valuables = models.CharField(_("valuables left in the car"), max_length=300, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    signature = models.ForeignKey(
        "messaging.Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("walk-around")
        verbose_name_plural = _("walk-arounds")

    def __str__(self) -> str:
        return f"{self.visit_id}"


class DamageMark(models.Model):
    """A damage marked on the car diagram (x, y in thousandths of the diagram's width and height)."""

    OWNER_TYPE = "visits.damagemark"

    class Kind(models.TextChoices):
        SCRATCH = "scratch", _("Scratch")
        DENT = "dent", _("Dent")
        CRACK = "crack", _("Crack")
        CHIP = "chip", _("Chip")
        MISSING = "missing", _("Missing part")
        LEAK = "leak", _("Fluid leak")

    walk_around = models.ForeignKey(WalkAround, on_delete=models.CASCADE, related_name="damages")
    kind = models.CharField(_("damage"), max_length=10, choices=Kind.choices)
    x = models.PositiveSmallIntegerField(_("across"), validators=[MaxValueValidator(1000)])
    y = models.PositiveSmallIntegerField(_("down"), validators=[MaxValueValidator(1000)])
    note = models.CharField(_("note"), max_length=200, blank=True)
    photo = models.ForeignKey("core.MediaFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("damage mark")
        verbose_name_plural = _("damage marks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.x},{self.y}"


class TyreReading(models.Model):
    class Position(models.TextChoices):
        FRONT_LEFT = "fl", _("Front left")
        FRONT_RIGHT = "fr", _("Front right")
        REAR_LEFT = "rl", _("Rear left")
        REAR_RIGHT = "rr", _("Rear right")
        SPARE = "spare", _("Spare")

    walk_around = models.ForeignKey(WalkAround, on_delete=models.CASCADE, related_name="tyres")
    position = models.CharField(_("wheel"), max_length=5, choices=Position.choices)
    tread_mm = models.DecimalField(
        _("tread depth (mm)"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("20.0"))],
    )
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("tyre reading")
        verbose_name_plural = _("tyre readings")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["walk_around", "position"], name="tyre_position_unique")]

    def __str__(self) -> str:
        return f"{self.position} {self.tread_mm} mm"


class Rating(models.TextChoices):
    GREEN = "green", _("Green: in order")
    AMBER = "amber", _("Amber: needs attention soon")
    RED = "red", _("Red: needs work now")


class CheckResult(models.Model):
    """One check of the walk-around checklist, rated green / amber / red, with a note and a photo."""

    OWNER_TYPE = "visits.checkresult"

    walk_around = models.ForeignKey(WalkAround, on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(_("rating"), max_length=5, choices=Rating.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    photo = models.ForeignKey("core.MediaFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["walk_around", "item"], name="check_result_unique")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.rating}"


class Diagnosis(models.Model):
    """Diagnosis with equipment (RCP-3): symptoms, cause analysis and fault codes; where a repair category
    needs one, the pre-repair diagnosis record of the law's repair archive (机动车维修管理规定: 二级维护、
    总成修理、整车修理 keep a 维修前诊断检验记录)."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="diagnosis")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    symptoms = models.TextField(_("symptoms"), blank=True)
    cause_analysis = models.TextField(_("cause analysis"), blank=True)
    pre_repair_record = models.TextField(_("pre-repair diagnosis record"), blank=True)
    equipment = models.CharField(_("equipment used"), max_length=100, blank=True)
    diagnosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    diagnosed_at = models.DateTimeField(_("diagnosed"), null=True, blank=True)

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")

    def __str__(self) -> str:
        return f"{self.visit_id}"


class FaultCode(models.Model):
    """A diagnostic trouble code as read (SAE J2012), with its failure-type byte where given."""

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("fault code"), max_length=5)
    failure_type = models.CharField(_("failure type"), max_length=2, blank=True)
    brand_specific = models.BooleanField(_("manufacturer-specific"), default=False)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fault code")
        verbose_name_plural = _("fault codes")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.code}-{self.failure_type}" if self.failure_type else self.code

    @property
    def text(self) -> str:
        return str(self)


class Recommendation(models.Model):
    """Work recommended from the walk-around or the diagnosis before the order is signed; it becomes a
    ``proposed`` line of the order at signing."""

    class Source(models.TextChoices):
        WALK_AROUND = "walk_around", _("Walk-around")
        DIAGNOSIS = "diagnosis", _("Diagnosis")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="recommendations")
    source = models.CharField(_("found in"), max_length=12, choices=Source.choices)
    operation = models.ForeignKey(
        "catalogue.LabourOperation", on_delete=models.PROTECT, related_name="+", verbose_name=_("labour operation")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    fault_code = models.CharField(_("fault code"), max_length=8, blank=True)
    symptom = models.CharField(_("symptom"), max_length=200, blank=True)
    causal_part = models.ForeignKey(
        "parts.Part", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("causal part")
    )
    line = models.ForeignKey("visits.Line", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.operation_id}"
