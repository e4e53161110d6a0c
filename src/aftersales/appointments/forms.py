"""The appointments pages' forms: what a person types, checked for shape; every business rule is the
services' (their refusals land on these fields through ``form_run``)."""

from __future__ import annotations

import typing
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.appointments.days import FIRST_DAY, LAST_DAY, day_problem
from aftersales.appointments.models import Appointment, BookingSettings
from aftersales.core.errors import NON_FIELD
from aftersales.core.forms import StyledForm

WEEKDAYS = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
RANGE_DAYS_MAX = 366


def within_days(value: date | datetime) -> None:
    """A date, or a time by its day, typed on a page: within the days the appointments take (``days``)."""
    problem = day_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="out_of_range")


def _date_field(label: Any, *, required: bool = False) -> forms.DateField:
    bounds = {"min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()}
    return forms.DateField(
        label=label,
        required=required,
        validators=[within_days],
        widget=forms.DateInput(attrs={"type": "date", **bounds}, format="%Y-%m-%d"),
    )


def _time_field(label: Any, *, required: bool = False) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        widget=forms.TimeInput(attrs={"type": "time", "step": "900"}, format="%H:%M"),
    )


def _moment_field(label: Any, *, required: bool = False) -> forms.DateTimeField:
    bounds = {"min": f"{FIRST_DAY.isoformat()}T00:00", "max": f"{LAST_DAY.isoformat()}T23:59"}
    return forms.DateTimeField(
        label=label,
        required=required,
        validators=[within_days],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", **bounds}, format="%Y-%m-%dT%H:%M"),
    )


