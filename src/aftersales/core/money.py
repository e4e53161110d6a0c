"""Money and stock value: CNY amounts as ``Decimal`` rounded in this one place (ROUND_HALF_UP to the fen),
stock values as whole fen, and a tax-inclusive amount split into net and tax.

DESIGN-visit "Prices, tax and money": per line ``net = round(gross / (1 + rate), 2)``, ``tax = gross - net``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

FEN = Decimal("0.01")


def money_round(value: Decimal | int | str) -> Decimal:
    """Round an amount in yuan to the fen, half up (the one rounding of money in the product)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal | int | str) -> int:
    """A yuan amount as whole fen, rounded half up."""
    return int(money_round(amount) * 100)


def from_fen(fen: int) -> Decimal:
    """Whole fen as a yuan amount with two decimals."""
    return (Decimal(fen) / 100).quantize(FEN)


def fen_share(total_fen: int, part: Decimal, whole: Decimal) -> int:
    """``round(total × part / whole)`` in whole fen, half up: the value that leaves with ``part`` of ``whole``."""
    if whole == 0:
        return 0
    return int((Decimal(total_fen) * part / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_spread(total_fen: int, weights: Sequence[Decimal | int]) -> list[int]:
    """``total_fen`` spread over ``weights`` in whole fen by the largest remainder: each share is the floor of
    its exact part, then the fen left over go one each to the largest remainders (the first on a tie), so
    that the shares add up to the total exactly. Zero weights get nothing; all zero, nothing is spread."""
    whole = sum((Decimal(weight) for weight in weights), Decimal(0))
    if whole == 0 or total_fen == 0:
        return [0] * len(weights)
    exact = [Decimal(total_fen) * Decimal(weight) / whole for weight in weights]
    shares = [int(value) for value in exact]  # toward zero: a negative total spreads the same way
    left = total_fen - sum(shares)
    step = 1 if left > 0 else -1
    order = sorted(range(len(exact)), key=lambda index: (-abs(exact[index] - shares[index]), index))
    for index in order[: abs(left)]:
        shares[index] += step
    return shares


def net_and_tax(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Split a tax-inclusive amount: ``net = round(gross / (1 + rate), 2)`` and ``tax = gross - net``."""
    gross = money_round(gross)
    net = money_round(gross / (1 + rate))
    return net, gross - net


class AmountError(ValueError):
    """An amount that cannot be read as yuan and fen; its message is for the person who typed it."""


# Digits, at most one decimal point and two decimals after it: what an amount in yuan looks like once the
# full-width forms a Chinese input method types (１２．５) are read as their ASCII twins.
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?|\.[0-9]{1,2}", re.ASCII)
# The full-width digits, point, comma, yen sign and space of a Chinese input method, and nothing else (NFKC would
# also read ² or ① as digits: a typo, not an amount).
_FULL_WIDTH = str.maketrans(
    {**{chr(0xFF10 + digit): str(digit) for digit in range(10)}, "．": ".", "，": ",", "￥": "¥", "\u3000": " "}
)


def amount_parse(text: str | Decimal | int) -> Decimal:
    """An amount of money as a person types it, in yuan with at most two decimals: full-width digits and
    point are read as ASCII ("１２.５" is 12.50), spaces around it and a leading ¥ are ignored; a comma is
    refused as ambiguous ("12,3": 12.3 where a comma is the decimal mark, 123 where it groups thousands), as
    are a sign, an exponent and a third decimal. Raise ``AmountError``."""
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        value = Decimal(text)
        if not value.is_finite() or value < 0 or value != money_round(value):
            raise AmountError(_("Enter an amount in yuan with at most two decimals."))
        return money_round(value)
    typed = str(text).translate(_FULL_WIDTH).strip().removeprefix("¥").strip()
    if "," in typed:
        raise AmountError(
            _("“%(typed)s” is ambiguous: write the decimal point as “.” and no thousands separator.")
            % {"typed": str(text).strip()[:20]}
        )
    if not _AMOUNT.fullmatch(typed):
        raise AmountError(_("Enter an amount in yuan with at most two decimals, e.g. 12.50."))
    return money_round(Decimal(typed))
