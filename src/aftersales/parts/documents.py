"""The parts area's printed documents: bin labels with a QR code each (the scanner reads the bin's code)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import segno
from django.utils.translation import gettext as _

from aftersales.core.pdf import pdf_render
from aftersales.parts.models import Stocktake, Warehouse

PRINT_TEMPLATES = Path(__file__).parent / "templates" / "parts" / "print"
BIN_LABELS = PRINT_TEMPLATES / "bin_labels.typ"
COUNT_SHEET = PRINT_TEMPLATES / "count_sheet.typ"


def bin_qr_text(store_code: str, warehouse_code: str, bin_code: str) -> str:
    """What a bin's QR code holds: the store, warehouse and bin codes (``BIN:SH01/MAIN/A-01``)."""
    return f"BIN:{store_code}/{warehouse_code}/{bin_code}"


def bin_labels_pdf(warehouse: Warehouse, *, printed_by: str = "") -> bytes:
    """Labels for every open bin of ``warehouse``, three across an A4 page."""
    images: dict[str, bytes] = {}
    labels: list[dict[str, Any]] = []
    for bin_ in warehouse.bins.filter(is_active=True).order_by("code"):
        buffer = io.BytesIO()
        segno.make(bin_qr_text(warehouse.store.code, warehouse.code, bin_.code), error="m").save(
            buffer, kind="png", scale=6, border=1
        )
        name = f"bin-{bin_.pk}"
        images[name] = buffer.getvalue()
        labels.append(
            {
                "code": bin_.code,
                "warehouse": f"{warehouse.store.code} · {warehouse.code} {warehouse.name}",
                "image": name,
            }
        )
    return pdf_render(
        BIN_LABELS,
        {"labels": labels, "caption": _("Bin labels of warehouse %(warehouse)s") % {"warehouse": str(warehouse)}},
        title=_("Bin labels"),
        store=warehouse.store,
        printed_by=printed_by,
        images=images,
    )


def count_sheet_pdf(stocktake: Stocktake, *, printed_by: str = "") -> bytes:
    """The stocktake's count sheet in shelf order (bin, then part) with an empty box per line; a blind
    stocktake's sheet shows no book quantities."""
    lines = stocktake.lines.select_related("part", "bin__warehouse").order_by(
        "bin__warehouse__code", "bin__code", "part__number"
    )
    return pdf_render(
        COUNT_SHEET,
        {
            "facts": [
                [_("Stocktake"), stocktake.number],
                [_("Kind"), stocktake.get_kind_display()],
                [_("Lines"), str(lines.count())],
                [_("Blind count"), _("yes") if stocktake.blind else _("no")],
            ],
            "columns": [_("Bin"), _("Part number"), _("Name"), _("Unit"), _("Counted")],
            "rows": [
                [str(line.bin), line.part.number_display, line.part.name, line.part.get_unit_display(), ""]
                for line in lines
            ],
            "signature": _("Counted by: ____________    Date: ____________    Checked by: ____________"),
        },
        title=_("Count sheet %(number)s") % {"number": stocktake.number},
        store=stocktake.store,
        printed_by=printed_by,
        qr=stocktake.number,
    )
