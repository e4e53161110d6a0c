"""Stock of a store: warehouses and bins, the append-only ledger of moves, the balance table written
with each move, reservations for demands, and month-end snapshots.

Invariants (checked by ``aftersales stock verify`` and the property tests): for every part and bin the
balance's on-hand quantity and value are the sums of its moves; its reserved quantity is the sum of its
reservations; nothing is negative, and a zero quantity carries a zero value.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.models import StoreOwnedModel
from aftersales.core.models.base import StoreScopedManager


class Warehouse(StoreOwnedModel):
    """A store's warehouse (配件库, 油品库, 旧件库 ...)."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    # Cycle counts (循环盘点): every bin that holds stock counted once in this many days, a slice of
    # bins each day in bin order (``stocktakes.cycle_counts_plan``); 0: no cycle counts.
    cycle_days = models.PositiveSmallIntegerField(
        _("cycle count every (days)"),
        default=0,
        validators=[MaxValueValidator(366)],
        help_text=_("Every bin counted once in this many days, some bins each day; 0: no cycle counts."),
    )
    cycle_cursor = models.CharField(_("last bin of the cycle"), max_length=20, blank=True, editable=False)
    cycle_planned_on = models.DateField(_("cycle count last planned"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="warehouse_code_unique_per_store")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Bin(StoreOwnedModel):
    """A storage location (货位) in a warehouse; stock is kept per part and bin."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="bins", verbose_name=_("warehouse"))
    code = models.CharField(_("bin"), max_length=20)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bin")
        verbose_name_plural = _("bins")
        ordering = ["warehouse", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="bin_code_unique_per_warehouse")]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Stock moves are append-only: a correction is a new move.")

    def delete(self) -> NoReturn:
        raise PermissionError("Stock moves are append-only: a correction is a new move.")


class StockMoveManager(StoreScopedManager):
    """Moves in the actor's stores, in a query set that refuses updates and deletes."""

    def get_queryset(self) -> Any:
        scoped = super().get_queryset()
        appended = AppendOnlyQuerySet(scoped.model, using=scoped.db)
        appended.query = scoped.query
        return appended


class StockMove(models.Model):
    """One movement of one part in one bin: quantity and value signed (in > 0, out < 0). Append-only."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        ISSUE = "issue", _("Issue")
        RETURN = "return", _("Return from a document")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ADJUSTMENT = "adjustment", _("Adjustment")
        SCRAP = "scrap", _("Scrap")
        SUPPLIER_RETURN = "supplier_return", _("Return to supplier")

    id = models.BigAutoField(primary_key=True)
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="+", verbose_name=_("bin"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    value_fen = models.BigIntegerField(_("value (fen)"))
    moved_on = models.DateField(_("date"))
    posted_at = models.DateTimeField(_("posted at"))
    posted_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("posted by")
    )
    # The moves one action posted share it (a receipt's lines, a transfer's two sides).
    posting = models.UUIDField(_("posting"))
    document_type = models.CharField(_("document type"), max_length=30, blank=True)
    document_id = models.BigIntegerField(_("document"), null=True, blank=True)
    document_line_id = models.BigIntegerField(_("document line"), null=True, blank=True)
    document_no = models.CharField(_("document number"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects: ClassVar[StoreScopedManager] = StockMoveManager()
    all_objects: ClassVar[models.Manager[Any]] = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        base_manager_name = "all_objects"
        constraints = [models.CheckConstraint(condition=~models.Q(quantity=0), name="stock_move_quantity_not_zero")]
        indexes = [
            models.Index(fields=["store", "moved_on"], name="stock_move_store_date"),
            models.Index(fields=["part", "bin", "id"], name="stock_move_part_bin"),
            models.Index(fields=["document_type", "document_id"], name="stock_move_document"),
            models.Index(fields=["posting"], name="stock_move_posting"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.part_id} in {self.bin_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Stock moves are append-only: a correction is a new move.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Stock moves are append-only: a correction is a new move.")


class StockBalance(models.Model):
    """On hand, reserved and value of a part in a bin, written in the transaction of each move."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="balances", verbose_name=_("part"))
    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="balances", verbose_name=_("bin"))
    on_hand = models.DecimalField(_("on hand"), default=0, max_digits=14, decimal_places=3)
    reserved = models.DecimalField(_("reserved"), default=0, max_digits=14, decimal_places=3)
    value_fen = models.BigIntegerField(_("value (fen)"), default=0)

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()
    all_objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(fields=["part", "bin"], name="stock_balance_part_bin"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stock_balance_on_hand_not_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="stock_balance_reserved_not_negative"),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("on_hand")), name="stock_balance_reserved_within_on_hand"
            ),
            models.CheckConstraint(condition=models.Q(value_fen__gte=0), name="stock_balance_value_not_negative"),
            models.CheckConstraint(
                condition=~models.Q(on_hand=0) | models.Q(value_fen=0), name="stock_balance_no_value_without_stock"
            ),
        ]
        indexes = [models.Index(fields=["store", "part"], name="stock_balance_store_part")]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.bin_id}: {self.on_hand}"

    @property
    def available(self) -> Any:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    """Stock held for a demand (an appointment's pre-pick, a repair-order line). Only appointment
    reservations expire; a pre-pick is re-pointed to the order's lines, never released and taken again."""

    class DemandType(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment")
        REPAIR_ORDER = "repair_order", _("Repair order")
        TRANSFER = "transfer", pgettext_lazy("stock", "Transfer")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="+", verbose_name=_("bin"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    demand_type = models.CharField(_("demand type"), max_length=20, choices=DemandType.choices)
    demand_id = models.BigIntegerField(_("demand"))
    demand_line_id = models.BigIntegerField(_("demand line"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()
    all_objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        base_manager_name = "all_objects"
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="reservation_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(demand_type="appointment"),
                name="reservation_only_appointments_expire",
            ),
        ]
        indexes = [
            models.Index(fields=["demand_type", "demand_id", "demand_line_id"], name="reservation_demand"),
            models.Index(fields=["part", "bin"], name="reservation_part_bin"),
            models.Index(fields=["expires_at"], name="reservation_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.part_id} for {self.demand_type} {self.demand_id}"


class StockClosing(models.Model):
    """A closed month of a store: its moves are final and its end-of-month stock is snapshotted."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    month = models.DateField(_("month"), help_text=_("The first day of the closed month."))
    closed_at = models.DateTimeField(_("closed at"))
    closed_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")
    balances = models.PositiveIntegerField(_("balances"))
    value_fen = models.BigIntegerField(_("value (fen)"))

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()
    all_objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("stock closing")
        verbose_name_plural = _("stock closings")
        base_manager_name = "all_objects"
        ordering = ["store", "-month"]
        constraints = [models.UniqueConstraint(fields=["store", "month"], name="stock_closing_once_per_month")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.month:%Y-%m}"


class StockSnapshot(models.Model):
    """Quantity and value of a part in a bin at the end of a closed month (non-zero rows only)."""

    closing = models.ForeignKey(StockClosing, on_delete=models.CASCADE, related_name="snapshots")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+")
    bin = models.ForeignKey(Bin, on_delete=models.PROTECT, related_name="+")
    on_hand = models.DecimalField(max_digits=14, decimal_places=3)
    value_fen = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["closing", "part", "bin"], name="stock_snapshot_once")]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.bin_id}: {self.on_hand}"
