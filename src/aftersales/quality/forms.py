"""The quality pages' forms: the final inspection, the wash, the handover, the advisor's check before
delivery, the delivery sheet, the comeback decisions and links, the rates' period and the store's rules.
Each parses what the browser sent into the service's input; the services decide (their refusals land on
these fields through ``service_field``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.catalogue.models import GUARANTEE, RepairCategory
from aftersales.core.errors import NON_FIELD
from aftersales.core.forms import StyledForm
from aftersales.messaging.services.signatures import SIGNATURE_MAX_BYTES
from aftersales.quality.models import AuditFinding, AuditSample, Comeback, Delivery, QualityAudit, RoadTest
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
from aftersales.quality.services.audits import (
    AUDITOR_MAX,
    EVERY_DAYS_MAX,
    SAMPLE_MAX,
    STANDARD_MAX,
    SUMMARY_MAX,
    AuditFindingIn,
    AuditIn,
)
from aftersales.quality.services.audits import TEXT_MAX as FINDING_TEXT_MAX
from aftersales.quality.services.delivery import SPOT_MAX, TEXT_MAX
from aftersales.quality.services.inspection import ADVICE_MAX, NOTE_MAX, REASON_MAX, Check
from aftersales.quality.services.settings import CHECK_MAX, LIST_MAX, SettingsIn
from aftersales.visits.models import Line, Rating, RepairOrder
from aftersales.workshop.models import ServiceType

# A pad's PNG as a data URL: at most SIGNATURE_MAX_BYTES of image, base64 (4/3) and its prefix.
SIGNATURE_FIELD_MAX = SIGNATURE_MAX_BYTES * 4 // 3 + 100
# One check a line: each at most CHECK_MAX characters and a line break (CR LF), at most LIST_MAX lines.
CHECKS_TEXT_MAX = LIST_MAX * (CHECK_MAX + 2)
LINE_NOTE_MAX = 200
COMEBACK_NOTE_MAX = 300
KEYS_MAX = 60
EXPLANATION_MAX = 1000
NAME_MAX = 60
ID_NUMBER_MAX = 30
CERTIFICATE_MAX = 40
ORDER_NUMBER_MAX = 30
PAIRS_MAX = 200
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)

YES, NO = "yes", "no"
TICKS = [(YES, "✓"), (NO, "✗")]


def _tick(label: Any) -> forms.TypedChoiceField:
    """A big ✓ / ✗ pair (two radio buttons drawn as buttons): True for ✓."""
    return forms.TypedChoiceField(
        label=label,
        choices=TICKS,
        coerce=lambda value: value == YES,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Tick ✓ or ✗.")},
    )


def _buttons(label: Any, choices: Any, *, required: bool = True, message: Any = None) -> forms.ChoiceField:
    """One of a few choices, drawn as a row of buttons."""
    field = forms.ChoiceField(
        label=label, choices=choices, required=required, widget=forms.RadioSelect(attrs={"class": "btn-check"})
    )
    if message is not None:
        field.error_messages["required"] = message
    return field


def _note(label: Any, limit: int) -> forms.CharField:
    return forms.CharField(label=label, max_length=limit, required=False)


def _text(label: Any, limit: int, rows: int = 2) -> forms.CharField:
    return forms.CharField(label=label, max_length=limit, required=False, widget=forms.Textarea(attrs={"rows": rows}))


def _signature() -> forms.CharField:
    return forms.CharField(max_length=SIGNATURE_FIELD_MAX, required=False, widget=forms.HiddenInput)


class _Indexed:
    """Maps a service's list errors (``checks.3.ok``) onto the form's per-row fields (``ok_3``)."""

    # service list name -> {item field -> form field pattern}
    rows: dict[str, dict[str, str]] = {}

    def row_field(self, key: str) -> str | None:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] in self.rows and parts[1].isascii() and parts[1].isdigit():
            pattern = self.rows[parts[0]].get(parts[2])
            return pattern.format(self.row_key(parts[0], int(parts[1]))) if pattern else None
        if len(parts) == 2 and parts[0] in self.rows and parts[1].isascii() and parts[1].isdigit():
            pattern = self.rows[parts[0]].get("")
            return pattern.format(self.row_key(parts[0], int(parts[1]))) if pattern else None
        return None

    def row_key(self, name: str, index: int) -> Any:
        return index

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        field = self.row_field(key)
        return (field, messages) if field is not None else super().service_field(key, messages)  # type: ignore[misc]


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


# --- comebacks ------------------------------------------------------------------------------------------


class QueueForm(StyledForm):
    """The comeback queue's tab."""

    state = forms.ChoiceField(label=_("Show"), choices=Comeback.State.choices, required=False)


