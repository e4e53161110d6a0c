"""The visits pages' forms: what a person types, checked for shape; every business rule is the services'
(their refusals land on these fields through ``form_run``)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.catalogue.paytypes import PayType
from aftersales.core.forms import StyledForm
from aftersales.messaging.services.signatures import SIGNATURE_MAX_BYTES
from aftersales.visits.models import Line, LineApproval, RepairOrder, Visit

# A pad's PNG as a data URL: at most SIGNATURE_MAX_BYTES of image, base64 (4/3) and its prefix.
SIGNATURE_FIELD_MAX = SIGNATURE_MAX_BYTES * 4 // 3 + 100
FUEL = [(n, f"{n}/8") for n in range(9)]


def moment_field(label: Any, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class FindForm(StyledForm):
    q = forms.CharField(label=_("Plate, VIN, mobile or name"), max_length=40, required=False)


class VisitForm(StyledForm):
    """Reception: the archive's customer and vehicle (chosen on the desk), the mileage and the rest."""

    service_aliases = {"customer": "vehicle"}

    appointment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer = forms.IntegerField(widget=forms.HiddenInput)
    vehicle = forms.IntegerField(widget=forms.HiddenInput)
    mileage_in = forms.IntegerField(
        label=_("Mileage in (km)"), min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    mileage_reason = forms.CharField(label=_("Reason for a lower reading"), max_length=200, required=False)
    fuel_level = forms.TypedChoiceField(label=_("Fuel or charge"), choices=FUEL, coerce=int, initial=4)
    contact_name = forms.CharField(label=_("Contact"), max_length=60, required=False)
    contact_mobile = forms.CharField(
        label=_("Mobile"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    contact_verified = forms.BooleanField(label=_("Contact details checked with the customer"), required=False)
    address_as = forms.CharField(label=_("Address the customer as"), max_length=30, required=False)
    parking_spot = forms.CharField(label=_("Parking spot"), max_length=20, required=False)
    key_tag = forms.CharField(label=_("Key tag"), max_length=20, required=False)
    waiting = forms.ChoiceField(label=_("While waiting"), choices=Visit.Waiting.choices, initial=Visit.Waiting.LOUNGE)
    lounge_notes = forms.CharField(label=_("Lounge preferences"), max_length=200, required=False)
    needs = forms.CharField(
        label=_("Needs as told"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    promised_at = moment_field(_("Promised for"))


class VisitEditForm(StyledForm):
    parking_spot = forms.CharField(label=_("Parking spot"), max_length=20, required=False)
    key_tag = forms.CharField(label=_("Key tag"), max_length=20, required=False)
    address_as = forms.CharField(label=_("Address the customer as"), max_length=30, required=False)
    contact_mobile = forms.CharField(
        label=_("Mobile"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    waiting = forms.ChoiceField(label=_("While waiting"), choices=Visit.Waiting.choices)
    lounge_notes = forms.CharField(label=_("Lounge preferences"), max_length=200, required=False)
    promised_at = moment_field(_("Promised for"))
    contact_verified = forms.BooleanField(label=_("Contact details checked with the customer"), required=False)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class OrderForm(StyledForm):
    """The order's terms and its lines as numbered rows (``line-<n>-<field>``, each a ``LineForm``'s field,
    plus ``line-<n>-include``: the row goes on the order)."""

    statement = forms.CharField(
        label=_("Customer statement"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    promised_at = moment_field(_("Promised for"))
    road_test_consent = forms.BooleanField(label=_("Road test agreed"), required=False)
    old_parts = forms.ChoiceField(label=_("Old parts"), choices=RepairOrder.OldParts.choices)
    valuables = forms.CharField(label=_("Valuables left in the car"), max_length=300, required=False)
    signed_name = forms.CharField(label=_("Signed by"), max_length=60)
    signature = forms.CharField(max_length=SIGNATURE_FIELD_MAX, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, rows: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index in rows:
            self.fields[f"line-{index}-include"] = forms.BooleanField(required=False)
            for name, field in LineForm.base_fields.items():
                self.fields[f"line-{index}-{name}"] = copy.deepcopy(field)


class LineForm(StyledForm):
    """One line: labour (an operation), a part (by number), or one typed by hand."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Line.Kind.choices)
    pay_type = forms.ChoiceField(label=_("Pay type"), choices=PayType.choices, initial=PayType.CUSTOMER)
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[c for c in Line.Source.choices if c[0] != Line.Source.DIAGNOSIS_FEE],
        initial=Line.Source.REQUESTED,
    )
    operation = forms.IntegerField(label=_("Labour operation"), required=False)
    part_number = forms.CharField(label=_("Part number"), max_length=40, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity or hours"), required=False, max_digits=10, decimal_places=3, min_value=Decimal("0.001")
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    unit_price = forms.DecimalField(
        label=_("Unit price"), required=False, max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    fault_code = forms.CharField(label=_("Fault code"), max_length=12, required=False)
    symptom = forms.CharField(label=_("Symptom"), max_length=200, required=False)
    fee_kind = forms.ChoiceField(label=_("Kind of fee"), choices=[("", "—"), *Line.FeeKind.choices], required=False)
    campaign = forms.IntegerField(required=False, widget=forms.HiddenInput)
    declined_line = forms.IntegerField(required=False, widget=forms.HiddenInput)
    recommendation = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PriceForm(StyledForm):
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=12, decimal_places=2, min_value=Decimal(0))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ApprovalForm(StyledForm):
    """One approval act: its kind and fields; the lines decided come as ``decide-<line>`` = approve/decline."""

    kind = forms.ChoiceField(
        label=_("Approved through"),
        choices=[c for c in LineApproval.Kind.choices if c[0] not in ("campaign", "policy", "customer_link")],
    )
    person = forms.CharField(label=_("Who decided"), max_length=60, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    signature = forms.CharField(max_length=SIGNATURE_FIELD_MAX, required=False, widget=forms.HiddenInput)
    insurer = forms.CharField(label=_("Insurer"), max_length=100, required=False)
    claim_number = forms.CharField(label=_("Claim number"), max_length=40, required=False)
    deductible = forms.DecimalField(
        label=_("Deductible"), required=False, max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    provider = forms.CharField(label=_("Warranty provider"), max_length=100, required=False)
    contract_number = forms.CharField(label=_("Contract number"), max_length=40, required=False)
    authorisation_number = forms.CharField(label=_("Authorisation number"), max_length=40, required=False)
    not_required = forms.BooleanField(label=_("No pre-authorisation required"), required=False)


class ActionForm(StyledForm):
    action = forms.CharField(max_length=30, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
