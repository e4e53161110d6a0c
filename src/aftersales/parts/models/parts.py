"""The part master of a dealer group, brand by brand: numbers, supersessions, fitment and prices."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import AuditedModel

# An OEM number is compared without case, spaces, dashes, dots or slashes: "1K0 698-151 A" is 1K0698151A.
_NUMBER_NOISE = re.compile(r"[\s\-./_·]+")
TAX_RATES = (Decimal("0.13"), Decimal("0.09"), Decimal("0.06"), Decimal("0.03"), Decimal("0.01"), Decimal("0"))


def part_number_normalise(value: str) -> str:
    """The comparable form of an OEM part number: upper case without spaces, dashes, dots or slashes."""
    return _NUMBER_NOISE.sub("", value or "").upper()


class Part(AuditedModel):
    """A part number of a brand in the group's master. Stock, cost and prices per store hang on it."""

    class Unit(models.TextChoices):
        PIECE = "piece", _("piece")
        SET = "set", _("set")
        PAIR = "pair", _("pair")
        LITRE = "litre", _("litre")
        KILOGRAM = "kg", _("kg")
        METRE = "metre", _("metre")
        BOTTLE = "bottle", _("bottle")
        BOX = "box", _("box")

    class PartClass(models.TextChoices):
        # Seed 000 §4.1.1: 常用配件、非常用配件和紧急配件.
        COMMON = "common", _("Common")
        UNCOMMON = "uncommon", _("Uncommon")
        EMERGENCY = "emergency", _("Emergency")

    class AbcClass(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+", verbose_name=_("group"))
    brand = models.ForeignKey("core.Brand", on_delete=models.PROTECT, related_name="parts", verbose_name=_("brand"))
    number = models.CharField(
        _("part number"), max_length=40, help_text=_("Normalised: upper case, no spaces or dashes.")
    )
    number_display = models.CharField(_("part number as printed"), max_length=60)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    name_pinyin = models.CharField(_("pinyin"), max_length=200, blank=True, editable=False)
    category = models.CharField(_("category"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    decimals = models.PositiveSmallIntegerField(
        _("allowed decimals"), default=0, validators=[MaxValueValidator(3)], help_text=_("0 for pieces; up to 3.")
    )
    part_class = models.CharField(_("class"), max_length=10, choices=PartClass.choices, default=PartClass.COMMON)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices, blank=True)
    standard_cost = models.DecimalField(
        _("standard cost"), max_digits=14, decimal_places=4, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    tax_code = models.CharField(_("tax classification code"), max_length=19, blank=True)
    tax_rate = models.DecimalField(_("VAT rate"), max_digits=4, decimal_places=2, default=Decimal("0.13"))
    life_months = models.PositiveSmallIntegerField(_("service life (months)"), null=True, blank=True)
    life_km = models.PositiveIntegerField(_("service life (km)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        ordering = ["brand", "number"]
        constraints = [
            models.UniqueConstraint(fields=["group", "brand", "number"], name="part_number_unique_per_brand"),
            models.CheckConstraint(condition=models.Q(decimals__lte=3), name="part_decimals_at_most_3"),
            models.CheckConstraint(condition=models.Q(standard_cost__gte=0), name="part_cost_not_negative"),
        ]
        indexes = [
            models.Index(fields=["group", "number"], name="part_group_number"),
            models.Index(fields=["group", "name"], name="part_group_name"),
            models.Index(fields=["group", "name_pinyin"], name="part_group_pinyin"),
        ]

    def __str__(self) -> str:
        return f"{self.number_display} {self.name}"

    def audit_store_id(self) -> int | None:
        return None

    def quantity_step(self) -> Decimal:
        return Decimal(1).scaleb(-self.decimals)


class Supersession(AuditedModel):
    """A number replaced by another (替代). How far they are interchangeable decides which stock a demand
    for one may take: two-way, either serves the other (the old number's stock is issued first); one-way,
    the new one serves a demand for the old, never the reverse; none, the old one is not used any more."""

    class Interchangeability(models.TextChoices):
        TWO_WAY = "two_way", _("Two-way")
        ONE_WAY = "one_way", _("One-way (new replaces old)")
        NONE = "none", _("Not interchangeable")

    old_part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="superseded_by", verbose_name=_("old"))
    new_part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="supersedes", verbose_name=_("new"))
    interchangeability = models.CharField(_("interchangeability"), max_length=10, choices=Interchangeability.choices)
    effective_on = models.DateField(_("effective on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("supersession")
        verbose_name_plural = _("supersessions")
        constraints = [
            models.UniqueConstraint(fields=["old_part"], name="supersession_one_successor"),
            models.CheckConstraint(condition=~models.Q(old_part=models.F("new_part")), name="supersession_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.old_part.number_display} → {self.new_part.number_display}"

    def audit_store_id(self) -> int | None:
        return None


class PartFitment(models.Model):
    """A model series of the part's brand that the part fits (适用车型)."""

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="fitments", verbose_name=_("part"))
    series = models.CharField(_("series"), max_length=50)

    class Meta:
        verbose_name = _("fitment")
        verbose_name_plural = _("fitments")
        constraints = [models.UniqueConstraint(fields=["part", "series"], name="part_fitment_unique")]

    def __str__(self) -> str:
        return self.series


class PriceFile(models.Model):
    """An OEM price file imported from Excel: its rows became ``PartPrice`` rows valid from its date."""

    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+")
    brand = models.ForeignKey("core.Brand", on_delete=models.PROTECT, related_name="+", verbose_name=_("brand"))
    kind = models.CharField(_("price kind"), max_length=10)
    effective_from = models.DateField(_("effective from"))
    file_name = models.CharField(_("file"), max_length=200)
    rows = models.PositiveIntegerField(_("rows"))
    created_parts = models.PositiveIntegerField(_("new parts"), default=0)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("price file")
        verbose_name_plural = _("price files")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.effective_from})"


class PartPrice(models.Model):
    """A price of a part valid from a date (until the next one of the same kind and store starts).

    ``store`` empty: the group's price (the manufacturer's guide price from a price file); a store's own
    row overrides it there. Prices are tax-inclusive CNY (DESIGN-visit "Prices, tax and money")."""

    class Kind(models.TextChoices):
        RETAIL = "retail", _("Guide retail price")
        CLAIM = "claim", _("OEM claim price")
        CONTRACT = "contract", _("Extended-warranty contract price")

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="prices", verbose_name=_("part"))
    store = models.ForeignKey(
        "core.Store", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("store")
    )
    kind = models.CharField(_("price kind"), max_length=10, choices=Kind.choices)
    price = models.DecimalField(_("price (tax incl.)"), max_digits=12, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    price_file = models.ForeignKey(PriceFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("part price")
        verbose_name_plural = _("part prices")
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="part_price_not_negative"),
            models.UniqueConstraint(
                fields=["part", "kind", "valid_from"],
                condition=models.Q(store__isnull=True),
                name="part_price_group_once",
            ),
            models.UniqueConstraint(fields=["part", "store", "kind", "valid_from"], name="part_price_store_once"),
        ]
        indexes = [models.Index(fields=["part", "kind", "store", "-valid_from"], name="part_price_lookup")]

    def __str__(self) -> str:
        return f"{self.part_id} {self.kind} {self.price} from {self.valid_from}"
