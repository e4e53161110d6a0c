"""The quality evaluations' forms: the list's tab, opening an evaluation, the review of a sampled order, a
finding, its action and verification, and the evaluation's conclusion."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.forms import StyledForm
from aftersales.quality.forms.common import FIRST_DAY, LAST_DAY, _buttons, _note, _text
from aftersales.quality.models import AuditFinding, AuditSample, QualityAudit
from aftersales.quality.services.audits import (
    AUDITOR_MAX,
    SAMPLE_MAX,
    STANDARD_MAX,
    SUMMARY_MAX,
    AuditFindingIn,
    AuditIn,
)
from aftersales.quality.services.audits import TEXT_MAX as FINDING_TEXT_MAX


def _day(label: Any, message: Any) -> forms.DateField:
    field = forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    field.error_messages["required"] = message
    return field


class AuditListForm(StyledForm):
    """The evaluations' tab: open, closed, or every one."""

    state = forms.ChoiceField(label=_("Show"), choices=[("", _("All")), *QualityAudit.State.choices], required=False)


class AuditOpenForm(StyledForm):
    """Open an evaluation: its kind, who carries it out, the standard, the delivery period and the sample's
    size. The service checks the rest (its refusals land on these fields)."""

    kind = _buttons(_("Kind"), QualityAudit.Kind.choices, message=_("Choose internal or third party."))
    auditor = forms.CharField(
        label=_("Carried out by"),
        max_length=AUDITOR_MAX,
        required=False,
        help_text=_("A name, or the organisation of a third party."),
    )
    standard = forms.CharField(label=_("Standard evaluated against"), max_length=STANDARD_MAX, required=False)
    period_from = _day(_("Orders delivered from"), _("Choose the first day of the period."))
    period_to = _day(_("Orders delivered to"), _("Choose the last day of the period."))
    sample_size = forms.IntegerField(
        label=_("Orders to sample"), widget=forms.NumberInput(attrs={"min": 1, "max": SAMPLE_MAX})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sample_size"].error_messages["required"] = _("Sample from 1 to %(n)d orders.") % {"n": SAMPLE_MAX}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("period_from", "period_to"):
            value = data.get(name)
            if value is not None and not FIRST_DAY <= value <= LAST_DAY:
                self.add_error(name, _("Choose a day from 2000 to 2099."))
        return data

    def data_in(self) -> AuditIn:
        data = self.cleaned_data
        return AuditIn(
            kind=data["kind"],
            auditor=data["auditor"],
            standard=data["standard"],
            period_from=data["period_from"],
            period_to=data["period_to"],
            sample_size=data["sample_size"],
        )


class ReviewForm(StyledForm):
    """The review of one sampled order: meets the standard or a finding (what, in the note), a score."""

    result = forms.ChoiceField(
        label=_("Result"),
        choices=[(AuditSample.Result.PASS, _("Meets the standard")), (AuditSample.Result.FINDING, _("Finding"))],
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Choose whether it meets the standard or a finding is raised.")},
    )
    score = forms.TypedChoiceField(
        label=_("Score"),
        choices=[("", "—"), *((str(n), str(n)) for n in range(1, 6))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = _note(_("Note"), FINDING_TEXT_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["score"].widget.attrs["aria-label"] = str(_("Score"))
        text = _("Note (say what was found, for a finding)")
        self.fields["note"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": text, "aria-label": text}
        )


class FindingForm(StyledForm):
    """A finding of an evaluation: on one of its sampled orders or on the whole, its severity, the
    corrective action asked for, who owns it (the store's staff who may see quality) and when it is due."""

    sample = forms.TypedChoiceField(label=_("Sampled order"), coerce=int, empty_value=None, required=False)
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=AuditFinding.Severity.choices,
        error_messages={"required": _("Choose minor, major or critical.")},
    )
    description = _text(_("Finding"), FINDING_TEXT_MAX, rows=3)
    corrective_action = _text(_("Corrective action"), FINDING_TEXT_MAX, rows=3)
    owner = forms.TypedChoiceField(
        label=pgettext_lazy("corrective action", "Owner"), coerce=int, empty_value=None, required=False
    )
    due_on = _day(_("Due"), _("Choose the day it is due."))

    def __init__(self, *args: Any, samples: list[AuditSample], owners: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sample"].choices = [  # type: ignore[attr-defined]
            ("", _("The evaluation as a whole")),
            *((str(sample.pk), f"{sample.position}. {sample.order.number}") for sample in samples),
        ]
        self.fields["owner"].choices = [("", "—"), *((str(user.pk), str(user)) for user in owners)]  # type: ignore[attr-defined]

    def data_in(self) -> AuditFindingIn:
        data = self.cleaned_data
        return AuditFindingIn(
            sample_id=data["sample"],
            severity=data["severity"],
            description=data["description"],
            corrective_action=data["corrective_action"],
            owner_id=data["owner"],
            due_on=data["due_on"],
        )


class FindingActionForm(StyledForm):
    action_taken = _text(_("Action taken"), FINDING_TEXT_MAX)


class FindingCloseForm(StyledForm):
    verification = _text(_("How the action was verified"), FINDING_TEXT_MAX)


class AuditCloseForm(StyledForm):
    summary = _text(_("Conclusion"), SUMMARY_MAX, rows=4)
