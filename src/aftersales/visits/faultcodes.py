"""Diagnostic trouble codes as SAE J2012 (ISO 15031-6) writes them: a system letter (P powertrain,
C chassis, B body, U network), a digit 0-3 and three hexadecimal digits (``P0301``), optionally followed
by the failure-type byte of the three-byte form (J2012-DA / ISO 14229 DTC: ``P0301-00``, ``U0100:87``).

Which codes are the manufacturer's (J2012 §5.3): P1xxx, P30xx-P33xx, B1/B2, C1/C2, U1/U2; B3, C3 and
U3 are reserved for later assignment and read as the manufacturer's too. The rest are SAE's (generic).
A manufacturer's code is accepted and flagged: its meaning comes from the brand's documentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_CODE = re.compile(r"([PCBU])([0-3])([0-9A-F]{3})(?:[-:]([0-9A-F]{2}))?")
_SEPARATORS = re.compile(r"[\s]+")


@dataclass(frozen=True)
class FaultCode:
    code: str  # P0301
    failure_type: str  # "00", or "" when not given
    brand_specific: bool

    @property
    def text(self) -> str:
        return f"{self.code}-{self.failure_type}" if self.failure_type else self.code


def _brand_specific(system: str, digit: str, rest: str) -> bool:
    if system == "P":
        return digit == "1" or (digit == "3" and rest[0] in "0123")
    return digit in "123"


def fault_code_parse(value: str) -> FaultCode:
    """Read a code as typed (any case, spaces around ignored); ``ValueError`` with a message naming what is
    wrong otherwise (a letter O typed for a zero, a wrong system letter, a wrong length)."""
    text = _SEPARATORS.sub("", value or "").upper()
    if not text:
        raise ValueError(_("Enter a fault code, e.g. P0301."))
    match = _CODE.fullmatch(text)
    if match is None:
        raise ValueError(_problem(text))
    system, digit, rest, failure_type = match.groups()
    return FaultCode(
        code=f"{system}{digit}{rest}",
        failure_type=failure_type or "",
        brand_specific=_brand_specific(system, digit, rest),
    )


def _problem(text: str) -> str:
    base = re.split(r"[-:]", text, maxsplit=1)[0]
    if base[:1] not in {"P", "C", "B", "U"}:
        return _("“%(code)s” is not a fault code: it starts with P, C, B or U (e.g. P0301).") % {"code": text}
    if len(base) != 5:
        return _("“%(code)s” is not a fault code: a letter and four characters (e.g. P0301).") % {"code": text}
    if base[1] not in "0123":
        return _("“%(code)s” is not a fault code: its second character is 0 to 3.") % {"code": text}
    if "O" in base[2:]:
        return _("“%(code)s” is not a fault code: it has the letter O where a zero belongs.") % {"code": text}
    if not re.fullmatch(r"[0-9A-F]{3}", base[2:]):
        return _("“%(code)s” is not a fault code: its last three characters are 0-9 or A-F.") % {"code": text}
    return _(
        "“%(code)s” is not a fault code: the failure type after it is two characters 0-9 or A-F (e.g. P0301-00)."
    ) % {"code": text}
