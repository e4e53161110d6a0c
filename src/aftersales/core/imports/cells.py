"""Reading one row of an import sheet: its cells as text, and the checks every import makes on them
(the input rules of every field, formulas without a value, choices, lengths, dates, numbers)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from aftersales.core import identifiers, inputs
from aftersales.core.imports.layout import Layout, header_key

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_WHOLE_NUMBER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
# Thousands separators: groups of three digits after the first (1,234 or 1,234,567.5).
_GROUPED = re.compile(r"-?[1-9]\d{0,2}(,\d{3})+(\.\d*)?")  # "0,500" is no thousands


def number_text(text: str) -> tuple[str, str | None]:
    """A number typed in a cell as plain digits: full-width digits, point and comma read as half-width
    (“１２.５” is 12.5), commas taken as thousands separators only between groups of three digits.
    Any other comma (“12,3”: 12.3 or 123?) is refused as ambiguous. Returns the text and the problem."""
    text = identifiers.normalise(text)
    if "," not in text:
        return text, None
    if _GROUPED.fullmatch(text):
        return text.replace(",", ""), None
    return text, _(
        "“%(text)s” is ambiguous: write the number with a decimal point and without commas (e.g. 12.3 or 123)."
    ) % {"text": text}


@dataclass
class Row:
    """One row of the sheet as read: its number in the sheet, its values, and what is wrong with it
    per column key (every problem of the row, reported at once)."""

    number: int
    values: list[Any]
    errors: dict[str, list[str]]
    texts: dict[str, str] = field(default_factory=dict)  # each column's value as text

    def fail(self, column: str, message: str) -> None:
        messages = self.errors.setdefault(column, [])
        if message not in messages:
            messages.append(message)


def cell_text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


class Cells:
    """The checks of one sheet's cells, by column key; problems go to the row (``Row.fail``)."""

    def __init__(self, layout: Layout, positions: dict[str, int], *, words: dict[str, dict[str, str]] | None = None):
        self.layout = layout
        self.positions = positions
        self.columns = list(positions.items())
        self.choices = {
            column.key: {header_key(option): value for value, label in column.choices for option in (value, label)}
            for column in layout.columns
            if column.choices
        }
        for key, extra in (words or {}).items():
            self.choices[key].update(extra)
        # Each distinct text of a choice column is looked up once (a sheet repeats a few labels).
        self.chosen: dict[str, dict[str, str | None]] = {key: {} for key in self.choices}
        self.limits = {column.key: column.max_length for column in layout.columns if column.max_length is not None}

    def read(self, row: Row) -> bool:
        """Fill ``row.texts``; False (and the row failed) when a cell breaks the input rules of every
        field (core.inputs) or holds a formula without its value: the row's other checks wait then."""
        values, count = row.values, len(row.values)
        row.texts = texts = {
            key: value.strip() if type(value) is str else "" if value is None else cell_text(value)
            for key, position in self.columns
            if position < count
            for value in (values[position],)
        }
        # A cell with a control or direction-override character is refused like a typed one.
        if inputs.text_problem("".join(texts.values())) is not None:
            for key, text in texts.items():
                if problem := inputs.text_problem(text):
                    row.fail(key, problem)
            return False
        # A formula whose result the file does not hold (core.xlsx reads it as its text, "=…"): the
        # error report keeps it as text, and the user enters the value itself.
        formulas = [key for key, text in texts.items() if text.startswith("=")]
        for key in formulas:
            row.fail(
                key,
                _("This cell holds a formula (%(formula)s), not a value; enter the value itself.")
                % {"formula": texts[key][:60]},
            )
        return not formulas

    def raw(self, row: Row, key: str) -> Any:
        position = self.positions.get(key)
        return row.values[position] if position is not None and position < len(row.values) else None

    def text(self, row: Row, key: str) -> str:
        return row.texts.get(key, "")

    def required(self, row: Row, key: str, message: str) -> str:
        text = self.limited(row, key)
        if not text:
            row.fail(key, message)
        return text

    def choice(self, row: Row, key: str, default: str) -> str:
        text = row.texts.get(key, "")
        if not text:
            return default
        chosen = self.chosen[key]
        if text in chosen:
            value = chosen[text]
        else:
            value = chosen[text] = self.choices[key].get(header_key(text))
        if value is None:
            labels = ", ".join(label for _value, label in self.layout.by_key[key].choices)
            row.fail(key, _("Choose one of: %(choices)s.") % {"choices": labels})
            return default
        return value

    def limited(self, row: Row, key: str) -> str:
        text = row.texts.get(key, "")
        limit = self.limits.get(key)
        if limit is not None and len(text) > limit:
            row.fail(key, _("Enter at most %(n)s characters.") % {"n": limit})
        return text

    def day(self, row: Row, key: str) -> date | None:
        value = self.raw(row, key)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        if not text:
            return None
        if isinstance(value, str):
            for pattern in DATE_FORMATS:
                with contextlib.suppress(ValueError):
                    return datetime.strptime(text, pattern).date()
        row.fail(key, _("Enter a valid date (YYYY-MM-DD)."))
        return None

    def whole(self, row: Row, key: str, *, low: int, high: int) -> int | None:
        value = self.raw(row, key)
        text, problem = number_text(cell_text(value))
        if problem:
            row.fail(key, problem)
            return None
        if not text:
            return None
        if isinstance(value, bool) or not _WHOLE_NUMBER.fullmatch(text):
            row.fail(key, _("Enter a whole number."))
            return None
        if len(text.lstrip("-").lstrip("0")) > 18:  # far beyond any limit (and int() of it)
            row.fail(
                key,
                _("Enter a value of at most %(n)s.") % {"n": high}
                if not text.startswith("-")
                else _("Enter a value of at least %(n)s.") % {"n": low},
            )
            return None
        number = int(text)
        if number < low:
            row.fail(key, _("Enter a value of at least %(n)s.") % {"n": low})
        elif number > high:
            row.fail(key, _("Enter a value of at most %(n)s.") % {"n": high})
        return number

    def decimal(self, row: Row, key: str, *, places: int, low: Decimal, high: Decimal) -> Decimal | None:
        """A number cell with at most ``places`` decimals in [low, high); text is refused as text.

        A number Excel stores as a float (0.1 is 0.1000000000000000055…) is taken at its shortest
        decimal form, as Excel shows it."""
        value = self.raw(row, key)
        text, problem = number_text(format(Decimal(repr(value)), "f") if isinstance(value, float) else cell_text(value))
        if problem:
            row.fail(key, problem)
            return None
        if not text:
            return None
        if isinstance(value, bool) or not _DECIMAL.fullmatch(text):
            row.fail(key, _("Enter a number, not text."))
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            row.fail(key, _("Enter a number, not text."))
            return None
        if number < low:
            row.fail(key, _("Enter a value of at least %(n)s.") % {"n": low})
        elif number >= high:
            row.fail(key, _("Enter a value less than %(n)s.") % {"n": high})
        elif number != number.quantize(Decimal(1).scaleb(-places)):
            row.fail(
                key,
                _("Enter a whole number.") if places == 0 else _("Enter at most %(n)s decimal places.") % {"n": places},
            )
        else:
            return number.quantize(Decimal(1).scaleb(-places))
        return None