class DecideForm(StyledForm):
    """Confirm or reject a flagged comeback (the button pressed says which); a rejection says why."""

    decision = forms.ChoiceField(choices=[("confirm", _("Confirm")), ("reject", _("Reject"))], widget=forms.HiddenInput)
    note = _note(_("Note"), COMEBACK_NOTE_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        text = _("Note (say why, to reject)")
        self.fields["note"].widget.attrs.update({"placeholder": text, "aria-label": text})


class FlagForm(StyledForm):
    """Link a new order to earlier work on the car by hand: both order numbers and the pairs of lines, each
    "line of the new order = line of the earlier order" by their numbers on the orders (``2=1, 3=1``)."""

    order = forms.CharField(label=_("Repair order"), max_length=ORDER_NUMBER_MAX)
    original_order = forms.CharField(label=_("Earlier repair order"), max_length=ORDER_NUMBER_MAX)
    pairs = forms.CharField(
        label=_("Lines that repeat earlier work"),
        max_length=PAIRS_MAX,
        help_text=_("New line = earlier line, by their numbers on the orders; e.g. 2=1, 3=1."),
    )
    note = _note(_("Note"), COMEBACK_NOTE_MAX)

    service_aliases = {"order_id": "order", "lines": "pairs"}

    def clean_pairs(self) -> list[tuple[int, int]]:
        text = self.cleaned_data["pairs"]
        pairs = []
        for chunk in text.replace("，", ",").split(","):
            if not chunk.strip():
                continue
            new, _sep, old = chunk.partition("=")
            if not all(part.strip().isascii() and part.strip().isdigit() for part in (new, old)) or len(chunk) > 20:
                raise forms.ValidationError(
                    _("Write each pair as new line = earlier line, e.g. 2=1; “%(pair)s” is not one.")
                    % {"pair": chunk.strip()}
                )
            pairs.append((int(new), int(old)))
        if not pairs:
            raise forms.ValidationError(_("Choose the work that came back and the earlier work it repeats."))
        return pairs

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        if key.startswith("lines."):
            return "pairs", messages
        return super().service_field(key, messages)


# --- the rates ------------------------------------------------------------------------------------------


class PeriodForm(StyledForm):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("since", "until"):
            value = data.get(name)
            if value is not None and not FIRST_DAY <= value <= LAST_DAY:
                self.add_error(name, _("Choose a day from 2000 to 2099."))
        since, until = data.get("since"), data.get("until")
        if since and until and since > until and "until" not in self.errors:
            self.add_error("until", _("The end date must not be before the start date."))
        return data


# --- quality evaluations -------------------------------------------------------------------------------


def _day(label: Any, message: Any) -> forms.DateField:
    field = forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    field.error_messages["required"] = message
    return field


class AuditListForm(StyledForm):
    """The evaluations' tab: open, closed, or every one."""

    state = forms.ChoiceField(label=_("Show"), choices=[("", _("All")), *QualityAudit.State.choices], required=False)


class AuditOpenForm(StyledForm):
    """Open an evaluation: its kind, who carries it out, the standard, the delivery period and the sample's
    size. The service checks the rest (its refusals land on these fields)."""

    kind = _buttons(_("Kind"), QualityAudit.Kind.choices, message=_("Choose internal or third party."))
    auditor = forms.CharField(
        label=_("Carried out by"),
        max_length=AUDITOR_MAX,
        required=False,
        help_text=_("A name, or the organisation of a third party."),
    )
    standard = forms.CharField(label=_("Standard evaluated against"), max_length=STANDARD_MAX, required=False)
    period_from = _day(_("Orders delivered from"), _("Choose the first day of the period."))
    period_to = _day(_("Orders delivered to"), _("Choose the last day of the period."))
    sample_size = forms.IntegerField(
        label=_("Orders to sample"), widget=forms.NumberInput(attrs={"min": 1, "max": SAMPLE_MAX})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sample_size"].error_messages["required"] = _("Sample from 1 to %(n)d orders.") % {"n": SAMPLE_MAX}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("period_from", "period_to"):
            value = data.get(name)
            if value is not None and not FIRST_DAY <= value <= LAST_DAY:
                self.add_error(name, _("Choose a day from 2000 to 2099."))
        return data

    def data_in(self) -> AuditIn:
        data = self.cleaned_data
        return AuditIn(
            kind=data["kind"],
            auditor=data["auditor"],
            standard=data["standard"],
            period_from=data["period_from"],
            period_to=data["period_to"],
            sample_size=data["sample_size"],
        )


class ReviewForm(StyledForm):
    """The review of one sampled order: meets the standard or a finding (what, in the note), a score."""

    result = forms.ChoiceField(
        label=_("Result"),
        choices=[(AuditSample.Result.PASS, _("Meets the standard")), (AuditSample.Result.FINDING, _("Finding"))],
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Choose whether it meets the standard or a finding is raised.")},
    )
    score = forms.TypedChoiceField(
        label=_("Score"),
        choices=[("", "—"), *((str(n), str(n)) for n in range(1, 6))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = _note(_("Note"), FINDING_TEXT_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["score"].widget.attrs["aria-label"] = str(_("Score"))
        text = _("Note (say what was found, for a finding)")
        self.fields["note"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": text, "aria-label": text}
        )


class FindingForm(StyledForm):
    """A finding of an evaluation: on one of its sampled orders or on the whole, its severity, the
    corrective action asked for, who owns it (the store's staff who may see quality) and when it is due."""

    sample = forms.TypedChoiceField(label=_("Sampled order"), coerce=int, empty_value=None, required=False)
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=AuditFinding.Severity.choices,
        error_messages={"required": _("Choose minor, major or critical.")},
    )
    description = _text(_("Finding"), FINDING_TEXT_MAX, rows=3)
    corrective_action = _text(_("Corrective action"), FINDING_TEXT_MAX, rows=3)
    owner = forms.TypedChoiceField(
        label=pgettext_lazy("corrective action", "Owner"), coerce=int, empty_value=None, required=False
    )
    due_on = _day(_("Due"), _("Choose the day it is due."))

    def __init__(self, *args: Any, samples: list[AuditSample], owners: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sample"].choices = [  # type: ignore[attr-defined]
            ("", _("The evaluation as a whole")),
            *((str(sample.pk), f"{sample.position}. {sample.order.number}") for sample in samples),
        ]
        self.fields["owner"].choices = [("", "—"), *((str(user.pk), str(user)) for user in owners)]  # type: ignore[attr-defined]

    def data_in(self) -> AuditFindingIn:
        data = self.cleaned_data
        return AuditFindingIn(
            sample_id=data["sample"],
            severity=data["severity"],
            description=data["description"],
            corrective_action=data["corrective_action"],
            owner_id=data["owner"],
            due_on=data["due_on"],
        )


class FindingActionForm(StyledForm):
    action_taken = _text(_("Action taken"), FINDING_TEXT_MAX)


class FindingCloseForm(StyledForm):
    verification = _text(_("How the action was verified"), FINDING_TEXT_MAX)


class AuditCloseForm(StyledForm):
    summary = _text(_("Conclusion"), SUMMARY_MAX, rows=4)


# --- the store's rules ----------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class SettingsForm(StyledForm):
    """The store's quality rules (each list one check a line) and its own repair guarantee per repair
    category (``<category>_days``, ``<category>_km``; both blank: the law's)."""

    final_checks = _text(_("Standard final-inspection checks"), CHECKS_TEXT_MAX, rows=8)
    wash_checks = _text(_("Washing standard"), CHECKS_TEXT_MAX, rows=6)
    delivery_checks = _text(_("Free check at delivery (24 checks)"), CHECKS_TEXT_MAX, rows=12)
    wash_skip = forms.MultipleChoiceField(
        label=_("Order types not washed"),
        choices=ServiceType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comeback_days = forms.IntegerField(
        label=_("Comeback window (days after delivery)"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 730}),
        error_messages={"required": _("Enter days from 1 to 730.")},
    )
    certificate_from_platform = forms.BooleanField(
        label=_("The province issues release certificate numbers"), required=False
    )
    # The service bounds both (its message names the range): the form only reads a whole number; left blank,
    # the store's value is kept (as the API's absent field).
    audit_every_days = forms.IntegerField(
        label=_("Internal quality evaluation every (days)"),
        required=False,
        help_text=_("0: evaluations are opened by hand only."),
        widget=forms.NumberInput(attrs={"min": 0, "max": EVERY_DAYS_MAX}),
    )
    audit_sample_size = forms.IntegerField(
        label=_("Delivered orders sampled per evaluation"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": SAMPLE_MAX}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category, label in RepairCategory.choices:
            law_days, law_km = GUARANTEE[category]
            # The law's minimum is the service's to say (with the law it comes from); the form bounds the rest.
            days = forms.IntegerField(
                label=_("Days"),
                required=False,
                min_value=0,
                max_value=3650,
                widget=forms.NumberInput(attrs={"min": law_days}),
            )
            km = forms.IntegerField(
                label=_("km"),
                required=False,
                min_value=0,
                max_value=1_000_000,
                widget=forms.NumberInput(attrs={"min": law_km}),
            )
            days.widget.attrs["min"], km.widget.attrs["min"] = law_days, law_km
            for field in (days, km):
                field.widget.attrs.update({"class": "form-control", "aria-description": str(label)})
            self.fields[f"{category}_days"] = days
            self.fields[f"{category}_km"] = km

    def term_rows(self) -> list[tuple[str, Any, tuple[int, str], Any, Any]]:
        """Per repair category its label, the law's (days, km shown with thousands), its two inputs."""
        return [
            (
                category,
                label,
                (GUARANTEE[category][0], f"{GUARANTEE[category][1]:,}"),
                self[f"{category}_days"],
                self[f"{category}_km"],
            )
            for category, label in RepairCategory.choices
        ]

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        if key in RepairCategory.values:
            return f"{key}_days", messages
        if key in self.fields:
            return key, messages
        return NON_FIELD, messages

    def settings_in(self) -> SettingsIn:
        data = self.cleaned_data
        return SettingsIn(
            final_checks=_lines(data["final_checks"]),
            wash_checks=_lines(data["wash_checks"]),
            wash_skip=list(data["wash_skip"]),
            delivery_checks=_lines(data["delivery_checks"]),
            comeback_days=data["comeback_days"],
            certificate_from_platform=data["certificate_from_platform"],
            audit_every_days=data["audit_every_days"],
            audit_sample_size=data["audit_sample_size"],
        )

    def terms(self) -> dict[str, tuple[int | None, int | None]]:
        data = self.cleaned_data
        return {category: (data[f"{category}_days"], data[f"{category}_km"]) for category in RepairCategory.values}
