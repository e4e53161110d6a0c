"""The import template: an empty workbook with the columns, notes and drop-down lists."""

from __future__ import annotations

from aftersales.core.models import Brand
from aftersales.customers.excel.columns import LAYOUT


def template_workbook() -> bytes:
    """The import template: Chinese headers, English headers below them, notes and drop-down lists."""
    brands = ", ".join(Brand.objects.order_by("code").values_list("code", flat=True)[:40])
    return LAYOUT.template(notes={"brand": brands})
