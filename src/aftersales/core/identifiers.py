"""Normalise, validate and mask Chinese identifiers of people, companies and vehicles.

Every ``clean_*`` function returns the normalised value or raises ``ValidationError`` with a specific,
translatable message and a stable ``code``. Each first compacts the value with its ``compact_*``
function, which the search uses too, so that a value is found written as it may be entered. The
module has no model imports, so forms, API schemas, importers, the search and management commands
can all share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

__all__ = [
    "birth_date_from_resident_id",
    "clean_email",
    "clean_mobile",
    "clean_plate",
    "clean_resident_id",
    "clean_uscc",
    "clean_vin",
    "compact",
    "compact_mobile",
    "compact_plate",
    "compact_vin",
    "mask_address",
    "mask_hidden",
    "mask_mobile",
    "mask_name",
    "mask_plate",
    "mask_resident_id",
    "mask_uscc",
    "normalise",
    "resident_id_check_char",
    "uscc_check_char",
    "vin_check_digit",
]

# Full-width forms (U+FF01..U+FF5E) map onto ASCII 0x21..0x7E; the ideographic space becomes a plain space.
_HALF_WIDTH = {code_point: code_point - 0xFEE0 for code_point in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Zero-width characters that come along when numbers are copied from web pages and chat apps.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_WHITESPACE = re.compile(r"\s+")
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_BRACKETS = "()"  # full-width brackets are half-width once normalised
_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_CHINA = ZoneInfo("Asia/Shanghai")

_MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)

_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK_CHARS = "10X98765432"
_RESIDENT_ID_PROVINCES = frozenset(
    str(code)
    for code in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        *(71, 81, 82, 83, 91),
    )
)

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FORBIDDEN = "IOZSV"

_VIN_VALUES = {str(digit): digit for digit in range(10)} | {
    letter: value
    for letters, values in (("ABCDEFGH", range(1, 9)), ("JKLMN", range(1, 6)), ("P", [7]), ("R", [9]))
    for letter, value in zip(letters, values, strict=True)
}
_VIN_VALUES |= dict(zip("STUVWXYZ", range(2, 10), strict=True))
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_FORBIDDEN = "IOQ"

_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_SEPARATORS = "·•・‧." + _HYPHENS
_PLATE_SERIAL_CHARS = frozenset("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
_PLATE_SUFFIXES = "领警学挂港澳"
_PLATE_CROSS_BORDER = "港澳"
_PLATE_EMBASSY = re.compile(r"使[0-9]{6}", re.ASCII)
_PLATE_SMALL_NEV = re.compile(r"[DF][A-HJ-NP-Z0-9][0-9]{4}", re.ASCII)
_PLATE_LARGE_NEV = re.compile(r"[0-9]{5}[DF]", re.ASCII)


def normalise(value: str) -> str:
    """Turn full-width characters into half-width ones, drop zero-width characters and strip the ends."""
    return value.translate(_HALF_WIDTH).translate(_INVISIBLE).strip()


def _compact(value: str, remove: str = "") -> str:
    """Normalise the value and remove all whitespace and the given characters."""
    compact = _WHITESPACE.sub("", normalise(value))
    return compact.translate(dict.fromkeys(map(ord, remove))) if remove else compact


def compact(value: str) -> str:
    """Return the value normalised (half-width, no zero-width characters) and without any whitespace."""
    return _compact(value)


def compact_mobile(value: str) -> str:
    """Return a mobile number as ``clean_mobile`` reads it, not validated: without spaces, hyphens and
    brackets, and without a +86, a 0086 (before more digits) or an 86 (before 11 more digits) prefix.

    ``0086`` on its own stays: it is as likely the last four digits of a number someone searches for."""
    number = _compact(value, _HYPHENS + _BRACKETS)
    if number.startswith("+86"):
        return number[3:]
    if number.startswith("0086") and len(number) > 4:
        return number[4:]
    if number.startswith("86") and len(number) == 13:
        return number[2:]
    return number


def compact_plate(value: str) -> str:
    """Return a licence plate as ``clean_plate`` reads it, not validated: upper case, without spaces
    and separators such as · or -."""
    return _compact(value, _PLATE_SEPARATORS).upper()


def compact_vin(value: str) -> str:
    """Return a VIN as ``clean_vin`` reads it, not validated: upper case, without spaces."""
    return _compact(value).upper()


def _shown(char: str) -> str:
    """Return a character as it can safely be shown inside a message."""
    return char if char.isprintable() else f"U+{ord(char):04X}"


def _error(message: str, code: str, /, **params: Any) -> ValidationError:
    """Build a validation error with its code and message parameters."""
    return ValidationError(message, code=code, params=params or None)


def _today() -> date:
    """Return today's date in China, where resident ID numbers are issued."""
    return datetime.now(_CHINA).date()


