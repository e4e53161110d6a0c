"""Forms of the archive pages: they parse what a person typed; the services validate identifiers."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.forms import BoundField
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.errors import NON_FIELD, ApplicationError
from aftersales.core.forms import InputForm
from aftersales.core.models import Store, User
from aftersales.customers.models import Customer, MileageReading, Vehicle, VehicleModel
from aftersales.customers.services import MERGEABLE_FIELDS

MAX_MOBILES = 5
# Personal fields the record page shows masked, each with a button that reveals it (audited).
REVEALABLE = ("mobiles", "resident_id", "uscc", "address", "emergency_phone")
MAX_TAGS = 20
_TAG_SEPARATORS = re.compile(r"[,，、;；]")


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


class StyledBoundField(BoundField):
    """Marks an input with errors ``is-invalid`` so Bootstrap shows it red."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            base = (widget or self.field.widget).attrs.get("class", "")
            attrs["class"] = f"{attrs.get('class', base)} is-invalid".strip()
        return attrs


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ArchiveForm(InputForm):
    """Bootstrap classes on every widget; identifier inputs checked on change; service errors shown."""

    bound_field_class = StyledBoundField
    # Inputs checked one by one while the form is filled in (customers:validate).
    checked_fields: frozenset[str] = frozenset()
    # Service field names that the form calls differently.
    service_aliases: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")
            if name in self.checked_fields:
                widget.attrs.update(
                    {
                        "hx-post": reverse("customers:validate", kwargs={"field": name}),
                        "hx-trigger": "change",
                        "hx-target": f"#check-{name}",
                        "hx-swap": "outerHTML",
                    }
                )

    def add_service_errors(self, error: ApplicationError) -> None:
        """Show an ApplicationError of a service next to the fields it names."""
        lines = list(self.cleaned_data.get("mobiles") or [])
        form = self
        if not error.fields:
            form.add_error(None, error.detail)
            return
        for key, messages in error.fields.items():
            name = self.service_aliases.get(key, key)
            if key.startswith("mobiles."):
                index = int(key.split(".", 1)[1]) if key.split(".", 1)[1].isdigit() else -1
                number = lines[index] if 0 <= index < len(lines) else key
                messages = [
                    _("%(number)s: %(message)s") % {"number": number, "message": message} for message in messages
                ]
                name = "mobiles"
            if name == NON_FIELD or name not in form.fields:
                form.add_error(None, messages)
            else:
                form.add_error(name, messages)


def _staff_label(user: User) -> str:
    return f"{user.full_name} ({user.username})" if user.full_name else user.username


