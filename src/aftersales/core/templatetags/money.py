"""Template filters for money: ``{{ balance.value_fen|fen }}`` shows whole fen as yuan (1,234.56)."""

from __future__ import annotations

from django import template

from aftersales.core.money import from_fen

register = template.Library()


@register.filter
def fen(value: int | None) -> str:
    """Whole fen as yuan with two decimals and thousands separators; empty for no value."""
    if value is None or value == "":
        return ""
    return f"{from_fen(int(value)):,.2f}"
