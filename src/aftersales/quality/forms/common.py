"""The quality forms' shared pieces: a big ✓ / ✗ pair, a row of buttons, a note, a text, a signature pad's
field, and the mapping of a service's list errors onto a form's per-row fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.messaging.services.signatures import SIGNATURE_MAX_BYTES

# A pad's PNG as a data URL: at most SIGNATURE_MAX_BYTES of image, base64 (4/3) and its prefix.
SIGNATURE_FIELD_MAX = SIGNATURE_MAX_BYTES * 4 // 3 + 100
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)

YES, NO = "yes", "no"
TICKS = [(YES, "✓"), (NO, "✗")]


def _tick(label: Any) -> forms.TypedChoiceField:
    """A big ✓ / ✗ pair (two radio buttons drawn as buttons): True for ✓."""
    return forms.TypedChoiceField(
        label=label,
        choices=TICKS,
        coerce=lambda value: value == YES,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Tick ✓ or ✗.")},
    )


def _buttons(label: Any, choices: Any, *, required: bool = True, message: Any = None) -> forms.ChoiceField:
    """One of a few choices, drawn as a row of buttons."""
    field = forms.ChoiceField(
        label=label, choices=choices, required=required, widget=forms.RadioSelect(attrs={"class": "btn-check"})
    )
    if message is not None:
        field.error_messages["required"] = message
    return field


def _note(label: Any, limit: int) -> forms.CharField:
    return forms.CharField(label=label, max_length=limit, required=False)


def _text(label: Any, limit: int, rows: int = 2) -> forms.CharField:
    return forms.CharField(label=label, max_length=limit, required=False, widget=forms.Textarea(attrs={"rows": rows}))


def _signature() -> forms.CharField:
    return forms.CharField(max_length=SIGNATURE_FIELD_MAX, required=False, widget=forms.HiddenInput)


class _Indexed:
    """Maps a service's list errors (``checks.3.ok``) onto the form's per-row fields (``ok_3``)."""

    # service list name -> {item field -> form field pattern}
    rows: dict[str, dict[str, str]] = {}

    def row_field(self, key: str) -> str | None:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] in self.rows and parts[1].isascii() and parts[1].isdigit():
            pattern = self.rows[parts[0]].get(parts[2])
            return pattern.format(self.row_key(parts[0], int(parts[1]))) if pattern else None
        if len(parts) == 2 and parts[0] in self.rows and parts[1].isascii() and parts[1].isdigit():
            pattern = self.rows[parts[0]].get("")
            return pattern.format(self.row_key(parts[0], int(parts[1]))) if pattern else None
        return None

    def row_key(self, name: str, index: int) -> Any:
        return index

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        field = self.row_field(key)
        return (field, messages) if field is not None else super().service_field(key, messages)  # type: ignore[misc]