class CustomerForm(ArchiveForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.INDIVIDUAL
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    mobiles = LinesField(
        label=gettext_lazy("Mobile numbers"),
        required=False,
        max_lines=MAX_MOBILES,
        max_line_length=30,
        widget=forms.Textarea(attrs={"rows": 2, "inputmode": "tel", "autocomplete": "off"}),
        help_text=gettext_lazy("One number per line; the first is the primary number."),
    )
    landline = forms.CharField(label=gettext_lazy("Landline"), max_length=30, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    province = forms.CharField(label=gettext_lazy("Province"), max_length=20, required=False)
    city = forms.CharField(label=gettext_lazy("City"), max_length=30, required=False)
    district = forms.CharField(label=gettext_lazy("District"), max_length=30, required=False)
    street = forms.CharField(label=gettext_lazy("Street address"), max_length=200, required=False)
    uscc = forms.CharField(
        label=gettext_lazy("Unified social credit code"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("Companies only."),
    )
    resident_id = forms.CharField(
        label=gettext_lazy("Resident ID number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    emergency_contact = forms.CharField(label=gettext_lazy("Emergency contact"), max_length=60, required=False)
    emergency_phone = forms.CharField(
        label=gettext_lazy("Emergency phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    preferences = forms.CharField(
        label=gettext_lazy("Preferences and special needs"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tags = TagsField(label=gettext_lazy("Tags"), required=False, help_text=gettext_lazy("Separate tags with commas."))
    source = forms.ChoiceField(label=gettext_lazy("Source channel"), choices=Customer.Source.choices, initial="walk_in")
    customer_class = forms.ChoiceField(
        label=gettext_lazy("Customer class"), choices=Customer.CustomerClass.choices, initial="regular"
    )
    marketing_consent = forms.BooleanField(label=gettext_lazy("Agrees to marketing messages"), required=False)
    marketing_consent_channel = forms.ChoiceField(
        label=gettext_lazy("How the marketing consent was given"),
        choices=[("", "—"), *Customer.ConsentChannel.choices],
        required=False,
    )
    data_consent = forms.BooleanField(label=gettext_lazy("Agrees to the processing of personal data"), required=False)
    data_consent_channel = forms.ChoiceField(
        label=gettext_lazy("How the data-processing consent was given"),
        choices=[("", "—"), *Customer.ConsentChannel.choices],
        required=False,
    )
    owner: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=gettext_lazy("Archive owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Whoever registers the customer"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    checked_fields = frozenset({"mobiles", "email", "uscc", "resident_id", "emergency_phone", "landline"})
    service_fields = (
        "kind",
        "name",
        "mobiles",
        "landline",
        "email",
        "province",
        "city",
        "district",
        "street",
        "uscc",
        "resident_id",
        "emergency_contact",
        "emergency_phone",
        "preferences",
        "tags",
        "source",
        "customer_class",
        "marketing_consent",
        "marketing_consent_channel",
        "data_consent",
        "data_consent_channel",
        "owner",
    )

    def __init__(
        self,
        *args: Any,
        editing: bool = False,
        resident_id_hint: str = "",
        owners: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = _staff_label  # type: ignore[attr-defined]
        self.editing = editing
        self.fields["version"].required = editing
        if editing:
            self.fields["resident_id"].help_text = (
                _("Stored: %(hint)s. Leave empty to keep it.") % {"hint": resident_id_hint}
                if resident_id_hint
                else _("Leave empty if unknown.")
            )

    @staticmethod
    def initial_for(customer: Customer, personal: dict[str, Any]) -> dict[str, Any]:
        """What the edit form starts with: personal fields as the reader may see them (masked or not)."""
        initial = {name: getattr(customer, name) for name in CustomerForm.service_fields if hasattr(customer, name)}
        initial.update(
            mobiles=list(personal["mobiles"]),
            uscc=personal["uscc"],
            street=personal["street"],
            emergency_phone=personal["emergency_phone"],
            resident_id="",  # stored encrypted; an empty input keeps it
            tags=list(customer.tags or []),
            version=customer.version,
            owner=customer.owner_id,
        )
        return initial

    def service_data(self) -> dict[str, Any]:
        """The fields to send to the service; when editing, only those the person changed.

        Sending only changed fields is what keeps masked values (``138****5678``) shown to a reader
        without the view-personal right from being written back over the real ones.
        """
        data = {name: self.cleaned_data[name] for name in self.service_fields}
        if self.editing:
            changed = set(self.changed_data)
            for flag in ("marketing", "data"):
                # The service needs the consent and its channel together.
                if {f"{flag}_consent", f"{flag}_consent_channel"} & changed:
                    changed |= {f"{flag}_consent", f"{flag}_consent_channel"}
            data = {name: value for name, value in data.items() if name in changed}
        if not data.get("resident_id"):
            data.pop("resident_id", None)
        if "owner" in data:
            owner = data.pop("owner")
            data["owner_id"] = owner.pk if owner is not None else None
        return data


class CustomerFilterForm(ArchiveForm):
    q = forms.CharField(label=gettext_lazy("Search"), max_length=50, required=False)
    customer_class = forms.ChoiceField(
        label=gettext_lazy("Customer class"),
        choices=[("", gettext_lazy("All classes")), *Customer.CustomerClass.choices],
        required=False,
    )
    home_store: forms.ModelChoiceField[Store] = forms.ModelChoiceField(
        label=gettext_lazy("Registering store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=gettext_lazy("All stores"),
    )
    family = forms.ChoiceField(
        label=gettext_lazy("Matched"),
        choices=[("", "")] + [(code, code) for code in ("resident_id", "number", "vin", "mobile", "plate", "name")],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, stores: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["home_store"].queryset = stores  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update(
            type="search",
            autocomplete="off",
            autofocus=True,
            placeholder=_("Plate, VIN, mobile, name, pinyin initials or customer number"),
        )


# Vehicle fields the form shows under the model's own names (model and selling store are chosen by id).
VEHICLE_FORM_FIELDS = (
    "vin",
    "vin_check_override",
    "vin_override_reason",
    "plate",
    "model_year",
    "engine_no",
    "colour",
    "fuel_type",
    "purchase_date",
    "warranty_start",
    "warranty_end",
    "warranty_km_limit",
)


class VehicleForm(ArchiveForm):
    vin = forms.CharField(
        label=gettext_lazy("VIN"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    vin_check_override = forms.BooleanField(
        label=gettext_lazy("This VIN has no valid check digit (e.g. an imported vehicle)"), required=False
    )
    vin_override_reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)
    plate = forms.CharField(label=gettext_lazy("Licence plate"), max_length=20, required=False)
    model: forms.ModelChoiceField[VehicleModel] = forms.ModelChoiceField(
        label=gettext_lazy("Model"),
        queryset=VehicleModel.objects.select_related("brand").order_by("brand__code", "series", "name"),
        required=False,
    )
    model_year = forms.IntegerField(label=gettext_lazy("Model year"), required=False, min_value=1900, max_value=2100)
    engine_no = forms.CharField(label=gettext_lazy("Engine number"), max_length=30, required=False)
    colour = forms.CharField(label=gettext_lazy("Colour"), max_length=30, required=False)
    fuel_type = forms.ChoiceField(label=gettext_lazy("Fuel type"), choices=Vehicle.FuelType.choices, initial="petrol")
    purchase_date = forms.DateField(label=gettext_lazy("Purchase date"), required=False, widget=_date_input())
    selling_store: forms.ModelChoiceField[Store] = forms.ModelChoiceField(
        label=gettext_lazy("Selling store"),
        queryset=Store.objects.filter(is_active=True).order_by("code"),
        required=False,
    )
    warranty_start = forms.DateField(label=gettext_lazy("Warranty start"), required=False, widget=_date_input())
    warranty_end = forms.DateField(label=gettext_lazy("Warranty end"), required=False, widget=_date_input())
    warranty_km_limit = forms.IntegerField(
        label=gettext_lazy("Warranty mileage limit (km)"), required=False, min_value=0, max_value=2_000_000
    )

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    checked_fields = frozenset({"vin", "plate"})
    service_aliases = {"model_id": "model", "selling_store_id": "selling_store"}

    def __init__(self, *args: Any, editing: bool = False, selling_store_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["version"].required = editing
        if selling_store_id is not None:
            # A vehicle sold by a store that has since closed keeps it selectable.
            stores = Store.objects.filter(Q(is_active=True) | Q(pk=selling_store_id)).order_by("code")
            self.fields["selling_store"].queryset = stores  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(vehicle: Vehicle) -> dict[str, Any]:
        """What the edit form starts with: the stored values and the version they are."""
        initial = {name: getattr(vehicle, name) for name in VEHICLE_FORM_FIELDS}
        initial.update(model=vehicle.model_id, selling_store=vehicle.selling_store_id, version=vehicle.version)
        return initial

    def service_data(self) -> dict[str, Any]:
        """The fields to send to the service; when editing, only those the person changed."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if self.editing:
            changed = set(self.changed_data)
            data = {name: value for name, value in data.items() if name in changed}
        if "model" in data:
            model = data.pop("model")
            data["model_id"] = model.pk if model else None
        if "selling_store" in data:
            store = data.pop("selling_store")
            data["selling_store_id"] = store.pk if store else None
        return data


class MileageForm(ArchiveForm):
    km = forms.IntegerField(label=gettext_lazy("Mileage (km)"), min_value=0, max_value=2_000_000)
    read_on = forms.DateField(label=gettext_lazy("Date"), widget=_date_input())
    source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        choices=MileageReading.Source.choices,
        initial=MileageReading.Source.RECEPTION,
        required=False,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for a lower reading"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Only needed when the reading is lower than the last one (e.g. a replaced instrument)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"read_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["km"].widget.attrs["inputmode"] = "numeric"

    def clean_source(self) -> str:
        # The select always sends one; a request without it is a reading taken at reception.
        return str(self.cleaned_data.get("source") or MileageReading.Source.RECEPTION)


class CustomerNumberField(forms.CharField):
    """A customer typed by number; cleans to the active customer, found under a merged (alias) number too."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=30, **kwargs)
        self.widget.attrs["placeholder"] = "CUS-SH01-2026-000001"

    def clean(self, value: Any) -> Customer:
        number = str(super().clean(value)).strip().upper()
        found = Customer.objects.filter(number=number, merged_into=None).first()
        if found is None:
            found = Customer.objects.filter(aliases__number=number, merged_into=None).first()
        if found is None:
            raise forms.ValidationError(_("No customer has this number."), code="unknown")
        return found


class TransferForm(ArchiveForm):
    customer_number = CustomerNumberField(label=gettext_lazy("New owner's customer number"))
    on = forms.DateField(label=gettext_lazy("Transfer date"), widget=_date_input())

    service_aliases = {"customer_id": "customer_number"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class DriverForm(ArchiveForm):
    """Add a driver: the customer is found by number, as for a transfer."""

    customer_number = CustomerNumberField(label=gettext_lazy("Driver's customer number"))
    valid_from = forms.DateField(label=gettext_lazy("Drives from"), widget=_date_input())

    service_aliases = {"customer_id": "customer_number"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"valid_from": timezone.localdate()})
        kwargs.setdefault("auto_id", "id_driver_%s")
        super().__init__(*args, **kwargs)


class DriverEndForm(ArchiveForm):
    """End one driver's period; the page shows one per current driver."""

    valid_to = forms.DateField(label=gettext_lazy("Last day"), widget=_date_input())

    def __init__(self, *args: Any, link_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"valid_to": timezone.localdate()})
        kwargs.setdefault("auto_id", f"id_end{link_id}_%s")
        super().__init__(*args, **kwargs)
        self.fields["valid_to"].widget.attrs["class"] = "form-control form-control-sm w-auto"
        self.link_id = link_id


class ReviewQueueFilterForm(ArchiveForm):
    days = forms.IntegerField(
        label=gettext_lazy("Not reviewed for (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=gettext_lazy("Empty: the store's review interval."),
    )
    below = forms.IntegerField(
        label=gettext_lazy("Or completeness below (%)"), min_value=1, max_value=100, required=False, initial=100
    )


class IdentifierCheckForm(InputForm):
    """One identifier input, checked while the form is filled in (``customers:validate``)."""

    value = forms.CharField(required=False, strip=False, max_length=1000)

    def __init__(self, data: Any, *, field: str) -> None:
        super().__init__({"value": data.get(field, "")})
        if field == "mobiles":  # one number per line
            self.fields["value"].widget = forms.Textarea()


class RevealForm(InputForm):
    """Which personal field the record page's "show" button asks for."""

    field = forms.ChoiceField(choices=[(name, name) for name in REVEALABLE])


class MergeForm(InputForm):
    """Which of the two records each field of the merged customer is taken from."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in MERGEABLE_FIELDS:
            self.fields[f"pick_{name}"] = forms.ChoiceField(
                choices=[("survivor", "survivor"), ("merged", "merged")], required=False
            )

    def choices(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"pick_{name}"] or "survivor" for name in MERGEABLE_FIELDS}


class ArchiveRuleForm(InputForm):
    """A store's required archive items and review interval, as sent (the service checks the rule)."""

    # The ticked items as sent: the service names unknown ones.
    required_fields = forms.Field(widget=forms.CheckboxSelectMultiple, required=False)
    review_days = forms.IntegerField(required=False)

    def clean_required_fields(self) -> list[str]:
        return [str(item) for item in self.cleaned_data.get("required_fields") or []]
