"""Forms of the catalogue pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.catalogue.models import LabourOperation, RepairCategory
from aftersales.catalogue.paytypes import PayType
from aftersales.core.forms import StyledForm
from aftersales.core.models import Bay, Certificate, StaffProfile


class OperationFilterForm(StyledForm):
    q = forms.CharField(label=_("Code or name"), max_length=60, required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *LabourOperation.Category.choices]
    )
    brand = forms.ChoiceField(label=_("Brand"), required=False)

    def __init__(self, *args: Any, brands: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["brand"]).choices = [("", _("All brands")), *brands]


class OperationForm(StyledForm):
    code = forms.CharField(label=_("Code"), max_length=20)
    brand = forms.ChoiceField(label=_("Brand"), required=False)
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=LabourOperation.Category.choices)
    default_hours = forms.DecimalField(
        label=_("Standard hours"), min_value=Decimal("0.01"), max_value=999, decimal_places=2
    )
    skill_level = forms.ChoiceField(label=_("Skill level"), choices=StaffProfile.SkillLevel.choices)
    certificate = forms.ChoiceField(
        label=_("Certificate required"), required=False, choices=[("", "—"), *Certificate.Kind.choices]
    )
    bay_kind = forms.ChoiceField(label=_("Bay type required"), required=False, choices=[("", "—"), *Bay.Kind.choices])
    repair_category = forms.ChoiceField(label=_("Repair category"), choices=RepairCategory.choices)
    tax_code = forms.CharField(label=_("Tax classification code"), max_length=19, required=False)
    times = forms.CharField(
        label=_("Hours per model series"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: series = hours, e.g. 帕萨特 = 1.2"),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, brands: list[tuple[str, str]], editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["brand"]).choices = [("", _("Every brand")), *brands]
        if editing:
            del self.fields["code"], self.fields["brand"]

    def clean_times(self) -> dict[str, Decimal]:
        parsed: dict[str, Decimal] = {}
        for number, line in enumerate((self.cleaned_data.get("times") or "").splitlines(), 1):
            if not line.strip():
                continue
            series, sign, hours = line.replace("＝", "=").partition("=")
            try:
                if not sign or not series.strip():
                    raise InvalidOperation
                parsed[series.strip()] = Decimal(hours.strip())
            except InvalidOperation:
                raise forms.ValidationError(
                    _("Line %(n)s: write series = hours, e.g. 帕萨特 = 1.2.") % {"n": number}
                ) from None
        return parsed

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"code", "brand", "times"}}


class LabourRateForm(StyledForm):
    pay_type = forms.ChoiceField(label=_("Pay type"), choices=PayType.choices)
    scope = forms.ChoiceField(label=_("For"))
    rate = forms.DecimalField(label=_("Rate per hour (tax incl.)"), min_value=0, max_digits=10, decimal_places=2)
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, scopes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scope"]).choices = scopes


class DeviationFilterForm(StyledForm):
    on = forms.DateField(
        label=_("On"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
