"""Purchasing's documents: the order as PDF (every supplier), and the manufacturer's order file.

The order file is written by the exporter registered for the supplier's brand (``ORDER_FILE_EXPORTERS``,
one interface: ``OrderFileExporter``); a brand without one of its own gets the generic layout
(``GenericCsvExporter``), a UTF-8 CSV with a BOM (Excel opens it as Chinese) and these columns:

| column | meaning |
|---|---|
| 经销商代码 | the store's code |
| 订单号 | our order number, with ``-V2``… after amendments |
| 订单类型 | S stock, U urgent, V vehicle off road |
| 行号 | line number (1…) |
| 零件号 | the part number as the manufacturer prints it |
| 数量 | ordered quantity (less what is cancelled: after an amendment or a short confirmation) |
| 单价 | unit price, tax included, yuan |
| 要求到货日期 | expected date (YYYY-MM-DD) |
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from django.http import HttpResponse
from django.utils.translation import gettext as _

from aftersales.core.money import money_round, to_fen
from aftersales.core.pdf import pdf_render
from aftersales.core.templatetags.money import fen
from aftersales.parts.services import qty_text
from aftersales.purchasing.models import PurchaseOrder, SupplierReturn
from aftersales.purchasing.selectors import order_total

ORDER_PDF = Path(__file__).parent / "templates" / "purchasing" / "print" / "order.typ"
RETURN_PDF = ORDER_PDF.with_name("return.typ")
TYPE_CODES = {"stock": "S", "urgent": "U", "vor": "V"}
_VERSION = re.compile(r"-V\d+$", re.IGNORECASE)


def price_text(price: Decimal) -> str:
    """A unit price as the order file writes it: 2 decimals, more only when the price has them."""
    shown = price.quantize(Decimal("0.01"))
    return f"{shown:f}" if shown == price else f"{price.normalize():f}"


def order_reference(order: PurchaseOrder) -> str:
    """The order number as documents name it: with its version after amendments."""
    return order.number if order.version == 1 else f"{order.number}-V{order.version}"


def order_number_of(reference: str) -> str:
    """The order number a supplier's reference quotes (``order_reference``, with or without ``-V2``)."""
    return _VERSION.sub("", reference.strip())


class OrderFileExporter(Protocol):
    """Writes an order in a manufacturer's ordering system's import layout."""

    content_type: str
    extension: str

    def export(self, order: PurchaseOrder) -> bytes: ...


class GenericCsvExporter:
    content_type = "text/csv; charset=utf-8"
    extension = "csv"

    def export(self, order: PurchaseOrder) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["经销商代码", "订单号", "订单类型", "行号", "零件号", "数量", "单价", "要求到货日期"])
        reference = order_reference(order)
        for line in order.lines.select_related("part").order_by("position"):
            writer.writerow(
                [
                    order.store.code,
                    reference,
                    TYPE_CODES[order.order_type],
                    line.position,
                    line.part.number_display,
                    qty_text(line.quantity - line.cancelled),
                    price_text(line.unit_price),
                    line.expected_on.isoformat() if line.expected_on else "",
                ]
            )
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# Brand code → its manufacturer's exporter (a brand whose ordering system takes another layout registers
# its own here); every other brand gets the generic CSV.
ORDER_FILE_EXPORTERS: dict[str, OrderFileExporter] = {}
GENERIC = GenericCsvExporter()


def order_file_exporter(order: PurchaseOrder) -> OrderFileExporter:
    brand = order.supplier.brand
    return ORDER_FILE_EXPORTERS.get(brand.code if brand else "", GENERIC)


def order_pdf(order: PurchaseOrder, *, printed_by: str = "") -> bytes:
    lines = list(order.lines.select_related("part").order_by("position"))
    return pdf_render(
        ORDER_PDF,
        {
            "facts": [
                [_("Purchase order"), order_reference(order)],
                [_("Supplier"), str(order.supplier)],
                [_("Order type"), order.get_order_type_display()],
                [_("Store"), str(order.store)],
            ],
            "columns": [
                _("Line"), _("Part number"), _("Name"), _("Quantity"), _("Unit price (yuan)"),
                _("Amount (yuan)"), _("Expected on"),
            ],
            "rows": [
                [
                    str(line.position), line.part.number_display, line.part.name,
                    qty_text(line.quantity - line.cancelled), price_text(line.unit_price),
                    fen(to_fen((line.quantity - line.cancelled) * line.unit_price)),
                    line.expected_on.isoformat() if line.expected_on else "",
                ]
                for line in lines
            ],
            "total": _("Total, tax included: %(total)s yuan") % {"total": fen(to_fen(order_total(order)))},
            "signature": _(
                "Ordered by: ____________    Approved by: ____________    Supplier's confirmation: ____________"
            ),
        },
        title=_("Purchase order %(number)s") % {"number": order_reference(order)},
        store=order.store,
        printed_by=printed_by,
        qr=order.number,
    )  # fmt: skip


def order_file_response(order: PurchaseOrder) -> HttpResponse:
    """The order file as a download (the page and the API serve the same)."""
    exporter = order_file_exporter(order)
    response = HttpResponse(exporter.export(order), content_type=exporter.content_type)
    response["Content-Disposition"] = f'attachment; filename="{order_reference(order)}.{exporter.extension}"'
    return response


def order_pdf_response(order: PurchaseOrder, *, printed_by: str) -> HttpResponse:
    """The order's PDF, shown in the browser (the page and the API serve the same)."""
    response = HttpResponse(order_pdf(order, printed_by=printed_by), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order_reference(order)}.pdf"'
    return response


def return_pdf(supplier_return: SupplierReturn, *, printed_by: str = "") -> bytes:
    lines = list(supplier_return.lines.select_related("part", "order_line").order_by("pk"))
    total = sum((money_round(line.quantity * line.unit_price) for line in lines), start=Decimal("0.00"))
    return pdf_render(
        RETURN_PDF,
        {
            "facts": [
                [_("Return note"), supplier_return.number],
                [_("Supplier"), str(supplier_return.supplier)],
                [_("Purchase order"), supplier_return.order.number],
                [_("Goods receipt"), supplier_return.receipt.number or "—"],
                [_("Delivery note"), supplier_return.receipt.delivery_note or "—"],
                [_("Received on"), supplier_return.receipt.received_on.isoformat()],
            ],
            "columns": [
                _("Line"), _("Part number"), _("Name"), _("Quantity"), _("Unit price (yuan)"), _("Reason"),
                _("Case number"),
            ],
            "rows": [
                [
                    str(line.order_line.position), line.part.number_display, line.part.name, qty_text(line.quantity),
                    price_text(line.unit_price), line.reason, line.case_no,
                ]
                for line in lines
            ],
            "total": _("Value, tax included: %(total)s yuan") % {"total": fen(to_fen(total))},
            "signature": _("Handed over by: ____________    Taken back by (supplier): ____________    Date: ________"),
        },
        title=_("Return note %(number)s") % {"number": supplier_return.number},
        store=supplier_return.store,
        printed_by=printed_by,
        qr=supplier_return.number,
    )  # fmt: skip


def return_pdf_response(supplier_return: SupplierReturn, *, printed_by: str) -> HttpResponse:
    """The return note's PDF, shown in the browser (the page and the API serve the same)."""
    response = HttpResponse(return_pdf(supplier_return, printed_by=printed_by), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{supplier_return.number}.pdf"'
    return response
