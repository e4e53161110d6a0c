"""The delivery pages' forms: the final inspection, the wash, the handover, the advisor's check before
delivery and the delivery sheet. Each parses what the browser sent into the service's input; the services
decide (their refusals land on these fields through ``service_field``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import StyledForm
from aftersales.quality.forms.common import _buttons, _Indexed, _note, _signature, _text, _tick
from aftersales.quality.models import Delivery, RoadTest
from aftersales.quality.services import (
    CheckIn,
    DeliveryIn,
    FreeCheckIn,
    HandoverIn,
    InspectionIn,
    LineCheckIn,
    ReadyIn,
    WashIn,
)
from aftersales.quality.services.delivery import SPOT_MAX, TEXT_MAX
from aftersales.quality.services.inspection import ADVICE_MAX, NOTE_MAX, REASON_MAX, Check
from aftersales.visits.models import Line, Rating, RepairOrder

LINE_NOTE_MAX = 200
KEYS_MAX = 60
EXPLANATION_MAX = 1000
NAME_MAX = 60
ID_NUMBER_MAX = 30
CERTIFICATE_MAX = 40


# --- the final inspection ------------------------------------------------------------------------------


class InspectionForm(_Indexed, StyledForm):
    """The final inspection: ✓ / ✗ and a note per check (``ok_0``, ``note_0``, ...), the road test, the fault
    verified, the advice, the outcome; a fail's reason and the lines sent back; a pass's certificate
    signature (and the platform's number where the province issues them). ``inspector`` is shown, not sent:
    the service's refusal of an inspector who worked on the order lands on it."""

    inspector = forms.CharField(label=_("Inspector"), required=False, disabled=True)
    road_test = _buttons(_("Road test"), RoadTest.choices, message=_("Choose how the car was road-tested."))
    fault_verified = forms.BooleanField(
        label=_("The fault the customer reported is verified gone"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "btn-check"}),
    )
    repair_advice = _text(_("Repair advice"), ADVICE_MAX)
    driving_advice = _text(_("Driving advice"), ADVICE_MAX)
    outcome = _buttons(
        _("Outcome"),
        [("pass", _("Pass")), ("fail", _("Fail: send the work back"))],
        message=_("Choose pass or fail."),
    )
    reason = _note(_("Why it failed"), REASON_MAX)
    rework_lines = forms.TypedMultipleChoiceField(
        label=_("Work to send back"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check"}),
    )
    signature = _signature()
    certificate_number = _note(_("Release certificate number from the provincial platform"), CERTIFICATE_MAX)

    rows = {"checks": {"ok": "ok_{}", "note": "note_{}"}}

    def __init__(
        self, *args: Any, checks: list[Check], lines: list[Line], certificate: bool, platform: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.checks = checks
        for index, check in enumerate(checks):
            self.fields[f"ok_{index}"] = _tick(check.text)
            self.fields[f"note_{index}"] = _note(_("Note"), NOTE_MAX)
            self.fields[f"note_{index}"].widget.attrs.update({"class": "form-control", "placeholder": _("Note")})
        field = self.fields["rework_lines"]
        field.choices = [(line.pk, f"{line.position}. {line.description}") for line in lines]  # type: ignore[attr-defined]
        if not certificate:
            del self.fields["signature"], self.fields["certificate_number"]
        elif not platform:
            del self.fields["certificate_number"]

    def table(self) -> list[tuple[Check, Any, Any]]:
        return [(check, self[f"ok_{index}"], self[f"note_{index}"]) for index, check in enumerate(self.checks)]

    def data_in(self) -> InspectionIn:
        data = self.cleaned_data
        passed = data["outcome"] == "pass"
        return InspectionIn(
            checks=[CheckIn(ok=data[f"ok_{i}"], note=data[f"note_{i}"]) for i in range(len(self.checks))],
            road_test=data["road_test"],
            passed=passed,
            fault_verified=data["fault_verified"],
            repair_advice=data["repair_advice"],
            driving_advice=data["driving_advice"],
            reason="" if passed else data["reason"],
            rework_lines=[] if passed else list(data["rework_lines"]),
            signature=data.get("signature", "") if passed else "",
            certificate_number=data.get("certificate_number", "") if passed else "",
        )


# --- the wash, the handover, the check before delivery ----------------------------------------------------


class WashForm(_Indexed, StyledForm):
    """The wash: who washed, each point of the washing standard (``check_0``, ...), the finished-area spot,
    nose out; or not washed (``skip``), where the store does not wash the orders' types."""

    washer = forms.TypedChoiceField(label=_("Washed by"), coerce=int, required=False, empty_value=None)
    spot = _note(_("Finished-area spot"), SPOT_MAX)
    nose_out = forms.BooleanField(label=_("Parked nose out"), required=False)
    skip = forms.BooleanField(label=_("Not washed: the store does not wash this order type"), required=False)

    rows = {"checks": {"": "check_{}"}}

    def __init__(self, *args: Any, points: list[str], washers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.points = points
        self.fields["washer"].choices = [("", "—"), *((str(pk), name) for pk, name in washers)]  # type: ignore[attr-defined]
        for index, point in enumerate(points):
            self.fields[f"check_{index}"] = forms.BooleanField(
                label=point, required=False, widget=forms.CheckboxInput(attrs={"class": "btn-check"})
            )
        self.fields["washer"].widget.attrs["class"] = "form-select form-select-lg"
        self.fields["spot"].widget.attrs.update(
            {"class": "form-control form-control-lg", "autocapitalize": "characters"}
        )
        self.fields["nose_out"].widget.attrs["class"] = "btn-check"

    def table(self) -> list[Any]:
        return [self[f"check_{index}"] for index in range(len(self.points))]

    def data_in(self) -> WashIn:
        data = self.cleaned_data
        return WashIn(
            spot=data["spot"],
            nose_out=data["nose_out"],
            skip=data["skip"],
            washer_id=data["washer"],
            checks=[data[f"check_{index}"] for index in range(len(self.points))],
        )


class HandoverForm(StyledForm):
    keys = _note(_("Keys handed over"), KEYS_MAX)
    explanation = _text(_("Work done and recommendations, as explained"), EXPLANATION_MAX, rows=5)

    def data_in(self) -> HandoverIn:
        return HandoverIn(keys=self.cleaned_data["keys"], explanation=self.cleaned_data["explanation"])


class ReadyForm(_Indexed, StyledForm):
    """The advisor's check before delivery: ✓ / ✗ and a note per line of the orders (``ok_<line id>``,
    ``note_<line id>``), the car checked, the pick-up area spot."""

    car_checked = forms.BooleanField(
        label=_("The car is checked: the work areas, the body and the interior"), required=False
    )
    pickup_spot = _note(_("Pick-up area spot"), SPOT_MAX)

    rows = {"lines": {"ok": "ok_{}", "note": "note_{}"}}

    def __init__(self, *args: Any, lines: list[Line], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"ok_{line.pk}"] = _tick(f"{line.position}. {line.description}")
            self.fields[f"note_{line.pk}"] = _note(_("Note"), LINE_NOTE_MAX)
            self.fields[f"note_{line.pk}"].widget.attrs.update({"class": "form-control", "placeholder": _("Note")})
        self.fields["car_checked"].widget.attrs["class"] = "btn-check"

    def row_key(self, name: str, index: int) -> Any:
        return self.lines[index].pk if index < len(self.lines) else index

    def table(self) -> list[tuple[Line, Any, Any]]:
        return [(line, self[f"ok_{line.pk}"], self[f"note_{line.pk}"]) for line in self.lines]

    def data_in(self) -> ReadyIn:
        data = self.cleaned_data
        return ReadyIn(
            lines=[LineCheckIn(line.pk, data[f"ok_{line.pk}"], data[f"note_{line.pk}"]) for line in self.lines],
            car_checked=data["car_checked"],
            pickup_spot=data["pickup_spot"],
        )


# --- the delivery --------------------------------------------------------------------------------------


class DeliveryForm(_Indexed, StyledForm):
    """The delivery sheet: each order's old parts (``old_parts_<order id>``), the free check (``free_0``,
    ``free_note_0``, ...), advice and the next service, the mileage out, who collects (an agent's ID checked)
    and their signature, the satisfaction card, the keys. ``arrived_at`` is shown, not sent (the customer's
    arrival is its own button); a refusal about it lands there."""

    arrived_at = forms.CharField(label=_("Customer arrived"), required=False, disabled=True)
    driving_advice = _text(_("Driving advice"), TEXT_MAX, rows=3)
    next_service_on = forms.DateField(
        label=_("Next service date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    next_service_km = forms.IntegerField(label=_("Next service at (km)"), required=False, min_value=0)
    mileage_out = forms.IntegerField(
        label=_("Mileage out (km)"),
        min_value=0,
        error_messages={"required": _("Enter the mileage on the clock as the car leaves.")},
    )
    collector = _buttons(_("Collected by"), Delivery.Collector.choices)
    collector_name = _note(_("Name of who collects"), NAME_MAX)
    collector_id_number = _note(_("Agent's resident ID number"), ID_NUMBER_MAX)
    id_checked = forms.BooleanField(label=_("The agent's ID card is checked against the name"), required=False)
    signature = _signature()
    rating = forms.TypedChoiceField(
        label=_("Satisfaction"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )
    comment = _text(_("Customer's comment"), TEXT_MAX)
    keys_handed = forms.BooleanField(label=_("Keys handed to the customer"), required=False)

    rows = {"free_checks": {"result": "free_{}", "note": "free_note_{}"}}

    def __init__(self, *args: Any, orders: list[RepairOrder], checks: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.orders, self.checks = orders, checks
        for order in orders:
            self.fields[f"old_parts_{order.pk}"] = forms.ChoiceField(
                label=_("Old parts of %(order)s") % {"order": order.number},
                choices=RepairOrder.OldParts.choices,
                initial=order.old_parts,
                required=False,  # not sent: as the customer chose when signing
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        for index, check in enumerate(checks):
            self.fields[f"free_{index}"] = _buttons(check, Rating.choices, message=_("Choose green, amber or red."))
            self.fields[f"free_note_{index}"] = _note(_("Note"), LINE_NOTE_MAX)
            self.fields[f"free_note_{index}"].widget.attrs.update(
                {"class": "form-control form-control-sm", "placeholder": _("Note")}
            )
        self.fields["keys_handed"].widget.attrs["class"] = "btn-check"
        self.fields["id_checked"].widget.attrs["class"] = "form-check-input"

    def free_table(self) -> list[tuple[str, Any, Any]]:
        return [(check, self[f"free_{i}"], self[f"free_note_{i}"]) for i, check in enumerate(self.checks)]

    def old_parts_fields(self) -> list[tuple[RepairOrder, Any]]:
        return [(order, self[f"old_parts_{order.pk}"]) for order in self.orders]

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        if key == "old_parts" and self.orders:
            return f"old_parts_{self.orders[0].pk}", messages
        return super().service_field(key, messages)

    def data_in(self) -> DeliveryIn:
        data = self.cleaned_data
        return DeliveryIn(
            collector=data["collector"],
            collector_name=data["collector_name"],
            signature=data["signature"],
            mileage_out=data["mileage_out"],
            keys_handed=data["keys_handed"],
            next_service_on=data["next_service_on"],
            next_service_km=data["next_service_km"],
            free_checks=[
                FreeCheckIn(result=data[f"free_{i}"], note=data[f"free_note_{i}"]) for i in range(len(self.checks))
            ],
            collector_id_number=data["collector_id_number"],
            id_checked=data["id_checked"],
            driving_advice=data["driving_advice"],
            rating=data["rating"],
            comment=data["comment"],
            old_parts={
                order.pk: data[f"old_parts_{order.pk}"] for order in self.orders if data[f"old_parts_{order.pk}"]
            },
        )
