"""The 三包 pages' forms (LAW-4): the reading of a repair line for 三包, what was done about an alert, the
alerts' filter, and a part of the group's list of 三包 main parts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from aftersales.core.forms import StyledForm
from aftersales.quality.models import SanbaoAlert, SanbaoLine, SanbaoSystem

LINE_NOTE_MAX = 200  # SanbaoLine.note
ACTION_NOTE_MAX = 500  # SanbaoAlert.action_note
PART_NUMBER_MAX = 60  # Part.number_display


class SanbaoLineForm(StyledForm):
    """What a repair line's fault is for 三包: a quality problem or not, and which serious safety fault."""

    cause = forms.ChoiceField(label=gettext_lazy("Cause"), choices=SanbaoLine.Cause.choices)
    safety = forms.ChoiceField(
        label=gettext_lazy("Serious safety fault"), choices=SanbaoLine.Safety.choices, required=False
    )
    note = forms.CharField(label=gettext_lazy("Note on the reading"), max_length=LINE_NOTE_MAX, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("cause", "safety"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        note = self.fields["note"].widget
        note.attrs.update({"class": "form-control form-control-sm", "placeholder": _("Note on the reading")})


class SanbaoActionForm(StyledForm):
    """What was done about an alert; ``back`` says which page the form was on (the vehicle's or the list)."""

    action = forms.ChoiceField(
        label=gettext_lazy("What was done"),
        choices=[("", gettext_lazy("Choose what was done")), *SanbaoAlert.Action.choices],
        error_messages={"required": gettext_lazy("Choose what was done.")},
    )
    note = forms.CharField(label=gettext_lazy("Note on what was done"), max_length=ACTION_NOTE_MAX, required=False)
    back = forms.ChoiceField(
        choices=[("list", "list"), ("vehicle", "vehicle")], required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].widget.attrs["class"] = "form-select form-select-sm"
        note = self.fields["note"].widget
        text = _("Note (required for other)")
        note.attrs.update({"class": "form-control form-control-sm", "placeholder": text, "aria-label": text})


class SanbaoAlertFilterForm(StyledForm):
    state = forms.ChoiceField(
        label=pgettext_lazy("alert", "State"),
        choices=[*SanbaoAlert.State.choices, ("all", gettext_lazy("All"))],
        required=False,
    )
    level = forms.ChoiceField(
        label=gettext_lazy("Level"),
        choices=[("", gettext_lazy("Every level")), *SanbaoAlert.Level.choices],
        required=False,
    )


class SanbaoPartForm(StyledForm):
    """A part of the group's part master named by its number, its system, and whether it is the assembly."""

    part_number = forms.CharField(label=gettext_lazy("Part number"), max_length=PART_NUMBER_MAX)
    system = forms.ChoiceField(
        label=gettext_lazy("System"),
        choices=[("", "—"), *SanbaoSystem.choices],
        error_messages={"required": gettext_lazy("Choose a system.")},
    )
    is_assembly = forms.BooleanField(
        label=gettext_lazy("The assembly itself (the whole engine, gearbox, traction battery or drive motor)"),
        required=False,
    )

    service_aliases = {"part": "part_number"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part_number"].widget.attrs["autocapitalize"] = "characters"
