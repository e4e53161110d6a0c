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
    # The lines given free (赠送) when confirming: [line id, ...], zero to the customer, at cost to the store.
    complimentary = models.JSONField(_("complimentary lines"), default=list, blank=True)
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
    # What has come in for it: its paid payments less their refunds (kept with each payment and refund).
    received = models.DecimalField(_("received"), max_digits=12, decimal_places=2, default=ZERO)
    # Credit: the car released before the customer has paid, approved by a role with billing.credit.
    credit_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credit_at = models.DateTimeField(_("credit approved"), null=True, blank=True)
    credit_note = models.CharField(_("reason for the credit"), max_length=300, blank=True)

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

    @property
    def open_amount(self) -> Decimal:
        """What is still to come in (negative: more came in than is owed, to be refunded)."""
        return self.amount - self.received


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


class Method(models.TextChoices):
    """How money comes in or goes back at the counter."""

    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    CODE = "code", _("Payment code")  # 付款码: the customer's WeChat or Alipay code scanned
    TRANSFER = "transfer", _("Bank transfer")


class Payment(StoreOwnedModel):
    """Money received for a repair order: for one payer's settlement, or before the list is confirmed as a
    deposit of the customer's (attached to the customer's settlement when the list is confirmed). A scanned
    code's payment is pending until the provider's answer is final; a bank transfer until finance confirms
    it arrived. Never edited once paid: money goes back by a refund."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payment", "Pending")
        PAID = "paid", pgettext_lazy("payment", "Paid")
        FAILED = "failed", pgettext_lazy("payment", "Failed")

    number = models.CharField(_("receipt number"), max_length=30)
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.PROTECT, related_name="+")
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )  # None: a deposit, not yet attached
    payer = models.CharField(_("payer"), max_length=20, choices=Payer.choices, default=Payer.CUSTOMER)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    tendered = models.DecimalField(_("tendered"), max_digits=12, decimal_places=2, null=True, blank=True)  # cash
    change = models.DecimalField(_("change"), max_digits=12, decimal_places=2, default=ZERO)
    reference = models.CharField(_("reference"), max_length=64, blank=True)  # POS or bank reference
    is_deposit = models.BooleanField(_("deposit"), default=False)
    state = models.CharField(pgettext_lazy("payment", "state"), max_length=8, choices=State.choices, default=State.PAID)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    out_trade_no = models.CharField(_("order number at the provider"), max_length=32, blank=True)
    transaction_id = models.CharField(_("provider's transaction"), max_length=64, blank=True)
    failure = models.CharField(_("why it failed"), max_length=300, blank=True)
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(_("taken"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # a bank transfer: finance
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    refunded = models.DecimalField(_("refunded"), max_digits=12, decimal_places=2, default=ZERO)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-taken_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="payment_number_unique"),
            models.UniqueConstraint(
                fields=["out_trade_no"], condition=~models.Q(out_trade_no=""), name="payment_out_trade_no_unique"
            ),
            models.UniqueConstraint(
                fields=["provider", "transaction_id"],
                condition=~models.Q(transaction_id=""),
                name="payment_transaction_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, change__gte=0, refunded__gte=0, refunded__lte=models.F("amount")),
                name="payment_amounts",
            ),
            models.CheckConstraint(
                condition=models.Q(tendered__isnull=True)
                | models.Q(tendered=Round(models.F("amount") + models.F("change"), 2)),
                name="payment_change",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "taken_at"], name="payment_store_taken"),
            models.Index(fields=["order", "state"], name="payment_order_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"


class Refund(StoreOwnedModel):
    """Money given back from one payment: requested at the counter with a reason, approved by a role with
    ``billing.finance`` (or refused), then paid out through the payment's own method where it can be (a
    scanned code's payment back to the customer's wallet), else in cash. Never above what is left of the
    payment. A provider's refund stays "approved" until the provider says it is done."""

    class State(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("refund", "Requested")
        APPROVED = "approved", pgettext_lazy("refund", "Approved, being paid out")  # the provider's answer awaited
        REFUNDED = "refunded", pgettext_lazy("refund", "Refunded")
        REFUSED = "refused", pgettext_lazy("refund", "Refused")

    number = models.CharField(_("number"), max_length=30)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    reason = models.CharField(_("reason"), max_length=300)
    state = models.CharField(
        pgettext_lazy("refund", "state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)  # the provider's refund id
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="refund_number_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]
        indexes = [models.Index(fields=["store", "refunded_at"], name="refund_store_refunded")]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"


class CashDay(StoreOwnedModel):
    """One cashier's day at the cash desk: the float they started with and the cash they counted and handed
    over at the end. The day's takings and refunds are their payments' (the daily report)."""

    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    opening_float = models.DecimalField(_("opening float"), max_digits=12, decimal_places=2, default=ZERO)
    counted = models.DecimalField(_("cash counted"), max_digits=12, decimal_places=2, null=True, blank=True)
    handed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("cash desk day")
        verbose_name_plural = _("cash desk days")
        ordering = ["-day", "cashier"]
        constraints = [
            models.UniqueConstraint(fields=["store", "cashier", "day"], name="cash_day_one_per_cashier"),
            models.CheckConstraint(
                condition=models.Q(opening_float__gte=0) & (models.Q(counted__isnull=True) | models.Q(counted__gte=0)),
                name="cash_day_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.cashier_id}"
