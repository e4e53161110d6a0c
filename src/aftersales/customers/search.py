"""Search keys: what the one search box finds a customer or vehicle by.

Keys are precomputed into ``SearchKey`` rows and looked up by prefix on a b-tree index
(``key >= q AND key < q || U+10FFFF``), which both SQLite and PostgreSQL serve from the index.
A plate is stored with all its tails so that a fragment from its middle or end is a prefix too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pypinyin import Style, pinyin

MAX_KEY = "\U0010ffff"
KEY_LENGTH = 100  # SearchKey.key's max_length
MIN_PLATE_FRAGMENT = 3
MAX_INITIAL_VARIANTS = 4


def _keep(chars: str) -> Any:
    """Characters without pinyin (letters, digits) stay as they are, one entry each."""
    return list(chars)


@lru_cache(maxsize=65536)
def _name_keys(name: str) -> tuple[tuple[str, ...], str]:
    initials, full = _compute_name_keys(name)
    return tuple(initials), full


def name_initials_and_pinyin(name: str) -> tuple[list[str], str]:
    """Pinyin initials (every reading of heteronyms, a few at most) and full pinyin of a name (cached)."""
    initials, full = _name_keys(name)
    return list(initials), full


def _compute_name_keys(name: str) -> tuple[list[str], str]:
    """Pinyin initials (every reading of heteronyms, a few at most) and full pinyin of a name."""
    letters = pinyin(name, style=Style.FIRST_LETTER, heteronym=True, errors=_keep)
    initials: list[str] = []
    for combo in itertools.islice(itertools.product(*letters), MAX_INITIAL_VARIANTS):
        text = "".join(combo).lower()
        if text and text not in initials:
            initials.append(text)
    full = "".join(part[0] for part in pinyin(name, style=Style.NORMAL, errors=_keep)).lower()
    return initials, full


def plate_keys(plate: str) -> list[str]:
    """The plate and every tail of it of at least three characters."""
    if not plate:
        return []
    return [plate[start:] for start in range(len(plate) - MIN_PLATE_FRAGMENT + 1)]


def customer_keys(*, number: str, name: str, mobiles: Iterable[str]) -> list[tuple[str, str]]:
    initials, full = name_initials_and_pinyin(name)
    keys = [("number", number.upper()), ("name", name.lower())]
    keys += [("initials", text[:KEY_LENGTH]) for text in initials]
    if full and full != name.lower():
        # A long company name's pinyin outgrows the key column; its beginning is what people type.
        keys.append(("pinyin", full[:KEY_LENGTH]))
    for mobile in mobiles:
        keys += [("mobile", mobile), ("mobile4", mobile[-4:])]
    return keys


def vehicle_keys(*, vin: str, plate: str, former_plates: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The VIN, its last six, the current plate's tails, and the tails of the plates it held before
    (kind ``oldplate``: the search shows them as "former plate")."""
    keys = [("vin", vin), ("vin6", vin[-6:])]
    keys += [("plate", key) for key in plate_keys(plate)]
    for former in dict.fromkeys(former_plates):
        if former and former != plate:
            keys += [("oldplate", key) for key in plate_keys(former)]
    return keys
