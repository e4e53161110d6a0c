"""The national holiday schedule that every store calendar reads (``aftersales.core.calendar``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models.base import AuditedModel


class CalendarDay(AuditedModel):
    """A day that the State Council's yearly notice (国务院办公厅关于 YYYY 年部分节假日安排的通知)
    makes a public holiday, or a weekend day worked instead (调休上班). Ordinary days have no row."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKDAY = "workday", _("Make-up working day")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, help_text=_("The holiday, e.g. 春节."))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}"
