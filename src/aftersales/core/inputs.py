"""What the product accepts as typed text and whole numbers: one rule for every surface.

API bodies, queries and multipart fields apply it through ``apikit.InputSchema``, page forms (and
the admin's) through ``forms.InputFormMixin``, path arguments through the ``id`` URL converter, and
the Excel import per cell. Nothing else decides what a character or a number may be, so the API,
the pages and the import refuse the same values with the same message. (Uploaded file names are
not text typed: Django's multipart parser drops their non-printable characters.)

Why these characters: PostgreSQL cannot store NUL (U+0000) in text or JSON at all; the other C0 and
C1 controls are invisible, break CSV and Excel exports and terminal logs, and never come from a
keyboard; bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) make text
display in a different order than it is stored ("Trojan Source", CVE-2021-42574), so a plate or a
name could read differently from what is searched and printed. Lone surrogates are not characters
and cannot be encoded for either database. Tab and line breaks are allowed only in multi-line
fields (notes, reasons, preferences).
"""

from __future__ import annotations

import re
from typing import Any

from django.urls import register_converter
from django.utils.translation import gettext as _

# What a BigIntegerField (and every primary key) stores on SQLite and PostgreSQL.
BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
# What an IntegerField stores on PostgreSQL (a 32-bit "integer").
INT_MAX = 2**31 - 1

# The JSON-schema mark of a multi-line text field of the API: Field(..., json_schema_extra=MULTILINE).
MULTILINE: dict[str, Any] = {"x-multiline": True}

_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI_CONTROLS + r"\ud800-\udfff]")
_LINE_CONTROLS = re.compile("[\t\n\r\u2028\u2029]")


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be accepted as typed text, in the user's language; None when it can."""
    found = _REFUSED.search(value)
    if found is not None:
        char = found.group()
        if char in _BIDI_CONTROLS:
            return _(
                "This text contains an invisible character that changes the reading direction (%(code)s); remove it."
            ) % {"code": _code(char)}
        if "\ud800" <= char <= "\udfff":
            return _("This text contains an invalid character (%(code)s); remove it.") % {"code": _code(char)}
        return _("This text contains a control character (%(code)s) that cannot be stored; remove it.") % {
            "code": _code(char)
        }
    if not multiline and _LINE_CONTROLS.search(value):
        return _("Enter this on one line: line breaks and tabs are not allowed here.")
    return None


def integer_problem(value: int, *, minimum: int = BIGINT_MIN, maximum: int = BIGINT_MAX) -> str | None:
    """Why a whole number cannot be stored, in the user's language; None when it can."""
    if minimum <= value <= maximum:
        return None
    return _("Enter a whole number between %(min)s and %(max)s.") % {"min": minimum, "max": maximum}


def value_problem(value: Any, *, multiline: bool = False) -> str | None:
    """The first problem of a parsed value: text, a whole number, or a list or mapping of them."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return text_problem(value, multiline=multiline)
    if isinstance(value, int):
        return integer_problem(value)
    if isinstance(value, list | tuple | set | frozenset):
        return next((problem for item in value if (problem := value_problem(item, multiline=multiline))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = value_problem(key) or value_problem(item, multiline=multiline)
            if problem:
                return problem
    return None


class IdConverter:
    """``<id:name>`` in a URL: a record id. One that no row can have (beyond a 64-bit integer) does
    not match, so the request is a 404 before any code sees it."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > BIGINT_MAX:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


class YearConverter:
    """``<year:name>`` in a URL: a calendar year of four digits; any other is a 404."""

    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):04d}"


def register_url_converters() -> None:
    register_converter(IdConverter, "id")
    register_converter(YearConverter, "year")
