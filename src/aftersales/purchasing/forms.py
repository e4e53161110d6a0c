"""Forms of the purchasing pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import StyledForm
from aftersales.core.imports import Layout
from aftersales.parts.services import qty_text
from aftersales.purchasing.documents import price_text
from aftersales.purchasing.imports import CONFIRMATION, DELIVERY_NOTE
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


class FileRowsForm(StyledForm):
    """A form with a file whose refusal names rows and columns (``rows.N.column``): shown on the file
    field, one line per problem, as “Row N, column: message”."""

    layout: Layout

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "rows":
            column = self.layout.by_key.get(parts[2])
            label = column.label() if column else parts[2]
            return "file", [
                gettext("Row %(row)s, %(column)s: %(message)s") % {"row": parts[1], "column": label, "message": message}
                for message in messages
            ]
        return super().service_field(key, messages)


class DeliveryImportForm(FileRowsForm):
    layout = DELIVERY_NOTE

    supplier = forms.ChoiceField(label=_("Supplier"))
    number = forms.CharField(label=_("Delivery note number"), max_length=40)
    file = forms.FileField(label=_("Delivery note file (.xlsx or .csv)"))

    def __init__(self, *args: Any, suppliers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["supplier"]).choices = [("", "—"), *suppliers]


class DeliveryScanStartForm(StyledForm):
    supplier = forms.ChoiceField(label=_("Supplier"))
    number = forms.CharField(label=_("Delivery note number"), max_length=40, required=False)

    def __init__(self, *args: Any, suppliers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["supplier"]).choices = [("", "—"), *suppliers]


class ScanForm(StyledForm):
    # Focused when the page comes back, ready for the next scan (the scanner types, then Enter).
    code = forms.CharField(
        label=_("Part number (scan)"), max_length=80, widget=forms.TextInput(attrs={"autofocus": True})
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), initial=1, required=False, max_digits=14, decimal_places=3, min_value=Decimal("0.001")
    )
    case_no = forms.CharField(label=_("Case number"), max_length=40, required=False)


class InspectionForm(StyledForm):
    """Per note line: counted, rejected, the reason, the bin (typed or scanned as ``warehouse/bin``, picked
    from one list of the store's bins however many lines the note has)."""

    def __init__(self, *args: Any, lines: list[Any], bins: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.note_lines = lines
        self.bins = bins  # "MAIN/A-01" → id
        for line in lines:
            key = line.pk
            self.fields[f"checked_{key}"] = forms.DecimalField(
                label=_("Quantity counted"), required=False, max_digits=14, decimal_places=3, min_value=0,
                initial=line.checked,
            )  # fmt: skip
            self.fields[f"rejected_{key}"] = forms.DecimalField(
                label=_("Quantity rejected"), required=False, max_digits=14, decimal_places=3, min_value=0,
                initial=line.rejected or None,
            )  # fmt: skip
            self.fields[f"reason_{key}"] = forms.CharField(
                label=_("Reason"), max_length=200, required=False, initial=line.reject_reason
            )
            self.fields[f"bin_{key}"] = forms.CharField(
                label=_("Bin"), required=False, max_length=50, initial=str(line.bin) if line.bin_id else "",
                widget=forms.TextInput(attrs={"list": "store-bins", "autocomplete": "off"}),
            )  # fmt: skip
            # What the page showed as counted: a count changed meanwhile (a scan) is not overwritten.
            self.fields[f"seen_{key}"] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial="" if line.checked is None else qty_text(line.checked)
            )
            for name in (f"checked_{key}", f"rejected_{key}", f"reason_{key}", f"bin_{key}"):
                self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for line in self.note_lines:
            typed = (data.get(f"bin_{line.pk}") or "").strip().upper().removeprefix("BIN:")
            if typed.count("/") == 2:  # a scanned label: BIN:store/warehouse/bin
                typed = typed.split("/", 1)[1]
            found = self.bins.get(typed)
            if typed and found is None:
                self.add_error(f"bin_{line.pk}", gettext("No bin %(bin)s in this store.") % {"bin": typed})
            data[f"bin_{line.pk}"] = found
        return data

    def table(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (line, [self[f"{name}_{line.pk}"] for name in ("checked", "rejected", "reason", "bin")])
            for line in self.note_lines
        ]

    def seen(self, line: Any) -> Decimal | None:
        text = self.cleaned_data.get(f"seen_{line.pk}", "")
        try:
            return Decimal(text) if text else None
        except InvalidOperation:
            return Decimal(-1)  # never a count: refused as changed


class ConfirmationForm(FileRowsForm):
    layout = CONFIRMATION

    file = forms.FileField(label=_("Confirmation file (.xlsx or .csv)"))


class AmendForm(StyledForm):
    """A sent order's lines as they should now stand (0 leaves a line out), up to five new ones, the reason."""

    reason = forms.CharField(label=_("Reason for the amendment"), max_length=200)

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_lines = lines
        for line in lines:
            self.fields[f"quantity_{line.pk}"] = forms.DecimalField(
                label=_("Quantity"), required=False, max_digits=14, decimal_places=3, min_value=0,
                initial=qty_text(line.quantity - line.cancelled),
            )  # fmt: skip
            self.fields[f"unit_price_{line.pk}"] = forms.DecimalField(
                label=_("Unit price (yuan)"), max_digits=14, decimal_places=4, min_value=0,
                initial=price_text(line.unit_price),
            )  # fmt: skip
        for row in range(5):
            self.fields[f"new_part_{row}"] = forms.CharField(label=_("Part number"), max_length=60, required=False)
            self.fields[f"new_quantity_{row}"] = forms.DecimalField(
                label=_("Quantity"), required=False, max_digits=14, decimal_places=3, min_value=0
            )
            self.fields[f"new_unit_price_{row}"] = forms.DecimalField(
                label=_("Unit price (yuan)"), required=False, max_digits=14, decimal_places=4, min_value=0
            )
        for name, field in self.fields.items():
            if name != "reason":
                field.widget.attrs["class"] = "form-control form-control-sm"

    def table(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(line, [self[f"quantity_{line.pk}"], self[f"unit_price_{line.pk}"]]) for line in self.order_lines]

    def new_table(self) -> list[list[forms.BoundField]]:
        return [[self[f"new_{name}_{row}"] for name in ("part", "quantity", "unit_price")] for row in range(5)]
