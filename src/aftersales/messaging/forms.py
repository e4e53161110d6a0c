"""Forms of the messaging pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import StyledForm
from aftersales.messaging.models import Channel, Message, MessageClass


class TemplateForm(StyledForm):
    """A message template; the service checks every placeholder against the declared variables."""

    event = forms.CharField(label=_("Event"), max_length=40, help_text=_("For example booking_confirmation."))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    message_class = forms.ChoiceField(label=_("Class"), choices=MessageClass.choices)
    urgent = forms.BooleanField(label=_("Urgent: sent during quiet hours too"), required=False)
    variables = forms.CharField(
        label=_("Variables"),
        max_length=400,
        required=False,
        help_text=_("Separate names with commas, e.g. name, time; write them in the texts as {name}."),
    )
    subject_zh = forms.CharField(label=_("Subject (Chinese)"), max_length=200, required=False)
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=200, required=False)
    body_zh = forms.CharField(label=_("Text (Chinese)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    body_en = forms.CharField(
        label=_("Text (English)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    sms_sign_name = forms.CharField(label=_("SMS signature"), max_length=40, required=False)
    sms_template_code = forms.CharField(
        label=_("SMS template code"), max_length=40, required=False, help_text=_("As the provider approved it.")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["variables"] = [name.strip() for name in data["variables"].replace("，", ",").split(",") if name.strip()]
        return data


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("All")), *Message.Status.choices], required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("resend", "resend"), ("mark_sent", "mark_sent"), ("cancel", "cancel")])


class TaskCloseForm(forms.Form):
    action = forms.ChoiceField(choices=[("done", _("Done")), ("cancel", _("Cancel"))])
    outcome = forms.CharField(label=_("Outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
