"""The import template: an empty workbook with the columns, notes and drop-down lists."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from aftersales.core.models import Brand
from aftersales.core.xlsx import column_letter
from aftersales.customers.excel.columns import COLUMNS, SHEET_TITLE


def template_workbook() -> bytes:
    """The import template: Chinese headers, English headers below them, notes and drop-down lists."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    brands = ", ".join(Brand.objects.order_by("code").values_list("code", flat=True)[:40])
    header_font, note_font = Font(bold=True), Font(italic=True, color="6C757D", size=10)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    last_row = 100_002
    for position, column in enumerate(COLUMNS, 1):
        letter = column_letter(position - 1)
        head = sheet.cell(row=1, column=position, value=column.zh)
        head.font, head.fill, head.alignment = header_font, header_fill, Alignment(horizontal="center")
        sheet.cell(row=2, column=position, value=column.en).font = note_font
        note = column.note
        if column.key == "brand" and brands:
            note = f"{note} ({brands})"
        if column.choices and not note:
            note = " / ".join(label for _value, label in column.choices)
        if note:
            head.comment = Comment(note, "AfterSales", width=260, height=90)
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
        elif column.is_date:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if column.choices:
            options = ",".join(label for _value, label in column.choices)
            validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
            validation.add(f"{letter}3:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "C3"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
