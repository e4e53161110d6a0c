"""Settlement (SPEC BIL-1..3, LAW-3): the settlement list of a repair order (结算清单, JT/T 1133), one settlement
per payer of it, and the charges behind each, taken from the lines' frozen prices (``billing.charges``)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.billing.charges import FeeCategory
from aftersales.catalogue.paytypes import Payer
from aftersales.core.models import StoreOwnedModel

ZERO = Decimal("0.00")


class Surcharge(StoreOwnedModel):
    """A store's surcharge on the customer's labour by the time of the visit (seed 004 服务费用管理: fees by
    service type, place and time): at night (the car received inside the window, which may cross midnight) or
    on a public holiday (the store calendar). Charged as a percentage of each customer-paid labour line."""

    class Kind(models.TextChoices):
        NIGHT = "night", _("Night service")
        HOLIDAY = "holiday", _("Public holiday service")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    percent = models.DecimalField(_("surcharge (%)"), max_digits=5, decimal_places=2)
    starts = models.TimeField(_("from"), null=True, blank=True)  # night: the window, local time
    ends = models.TimeField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("surcharge")
        verbose_name_plural = _("surcharges")
        ordering = ["store", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["store", "kind"], name="surcharge_one_per_kind"),
            models.CheckConstraint(condition=models.Q(percent__gt=0, percent__lte=100), name="surcharge_percent_range"),
            models.CheckConstraint(
                condition=~models.Q(kind="night") | models.Q(starts__isnull=False, ends__isnull=False),
                name="surcharge_night_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.percent}%"


class DiscountLimit(StoreOwnedModel):
    """How much a role of the store may give off what the customer pays when confirming a settlement list: the
    line and order discounts together, as a percentage of the customer's share before discounts, and the
    rounding off (抹零) in yuan. A role without a row here has the product's default (``billing.services``)."""

    role = models.ForeignKey("core.Role", on_delete=models.CASCADE, related_name="+")
    percent = models.DecimalField(_("discount limit (%)"), max_digits=5, decimal_places=2)
    rounding = models.DecimalField(_("rounding-off limit"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("discount limit")
        verbose_name_plural = _("discount limits")
        ordering = ["store", "role"]
        constraints = [
            models.UniqueConstraint(fields=["store", "role"], name="discount_limit_one_per_role"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100, rounding__gte=0), name="discount_limit_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role_id} {self.percent}% {self.rounding}"


class SettlementList(StoreOwnedModel):
    """The settlement list of a repair order: prepared when the order becomes ready (so pick-up is quick),
    confirmed by the advisor or a manager, when it takes its gap-free number; after that it is corrected only
    by a reversal and a new list. One live list (prepared or confirmed) per order."""

    class State(models.TextChoices):
        PREPARED = "prepared", pgettext_lazy("settlement list", "Prepared")
        CONFIRMED = "confirmed", pgettext_lazy("settlement list", "Confirmed")
        REVERSED = "reversed", pgettext_lazy("settlement list", "Reversed")

    class InvoiceType(models.TextChoices):
        NONE = "none", _("No invoice")
        GENERAL = "general", _("General VAT invoice")
        SPECIAL = "special", _("Special VAT invoice")

    order = models.ForeignKey("visits.RepairOrder", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=30, blank=True)  # at confirmation
    state = models.CharField(
        pgettext_lazy("settlement list", "state"), max_length=10, choices=State.choices, default=State.PREPARED
    )
    invoice_type = models.CharField(
        _("invoice type"), max_length=8, choices=InvoiceType.choices, default=InvoiceType.GENERAL
    )
    discount = models.DecimalField(_("order discount"), max_digits=12, decimal_places=2, default=ZERO)
    rounding = models.DecimalField(_("rounding off"), max_digits=12, decimal_places=2, default=ZERO)
    # The discounts given on lines when confirming: {line id: amount}, kept to prepare the list again.
    line_discounts = models.JSONField(_("line discounts"), default=dict, blank=True)
    amount = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=ZERO)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2, default=ZERO)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2, default=ZERO)
    prepared_at = models.DateTimeField(_("prepared"))
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: prepared when the order became ready
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by"
    )  # the reversed list this one replaces
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    reversal_reason = models.CharField(_("reason for the reversal"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("settlement list")
        verbose_name_plural = _("settlement lists")
        ordering = ["-prepared_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "number"], condition=~models.Q(number=""), name="settlement_list_number_unique"
            ),
            models.UniqueConstraint(
                fields=["order"], condition=~models.Q(state="reversed"), name="settlement_list_one_live_per_order"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class Settlement(StoreOwnedModel):
    """What one payer owes for one settlement list: the customer, the insurer, the manufacturer (per brand), the
    extended-warranty provider or the store. Each closes on its own when it is paid (or, for the store, at
    once)."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("settlement", "Open")
        CLOSED = "closed", pgettext_lazy("settlement", "Closed")
        REVERSED = "reversed", pgettext_lazy("settlement", "Reversed")

    settlement_list = models.ForeignKey(SettlementList, on_delete=models.CASCADE, related_name="settlements")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.PROTECT, related_name="+")
    payer = models.CharField(_("payer"), max_length=20, choices=Payer.choices)
    payer_name = models.CharField(_("payer's name"), max_length=100, blank=True)  # insurer, brand, provider
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=ZERO)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2, default=ZERO)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2, default=ZERO)
    state = models.CharField(
        pgettext_lazy("settlement", "state"), max_length=10, choices=State.choices, default=State.OPEN
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["settlement_list", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["settlement_list", "payer", "payer_name"], name="settlement_one_per_payer"),
        ]
        indexes = [models.Index(fields=["store", "payer", "state"], name="settlement_payer_state")]

    def __str__(self) -> str:
        return f"{self.payer} {self.payer_name} {self.amount}".strip()


class SettlementCharge(models.Model):
    """One line's charge to one payer, as the settlement list itemises it: its category, what it is, the
    quantity and unit price, the discounts and the amount with its net and tax."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="charges")
    line = models.ForeignKey("visits.Line", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))
    category = models.CharField(_("fee category"), max_length=12, choices=FeeCategory.choices)
    kind = models.CharField(_("kind"), max_length=14)  # the line's kind (labour, part, customer_part, ...)
    description = models.CharField(_("description"), max_length=200)
    part_number = models.CharField(_("part number"), max_length=60, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit_price = models.DecimalField(_("unit price (tax incl.)"), max_digits=12, decimal_places=2)
    gross = models.DecimalField(_("before discounts"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(_("discount"), max_digits=12, decimal_places=2)
    rounding = models.DecimalField(_("rounding off"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(_("VAT rate"), max_digits=4, decimal_places=2)
    tax_code = models.CharField(_("tax classification code"), max_length=19, blank=True)
    complimentary = models.BooleanField(_("complimentary"), default=False)
    surcharge = models.CharField(_("surcharge"), max_length=8, choices=Surcharge.Kind.choices, blank=True)

    class Meta:
        verbose_name = _("settlement charge")
        verbose_name_plural = _("settlement charges")
        ordering = ["settlement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "position"], name="settlement_charge_position_unique"),
            # Rounded to the fen: SQLite adds decimals as floating point (0.10 + 0.20 is not 0.30 there).
            models.CheckConstraint(
                condition=models.Q(amount=Round(models.F("gross") - models.F("discount"), 2)),
                name="settlement_charge_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(amount=Round(models.F("net") + models.F("tax"), 2)),
                name="settlement_charge_net_tax",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"
