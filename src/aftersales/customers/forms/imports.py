"""Forms of the Excel import and export pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from aftersales.core.forms import InputForm
from aftersales.customers.models import Customer, ImportJob


class ImportForm(InputForm):
    file = forms.FileField(
        label=gettext_lazy("Workbook"),
        help_text=gettext_lazy("The filled template (.xlsx), at most 20 MB."),
        max_length=200,
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Rows with errors"),
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.VALID_ROWS,
        widget=forms.RadioSelect,
    )
    on_match = forms.ChoiceField(
        label=gettext_lazy("Customers already in the archive"),
        choices=ImportJob.OnMatch.choices,
        initial=ImportJob.OnMatch.SKIP,
        widget=forms.RadioSelect,
        required=False,  # not chosen: skipped (reported)
        help_text=gettext_lazy("Found by resident ID, credit code, or the same name and mobile."),
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Dry run: check the file, import nothing"), required=False)


class ExportFilterForm(InputForm):
    q = forms.CharField(label=gettext_lazy("Search"), max_length=50, required=False)
    customer_class = forms.ChoiceField(
        label=gettext_lazy("Customer class"), choices=[("", ""), *Customer.CustomerClass.choices], required=False
    )
    home_store = forms.IntegerField(label=gettext_lazy("Registering store"), min_value=1, required=False)
