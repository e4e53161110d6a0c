"""Forms of the campaign pages: the filter, the campaign, a VIN range, a model period, the VIN list file
and the close note. The services check every rule; the forms only parse."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.campaigns.models import Campaign
from aftersales.catalogue.models import LabourOperation
from aftersales.core.forms import StyledForm
from aftersales.customers.models import VehicleModel
from aftersales.parts.models import Part, part_number_normalise


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("Number or title"), max_length=60, required=False)
    state = forms.ChoiceField(
        label=gettext_lazy("State"), required=False, choices=[("", gettext_lazy("All states")), *Campaign.State.choices]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All kinds")), *Campaign.Kind.choices]
    )


class CampaignForm(StyledForm):
    code = forms.CharField(label=gettext_lazy("Campaign number"), max_length=40)
    brand = forms.ChoiceField(label=gettext_lazy("Brand"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Campaign.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    operation = forms.ChoiceField(label=gettext_lazy("Labour operation"))
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), widget=_date())
    valid_until = forms.DateField(label=gettext_lazy("Valid until"), required=False, widget=_date())
    parts = forms.CharField(
        label=gettext_lazy("Parts"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: part number = quantity, e.g. 1K0-919-051 = 1"),
    )

    service_aliases = {"operation_id": "operation"}

    def __init__(self, *args: Any, group_id: int, brands: list[tuple[str, str]], editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_id = group_id
        cast(forms.ChoiceField, self.fields["brand"]).choices = [("", gettext_lazy("Every brand")), *brands]
        operations = LabourOperation.objects.filter(group_id=group_id, is_active=True).order_by("code")
        cast(forms.ChoiceField, self.fields["operation"]).choices = [
            ("", "—"),
            *((str(row.pk), f"{row.code} {row.name}") for row in operations),
        ]
        if editing:
            del self.fields["code"], self.fields["brand"]

    def clean_parts(self) -> list[tuple[int, Decimal]]:
        """``number = quantity`` lines as (part id, quantity); an unknown number is named."""
        lines: list[tuple[int, Decimal]] = []
        problems: list[str] = []
        for text in str(self.cleaned_data.get("parts") or "").splitlines():
            if not text.strip():
                continue
            number, _sep, quantity = text.partition("=")
            part = Part.objects.filter(group_id=self.group_id, number=part_number_normalise(number)).first()
            try:
                amount = Decimal(quantity.strip() or "1")
            except InvalidOperation:
                problems.append(_("“%(line)s”: write part number = quantity.") % {"line": text.strip()[:60]})
                continue
            if part is None:
                problems.append(_("No part %(number)s in the part master.") % {"number": number.strip()[:60]})
                continue
            lines.append((part.pk, amount))
        if problems:
            raise forms.ValidationError(problems)
        return lines

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        if key.startswith("parts."):
            return "parts", messages
        return super().service_field(key, messages)


class RangeForm(StyledForm):
    first_vin = forms.CharField(label=gettext_lazy("First VIN"), max_length=30)
    last_vin = forms.CharField(label=gettext_lazy("Last VIN"), max_length=30)


class ModelPeriodForm(StyledForm):
    model = forms.ChoiceField(label=gettext_lazy("Model"))
    produced_from = forms.DateField(label=gettext_lazy("Produced from"), required=False, widget=_date())
    produced_until = forms.DateField(label=gettext_lazy("Produced until"), required=False, widget=_date())

    def __init__(self, *args: Any, brand_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        models = VehicleModel.objects.select_related("brand").order_by("brand__code", "series", "name")
        if brand_id is not None:
            models = models.filter(brand_id=brand_id)
        cast(forms.ChoiceField, self.fields["model"]).choices = [("", "—"), *((str(m.pk), str(m)) for m in models)]


class VinFileForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("VIN list (.xlsx or .csv)"))


class CloseForm(StyledForm):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)
