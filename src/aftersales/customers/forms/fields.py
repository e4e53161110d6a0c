"""The archive forms' own fields and base form: mobiles a line each, tags, a customer by number,
Bootstrap styling, inline identifier checks."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.forms import StyledForm
from aftersales.customers import selectors
from aftersales.customers.models import Customer

MAX_MOBILES = 5


MAX_TAGS = 20


_TAG_SEPARATORS = re.compile(r"[,，、;；]")


class MobilesWidget(forms.Widget):
    """One text input per mobile (all named alike, the first the primary), and a button that adds one."""

    template_name = "customers/widgets/mobiles.html"

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        getlist = getattr(data, "getlist", None)
        values = getlist(name) if getlist is not None else data.get(name)
        if isinstance(values, str):
            values = [values]
        return [value for value in values or [] if value.strip()]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        values = list(value) if isinstance(value, (list, tuple)) else str(value or "").splitlines()
        context["widget"]["values"] = [*values, ""] if values else [""]
        return context


class LinesField(forms.Field):
    """A textarea read as a list of non-empty lines (one mobile number per line)."""

    widget = forms.Textarea

    def __init__(self, *, max_lines: int, max_line_length: int, **kwargs: Any) -> None:
        self.max_lines = max_lines
        self.max_line_length = max_line_length
        # The whole text: every line at its longest, each with the CRLF a browser sends.
        self.max_length = max_lines * (max_line_length + 2)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "maxlength": str(self.max_length)}

    def clean(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > self.max_length:
            raise forms.ValidationError(
                _("Enter at most %(n)s characters.") % {"n": self.max_length}, code="max_length"
            )
        return super().clean(value)

    def to_python(self, value: Any) -> list[str]:
        if value in self.empty_values:
            return []
        lines = value if isinstance(value, list) else str(value).splitlines()
        return [line.strip() for line in lines if line.strip()]

    def validate(self, value: Any) -> None:
        super().validate(value)
        if len(value) > self.max_lines:
            raise forms.ValidationError(_("Enter at most %(n)s numbers.") % {"n": self.max_lines}, code="max_lines")
        if any(len(line) > self.max_line_length for line in value):
            raise forms.ValidationError(_("One of the lines is too long."), code="max_length")

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Browsers send textarea line breaks as CRLF: compare the parsed lines, not the raw text.
        return self.to_python(initial) != self.to_python(data)


MAX_TAG_LENGTH = 30


TAGS_TEXT_LENGTH = 500


class TagsField(forms.CharField):
    """Tags typed as one line, separated by commas (ASCII or Chinese) or 、."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=TAGS_TEXT_LENGTH, **kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""
        return list(dict.fromkeys(tag.strip() for tag in _TAG_SEPARATORS.split(text) if tag.strip()))

    def validate(self, value: Any) -> None:
        if len(value) > MAX_TAGS:
            raise forms.ValidationError(_("Enter at most %(n)s tags.") % {"n": MAX_TAGS}, code="max_tags")
        if any(len(tag) > MAX_TAG_LENGTH for tag in value):
            raise forms.ValidationError(
                _("A tag may have at most %(n)s characters.") % {"n": MAX_TAG_LENGTH}, code="max_length"
            )

    def run_validators(self, value: Any) -> None:
        # The length validators of CharField apply to the typed text, checked in clean() below.
        return

    def clean(self, value: Any) -> Any:
        if value and len(str(value)) > TAGS_TEXT_LENGTH:
            raise forms.ValidationError(
                _("Enter at most %(n)s characters.") % {"n": TAGS_TEXT_LENGTH}, code="max_length"
            )
        return super().clean(value)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or "") != self.to_python(data or "")


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ArchiveForm(StyledForm):
    """Bootstrap classes on every widget; identifier inputs checked on change; service errors shown."""

    # Inputs checked one by one while the form is filled in (customers:validate).
    checked_fields: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if name in self.checked_fields:
                widget.attrs.update(
                    {
                        "hx-post": reverse("customers:validate", kwargs={"field": name}),
                        "hx-trigger": "change",
                        "hx-target": f"#check-{name}",
                        "hx-swap": "outerHTML",
                    }
                )

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        """A mobile's error names the number it is about: they share one textarea, a line each."""
        if not key.startswith("mobiles."):
            return super().service_field(key, messages)
        lines = list(self.cleaned_data.get("mobiles") or [])
        position = key.split(".", 1)[1]
        index = int(position) if position.isdigit() else -1
        number = lines[index] if 0 <= index < len(lines) else key
        return "mobiles", [
            _("%(number)s: %(message)s") % {"number": number, "message": message} for message in messages
        ]


class CustomerNumberField(forms.CharField):
    """A customer found with the archive search (name, mobile, plate or number: the page lists the
    matches to pick from) or typed by number; cleans to the active customer, found under a merged
    (alias) number too."""

    picks_customer = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=30, **kwargs)
        self.widget.attrs.update(
            {
                "placeholder": gettext_lazy("Name, mobile, plate or customer number"),
                "autocomplete": "off",
                "hx-get": reverse_lazy("customers:pick"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "next .customer-picks",
                "hx-swap": "innerHTML",
            }
        )

    def clean(self, value: Any) -> Customer:
        number = str(super().clean(value)).strip().upper()
        found = selectors.customer_by_number(number)
        if found is None:
            raise forms.ValidationError(
                _("Pick the customer from the matches shown, or enter a customer number."), code="unknown"
            )
        return found
