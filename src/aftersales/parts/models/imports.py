"""The go-live import of parts and stock (上线数据导入): the part master, opening stock per bin with
its cost, and price lists, each from its Excel template through the import pattern of
``aftersales.core.imports``."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import AuditKey, AuditKeys
from aftersales.core.models.jobs import ImportJobBase


class StockImportJob(ImportJobBase):
    class Kind(models.TextChoices):
        PARTS = "parts", _("Part master")
        OPENING_STOCK = "opening_stock", _("Opening stock")
        PRICES = "prices", _("Price list")

    kind = models.CharField(_("what the file holds"), max_length=20, choices=Kind.choices)
    # Opening stock posts as receipts dated at the go-live date; a price without a date of its own is
    # valid from it.
    go_live = models.DateField(_("go-live date"), null=True, blank=True)
    created_rows = models.PositiveIntegerField(default=0)  # parts created, stock lines posted, prices written
    matched_rows = models.PositiveIntegerField(default=0)  # parts already in the master (empty fields filled)
    created_bins = models.PositiveIntegerField(default=0)
    value_fen = models.BigIntegerField(default=0)  # the opening stock's value
    document_no = models.CharField(max_length=40, blank=True)  # the receipts' number

    # The keys of the entry an import writes when it ends (``imports.running``).
    audit_keys: ClassVar[AuditKeys] = {
        "create": {
            "kind": AuditKey(_("what the file holds")),
            "created": AuditKey(_("rows imported")),
            "matched": AuditKey(_("parts already in the master")),
            "error_rows": AuditKey(_("rows with errors")),
            "dry_run": AuditKey(_("trial run")),
            "document_no": AuditKey(_("receipt number")),
        }
    }

    class Meta:
        verbose_name = _("parts and stock import")
        verbose_name_plural = _("parts and stock imports")
        indexes = [models.Index(fields=["store", "created_at"], name="stock_import_store_created")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.kind}, {self.status})"
