"""Forms of the parts and stock pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import InputForm, StyledForm
from aftersales.parts.models import Part, PartPrice, StockImportJob, StockMove, Stocktake, Supersession

RECEIPT_ROWS = 8


class PartSearchForm(StyledForm):
    q = forms.CharField(label=_("Part number, name or pinyin"), max_length=60, required=False)
    brand = forms.ChoiceField(label=_("Brand"), required=False)

    def __init__(self, *args: Any, brands: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["brand"]).choices = [("", _("All brands")), *brands]


class PartForm(StyledForm):
    brand = forms.ChoiceField(label=_("Brand"))
    number_display = forms.CharField(label=_("Part number"), max_length=60)
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    category = forms.CharField(label=_("Category"), max_length=40, required=False)
    unit = forms.ChoiceField(label=_("Unit"), choices=Part.Unit.choices)
    decimals = forms.IntegerField(label=_("Allowed decimals"), min_value=0, max_value=3, initial=0)
    part_class = forms.ChoiceField(label=_("Part class"), choices=Part.PartClass.choices)
    standard_cost = forms.DecimalField(
        label=_("Standard cost"), min_value=0, max_digits=14, decimal_places=4, initial=0
    )
    tax_code = forms.CharField(label=_("Tax classification code"), max_length=19, required=False)
    tax_rate = forms.TypedChoiceField(
        label=_("VAT rate"),
        coerce=Decimal,
        choices=[("0.13", "13%"), ("0.09", "9%"), ("0.06", "6%"), ("0.03", "3%"), ("0.01", "1%"), ("0.00", "0%")],
        initial="0.13",
    )
    life_months = forms.IntegerField(label=_("Service life (months)"), min_value=1, max_value=600, required=False)
    life_km = forms.IntegerField(label=_("Service life (km)"), min_value=1, max_value=2_000_000, required=False)
    fitment = forms.CharField(
        label=_("Fits model series"), max_length=1000, required=False, help_text=_("Separate series with commas.")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, brands: list[tuple[str, str]], editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["brand"]).choices = brands
        if editing:
            del self.fields["brand"]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("brand", None)
        data.pop("fitment", None)
        return data

    def fitment_list(self) -> list[str]:
        text = self.cleaned_data.get("fitment") or ""
        return [series.strip() for series in text.replace("，", ",").split(",") if series.strip()]


class SupersessionForm(StyledForm):
    new_number = forms.CharField(label=_("Replaced by part number"), max_length=60)
    interchangeability = forms.ChoiceField(label=_("Interchangeability"), choices=[])
    effective_on = forms.DateField(
        label=_("Effective on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["interchangeability"]).choices = Supersession.Interchangeability.choices


class PriceForm(StyledForm):
    kind = forms.ChoiceField(label=_("Price kind"), choices=PartPrice.Kind.choices)
    scope = forms.ChoiceField(label=_("For"), choices=[])
    price = forms.DecimalField(label=_("Price (tax incl.)"), min_value=0, max_digits=12, decimal_places=2)
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, scopes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scope"]).choices = scopes


class PriceFileForm(StyledForm):
    brand = forms.ChoiceField(label=_("Brand"))
    kind = forms.ChoiceField(label=_("Price kind"), choices=PartPrice.Kind.choices)
    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    file = forms.FileField(label=_("Price file (.xlsx)"))
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False, initial=True)

    def __init__(self, *args: Any, brands: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["brand"]).choices = brands


class MovesFilterForm(StyledForm):
    part = forms.CharField(label=_("Part number"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *StockMove.Kind.choices])
    warehouse = forms.ChoiceField(label=_("Warehouse"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    document_no = forms.CharField(label=_("Document number"), max_length=40, required=False)

    def __init__(self, *args: Any, warehouses: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["warehouse"]).choices = [("", _("All warehouses")), *warehouses]


class AsOfForm(StyledForm):
    date = forms.DateField(
        label=_("Stock at the end of"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class WarehouseForm(StyledForm):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=100)


class CycleForm(StyledForm):
    cycle_days = forms.IntegerField(
        label=_("Cycle count every (days)"),
        min_value=0,
        max_value=366,
        help_text=_("Every bin that holds stock counted once in this many days; 0: no cycle counts."),
    )


class BinsForm(StyledForm):
    codes = forms.CharField(
        label=_("Bin codes"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas, e.g. A-01-1."),
    )

    def code_list(self) -> list[str]:
        text = self.cleaned_data["codes"].replace("，", ",").replace("\n", ",")
        return [code.strip() for code in text.split(",") if code.strip()]


class ReceiptForm(StyledForm):
    """A receipt of up to eight lines; empty lines are skipped."""

    document_no = forms.CharField(label=_("Delivery note number"), max_length=40, required=False)
    moved_on = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Default today."),
    )

    def __init__(self, *args: Any, bins: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(RECEIPT_ROWS):
            self.fields[f"part_{row}"] = forms.CharField(label=_("Part number"), max_length=60, required=False)
            self.fields[f"bin_{row}"] = forms.ChoiceField(label=_("Bin"), required=False, choices=[("", "—"), *bins])
            self.fields[f"quantity_{row}"] = forms.DecimalField(
                label=_("Quantity"), required=False, max_digits=14, decimal_places=3
            )
            self.fields[f"unit_cost_{row}"] = forms.DecimalField(
                label=_("Unit cost (net)"), required=False, max_digits=14, decimal_places=4
            )
        self.styled()

    def styled(self) -> None:
        for name, field in self.fields.items():
            if name.startswith(("part_", "bin_", "quantity_", "unit_cost_")):
                field.widget.attrs["class"] = field.widget.attrs.get("class", "") + " form-control-sm"

    def rows(self) -> list[list[Any]]:
        return [
            [self[f"part_{row}"], self[f"bin_{row}"], self[f"quantity_{row}"], self[f"unit_cost_{row}"]]
            for row in range(RECEIPT_ROWS)
        ]

    def lines(self) -> list[tuple[int, dict[str, Any]]]:
        """The filled rows: (row index, values); a row with some fields empty is an error on them."""
        found = []
        for row in range(RECEIPT_ROWS):
            values = {name: self.cleaned_data.get(f"{name}_{row}") for name in ("part", "bin", "quantity", "unit_cost")}
            if not any(value not in (None, "") for value in values.values()):
                continue
            for name, value in values.items():
                if value in (None, ""):
                    self.add_error(f"{name}_{row}", _("This field is required."))
            found.append((row, values))
        if not found and not self.errors:
            self.add_error("part_0", _("Add at least one line."))
        return found

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        # "lines.3.quantity" from the service is the third filled row's quantity field.
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
            index = int(parts[1])
            rows = getattr(self, "_filled_rows", [])
            if index < len(rows):
                return f"{parts[2]}_{rows[index]}", messages
        return super().service_field(key, messages)


class IssueForm(StyledForm):
    """Issuing at the parts desk: the part is scanned or typed, the receiver confirms."""

    demand_id = forms.IntegerField(label=_("Repair order id"), min_value=1, max_value=2**62)
    demand_line_id = forms.IntegerField(label=_("Line id"), min_value=1, max_value=2**62, required=False)
    part_number = forms.CharField(
        label=_("Part number (scan)"), max_length=60, widget=forms.TextInput(attrs={"autofocus": True})
    )
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3, initial=1)
    received_by = forms.ChoiceField(label=_("Received by (technician)"))
    confirmed = forms.BooleanField(label=_("The receiver has checked the part and takes it"))

    def __init__(self, *args: Any, receivers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["received_by"]).choices = [("", "—"), *receivers]


class CloseMonthForm(StyledForm):
    month = forms.CharField(label=_("Month (YYYY-MM)"), max_length=7)

    def clean_month(self) -> date:
        text = self.cleaned_data["month"]
        try:
            year, month = (int(part) for part in text.split("-"))
            if not 1900 <= year <= 2199:
                raise ValueError(text)
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from None


class StocktakeForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Stocktake.Kind.choices)
    warehouse = forms.ChoiceField(label=_("Warehouse"), required=False)
    bin_from = forms.CharField(label=_("From bin"), max_length=20, required=False)
    bin_to = forms.CharField(label=_("To bin"), max_length=20, required=False)
    abc_class = forms.ChoiceField(
        label=_("ABC class"), required=False, choices=[("", _("All")), ("A", "A"), ("B", "B"), ("C", "C")]
    )
    category = forms.CharField(label=_("Category"), max_length=40, required=False)
    blind = forms.BooleanField(
        label=_("Blind count (counters do not see the book quantity)"), required=False, initial=True
    )

    def __init__(self, *args: Any, warehouses: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["warehouse"]).choices = [("", _("All warehouses")), *warehouses]


class CountForm(StyledForm):
    """One count at the shelf: scan the bin's label and the part, type the quantity."""

    bin = forms.ChoiceField(label=_("Bin"))
    part = forms.CharField(
        label=_("Part number (scan)"),
        max_length=60,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "autocapitalize": "characters"}),
    )
    quantity = forms.DecimalField(
        label=_("Counted"),
        max_digits=14,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
    )
    reason = forms.CharField(label=_("Reason (a part not on the sheet)"), max_length=200, required=False)

    def __init__(self, *args: Any, bins: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["bin"]).choices = [("", "—"), *bins]


