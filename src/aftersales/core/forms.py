"""The base of every page form, and the forms of the platform's pages."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import BoundField
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aftersales.core import inputs
from aftersales.core.errors import NON_FIELD, ApplicationError, ConflictError
from aftersales.core.history import LABEL_SEPARATOR
from aftersales.core.models import AuditEntry, Brand, CalendarDay, LegalEntity, Store


def _raw_problem(field: forms.Field, data: Any) -> str | None:
    """Why what the browser sent for one field breaks the input rules (``core.inputs``), before the field parses it."""
    multiline = isinstance(field.widget, forms.Textarea)
    values = data if isinstance(data, list | tuple) else [data]
    # Uploaded files are not text: Django's multipart parser already drops non-printable characters
    # from their names (MultiPartParser.sanitize_file_name).
    for value in values:
        if isinstance(value, str) and (problem := inputs.text_problem(value, multiline=multiline)):
            return problem
    return None


class InputFormMixin:
    """What every page form (and the admin's) does with what a person sent: it passes the product's
    input rules (``core.inputs``) before any field parses it, so a control character, a direction
    override or a line break in a one-line field gets an error on its field and reaches neither a
    query nor the database; and a whole-number field without bounds of its own is bounded to what
    the database stores."""

    fields: dict[str, forms.Field]
    errors: Any
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField) and not isinstance(field, forms.DecimalField | forms.FloatField):
                if field.max_value is None:
                    field.max_value = inputs.BIGINT_MAX
                    field.validators.append(MaxValueValidator(inputs.BIGINT_MAX))
                if field.min_value is None:
                    field.min_value = inputs.BIGINT_MIN
                    field.validators.append(MinValueValidator(inputs.BIGINT_MIN))

    # Service field names that a form calls differently ("model_id" → "model").
    service_aliases: dict[str, str] = {}

    def add_service_errors(self, error: ApplicationError) -> None:
        """Show a service's refusal next to the fields it names, the rest above the form: the one way a
        page puts an ApplicationError on its form."""
        if not error.fields:
            self.add_error(None, error.detail)  # type: ignore[attr-defined]
            return
        for key, messages in error.fields.items():
            name, shown = self.service_field(key, messages)
            target = name if name != NON_FIELD and name in self.fields else None
            self.add_error(target, shown)  # type: ignore[attr-defined]

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        """The form field a service's error key belongs to, and its messages as the form shows them; an
        item of a list field (``mobiles.1``) belongs to the field."""
        name = self.service_aliases.get(key, key)
        return (name if name in self.fields else name.split(".", 1)[0]), messages

    def error_summary(self) -> str:
        """The errors as one line, for a form that has no page of its own to show them on."""
        parts = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else None
            text = " ".join(str(error) for error in errors)
            parts.append(f"{label}{LABEL_SEPARATOR}{text}" if label else text)
        return " ".join(parts)

    def _clean_fields(self) -> None:
        # Django's own loop (forms.Form._clean_fields), with the raw value checked first: a refused
        # value never reaches the field's parsing, which may look it up in the database.
        for name, bound_field in self._bound_items():  # type: ignore[attr-defined]
            field = bound_field.field
            problem = None if field.disabled else _raw_problem(field, bound_field.data)
            if problem is not None:
                self.add_error(name, ValidationError(problem, code="refused_character"))  # type: ignore[attr-defined]
                continue
            try:
                self.cleaned_data[name] = field._clean_bound_field(bound_field)
                if hasattr(self, f"clean_{name}"):
                    self.cleaned_data[name] = getattr(self, f"clean_{name}")()
            except ValidationError as error:
                self.add_error(name, error)  # type: ignore[attr-defined]


class InputForm(InputFormMixin, forms.Form):
    """Base of every page form (see ``InputFormMixin``)."""


class StyledBoundField(BoundField):
    """Marks an input with errors ``is-invalid`` so Bootstrap shows it red."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            base = (widget or self.field.widget).attrs.get("class", "")
            attrs["class"] = f"{attrs.get('class', base)} is-invalid".strip()
        return attrs


class StyledForm(InputForm):
    """A page's form in Bootstrap's look: every widget its class, an input with errors marked red."""

    bound_field_class = StyledBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")


class InputModelForm(InputFormMixin, forms.ModelForm):
    """Base of the admin's record forms (see ``InputFormMixin``)."""


NEXT_MAX_LENGTH = 2000


def next_path(value: Any) -> str:
    """A page of this site to go to after an action, or "" for anything else: another site (open
    redirects), text the input rules refuse, an address too long. Never raises: it comes from a link."""
    path = str(value or "").strip()
    if len(path) > NEXT_MAX_LENGTH or inputs.text_problem(path) is not None:
        return ""
    return path if path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=None) else ""