def clean_mobile(value: str) -> str:
    """Validate a mainland China mobile number and return its 11 digits."""
    number = compact_mobile(value)
    if not number:
        raise _error(_("Enter a mobile number."), "required")
    if number.startswith(("+", "00")):
        raise _error(
            _("Only mainland China mobile numbers are accepted; remove the country code or use +86."),
            "foreign_number",
        )
    for char in number:
        if char not in _DIGITS:
            raise _error(
                _("A mobile number may contain only digits (and a +86 prefix); “%(char)s” is not allowed."),
                "invalid_character",
                char=_shown(char),
            )
    if len(number) != 11:
        raise _error(
            _("A mobile number must have 11 digits; this one has %(count)d."), "invalid_length", count=len(number)
        )
    if not _MOBILE.fullmatch(number):
        raise _error(_("A mainland China mobile number must start with 13 to 19."), "invalid_prefix")
    return number


_LANDLINE = re.compile(r"(0\d{2,3})(\d{7,8})")
_SERVICE_NUMBER = re.compile(r"([48]00)(\d{3})(\d{4})")


def clean_landline(value: str) -> str:
    """Validate a mainland China landline (area code + 7 or 8 digits, optional extension) or a
    400/800 service number; return it as ``021-12345678``, ``021-12345678-123`` or ``400-123-4567``."""
    text = normalise(value)
    main, extension = text, ""
    for separator in ("转", "ext.", "ext", "x", "#"):
        if separator in text.lower():
            position = text.lower().index(separator)
            main, extension = text[:position], text[position + len(separator) :]
            break
    digits = _compact(main, _HYPHENS + "()（）")
    extension = _compact(extension, _HYPHENS)
    for char in digits + extension:
        if char not in _DIGITS:
            raise _error(
                _("A landline may contain only digits, hyphens and an extension; “%(char)s” is not allowed."),
                "invalid_character",
                char=_shown(char),
            )
    if service := _SERVICE_NUMBER.fullmatch(digits):
        if extension:
            raise _error(_("A 400 or 800 number has no extension."), "invalid_extension")
        return "-".join(service.groups())
    # Beijing (010) and the 02x cities have 3-digit area codes, every other area a 4-digit one.
    area = 3 if digits.startswith(("010", "02")) else 4
    landline = _LANDLINE.fullmatch(digits)
    if landline is None or not 7 <= len(digits) - area <= 8:
        raise _error(
            _("Enter the area code and the number, e.g. 021-12345678 (or a 400 / 800 number)."), "invalid_landline"
        )
    if len(extension) > 6:
        raise _error(_("An extension has at most 6 digits."), "invalid_extension")
    return "-".join(part for part in (digits[:area], digits[area:], extension) if part)


