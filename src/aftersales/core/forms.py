from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import AuditEntry


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), max_length=256, strip=False, widget=forms.PasswordInput)


class AuditFilterForm(forms.Form):
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


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    expires_in_days = forms.IntegerField(label=_("Expires after (days)"), min_value=1, max_value=3650, required=False)
