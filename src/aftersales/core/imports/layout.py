"""A sheet's layout: its columns, how a header row is matched to them, and the template to fill in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from aftersales.core.xlsx import WorkbookError, column_letter

ERRORS_HEADER = ("错误", "errors")
ROW_HEADER = ("源行号", "source row")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    note: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value stored, label in the sheet)
    max_length: int | None = None
    text: bool = False  # kept as text in the template so Excel does not turn it into a number
    is_date: bool = False
    width: float = 14

    def label(self) -> str:
        """The column's name in the active language, as error messages name it."""
        return self.en if (translation.get_language() or "").startswith("en") else self.zh


def header_key(value: object) -> str:
    """A header cell (or a choice) as it is compared: without whitespace, in lower case."""
    return "".join(str(value or "").split()).lower()


def first_row(rows: Iterator[tuple[int, list[Any]]]) -> list[Any]:
    """The values of the sheet's first row (its header); WorkbookError when the sheet is empty."""
    first = next(rows, None)
    if first is None:
        raise WorkbookError(_("The first sheet is empty: it has no header row."))
    return first[1]


class Layout:
    """The columns of one import sheet. A header row is matched by the columns' Chinese or English
    names (or names they had in earlier templates), in any order; other columns are ignored."""

    def __init__(
        self,
        title: str,
        columns: Sequence[Column],
        *,
        required: Sequence[str],
        former: Mapping[str, str] | None = None,
        frozen: str = "B3",
    ) -> None:
        self.title, self.columns, self.required, self.frozen = title, tuple(columns), tuple(required), frozen
        self.by_key = {column.key: column for column in self.columns}
        self.lookup = {header_key(label): column.key for column in self.columns for label in (column.zh, column.en)}
        self.lookup |= {header_key(label): key for label, key in (former or {}).items()}

    def positions(self, values: list[Any]) -> dict[str, int]:
        """Each column's position in a header row; WorkbookError if one repeats or a required one is missing."""
        positions: dict[str, int] = {}
        for position, value in enumerate(values):
            key = self.lookup.get(header_key(value))
            if key is None:
                continue  # an extra column of the user's, or the errors column of a report: ignored
            if key in positions:
                raise WorkbookError(_("The column “%(name)s” appears twice.") % {"name": self.by_key[key].label()})
            positions[key] = position
        missing = [self.by_key[key].label() for key in self.required if key not in positions]
        if missing:
            raise WorkbookError(
                _("The first row of the sheet must hold the template's column names; missing: %(names)s.")
                % {"names": ", ".join(missing)}
            )
        return positions

    def is_english_header(self, values: list[Any], positions: dict[str, int]) -> bool:
        """Whether a row is the template's second header row: the columns' English names."""
        matched = [
            header_key(values[position]) == header_key(self.by_key[key].en)
            for key, position in positions.items()
            if position < len(values) and values[position] not in (None, "")
        ]
        return bool(matched) and all(matched)

    def template(self, *, notes: Mapping[str, str] | None = None, rows: int = 100_000) -> bytes:
        """The template: Chinese headers, English headers below them, notes and drop-down lists."""
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = self.title
        header_font, note_font = Font(bold=True), Font(italic=True, color="6C757D", size=10)
        header_fill = PatternFill("solid", fgColor="DDEBF7")
        last_row = rows + 2
        for position, column in enumerate(self.columns, 1):
            letter = column_letter(position - 1)
            head = sheet.cell(row=1, column=position, value=column.zh)
            head.font, head.fill, head.alignment = header_font, header_fill, Alignment(horizontal="center")
            sheet.cell(row=2, column=position, value=column.en).font = note_font
            note = column.note
            extra = (notes or {}).get(column.key)
            if extra:
                note = f"{note} ({extra})"
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
        sheet.freeze_panes = self.frozen
        buffer = BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


class Sheet:
    """The rows of an uploaded sheet: its header read and matched to the layout, then every row that
    is not blank (the template's English header row skipped), with its number in the sheet."""

    def __init__(self, rows: Iterator[tuple[int, list[Any]]], layout: Layout) -> None:
        self.layout = layout
        self._rows = rows
        self.headers = [first_row(rows)]
        self.positions = layout.positions(self.headers[0])

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        first = True
        for number, values in self._rows:
            if first and self.layout.is_english_header(values, self.positions):
                self.headers.append(values)
                first = False
                continue
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
                continue
            first = False
            yield number, values
