"""Stocktakes (盘点): a count of a store's stock by part and bin, whose variances post as adjustments.

A line's book quantity is the balance's on-hand quantity at the moment the line is counted (its
snapshot), so moves made during the count never show as variances: the variance is the counted
quantity less that snapshot, and posting adjusts the balance by it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import StoreOwnedModel


class Stocktake(StoreOwnedModel):
    class Kind(models.TextChoices):
        FULL = "full", _("Full")
        PARTIAL = "partial", _("Partial")
        CYCLE = "cycle", _("Cycle count")

    class Status(models.TextChoices):
        COUNTING = "counting", _("Counting")
        APPROVED = "approved", _("Approved")
        POSTING = "posting", _("Posting")
        POSTED = "posted", _("Posted")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.COUNTING)
    blind = models.BooleanField(_("blind count"), default=True, help_text=_("Counters do not see the book quantity."))
    # The scope it was planned with, as the planner chose it (shown on the sheet).
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    posting = models.UUIDField(_("posting"), null=True, blank=True)
    document_no = models.CharField(_("adjustment number"), max_length=40, blank=True)
    # The posting runs as a background job: who asked, how far it got (lines checked of those with a
    # variance) and, when it was refused, every line that could not be posted, all at once.
    posted_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    post_total = models.PositiveIntegerField(_("lines to post"), default=0)
    post_done = models.PositiveIntegerField(_("lines checked"), default=0)
    post_errors = models.JSONField(_("lines that could not be posted"), default=list, blank=True)
    post_message = models.CharField(_("posting message"), max_length=500, blank=True)
    # When the posting job last showed life (claimed, or a batch of lines checked): a posting quiet for
    # longer than ``stocktakes.POSTING_STALE`` lost its job and is started again (``stocktakes_recover``).
    post_touched_at = models.DateTimeField(_("posting last active"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["store", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="stocktake_number_unique")]

    def __str__(self) -> str:
        return self.number


class StocktakeLine(models.Model):
    """A part in a bin to count. ``book`` is the on-hand quantity when the line was counted."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, related_name="+")
    bin = models.ForeignKey("parts.Bin", on_delete=models.PROTECT, related_name="+")
    counted = models.DecimalField(_("counted"), max_digits=14, decimal_places=3, null=True, blank=True)
    # A second, different count of the same line waits here until a person says which is right.
    recount = models.DecimalField(_("second count"), max_digits=14, decimal_places=3, null=True, blank=True)
    book = models.DecimalField(_("book quantity"), max_digits=14, decimal_places=3, null=True, blank=True)
    book_value_fen = models.BigIntegerField(_("book value (fen)"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    counted_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    found = models.BooleanField(_("found during the count"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "part", "bin"], name="stocktake_line_once"),
            models.CheckConstraint(
                condition=models.Q(counted__isnull=True) | models.Q(counted__gte=0), name="stocktake_count_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["part", "bin"], name="stocktake_line_part_bin")]

    def __str__(self) -> str:
        return f"{self.stocktake_id}: {self.part_id}@{self.bin_id}"
