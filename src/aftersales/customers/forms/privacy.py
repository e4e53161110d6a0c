"""Forms of the personal-information pages: ID copies, anonymisation, consent withdrawal."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy

from aftersales.core.forms import InputForm
from aftersales.customers import selectors
from aftersales.customers.models import (
    CustomerDocument,
    VehicleLink,
)


class DocumentUploadForm(InputForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CustomerDocument.Kind.choices)
    vehicle_id = forms.TypedChoiceField(label=gettext_lazy("Vehicle"), coerce=int, required=False, empty_value=None)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("JPEG, PNG or PDF, at most 10 MB."),
        max_length=200,
    )

    def __init__(self, *args: Any, links: list[VehicleLink], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        vehicle_field = cast(forms.TypedChoiceField, self.fields["vehicle_id"])
        vehicle_field.choices = [("", "—")] + [
            (link.vehicle_id, link.vehicle.plate or link.vehicle.vin) for link in links if link.valid_to is None
        ]


class AnonymiseForm(InputForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=selectors.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For example: the customer asked for deletion on 2026-03-01 (request no. …)."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the personal data is removed for good and cannot be restored."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


class PrivacyActionForm(InputForm):
    """Which of the page's two forms was sent."""

    action = forms.ChoiceField(choices=[("anonymise", "anonymise"), ("withdraw", "withdraw")])


class ConsentWithdrawForm(InputForm):
    which = forms.ChoiceField(
        choices=[
            ("marketing", gettext_lazy("Marketing")),
            ("data", gettext_lazy("Data processing")),
            ("sharing", gettext_lazy("Sharing within the group")),
        ]
    )
