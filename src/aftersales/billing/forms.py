"""The billing pages' forms: an amount as a person types it (``AmountField``, every amount of these pages), the
counter's search, a payment and a deposit, a refund asked for and decided, credit, confirming and reversing a
settlement list, the lists' filter, the cash desk's day, its opening float and its hand-over, and the funds
flow's period. Each parses what the browser sent into the service's input; the services decide (their refusals
land on these fields through ``service_field``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.billing.models import Method, Payment, SettlementList
from aftersales.billing.payments import PaymentIn
from aftersales.billing.services import ConfirmIn
from aftersales.core.forms import StyledForm
from aftersales.core.money import AmountError, amount_parse

ZERO = Decimal("0.00")
AMOUNT_MAX_LENGTH = 20  # what a person types for an amount, full-width digits and a ¥ included
AMOUNT_MOST = Decimal("9999999999.99")  # what the amount columns hold (12 digits, 2 decimals)
SEARCH_MAX = 40
REFERENCE_MAX = 64  # Payment.reference, Refund.reference
AUTH_CODE_MAX = 24  # a payment code: 16 to 24 digits
NOTE_MAX = 300  # Payment.note, Refund.reason and .note, Settlement.credit_note, CashDay.note, reversal_reason
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
COUNTER, LIST = "counter", "list"  # the page a settlement list's form was sent from


class AmountField(forms.Field):
    """An amount of money in yuan as a person types it, read by ``core.money.amount_parse``: full-width digits
    and point as ASCII ("１２.５" is 12.50), a ¥ and spaces ignored; "12,3" refused as ambiguous, with the reason
    on the field. Empty: None (``required`` says whether that is allowed)."""

    widget = forms.TextInput
    default_error_messages = {"most": _("At most %(most)s.")}

    def __init__(self, *, max_length: int = AMOUNT_MAX_LENGTH, most: Decimal = AMOUNT_MOST, **kwargs: Any) -> None:
        self.max_length, self.most = max_length, most
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"maxlength": str(self.max_length), "inputmode": "decimal", "autocomplete": "off"})
        return attrs

    def to_python(self, value: Any) -> Decimal | None:
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        if len(text) > self.max_length:
            raise ValidationError(
                _("At most %(limit)d characters."), code="max_length", params={"limit": self.max_length}
            )
        try:
            amount = amount_parse(text)
        except AmountError as error:
            raise ValidationError(str(error), code="amount") from None
        if amount > self.most:
            raise ValidationError(self.error_messages["most"], code="most", params={"most": self.most})
        return amount


def _text(label: Any, limit: int, *, required: bool = False, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=limit, required=required, widget=forms.TextInput(attrs={"autocomplete": "off", **attrs})
    )


def _day(label: Any, *, required: bool = False, hidden: bool = False) -> forms.DateField:
    widget = forms.HiddenInput if hidden else forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, required=required, widget=widget)


class _Days:
    """Dates of these pages stay within the years the product keeps."""

    cleaned_data: dict[str, Any]

    def _within(self, name: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise ValidationError(_("Choose a date from 2000 to 2099."), code="out_of_range")
        return value


# --- the counter ------------------------------------------------------------------------------------------


class SearchForm(StyledForm):
    """What the scanner or the cashier types: a plate, a repair order's or a settlement list's number."""

    q = forms.CharField(
        label=_("Plate, repair order or settlement list number"),
        max_length=SEARCH_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "enterkeyhint": "search"}),
    )


class PaymentForm(StyledForm):
    """A payment at the counter for one of the open settlements of a confirmed list (``settlements``: id and
    label), or without them a customer's deposit on the order. Only the fields of the chosen method are
    read."""

    settlement = forms.TypedChoiceField(label=_("Settlement"), coerce=int)
    method = forms.ChoiceField(
        label=_("Payment method"),
        choices=Method.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Choose how the customer pays.")},
    )
    amount = AmountField(label=_("Amount (yuan)"))
    tendered = AmountField(label=_("Tendered (yuan)"), required=False)
    reference = _text(_("Reference"), REFERENCE_MAX)
    auth_code = _text(_("Payment code"), AUTH_CODE_MAX, inputmode="numeric")
    note = _text(_("Note"), NOTE_MAX)

    def __init__(self, *args: Any, settlements: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if settlements is None:
            del self.fields["settlement"]
        else:
            self.fields["settlement"].choices = settlements  # type: ignore[attr-defined]

    def data_in(self) -> PaymentIn:
        data = self.cleaned_data
        method = data["method"]
        return PaymentIn(
            method=method,
            amount=data["amount"],
            tendered=data["tendered"] if method == Method.CASH else None,
            reference=data["reference"] if method in (Method.CARD, Method.TRANSFER) else "",
            auth_code=data["auth_code"] if method == Method.CODE else "",
            note=data["note"],
        )


class RefundRequestForm(StyledForm):
    """Money back from a paid payment: how much, why, and how (its own method, or cash)."""

    amount = AmountField(label=_("Refund amount (yuan)"))
    method = forms.ChoiceField(label=_("Refund method"))
    reason = _text(_("Reason for the refund"), NOTE_MAX, required=True)

    def __init__(self, *args: Any, payment: Payment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        methods = dict.fromkeys([payment.method, Method.CASH.value])
        self.fields["method"].choices = [(code, Method(code).label) for code in methods]  # type: ignore[attr-defined]


class CreditForm(StyledForm):
    """Credit for the customer's share: the car leaves before it is paid."""

    note = _text(_("Reason for the credit"), NOTE_MAX, required=True)