class NextField(forms.CharField):
    """The hidden ``next`` of a form, filled from ``next_path``; a value that is not one is refused."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Page to return to"))
        super().__init__(max_length=NEXT_MAX_LENGTH, required=False, widget=forms.HiddenInput, **kwargs)

    def clean(self, value: Any) -> str:
        return next_path(super().clean(value))


class LoginForm(InputForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), max_length=256, strip=False, widget=forms.PasswordInput)
    next = NextField()


class StoreSwitchForm(InputForm):
    store = forms.IntegerField(min_value=1)
    next = NextField()


class StoreFilterForm(InputForm):
    q = forms.CharField(label=_("Search"), max_length=50, required=False)


class AuditFilterForm(InputForm):
    actor = forms.CharField(label=_("User name"), max_length=150, required=False)
    object_type = forms.CharField(label=_("Object type"), max_length=60, required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    action = forms.ChoiceField(label=_("Action"), choices=[("", "—"), *AuditEntry.Action.choices], required=False)
    store: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Store"), queryset=None, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, stores: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if name in {"action", "store"} else "form-control form-control-sm"
            field.widget.attrs["class"] = css

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data


NEVER = "never"


class TokenForm(InputForm):
    """A token of the tokens page: it expires after a number of days, or never for those allowed to."""

    name = forms.CharField(label=_("Name"), max_length=60)
    expires = forms.ChoiceField(label=_("Expires"))

    def __init__(self, *args: Any, never_allowed: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = sorted({settings.TOKEN_DAYS, 30, 90, 180, 365})
        choices: list[tuple[str, str]] = [
            (str(n), ngettext("after %(days)d day", "after %(days)d days", n) % {"days": n}) for n in days
        ]
        if never_allowed:
            choices.append((NEVER, str(_("never"))))
        field: forms.ChoiceField = self.fields["expires"]  # type: ignore[assignment]
        field.choices = choices
        field.initial = str(settings.TOKEN_DAYS)

    def expiry(self) -> dict[str, Any]:
        """The expiry as ``token_create`` takes it."""
        chosen = self.cleaned_data["expires"]
        return {"never_expires": True} if chosen == NEVER else {"expires_in_days": int(chosen)}


class PasswordChangeForm(InputForm):
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    next = NextField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, again = data.get("new_password"), data.get("new_password_again")
        if new and again and new != again:
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


def form_run(form: Any, run: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a service call for a valid form: (True, its result), or (False, None) with the service's
    field errors put onto the form. A record that does not exist (any more) is the page's 404."""
    try:
        return True, run()
    except ConflictError:
        raise
    except ApplicationError as error:
        if error.status == 404:
            raise
        form.add_service_errors(error)
        return False, None


class LegalEntityForm(StyledForm):
    """A company of the group; the service checks the credit code, the account and the stores."""

    name = forms.CharField(label=_("Company name"), max_length=100)
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=30)
    taxpayer_type = forms.ChoiceField(label=_("Taxpayer type"), choices=LegalEntity.TaxpayerType.choices)
    address = forms.CharField(label=_("Registered address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)
    repair_filing_no = forms.CharField(label=_("Repair business filing number"), max_length=50, required=False)
    health_record_code = forms.CharField(label=_("Health-record enterprise code"), max_length=50, required=False)
    store_ids = forms.TypedMultipleChoiceField(
        label=_("Its stores"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = typing.cast(forms.TypedMultipleChoiceField, self.fields["store_ids"])
        field.choices = [
            (store.pk, f"{store}" + (f" ({store.legal_entity})" if store.legal_entity_id else "")) for store in stores
        ]

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class CalendarYearForm(StyledForm):
    """A year's table as rows of date, kind and holiday (``day_0``, ``kind_0``, ``name_0``, ...): the
    year's days and a few empty rows to add more. ``rows`` says how many rows were sent."""

    ROWS_MAX = 130
    EMPTY_ROWS = 6

    rows = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=ROWS_MAX)

    def __init__(self, *args: Any, count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = count
        for row in range(count):
            self.fields[f"day_{row}"] = forms.DateField(
                label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            )
            self.fields[f"kind_{row}"] = forms.ChoiceField(
                label=_("Kind"), choices=[("", "—"), *CalendarDay.Kind.choices], required=False
            )
            self.fields[f"name_{row}"] = forms.CharField(label=_("Holiday"), max_length=50, required=False)
        for name, field in self.fields.items():
            if name != "rows":
                small = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control-sm"
                field.widget.attrs["class"] = small if "form-select" in small else "form-control form-control-sm"

    @staticmethod
    def sent_count(data: Any) -> int:
        """The number of rows a POST says it has, within bounds (a wrong one is the ``rows`` field's error)."""
        text = str(data.get("rows", ""))
        return int(text) if text.isdigit() and int(text) <= CalendarYearForm.ROWS_MAX else 0

    def table(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"day_{row}"], self[f"kind_{row}"], self[f"name_{row}"]) for row in range(self.count)]

    def filled_rows(self) -> list[int]:
        """The rows with a date, a kind or a name, in order."""
        return [
            row
            for row in range(self.count)
            if any(self.cleaned_data.get(f"{name}_{row}") for name in ("day", "kind", "name"))
        ]

    def days(self) -> list[dict[str, Any]]:
        return [
            {name: self.cleaned_data.get(f"{name}_{row}") for name in ("day", "kind", "name")}
            for row in self.filled_rows()
        ]

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        """``days.3.day`` (the fourth filled row) is that row's date input."""
        parts = key.split(".")
        filled = self.filled_rows()
        if len(parts) == 3 and parts[0] == "days" and parts[1].isdigit() and int(parts[1]) < len(filled):
            return f"{parts[2]}_{filled[int(parts[1])]}", messages
        return super().service_field(key, messages)


def brand_choices() -> list[tuple[str, str]]:
    """Every brand as a form's choices (id, name), by code."""
    return [(str(brand.pk), brand.name) for brand in Brand.objects.order_by("code")]
