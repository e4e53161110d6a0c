"""Forms of the purchasing pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import StyledForm
from aftersales.purchasing.models import MAX_LEAD_DAYS, PurchaseOrder, Supplier

ORDER_ROWS = 10
WEEKDAYS = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
    (5, _("Saturday")), (6, _("Sunday")),
]  # fmt: skip


class SupplierForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Supplier.Kind.choices)
    brand = forms.ChoiceField(label=_("Brand"), required=False)
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=100)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, required=False)
    contact_name = forms.CharField(label=_("Contact"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    payment_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365, initial=30)
    lead_days_stock = forms.IntegerField(label=_("Lead time, stock (days)"), min_value=0, max_value=MAX_LEAD_DAYS)
    lead_days_urgent = forms.IntegerField(label=_("Lead time, urgent (days)"), min_value=0, max_value=MAX_LEAD_DAYS)
    lead_days_vor = forms.IntegerField(label=_("Lead time, VOR (days)"), min_value=0, max_value=MAX_LEAD_DAYS)
    order_days = forms.TypedMultipleChoiceField(
        label=_("Order days"), choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)
    over_delivery_percent = forms.IntegerField(
        label=_("Over-delivery accepted (%)"), min_value=0, max_value=100, initial=0, required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, brands: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["brand"]).choices = [("", "—"), *brands]


class OrderForm(StyledForm):
    """A new order of up to ten lines; empty lines are skipped."""

    supplier = forms.ChoiceField(label=_("Supplier"))
    order_type = forms.ChoiceField(label=_("Order type"), choices=PurchaseOrder.OrderType.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, suppliers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["supplier"]).choices = [("", "—"), *suppliers]
        for row in range(ORDER_ROWS):
            self.fields[f"part_{row}"] = forms.CharField(label=_("Part number"), max_length=60, required=False)
            self.fields[f"quantity_{row}"] = forms.DecimalField(
                label=_("Quantity"), required=False, max_digits=14, decimal_places=3, min_value=0
            )
            self.fields[f"unit_price_{row}"] = forms.DecimalField(
                label=_("Unit price (yuan)"), required=False, max_digits=14, decimal_places=4, min_value=0
            )
            for name in (f"part_{row}", f"quantity_{row}", f"unit_price_{row}"):
                self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def rows(self) -> list[tuple[int, str, Any, Any]]:
        """The filled rows: (row, part number, quantity, unit price)."""
        data = self.cleaned_data
        return [
            (row, data[f"part_{row}"].strip(), data[f"quantity_{row}"], data[f"unit_price_{row}"])
            for row in range(ORDER_ROWS)
            if data.get(f"part_{row}", "").strip()
        ]

    def table(self) -> list[list[forms.BoundField]]:
        return [[self[f"part_{row}"], self[f"quantity_{row}"], self[f"unit_price_{row}"]] for row in range(ORDER_ROWS)]


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class NoteForm(StyledForm):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class LimitForm(StyledForm):
    user = forms.ChoiceField(label=_("Person"))
    limit = forms.DecimalField(label=_("Approval limit (yuan)"), min_value=0, max_digits=14, decimal_places=2)

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["user"]).choices = [("", "—"), *people]


class OrderFilterForm(StyledForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *PurchaseOrder.Status.choices]
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)


class ReceiveForm(StyledForm):
    """A delivery against an order: per open line, the bin, what was delivered and what was rejected."""

    delivery_note = forms.CharField(label=_("Delivery note"), max_length=40, required=False)

    def __init__(self, *args: Any, lines: list[Any], bins: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_lines = lines
        for line in lines:
            row = line.position
            self.fields[f"bin_{row}"] = forms.ChoiceField(label=_("Bin"), required=False, choices=[("", "—"), *bins])
            self.fields[f"delivered_{row}"] = forms.DecimalField(
                label=_("Quantity delivered"), required=False, max_digits=14, decimal_places=3, min_value=0
            )
            self.fields[f"rejected_{row}"] = forms.DecimalField(
                label=_("Quantity rejected"), required=False, max_digits=14, decimal_places=3, min_value=0
            )
            self.fields[f"reason_{row}"] = forms.CharField(label=_("Reason"), max_length=200, required=False)
            for name in (f"bin_{row}", f"delivered_{row}", f"rejected_{row}", f"reason_{row}"):
                css = "form-select" if name.startswith("bin_") else "form-control"
                self.fields[name].widget.attrs["class"] = f"{css} form-control-sm"

    def table(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (line, [self[f"{name}_{line.position}"] for name in ("bin", "delivered", "rejected", "reason")])
            for line in self.order_lines
        ]
