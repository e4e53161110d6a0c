"""Forms of the archive-quality pages: the review queue's filters, a merge, the archive rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from aftersales.core.forms import InputForm
from aftersales.customers.forms.fields import ArchiveForm
from aftersales.customers.services import MERGEABLE_FIELDS


class ReviewQueueFilterForm(ArchiveForm):
    days = forms.IntegerField(
        label=gettext_lazy("Not reviewed for (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=gettext_lazy("Empty: the store's review interval."),
    )
    below = forms.IntegerField(
        label=gettext_lazy("Or completeness below (%)"), min_value=1, max_value=100, required=False, initial=100
    )


class MergeForm(InputForm):
    """Which of the two records each field of the merged customer is taken from."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in MERGEABLE_FIELDS:
            self.fields[f"pick_{name}"] = forms.ChoiceField(
                choices=[("survivor", "survivor"), ("merged", "merged")], required=False
            )

    def choices(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"pick_{name}"] or "survivor" for name in MERGEABLE_FIELDS}


class ArchiveRuleForm(InputForm):
    """A store's required archive items and review interval, as sent (the service checks the rule)."""

    # The ticked items as sent: the service names unknown ones.
    required_fields = forms.Field(widget=forms.CheckboxSelectMultiple, required=False)
    review_days = forms.IntegerField(required=False)

    def clean_required_fields(self) -> list[str]:
        return [str(item) for item in self.cleaned_data.get("required_fields") or []]