class CancelTransferForm(StyledForm):
    reason = _text(_("Why the transfer is cancelled"), NOTE_MAX, required=True)


class RefundDecideForm(StyledForm):
    """Finance's decision on a refund asked for: approved (with the reference of the money sent back, for a card
    or a transfer) or refused."""

    APPROVE, REFUSE = "approve", "refuse"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, pgettext_lazy("refund", "Approve")), (REFUSE, pgettext_lazy("refund", "Refuse"))],
        widget=forms.HiddenInput,
    )
    reference = _text(_("Reference of the money sent back"), REFERENCE_MAX)
    note = _text(_("Note"), NOTE_MAX)


# --- settlement lists ---------------------------------------------------------------------------------------


class ConfirmForm(StyledForm):
    """Confirming a prepared list: the invoice type, a discount on any of the customer's lines (``line_<id>``),
    the order discount and the rounding off; ``back`` says which page the form was on."""

    invoice_type = forms.ChoiceField(label=_("Invoice type"), choices=SettlementList.InvoiceType.choices)
    discount = AmountField(label=_("Order discount (yuan)"), required=False)
    rounding = AmountField(label=_("Rounding off (yuan)"), required=False)
    back = forms.ChoiceField(choices=[(COUNTER, COUNTER), (LIST, LIST)], required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, lines: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_ids = [line_id for line_id, _label in lines]
        for line_id, label in lines:
            self.fields[f"line_{line_id}"] = AmountField(label=label, required=False)
            self.fields[f"line_{line_id}"].widget.attrs["class"] = "form-control form-control-sm text-end"

    def line_fields(self) -> list[forms.BoundField]:
        return [self[f"line_{line_id}"] for line_id in self.line_ids]

    def data_in(self) -> ConfirmIn:
        data = self.cleaned_data
        given = {line_id: data[f"line_{line_id}"] for line_id in self.line_ids if data.get(f"line_{line_id}")}
        return ConfirmIn(
            discount=data["discount"] or ZERO,
            rounding=data["rounding"] or ZERO,
            line_discounts=given,
            invoice_type=data["invoice_type"],
        )

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        """``line_discounts.12`` is the discount field of line 12."""
        name, _dot, line_id = key.partition(".")
        if name == "line_discounts" and f"line_{line_id}" in self.fields:
            return f"line_{line_id}", messages
        return super().service_field(key, messages)


class ReverseForm(StyledForm):
    reason = _text(_("Reason for the reversal"), NOTE_MAX, required=True)


class ListFilterForm(_Days, StyledForm):
    ALL = "all"

    state = forms.ChoiceField(
        label=pgettext_lazy("settlement list", "State"),
        choices=[(ALL, _("All")), *SettlementList.State.choices],
        required=False,
    )
    start = _day(_("From"))
    end = _day(_("To"))
    q = forms.CharField(label=_("Search"), max_length=SEARCH_MAX, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if name == "state" else "form-control form-control-sm"
            )
        self.fields["q"].widget.attrs["placeholder"] = _("Number, repair order or plate")

    def clean_start(self) -> date | None:
        return self._within("start")

    def clean_end(self) -> date | None:
        return self._within("end")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end date must not be before the start date."))
        return data


# --- the cash desk ------------------------------------------------------------------------------------------


class DayForm(_Days, StyledForm):
    day = _day(_("Date"))

    def clean_day(self) -> date | None:
        return self._within("day")


class CashOpenForm(_Days, StyledForm):
    """The float in the drawer at the start of a cashier's day."""

    day = _day(_("Date"), required=True, hidden=True)
    opening_float = AmountField(label=_("Opening float (yuan)"))

    def clean_day(self) -> date | None:
        return self._within("day")


class HandOverForm(_Days, StyledForm):
    """The end of a cashier's day: the cash counted in the drawer, handed to someone of the store's finance."""

    day = _day(_("Date"), required=True, hidden=True)
    counted = AmountField(label=_("Cash counted (yuan)"))
    handed_to = forms.TypedChoiceField(label=_("Handed to"), coerce=int)
    note = _text(_("Note"), NOTE_MAX)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handed_to"].choices = [("", "—"), *people]  # type: ignore[attr-defined]

    def clean_day(self) -> date | None:
        return self._within("day")


class FlowForm(_Days, StyledForm):
    start = _day(_("From"))
    end = _day(_("To"))
    method = forms.ChoiceField(label=_("Method"), choices=[("", _("Every method")), *Method.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if name == "method" else "form-control form-control-sm"
            )

    def clean_start(self) -> date | None:
        return self._within("start")

    def clean_end(self) -> date | None:
        return self._within("end")
