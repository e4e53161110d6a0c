"""Purchasing: suppliers (the manufacturer's parts centre per brand, local suppliers), purchase orders
with their lines and events, and each person's approval limit per store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import AuditedModel, StoreOwnedModel
from aftersales.core.models.events import StateEventBase

MAX_LEAD_DAYS = 365


class Supplier(AuditedModel):
    """Who the group buys parts from. A manufacturer's parts centre supplies one brand and takes its
    orders as the brand's order file; a local supplier takes a PDF by e-mail."""

    class Kind(models.TextChoices):
        MANUFACTURER = "manufacturer", _("Manufacturer's parts centre")
        LOCAL = "local", _("Local supplier")

    group = models.ForeignKey("core.DealerGroup", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    brand = models.ForeignKey(
        "core.Brand", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("brand")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    payment_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    lead_days_stock = models.PositiveSmallIntegerField(
        _("lead time, stock orders (days)"), default=7, validators=[MaxValueValidator(MAX_LEAD_DAYS)]
    )
    lead_days_urgent = models.PositiveSmallIntegerField(
        _("lead time, urgent orders (days)"), default=3, validators=[MaxValueValidator(MAX_LEAD_DAYS)]
    )
    lead_days_vor = models.PositiveSmallIntegerField(
        _("lead time, VOR orders (days)"), default=1, validators=[MaxValueValidator(MAX_LEAD_DAYS)]
    )
    # Weekdays the supplier takes stock orders (0 Monday … 6 Sunday); empty: any day.
    order_days = models.JSONField(_("order days"), default=list, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    # How much more than ordered a line may be received (per cent of the ordered quantity).
    over_delivery_percent = models.PositiveSmallIntegerField(
        _("over-delivery accepted (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        constraints = [models.UniqueConstraint(fields=["group", "code"], name="supplier_code_unique_per_group")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def lead_days(self, order_type: str) -> int:
        return {
            PurchaseOrder.OrderType.STOCK: self.lead_days_stock,
            PurchaseOrder.OrderType.URGENT: self.lead_days_urgent,
            PurchaseOrder.OrderType.VOR: self.lead_days_vor,
        }[PurchaseOrder.OrderType(order_type)]


class PurchaseLimit(StoreOwnedModel):
    """Up to how much (tax included, yuan) a person approves purchase orders in a store: their own up
    to it (the self-approval limit), and others' up to it. Without a row: none."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    limit = models.DecimalField(_("approval limit (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("purchase approval limit")
        verbose_name_plural = _("purchase approval limits")
        constraints = [
            models.UniqueConstraint(fields=["store", "user"], name="purchase_limit_once"),
            models.CheckConstraint(condition=models.Q(limit__gte=0), name="purchase_limit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.store_id}: {self.limit}"


class PurchaseOrder(StoreOwnedModel):
    class OrderType(models.TextChoices):
        STOCK = "stock", _("Stock order")
        URGENT = "urgent", _("Urgent order")
        VOR = "vor", _("Vehicle off road (VOR)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent")
        PARTLY_RECEIVED = "partly_received", _("Partly received")
        RECEIVED = "received", _("Received")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=40)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="orders", verbose_name=_("supplier"))
    order_type = models.CharField(_("order type"), max_length=10, choices=OrderType.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Raised by every amendment after sending; the order file and PDF name it.
    version = models.PositiveIntegerField(_("version"), default=1)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["store", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="purchase_order_number_unique")]
        indexes = [models.Index(fields=["store", "status", "created_at"], name="purchase_order_store_status")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("line"))
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    # The purchase price per unit, tax included (the supplier's invoice price), in yuan.
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=14, decimal_places=4)
    received = models.DecimalField(_("received"), max_digits=14, decimal_places=3, default=Decimal(0))
    rejected = models.DecimalField(_("rejected"), max_digits=14, decimal_places=3, default=Decimal(0))
    cancelled = models.DecimalField(_("cancelled"), max_digits=14, decimal_places=3, default=Decimal(0))
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    # The demand the line is bought for (PRT-9), as a reservation names it.
    demand_type = models.CharField(_("demand"), max_length=30, blank=True)
    demand_id = models.BigIntegerField(null=True, blank=True)
    demand_line_id = models.BigIntegerField(null=True, blank=True)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="purchase_line_position_once"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="purchase_line_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="purchase_line_price_not_negative"),
        ]
        indexes = [models.Index(fields=["part", "store"], name="purchase_line_part_store")]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position}"

    @property
    def open_quantity(self) -> Decimal:
        """Ordered and neither received nor cancelled (rejected goods are still owed)."""
        return max(Decimal(0), self.quantity - self.received - self.cancelled)


class PurchaseOrderEvent(StateEventBase):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = _("purchase order event")
        verbose_name_plural = _("purchase order events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.action}"


class PurchaseReceipt(StoreOwnedModel):
    """One delivery received against an order: what was delivered, accepted into stock (its GR number)
    and rejected at inspection; the supplier's rating is computed from these."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="receipts")
    number = models.CharField(_("receipt number"), max_length=40, blank=True)
    delivery_note = models.CharField(_("delivery note"), max_length=40, blank=True)
    received_on = models.DateField(_("received on"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("purchase receipt")
        verbose_name_plural = _("purchase receipts")
        indexes = [models.Index(fields=["supplier", "received_on"], name="purchase_receipt_supplier")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.number or self.pk}"


class PurchaseReceiptLine(models.Model):
    receipt = models.ForeignKey(PurchaseReceipt, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    bin = models.ForeignKey("parts.Bin", on_delete=models.PROTECT, related_name="+", verbose_name=_("bin"))
    delivered = models.DecimalField(_("delivered"), max_digits=14, decimal_places=3)
    accepted = models.DecimalField(_("accepted"), max_digits=14, decimal_places=3)
    rejected = models.DecimalField(_("rejected"), max_digits=14, decimal_places=3)
    reject_reason = models.CharField(_("reason for rejecting"), max_length=200, blank=True)
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=14, decimal_places=4)
    case_no = models.CharField(_("case number"), max_length=40, blank=True)
    on_time = models.BooleanField(_("on time"), default=True)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("purchase receipt line")
        verbose_name_plural = _("purchase receipt lines")

    def __str__(self) -> str:
        return f"{self.receipt_id}: {self.part_id} {self.accepted}/{self.delivered}"


class ReorderRule(models.Model):
    """When to reorder a part in a store and up to how much (PRT-4): reorder point = average daily
    demand over the last 90 days × lead time + safety stock; order-up-to = reorder point + the demand of
    one order cycle. Computed nightly, or set by hand (``manual``: never overwritten)."""

    store = models.ForeignKey("core.Store", on_delete=models.CASCADE, related_name="+")
    part = models.ForeignKey("parts.Part", on_delete=models.CASCADE, related_name="+", verbose_name=_("part"))
    daily_demand = models.DecimalField(_("average daily demand"), max_digits=14, decimal_places=4, default=0)
    lead_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=0)
    cycle_days = models.PositiveSmallIntegerField(_("order cycle (days)"), default=7)
    safety_stock = models.DecimalField(_("safety stock"), max_digits=14, decimal_places=3, default=0)
    reorder_point = models.DecimalField(_("reorder point"), max_digits=14, decimal_places=3, default=0)
    order_up_to = models.DecimalField(_("order up to"), max_digits=14, decimal_places=3, default=0)
    manual = models.BooleanField(_("set by hand"), default=False)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("reorder rule")
        verbose_name_plural = _("reorder rules")
        constraints = [models.UniqueConstraint(fields=["store", "part"], name="reorder_rule_once")]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.part_id}: {self.reorder_point}→{self.order_up_to}"


class DeliveryNote(StoreOwnedModel):
    """A supplier's delivery as it arrives (送货单), before it is received: imported from the supplier's
    file or built by scanning the parts out of their cases; each line matched to an open order line;
    inspected (counted, rejected with a reason, put in a bin); then received in one step, one receipt
    per order it delivers against."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being checked")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        FILE = "file", _("Imported file")
        SCAN = "scan", _("Scanned")

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+", verbose_name=_("supplier"))
    number = models.CharField(_("delivery note"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery note")
        verbose_name_plural = _("delivery notes")
        ordering = ["store", "-created_at"]
        constraints = [
            # A supplier's note is taken in once (a cancelled one may be imported again).
            models.UniqueConstraint(
                fields=["store", "supplier", "number"],
                condition=~models.Q(number="") & ~models.Q(status="cancelled"),
                name="delivery_note_once",
            )
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class DeliveryNoteLine(models.Model):
    note = models.ForeignKey(DeliveryNote, on_delete=models.CASCADE, related_name="lines")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField(_("row"), default=0)  # in the supplier's file; 0: scanned
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity on the note"), max_digits=14, decimal_places=3)
    checked = models.DecimalField(_("quantity counted"), max_digits=14, decimal_places=3, null=True, blank=True)
    rejected = models.DecimalField(_("quantity rejected"), max_digits=14, decimal_places=3, default=Decimal(0))
    reject_reason = models.CharField(_("reason for rejecting"), max_length=200, blank=True)
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=14, decimal_places=4, null=True, blank=True)
    case_no = models.CharField(_("case number"), max_length=40, blank=True)
    bin = models.ForeignKey(
        "parts.Bin", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("bin")
    )

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("delivery note line")
        verbose_name_plural = _("delivery note lines")
        ordering = ["note", "pk"]

    def __str__(self) -> str:
        return f"{self.note_id}: {self.part_id} {self.quantity}"

    @property
    def delivered(self) -> Decimal:
        """What arrived: as counted at inspection, else as the note says."""
        return self.quantity if self.checked is None else self.checked


class SupplierReturn(StoreOwnedModel):
    """Goods rejected at receiving, going back to the supplier (退货单): never in stock, owed again or
    credited by the supplier. Its printed return note goes with the goods."""

    class Status(models.TextChoices):
        OPEN = "open", _("To be returned")
        SHIPPED = "shipped", _("Returned")

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+", verbose_name=_("supplier"))
    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="returns")
    receipt = models.OneToOneField(PurchaseReceipt, on_delete=models.PROTECT, related_name="supplier_return")
    number = models.CharField(_("number"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    shipped_on = models.DateField(_("returned on"), null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("supplier return")
        verbose_name_plural = _("supplier returns")
        ordering = ["store", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="supplier_return_number_unique")]

    def __str__(self) -> str:
        return self.number


class SupplierReturnLine(models.Model):
    supplier_return = models.ForeignKey(SupplierReturn, on_delete=models.CASCADE, related_name="lines")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    reason = models.CharField(_("reason"), max_length=200)
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=14, decimal_places=4)
    case_no = models.CharField(_("case number"), max_length=40, blank=True)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("supplier return line")
        verbose_name_plural = _("supplier return lines")
        ordering = ["supplier_return", "pk"]

    def __str__(self) -> str:
        return f"{self.supplier_return_id}: {self.part_id} {self.quantity}"


class PurchaseOrderVersion(models.Model):
    """An order as it was sent: version 1 when first sent, one more per amendment after sending, with
    its lines as they stood and what changed."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="versions")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    # [{"position", "part", "quantity", "unit_price", "expected_on"}], the lines of this version.
    lines = models.JSONField(_("lines"), default=list)
    changes = models.TextField(_("changes"), blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("purchase order version")
        verbose_name_plural = _("purchase order versions")
        ordering = ["order", "version"]
        constraints = [models.UniqueConstraint(fields=["order", "version"], name="purchase_order_version_once")]

    def __str__(self) -> str:
        return f"{self.order_id} v{self.version}"
