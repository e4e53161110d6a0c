"""The comeback pages' forms: the comeback decisions and links, the rates' period, and the store's quality
rules with its own repair guarantees. Each parses what the browser sent into the service's input; the
services decide (their refusals land on these fields through ``service_field``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.catalogue.models import GUARANTEE, RepairCategory
from aftersales.core.errors import NON_FIELD
from aftersales.core.forms import StyledForm
from aftersales.quality.forms.common import FIRST_DAY, LAST_DAY, _note, _text
from aftersales.quality.models import Comeback
from aftersales.quality.services.audits import EVERY_DAYS_MAX, SAMPLE_MAX
from aftersales.quality.services.settings import CHECK_MAX, LIST_MAX, SettingsIn
from aftersales.workshop.models import ServiceType

# One check a line: each at most CHECK_MAX characters and a line break (CR LF), at most LIST_MAX lines.
CHECKS_TEXT_MAX = LIST_MAX * (CHECK_MAX + 2)
COMEBACK_NOTE_MAX = 300
ORDER_NUMBER_MAX = 30
PAIRS_MAX = 200


# --- comebacks ------------------------------------------------------------------------------------------


class QueueForm(StyledForm):
    """The comeback queue's tab."""

    state = forms.ChoiceField(label=_("Show"), choices=Comeback.State.choices, required=False)


class DecideForm(StyledForm):
    """Confirm or reject a flagged comeback (the button pressed says which); a rejection says why."""

    decision = forms.ChoiceField(choices=[("confirm", _("Confirm")), ("reject", _("Reject"))], widget=forms.HiddenInput)
    note = _note(_("Note"), COMEBACK_NOTE_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        text = _("Note (say why, to reject)")
        self.fields["note"].widget.attrs.update({"placeholder": text, "aria-label": text})


class FlagForm(StyledForm):
    """Link a new order to earlier work on the car by hand: both order numbers and the pairs of lines, each
    "line of the new order = line of the earlier order" by their numbers on the orders (``2=1, 3=1``)."""

    order = forms.CharField(label=_("Repair order"), max_length=ORDER_NUMBER_MAX)
    original_order = forms.CharField(label=_("Earlier repair order"), max_length=ORDER_NUMBER_MAX)
    pairs = forms.CharField(
        label=_("Lines that repeat earlier work"),
        max_length=PAIRS_MAX,
        help_text=_("New line = earlier line, by their numbers on the orders; e.g. 2=1, 3=1."),
    )
    note = _note(_("Note"), COMEBACK_NOTE_MAX)

    service_aliases = {"order_id": "order", "lines": "pairs"}

    def clean_pairs(self) -> list[tuple[int, int]]:
        text = self.cleaned_data["pairs"]
        pairs = []
        for chunk in text.replace("，", ",").split(","):
            if not chunk.strip():
                continue
            new, _sep, old = chunk.partition("=")
            if not all(part.strip().isascii() and part.strip().isdigit() for part in (new, old)) or len(chunk) > 20:
                raise forms.ValidationError(
                    _("Write each pair as new line = earlier line, e.g. 2=1; “%(pair)s” is not one.")
                    % {"pair": chunk.strip()}
                )
            pairs.append((int(new), int(old)))
        if not pairs:
            raise forms.ValidationError(_("Choose the work that came back and the earlier work it repeats."))
        return pairs

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        if key.startswith("lines."):
            return "pairs", messages
        return super().service_field(key, messages)


# --- the rates ------------------------------------------------------------------------------------------


class PeriodForm(StyledForm):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("since", "until"):
            value = data.get(name)
            if value is not None and not FIRST_DAY <= value <= LAST_DAY:
                self.add_error(name, _("Choose a day from 2000 to 2099."))
        since, until = data.get("since"), data.get("until")
        if since and until and since > until and "until" not in self.errors:
            self.add_error("until", _("The end date must not be before the start date."))
        return data


# --- the store's rules ----------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class SettingsForm(StyledForm):
    """The store's quality rules (each list one check a line) and its own repair guarantee per repair
    category (``<category>_days``, ``<category>_km``; both blank: the law's)."""

    final_checks = _text(_("Standard final-inspection checks"), CHECKS_TEXT_MAX, rows=8)
    wash_checks = _text(_("Washing standard"), CHECKS_TEXT_MAX, rows=6)
    delivery_checks = _text(_("Free check at delivery (24 checks)"), CHECKS_TEXT_MAX, rows=12)
    wash_skip = forms.MultipleChoiceField(
        label=_("Order types not washed"),
        choices=ServiceType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comeback_days = forms.IntegerField(
        label=_("Comeback window (days after delivery)"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 730}),
        error_messages={"required": _("Enter days from 1 to 730.")},
    )
    certificate_from_platform = forms.BooleanField(
        label=_("The province issues release certificate numbers"), required=False
    )
    # The service bounds both (its message names the range): the form only reads a whole number; left blank,
    # the store's value is kept (as the API's absent field).
    audit_every_days = forms.IntegerField(
        label=_("Internal quality evaluation every (days)"),
        required=False,
        help_text=_("0: evaluations are opened by hand only."),
        widget=forms.NumberInput(attrs={"min": 0, "max": EVERY_DAYS_MAX}),
    )
    audit_sample_size = forms.IntegerField(
        label=_("Delivered orders sampled per evaluation"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": SAMPLE_MAX}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category, label in RepairCategory.choices:
            law_days, law_km = GUARANTEE[category]
            # The law's minimum is the service's to say (with the law it comes from); the form bounds the rest.
            days = forms.IntegerField(
                label=_("Days"),
                required=False,
                min_value=0,
                max_value=3650,
                widget=forms.NumberInput(attrs={"min": law_days}),
            )
            km = forms.IntegerField(
                label=_("km"),
                required=False,
                min_value=0,
                max_value=1_000_000,
                widget=forms.NumberInput(attrs={"min": law_km}),
            )
            days.widget.attrs["min"], km.widget.attrs["min"] = law_days, law_km
            for field in (days, km):
                field.widget.attrs.update({"class": "form-control", "aria-description": str(label)})
            self.fields[f"{category}_days"] = days
            self.fields[f"{category}_km"] = km

    def term_rows(self) -> list[tuple[str, Any, tuple[int, str], Any, Any]]:
        """Per repair category its label, the law's (days, km shown with thousands), its two inputs."""
        return [
            (
                category,
                label,
                (GUARANTEE[category][0], f"{GUARANTEE[category][1]:,}"),
                self[f"{category}_days"],
                self[f"{category}_km"],
            )
            for category, label in RepairCategory.choices
        ]

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        if key in RepairCategory.values:
            return f"{key}_days", messages
        if key in self.fields:
            return key, messages
        return NON_FIELD, messages

    def settings_in(self) -> SettingsIn:
        data = self.cleaned_data
        return SettingsIn(
            final_checks=_lines(data["final_checks"]),
            wash_checks=_lines(data["wash_checks"]),
            wash_skip=list(data["wash_skip"]),
            delivery_checks=_lines(data["delivery_checks"]),
            comeback_days=data["comeback_days"],
            certificate_from_platform=data["certificate_from_platform"],
            audit_every_days=data["audit_every_days"],
            audit_sample_size=data["audit_sample_size"],
        )

    def terms(self) -> dict[str, tuple[int | None, int | None]]:
        data = self.cleaned_data
        return {category: (data[f"{category}_days"], data[f"{category}_km"]) for category in RepairCategory.values}