def resident_id_check_char(first_17: str) -> str:
    """Return the GB 11643 (MOD 11-2) check character for the first 17 digits of a resident ID number."""
    if len(first_17) != 17 or not set(first_17) <= _DIGITS:
        raise ValueError("A resident ID check character needs exactly 17 digits.")
    total = sum(int(digit) * weight for digit, weight in zip(first_17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK_CHARS[total % 11]


def clean_resident_id(value: str) -> str:
    """Validate an 18-character PRC resident ID number and return it with an upper-case X."""
    number = _compact(value).upper()
    if not number:
        raise _error(_("Enter a resident ID number."), "required")
    for char in number:
        if char not in _DIGITS and char != "X":
            raise _error(
                _("A resident ID number may contain only digits and a final X; “%(char)s” is not allowed."),
                "invalid_character",
                char=_shown(char),
            )
    if len(number) == 15 and "X" not in number:
        raise _error(
            _("Old 15-digit resident ID numbers are not accepted; enter the 18-character number."), "legacy_number"
        )
    if len(number) != 18:
        raise _error(
            _("A resident ID number must have 18 characters; this one has %(count)d."),
            "invalid_length",
            count=len(number),
        )
    if "X" in number[:17]:
        raise _error(_("X may only be the last character of a resident ID number."), "invalid_character")
    if number[:2] not in _RESIDENT_ID_PROVINCES:
        raise _error(
            _("“%(prefix)s” at the start of this resident ID number is not a valid province code."),
            "invalid_province",
            prefix=number[:2],
        )
    _resident_id_birth_date(number)
    if resident_id_check_char(number[:17]) != number[17]:
        raise _error(_("The check digit of this resident ID number is wrong."), "invalid_check_digit")
    return number


def _resident_id_birth_date(number: str) -> date:
    """Return the birth date in positions 7 to 14 of a resident ID number, or raise if it is impossible."""
    year, month, day = number[6:10], number[10:12], number[12:14]
    shown = f"{year}-{month}-{day}"
    if int(year) < 1900:
        raise _error(
            _("The birth date in this resident ID number (%(date)s) is before 1900."),
            "birth_date_too_early",
            date=shown,
        )
    try:
        born = date(int(year), int(month), int(day))
    except ValueError:
        raise _error(
            _("The birth date in this resident ID number (%(date)s) does not exist."),
            "invalid_birth_date",
            date=shown,
        ) from None
    if born > _today():
        raise _error(
            _("The birth date in this resident ID number (%(date)s) is in the future."),
            "future_birth_date",
            date=shown,
        )
    return born


def birth_date_from_resident_id(value: str) -> date:
    """Validate a resident ID number and return the holder's birth date."""
    return _resident_id_birth_date(clean_resident_id(value))


def uscc_check_char(first_17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a unified social credit code."""
    if len(first_17) != 17 or not set(first_17) <= set(_USCC_ALPHABET):
        raise ValueError("A unified social credit code check character needs 17 characters from its alphabet.")
    total = sum(_USCC_ALPHABET.index(char) * weight for char, weight in zip(first_17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def clean_uscc(value: str) -> str:
    """Validate an 18-character unified social credit code and return it in upper case."""
    code = _compact(value).upper()
    if not code:
        raise _error(_("Enter a unified social credit code."), "required")
    for char in code:
        if char in _USCC_FORBIDDEN:
            raise _error(
                _("A unified social credit code cannot contain the letters I, O, Z, S or V; it contains “%(char)s”."),
                "forbidden_letter",
                char=char,
            )
        if char not in _USCC_ALPHABET:
            raise _error(
                _("A unified social credit code may contain only digits and letters; “%(char)s” is not allowed."),
                "invalid_character",
                char=_shown(char),
            )
    if len(code) != 18:
        raise _error(
            _("A unified social credit code must have 18 characters; this one has %(count)d."),
            "invalid_length",
            count=len(code),
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise _error(
            _("The check character (last character) of this unified social credit code is wrong."),
            "invalid_check_digit",
        )
    return code


def vin_check_digit(vin: str) -> str:
    """Return the ISO 3779 check digit for a 17-character VIN; the 9th character itself is ignored."""
    if len(vin) != 17:
        raise ValueError("A VIN check digit needs a 17-character VIN.")
    total = 0
    for position, (char, weight) in enumerate(zip(vin.upper(), _VIN_WEIGHTS, strict=True)):
        if position == 8:
            continue
        if char not in _VIN_VALUES:
            raise ValueError(f"{char!r} cannot appear in a VIN.")
        total += _VIN_VALUES[char] * weight
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def clean_vin(value: str, *, allow_bad_check_digit: bool = False) -> str:
    """Validate a 17-character VIN and return it in upper case."""
    vin = compact_vin(value)
    if not vin:
        raise _error(_("Enter a VIN."), "required")
    for char in vin:
        if char not in _DIGITS and char not in _LETTERS:
            raise _error(
                _("A VIN may contain only digits and the letters A to Z; “%(char)s” is not allowed."),
                "invalid_character",
                char=_shown(char),
            )
    forbidden = [letter for letter in _VIN_FORBIDDEN if letter in vin]
    if forbidden:
        raise _error(
            _("A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains %(letters)s."),
            "forbidden_letter",
            letters=", ".join(forbidden),
        )
    if len(vin) != 17:
        raise _error(_("A VIN must have 17 characters; this one has %(count)d."), "invalid_length", count=len(vin))
    if not allow_bad_check_digit and vin_check_digit(vin) != vin[8]:
        raise _error(_("The check digit (9th character) of this VIN is wrong."), "invalid_check_digit")
    return vin


def clean_plate(value: str) -> str:
    """Validate a Chinese licence plate number and return it without spaces or separators."""
    plate = compact_plate(value)
    if not plate:
        raise _error(_("Enter a licence plate number."), "required")
    if plate[0] == "使":
        if not _PLATE_EMBASSY.fullmatch(plate):
            raise _error(_("An embassy plate must be 使 followed by 6 digits."), "invalid_format")
        return plate
    if plate[0] not in _PLATE_PROVINCES:
        raise _error(
            _("“%(char)s” is not a known province abbreviation; a plate must start with one, such as 京 or 沪."),
            "unknown_province",
            char=_shown(plate[0]),
        )
    forbidden = [letter for letter in "IO" if letter in plate]
    if forbidden:
        raise _error(
            _("A licence plate cannot contain the letters I or O (confused with 1 and 0); it contains %(letters)s."),
            "forbidden_letter",
            letters=", ".join(forbidden),
        )
    if len(plate) < 2 or plate[1] not in _LETTERS:
        raise _error(
            _("The province abbreviation must be followed by a letter (the issuing authority code)."),
            "invalid_format",
        )
    serial = plate[2:]
    suffix = serial[-1] if serial and serial[-1] in _PLATE_SUFFIXES else ""
    core = serial[:-1] if suffix else serial
    for char in core:
        if char in _PLATE_SUFFIXES or char in _PLATE_PROVINCES or char == "使":
            raise _error(
                _("“%(char)s” cannot appear in this position of a licence plate."), "invalid_character", char=char
            )
        if char not in _PLATE_SERIAL_CHARS:
            raise _error(
                _("A licence plate may contain only letters and digits after the province; “%(char)s” is not allowed."),
                "invalid_character",
                char=_shown(char),
            )
    if suffix:
        if suffix in _PLATE_CROSS_BORDER and plate[:2] != "粤Z":
            raise _error(_("Hong Kong and Macau plates (港, 澳) must start with 粤Z."), "invalid_format")
        if len(core) != 4:
            raise _error(
                _("A plate ending in %(suffix)s needs 4 letters or digits before %(suffix)s; this one has %(count)d."),
                "invalid_length",
                suffix=suffix,
                count=len(core),
            )
        return plate
    if len(core) == 5:
        return plate
    if len(core) == 6:
        if _PLATE_SMALL_NEV.fullmatch(core) or _PLATE_LARGE_NEV.fullmatch(core):
            return plate
        raise _error(
            _(
                "A new-energy plate needs D or F, then a letter or digit and 4 digits (such as 粤BD12345), "
                "or 5 digits followed by D or F (such as 苏E12345D)."
            ),
            "invalid_format",
        )
    raise _error(
        _(
            "After the province and the letter, a plate must have 5 letters or digits "
            "(6 for new-energy vehicles); this one has %(count)d."
        ),
        "invalid_length",
        count=len(core),
    )


def clean_email(value: str) -> str:
    """Validate an email address and return it with a lower-case domain."""
    email = normalise(value)
    if not email:
        raise _error(_("Enter an email address."), "required")
    if _WHITESPACE.search(email):
        raise _error(_("An email address cannot contain spaces."), "invalid_character")
    if "@" not in email:
        raise _error(_("An email address must contain “@”, as in name@example.com."), "invalid")
    local, _at, domain = email.rpartition("@")
    if not local:
        raise _error(_("The part of the email address before “@” is missing."), "invalid")
    if not domain:
        raise _error(_("The domain after “@” is missing from the email address."), "invalid")
    if "." not in domain:
        raise _error(_("The domain after “@” must contain a dot, as in example.com."), "invalid")
    email = f"{local}@{domain.lower()}"
    try:
        validate_email(email)
    except ValidationError:
        raise _error(
            _("This is not a valid email address; check it for typos and stray characters."), "invalid"
        ) from None
    return email


def _mask(value: str, head: int, tail: int) -> str:
    """Keep the first and last characters of a value and hide the rest; hide everything if too little is left."""
    hidden = len(value) - head - tail
    if hidden < 4:
        return "*" * len(value)
    return value[:head] + "*" * hidden + value[len(value) - tail :]


def _cleaned_or_compact(clean: Callable[[str], str], value: str) -> str:
    """Return the cleaned value, or the compacted raw value if it does not validate."""
    try:
        return clean(value)
    except ValidationError:
        return _compact(value)


def mask_hidden(value: str) -> str:
    """Hide a value whole (an e-mail address, a landline, a street)."""
    return "****"


def mask_mobile(value: str) -> str:
    """Hide the middle four digits of a mobile number."""
    return _mask(_cleaned_or_compact(clean_mobile, value), 3, 4)


def mask_name(value: str) -> str:
    """Keep the surname and hide the rest (张** · Mr Wang → M*****): a public screen shows no full name."""
    name = value.strip()
    if not name:
        return ""
    if name.isascii():
        return name[0] + "*" * 5
    return name[0] + "*" * max(1, min(len(name) - 1, 2))


def mask_plate(value: str) -> str:
    """Keep the province, the authority letter and the last two characters of a licence plate (沪A***45):
    the car is recognisable to its owner only."""
    plate = compact_plate(value)
    if len(plate) < 5:
        return "*" * len(plate)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


def mask_resident_id(value: str) -> str:
    """Hide all but the first four and last four characters of a resident ID number."""
    return _mask(_cleaned_or_compact(clean_resident_id, value), 4, 4)


def mask_uscc(value: str) -> str:
    """Hide all but the first four and last four characters of a unified social credit code."""
    return _mask(_cleaned_or_compact(clean_uscc, value), 4, 4)


def clean_bank_account(value: str) -> str:
    """Validate a bank account number (8 to 32 digits; spaces and hyphens as written are dropped)."""
    account = _compact(value, "-")
    if not account:
        raise _error(_("Enter a bank account number."), "required")
    if not (account.isascii() and account.isdigit()):
        raise _error(_("A bank account number may contain only digits."), "invalid_character")
    if not 8 <= len(account) <= 32:
        raise _error(
            _("A bank account number has 8 to 32 digits; this one has %(count)d."), "invalid_length", count=len(account)
        )
    return account


def mask_bank_account(value: str) -> str:
    """Hide all but the last four digits of a bank account number."""
    account = re.sub(r"[\s\-]", "", value)
    return "****" + account[-4:] if len(account) > 4 else "****"


def mask_address(province: str, city: str, district: str, street: str) -> str:
    """Show an address down to the district and hide the street part."""
    province, city, district = province.strip(), city.strip(), district.strip()
    if city == province:
        # Municipalities (上海市上海市) repeat the province as the city.
        city = ""
    return province + city + district + ("****" if street.strip() else "")


def tax_code_valid(value: str) -> bool:
    """A goods and services tax classification code (税收分类编码, 国家税务总局 2016 年第 49 号公告): 19
    digits whose first names the class: 1 goods, 2 labour services (processing, repair and replacement),
    3 services, 4 intangible assets, 5 real estate, 6 items outside VAT."""
    return len(value) == 19 and value.isdigit() and value[0] in "123456"
