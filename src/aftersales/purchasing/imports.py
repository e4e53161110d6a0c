"""The supplier's files purchasing reads: the delivery note (送货单) and the manufacturer's order
confirmation (订单确认), each an .xlsx or .csv whose first row names its columns (Chinese or English, in
any order, other columns ignored), read whole with every wrong cell named at once by row and column.

Numbers follow the import rules of ``aftersales.core.imports``: full-width digits are read (“１２.５” is
12.5); a comma is a thousands separator only between groups of three digits, so “12,3” is refused as
ambiguous (12.3 or 123?) rather than guessed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.imports import Cells, Column, Layout, Row, Sheet, table_rows
from aftersales.core.xlsx import WorkbookError
from aftersales.parts.models import part_number_normalise

MAX_NOTE_ROWS = 5000

DELIVERY_NOTE = Layout(
    "送货单",
    (
        Column(
            "number", "零件号", "Part number", "Required, as delivered (a new number matches the one it replaces).",
            max_length=60, text=True, width=18,
        ),
        Column("quantity", "数量", "Quantity", "Required, more than 0.", width=10),
        Column("price", "单价", "Unit price", "Tax included, yuan; empty: the order's price.", width=12),
        Column("case", "箱号", "Case number", max_length=40, text=True, width=14),
        Column(
            "order", "订单号", "Order number", "Empty: the oldest open order of the part.", max_length=40, text=True,
            width=18,
        ),
    ),
    required=("number", "quantity"),
    former={
        "件号": "number", "零件编号": "number", "配件编号": "number", "配件号": "number", "part no": "number",
        "发货数量": "quantity", "实发数量": "quantity", "qty": "quantity", "含税单价": "price", "price": "price",
        "包装箱号": "case", "case no": "case", "采购订单号": "order", "po": "order",
    },
)  # fmt: skip

CONFIRMATION = Layout(
    "订单确认",
    (
        Column(
            "order", "订单号", "Order number", "Required; with -V2… after amendments or without.", max_length=40,
            text=True, width=18,
        ),
        Column("line", "行号", "Line", "The order's line number; or give the part number.", width=8),
        Column("number", "零件号", "Part number", max_length=60, text=True, width=18),
        Column(
            "confirmed", "确认数量", "Confirmed quantity", "Empty: as ordered; less than ordered cancels the rest.",
            width=12,
        ),
        Column("expected", "预计到货日期", "Expected date", "YYYY-MM-DD.", is_date=True, width=14),
    ),
    required=("order",),
    former={"预计到货日": "expected", "到货日期": "expected", "eta": "expected", "满足数量": "confirmed"},
)  # fmt: skip


@dataclass(frozen=True)
class NoteRow:
    row: int
    number: str  # normalised part number
    typed: str  # as the file writes it
    quantity: Decimal | None  # None: the row has problems of its own; its part is still checked
    price: Decimal | None
    case_no: str
    order: str


@dataclass(frozen=True)
class ConfirmationRow:
    row: int
    order: str
    line: int | None
    number: str
    typed: str
    confirmed: Decimal | None
    expected: date | None


def _row_order(key: str) -> tuple[int, str]:
    _rows, number, column = key.split(".", 2)
    return int(number), column


def file_error(errors: dict[str, list[str]]) -> ApplicationError:
    """The refusal of a file, its rows' problems (``rows.N.column``) in the file's order."""
    ordered = dict(sorted(errors.items(), key=lambda item: _row_order(item[0])))
    return ApplicationError(_("Some rows of the file are wrong; nothing was taken in."), fields=ordered)


def row_errors(row: Row) -> dict[str, list[str]]:
    """A row's problems as fields ``rows.N.column`` (N its row in the file, column the layout's key)."""
    return {f"rows.{row.number}.{key}": messages for key, messages in row.errors.items()}


def _sheet(upload: UploadedFile, layout: Layout) -> tuple[Sheet, Cells]:
    rows = table_rows(upload, max_rows=MAX_NOTE_ROWS + 2)
    try:
        sheet = Sheet(iter(rows), layout)
    except WorkbookError as error:
        raise ApplicationError(str(error), code="invalid_file", field="file", status=422) from None
    return sheet, Cells(layout, sheet.positions)


def _rows(upload: UploadedFile, layout: Layout) -> tuple[list[tuple[Row, Cells]], dict[str, list[str]]]:
    sheet, cells = _sheet(upload, layout)
    read = [(Row(number, values, {}), cells) for number, values in sheet]
    if not read:
        raise ApplicationError(_("The file has no rows below its header."), code="invalid_file", field="file")
    return read, {}


def note_rows_read(upload: UploadedFile) -> tuple[list[NoteRow], dict[str, list[str]]]:
    """The delivery note's rows with a part number, and the problems of the rows (``rows.N.column``), for
    the caller to name together with what it finds matching them (a row with a problem has no quantity:
    only its part is checked, so that every problem of the row is named at once)."""
    read, errors = _rows(upload, DELIVERY_NOTE)
    found: list[NoteRow] = []
    for row, cells in read:
        if cells.read(row):
            typed = cells.required(row, "number", _("Enter the part number."))
            number = part_number_normalise(typed)
            if typed and not number:
                row.fail("number", _("Enter the part number."))
            quantity = cells.decimal(row, "quantity", places=3, low=Decimal("0.001"), high=Decimal("1e10"))
            if quantity is None and "quantity" not in row.errors:
                row.fail("quantity", _("Enter the quantity."))
            price = cells.decimal(row, "price", places=4, low=Decimal(0), high=Decimal("1e10"))
            case_no, order = cells.limited(row, "case"), cells.limited(row, "order")
            if number:
                readable = not row.errors and quantity is not None
                found.append(NoteRow(row.number, number, typed, quantity if readable else None, price, case_no, order))
        errors |= row_errors(row)
    return found, errors


def confirmation_rows_read(upload: UploadedFile) -> tuple[list[ConfirmationRow], dict[str, list[str]]]:
    """The confirmation file's readable rows, and the problems of the others (``rows.N.column``)."""
    read, errors = _rows(upload, CONFIRMATION)
    found: list[ConfirmationRow] = []
    for row, cells in read:
        if cells.read(row):
            order = cells.required(row, "order", _("Enter the order number."))
            line = cells.whole(row, "line", low=1, high=100_000)
            typed = cells.limited(row, "number")
            if line is None and not typed and "line" not in row.errors:
                row.fail("line", _("Give the line number or the part number."))
            confirmed = cells.decimal(row, "confirmed", places=3, low=Decimal(0), high=Decimal("1e10"))
            expected = cells.day(row, "expected")
            if not row.errors:
                found.append(
                    ConfirmationRow(row.number, order, line, part_number_normalise(typed), typed, confirmed, expected)
                )
        errors |= row_errors(row)
    return found, errors


def template_of(layout: Layout) -> bytes:
    """The layout's template to fill in (a supplier's own file works as long as its headers match)."""
    return layout.template(rows=MAX_NOTE_ROWS)