def at_store(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """A date and a wall-clock time of the store as an instant."""
    return datetime.combine(day, moment, tzinfo=zone)


def in_store_zone(value: datetime, zone: ZoneInfo) -> datetime:
    """A date-time typed into a page (read in the request's zone) as the same wall-clock time of the store."""
    return timezone.make_naive(value).replace(tzinfo=zone) if timezone.is_aware(value) else value.replace(tzinfo=zone)


def _choose(form: forms.Form, name: str, choices: list[tuple[Any, Any]]) -> None:
    typing.cast(forms.ChoiceField, form.fields[name]).choices = choices


class DayForm(StyledForm):
    """A page of one day (the list, the pre-pick list, the capacity)."""

    day = _date_field(_("Date"))


class DayFilterForm(DayForm):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *Appointment.State.choices]
    )
    advisor = forms.TypedChoiceField(label=_("Service advisor"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, advisors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "advisor", [("", _("All advisors")), *advisors])


class AdvisorDayForm(DayForm):
    advisor = forms.ChoiceField(label=_("Service advisor"), required=False)

    def __init__(self, *args: Any, advisors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "advisor", [("all", _("All advisors")), *[(str(pk), name) for pk, name in advisors]])


class FindForm(StyledForm):
    """What the booking form's search box sends: a plate, mobile, name or customer number."""

    find = forms.CharField(label=_("Find the customer or car"), max_length=30, required=False)


class OffersForm(StyledForm):
    """What the booking form's offers partial is asked: the car chosen from the archive."""

    vehicle = forms.IntegerField(required=False, min_value=1)


class BookingForm(StyledForm):
    """A booking as the CRM agent (on the phone) or the front desk (a walk-in) takes it."""

    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    vehicle = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    find = forms.CharField(label=_("Find the customer or car"), max_length=30, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    contact_mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    plate_text = forms.CharField(label=_("Plate"), max_length=12, required=False)
    model_text = forms.CharField(label=_("Model"), max_length=60, required=False)
    services = forms.MultipleChoiceField(
        label=_("Services"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one service.")},
    )
    day = _date_field(_("Date"), required=True)
    wish = _time_field(_("Wished time"))
    time = _time_field(_("Arrival time"), required=True)
    description = forms.CharField(
        label=_("Problem as described"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    call_at = _moment_field(_("Call time"))
    documents = forms.CharField(label=_("Documents to bring"), max_length=200, required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(Appointment.Channel.PHONE, _("Phone")), (Appointment.Channel.WALK_IN, _("Walk-in"))],
    )
    advisor = forms.TypedChoiceField(label=_("Service advisor"), required=False, coerce=int, empty_value=None)
    override_reason = forms.CharField(
        label=_("Reason to book over capacity"),
        max_length=200,
        required=False,
        help_text=_("Only when the time is taken: the booking is recorded as over capacity."),
    )

    service_aliases = {"starts_at": "time", "wish_at": "wish", "customer": NON_FIELD, "vehicle": NON_FIELD}

    def __init__(
        self,
        *args: Any,
        packages: list[tuple[str, str]],
        operations: list[tuple[str, str]],
        advisors: list[tuple[int, str]],
        may_overbook: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.packages, self.operations = packages, operations
        _choose(self, "services", [*packages, *operations])
        _choose(self, "advisor", [("", _("Any advisor")), *advisors])
        if not may_overbook:
            del self.fields["override_reason"]
        for name in ("find", "contact_mobile"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        self.fields["contact_mobile"].widget.attrs["inputmode"] = "tel"

    def service_options(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The packages and the labour operations, each (value, label, chosen), for the template."""
        chosen = set(self["services"].value() or [])
        return [
            (str(title), [(value, label, value in chosen) for value, label in rows])
            for title, rows in ((_("Packages"), self.packages), (_("Labour operations"), self.operations))
            if rows
        ]


class SlotsForm(StyledForm):
    """What the free-times partial is asked: the services, the day, the wish and the advisor (or the
    appointment being moved, whose services they are)."""

    services = forms.MultipleChoiceField(required=False)
    day = forms.DateField(required=False, validators=[within_days])
    wish = forms.TimeField(required=False)
    time = forms.TimeField(required=False)
    advisor = forms.IntegerField(required=False, min_value=1)
    vehicle = forms.IntegerField(required=False, min_value=1)
    appointment = forms.IntegerField(required=False, min_value=1)
    channel = forms.CharField(required=False, max_length=10)  # a walk-in may use the walk-in reserve

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "services", choices)


class RescheduleForm(StyledForm):
    day = _date_field(_("New date"), required=True)
    time = _time_field(_("New arrival time"), required=True)
    advisor = forms.TypedChoiceField(label=_("Service advisor"), required=False, coerce=int, empty_value=None)
    reason = forms.CharField(label=_("Reason for the move"), max_length=200)
    override_reason = forms.CharField(label=_("Reason to book over capacity"), max_length=200, required=False)

    service_aliases = {"starts_at": "time"}

    def __init__(self, *args: Any, advisors: list[tuple[int, str]], may_overbook: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "advisor", [("", _("Keep the advisor")), *advisors])
        if not may_overbook:
            del self.fields["override_reason"]


class CancelForm(StyledForm):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class TechnicianForm(StyledForm):
    """A technician's efficiency and weekly shifts (``from_0``/``until_0`` Monday … ``_6`` Sunday; a
    weekday left empty is a day off)."""

    user = forms.TypedChoiceField(label=_("Staff member"), coerce=int)
    efficiency = forms.DecimalField(
        label=_("Efficiency"),
        min_value=Decimal("0.30"),
        max_value=Decimal("2.00"),
        max_digits=4,
        decimal_places=2,
        help_text=_("Standard hours done per hour worked, e.g. 1.10."),
    )
    is_active = forms.BooleanField(label=_("Counts in the capacity"), required=False)

    def __init__(self, *args: Any, staff: list[tuple[int, str]] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is None:  # an existing technician: the person is not changed
            del self.fields["user"]
        else:
            _choose(self, "user", [("", "—"), *staff])
        for weekday in range(7):
            self.fields[f"from_{weekday}"] = _time_field(_("Shift starts"))
            self.fields[f"until_{weekday}"] = _time_field(_("Shift ends"))
            for name in (f"from_{weekday}", f"until_{weekday}"):
                self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def week(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(str(WEEKDAYS[day]), self[f"from_{day}"], self[f"until_{day}"]) for day in range(7)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for weekday in range(7):
            names = (f"from_{weekday}", f"until_{weekday}")
            if any(name in self.errors for name in names):
                continue
            missing = [name for name in names if data.get(name) is None]
            if len(missing) == 1:
                self.add_error(missing[0], _("Enter both times, or neither for a day off."))
        return data

    def shifts(self) -> dict[int, tuple[time, time]]:
        data = self.cleaned_data
        return {
            day: (data[f"from_{day}"], data[f"until_{day}"])
            for day in range(7)
            if data.get(f"from_{day}") is not None and data.get(f"until_{day}") is not None
        }

    def service_field(self, key: str, messages: list[str]) -> tuple[str, list[str]]:
        """``shifts.3`` (Thursday) is that day's first time."""
        if key.startswith("shifts.") and key[7:].isdigit():
            return f"from_{key[7:]}", messages
        return super().service_field(key, messages)


class LeaveForm(StyledForm):
    technician = forms.TypedChoiceField(label=_("Technician"), coerce=int)
    starts_at = _moment_field(_("Leave from"), required=True)
    ends_at = _moment_field(_("Leave until"), required=True)
    reason = forms.CharField(label=_("Reason"), max_length=100, required=False)

    def __init__(self, *args: Any, technicians: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "technician", [("", "—"), *technicians])


class BookingSettingsForm(StyledForm):
    """The store's booking settings; the bounds are the model's (the service checks them again)."""

    walk_in_reserve_percent = forms.IntegerField(label=_("Reserve for walk-ins (%)"), min_value=0, max_value=90)
    arrival_spacing_minutes = forms.IntegerField(
        label=_("Minutes between an advisor's arrivals"), min_value=0, max_value=120
    )
    no_show_grace_minutes = forms.IntegerField(
        label=_("No-show after (minutes past the start)"), min_value=5, max_value=480
    )
    reminder_hours = forms.IntegerField(label=_("Reminder (hours before)"), min_value=1, max_value=72)
    same_day_reminder = forms.BooleanField(label=_("Same-day reminder"), required=False)
    same_day_reminder_hours = forms.IntegerField(label=_("Same-day reminder (hours before)"), min_value=1, max_value=12)
    booking_script = forms.CharField(
        label=_("Booking script"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    route = forms.CharField(label=_("How to get here"), max_length=300, required=False)
    documents_default = forms.CharField(label=_("Documents to bring"), max_length=200, required=False)
    online_booking = forms.BooleanField(
        label=_("Takes bookings online"),
        required=False,
        help_text=_("Customers book on the store's own page (/book/<store code>/, its QR code on the welcome board)."),
    )

    @classmethod
    def of(cls, settings: BookingSettings, data: Any = None) -> BookingSettingsForm:
        return cls(data, initial={name: getattr(settings, name) for name in cls.base_fields})


class ShowRateForm(StyledForm):
    first = _date_field(_("From"))
    last = _date_field(_("Until"))
    by = forms.ChoiceField(
        label=_("Per"),
        required=False,
        choices=[("store", _("Store")), ("channel", _("Channel")), ("advisor", _("Service advisor"))],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The end date must not be before the start date."))
            elif last - first > timedelta(days=RANGE_DAYS_MAX):
                self.add_error("last", _("Choose at most %(n)s days.") % {"n": RANGE_DAYS_MAX})
        return data


# --- the customer's own booking page (services.public) ------------------------------------------------


class CarForm(StyledForm):
    """Step 1: the car as its owner knows it (checked by ``services.car_clean``)."""

    plate_text = forms.CharField(
        label=_("Plate number"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"placeholder": "沪A12345", "autocomplete": "off", "autocapitalize": "characters"}
        ),
    )
    model_text = forms.CharField(
        label=_("Model"), max_length=60, widget=forms.TextInput(attrs={"placeholder": "帕萨特 330TSI"})
    )
    mileage = forms.IntegerField(
        label=_("Mileage (km)"),
        min_value=0,
        max_value=2_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "12000"}),
    )
    vin_text = forms.CharField(
        label=_("VIN (optional)"),
        required=False,
        max_length=25,
        help_text=_("17 characters, on the registration certificate: open recalls for the car are shown."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class ServicesForm(StyledForm):
    """Step 2: the services and the day (the time is one of the free times, checked again by the view)."""

    services = forms.MultipleChoiceField(label=_("Services"), widget=forms.CheckboxSelectMultiple)
    day = forms.ChoiceField(label=_("Date"))
    time = forms.CharField(label=_("Time"), required=False, max_length=5)

    def __init__(self, *args: Any, services: list[tuple[str, str]], days: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typing.cast(forms.ChoiceField, self.fields["services"]).choices = services
        typing.cast(forms.ChoiceField, self.fields["day"]).choices = days

    def clean_time(self) -> str:
        value: str = self.cleaned_data["time"]
        if value:
            try:
                time.fromisoformat(value)
            except ValueError:
                raise ValidationError(_("Choose one of the free times."), code="invalid") from None
        return value


class ContactForm(StyledForm):
    """Step 3: who comes, the mobile proved by the code sent to it, and the optional marketing consent."""

    service_aliases = {"starts_at": "time"}

    contact_name = forms.CharField(
        label=_("How should we address you?"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "张先生", "autocomplete": "name"}),
    )
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_("SMS code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )
    marketing_consent = forms.BooleanField(
        label=_(
            "Yes, the store may send me offers and maintenance reminders (optional; withdraw any time by replying TD)."
        ),
        required=False,
    )
    time = forms.CharField(label=_("Time"), required=False, max_length=5)

    def clean_time(self) -> str:
        value: str = self.cleaned_data["time"]
        if value:
            try:
                time.fromisoformat(value)
            except ValueError:
                raise ValidationError(_("Choose one of the free times."), code="invalid") from None
        return value