class ResolveForm(StyledForm):
    line = forms.IntegerField(label=_("Line"), min_value=1, widget=forms.HiddenInput)
    quantity = forms.DecimalField(label=_("The right count"), min_value=0, max_digits=14, decimal_places=3)


class LinesFilterForm(StyledForm):
    """The stocktake page's query: which lines, which page, and the bin being counted."""

    show = forms.ChoiceField(required=False, choices=[("all", "all"), ("open", "open"), ("variance", "variance")])
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)
    part = forms.ChoiceField(required=False, choices=[("status", "status")])
    bin = forms.IntegerField(required=False, min_value=1, max_value=2**62)


class StockImportForm(InputForm):
    """The go-live import: which file, how rows with errors are handled, a dry run, the go-live date."""

    kind = forms.ChoiceField(label=_("The file holds"), choices=StockImportJob.Kind.choices)
    file = forms.FileField(
        label=_("Workbook"), help_text=_("The filled template (.xlsx), at most 20 MB."), max_length=200
    )
    mode = forms.ChoiceField(
        label=_("Rows with errors"),
        choices=StockImportJob.Mode.choices,
        initial=StockImportJob.Mode.VALID_ROWS,
        widget=forms.RadioSelect,
    )
    go_live = forms.DateField(
        label=_("Go-live date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Opening stock is received on this date, and prices without a date of their own start on it; empty: today."
        ),
    )
    dry_run = forms.BooleanField(label=_("Dry run: check the file, import nothing"), required=False)
