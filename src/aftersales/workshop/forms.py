"""The workshop pages' forms: a line dispatched, the technician's clock, notes and photos, the in-process
inspection, parts asked for, work found. Each parses what the browser sent; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import StyledForm
from aftersales.workshop.models import PauseReason
from aftersales.workshop.services import InspectionItem
from aftersales.workshop.services.clock import REPORT_MAX
from aftersales.workshop.services.work import ITEMS_MAX, NOTE_MAX


def _ids(choices: list[tuple[int, str]], *, blank: bool = True) -> list[tuple[Any, str]]:
    return [("", "—")] * blank + [(str(pk), label) for pk, label in choices]


class DispatchForm(StyledForm):
    """One approved labour line to a technician or a team, and a bay (the service checks who may take it)."""

    line = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    technician = forms.TypedChoiceField(label=_("Technician"), coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    bay = forms.TypedChoiceField(label=_("Bay"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        lines: list[int],
        technicians: list[tuple[int, str]],
        teams: list[tuple[int, str]],
        bays: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = _ids([(pk, str(pk)) for pk in lines], blank=False)  # type: ignore[attr-defined]
        self.fields["technician"].choices = _ids(technicians)  # type: ignore[attr-defined]
        self.fields["team"].choices = _ids(teams)  # type: ignore[attr-defined]
        self.fields["bay"].choices = _ids(bays)  # type: ignore[attr-defined]

    def line_id(self) -> int | None:
        """The line the form was sent for, valid or not (to show it on its line's row)."""
        value = str(self.data.get("line", "")) if self.is_bound else str(self.initial.get("line", ""))
        return int(value) if value.isdigit() and len(value) < 19 else None


class ClockForm(StyledForm):
    """Clock on, pause (with its reason) or clock off (with the fault verified and the report)."""

    ACTIONS = (("on", _("Clock on")), ("pause", _("Pause")), ("off", _("Clock off")))

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=_("Why pause"), choices=[("", "—"), *PauseReason.choices], required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    fault_verified = forms.BooleanField(label=_("The fault is verified fixed"), required=False)
    report = forms.CharField(
        label=_("Service report"), max_length=REPORT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(StyledForm):
    text = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class InspectionForm(StyledForm):
    """The in-process inspection as rows of item, in order, note (``item_0``, ``ok_0``, ``note_0``, ...);
    ``rows`` says how many rows were sent."""

    EMPTY_ROWS = 3

    rows = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=ITEMS_MAX)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = count
        for row in range(count):
            self.fields[f"item_{row}"] = forms.CharField(label=_("Item checked"), max_length=100, required=False)
            self.fields[f"ok_{row}"] = forms.BooleanField(label=_("In order"), required=False)
            self.fields[f"note_{row}"] = forms.CharField(label=_("What is wrong"), max_length=200, required=False)
            self.fields[f"item_{row}"].widget.attrs["class"] = "form-control"
            self.fields[f"note_{row}"].widget.attrs["class"] = "form-control"
            self.fields[f"ok_{row}"].widget.attrs["class"] = "form-check-input"

    @staticmethod
    def sent_count(data: Any) -> int:
        """The number of rows a POST says it has, within bounds (a wrong one is the ``rows`` field's error)."""
        text = str(data.get("rows", ""))
        return int(text) if text.isdigit() and 0 < int(text) <= ITEMS_MAX else 1

    def table(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"item_{row}"], self[f"ok_{row}"], self[f"note_{row}"]) for row in range(self.count)]

    def items(self) -> list[InspectionItem]:
        data = self.cleaned_data
        return [
            InspectionItem(item=data[f"item_{row}"], ok=data[f"ok_{row}"], note=data[f"note_{row}"])
            for row in range(self.count)
            if data.get(f"item_{row}")
        ]


class PartsRequestForm(StyledForm):
    line = forms.TypedChoiceField(label=_("Part"), coerce=int)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, lines: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = _ids(lines)  # type: ignore[attr-defined]


class FindingForm(StyledForm):
    """Work found during the job: a labour operation of the catalogue or a part by its number."""

    operation = forms.TypedChoiceField(label=_("Labour operation"), coerce=int, required=False, empty_value=None)
    part_number = forms.CharField(
        label=_("Or a part number"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=10, decimal_places=3, min_value=Decimal("0.001"), required=False
    )
    description = forms.CharField(label=_("What was found"), max_length=200, required=False)
    symptom = forms.CharField(label=_("Symptom"), max_length=200, required=False)

    service_aliases = {"operation_id": "operation", "part_id": "part_number"}

    def __init__(self, *args: Any, operations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operation"].choices = _ids(operations)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_operation = data.get("operation") is not None
        has_part = bool(str(data.get("part_number") or "").strip())
        if "operation" in data and "part_number" in data and has_operation == has_part:
            self.add_error("operation", _("Choose a labour operation or type a part number (one of them)."))
        return data


class CorrectionForm(StyledForm):
    """The foreman corrects the time of a clock entry, saying why (the entry stays, the correction beside it)."""

    entry = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    at = forms.DateTimeField(
        label=_("Correct time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label=_("Why"), max_length=300)
