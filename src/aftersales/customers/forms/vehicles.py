"""Forms of the vehicle pages: the record, mileage, transfer, drivers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.models import Brand, Store
from aftersales.customers.forms.fields import ArchiveForm, CustomerNumberField, date_input
from aftersales.customers.models import MileageReading, Vehicle, VehicleModel
from aftersales.customers.services.vehicles import PLATE_RELEASE_REASONS

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
    "use_type",
    "purchase_date",
    "delivery_date",
    "production_date",
)


def _whole(value: Any) -> int | None:
    """A chosen id as sent (any text: the form's own check reports a bad one)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class VehicleForm(ArchiveForm):
    vin = forms.CharField(
        label=gettext_lazy("VIN"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    vin_check_override = forms.BooleanField(
        label=gettext_lazy("This VIN has no valid check digit (e.g. an imported vehicle)"), required=False
    )
    vin_override_reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)
    plate = forms.CharField(label=gettext_lazy("Licence plate"), max_length=20, required=False)
    plate_release_on = forms.DateField(
        label=gettext_lazy("Day the plate left the other vehicle"), required=False, widget=date_input()
    )
    plate_release_reason = forms.ChoiceField(
        label=gettext_lazy("Why it left"),
        choices=[("", "—"), *((r.value, r.label) for r in PLATE_RELEASE_REASONS)],
        required=False,
    )
    # Brand and series narrow the model list (the page reloads the next list when one is chosen).
    brand: forms.ModelChoiceField[Brand] = forms.ModelChoiceField(
        label=gettext_lazy("Brand"), queryset=Brand.objects.order_by("code"), required=False
    )
    series = forms.ChoiceField(label=gettext_lazy("Series"), choices=[("", "—")], required=False)
    model: forms.ModelChoiceField[VehicleModel] = forms.ModelChoiceField(
        label=gettext_lazy("Model"),
        queryset=VehicleModel.objects.select_related("brand").order_by("brand__code", "series", "name"),
        required=False,
    )
    model_year = forms.IntegerField(label=gettext_lazy("Model year"), required=False, min_value=1900, max_value=2100)
    engine_no = forms.CharField(label=gettext_lazy("Engine number"), max_length=30, required=False)
    colour = forms.CharField(label=gettext_lazy("Colour"), max_length=30, required=False)
    fuel_type = forms.ChoiceField(
        label=gettext_lazy("Fuel type"),
        choices=[("", gettext_lazy("— as the model —")), *Vehicle.FuelType.choices],
        required=False,
    )
    use_type = forms.ChoiceField(
        label=gettext_lazy("Use"),
        choices=[("", "—"), *Vehicle.UseType.choices],
        required=False,
        help_text=gettext_lazy("三包 covers household vehicles only."),
    )
    purchase_date = forms.DateField(label=gettext_lazy("Purchase-invoice date"), required=False, widget=date_input())
    delivery_date = forms.DateField(label=gettext_lazy("Delivery date"), required=False, widget=date_input())
    production_date = forms.DateField(label=gettext_lazy("Production date"), required=False, widget=date_input())
    selling_store: forms.ModelChoiceField[Store] = forms.ModelChoiceField(
        label=gettext_lazy("Selling store"),
        queryset=Store.objects.filter(is_active=True).order_by("code"),
        required=False,
    )

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    checked_fields = frozenset({"vin", "plate"})
    service_aliases = {"model_id": "model", "selling_store_id": "selling_store"}

    def __init__(self, *args: Any, editing: bool = False, selling_store_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["version"].required = editing
        self._narrow_models()
        if selling_store_id is not None:
            # A vehicle sold by a store that has since closed keeps it selectable.
            stores = Store.objects.filter(Q(is_active=True) | Q(pk=selling_store_id)).order_by("code")
            self.fields["selling_store"].queryset = stores  # type: ignore[attr-defined]

    def _narrow_models(self) -> None:
        """The series of the chosen brand, and the models of the chosen brand and series."""
        brand_id, model_id = _whole(self["brand"].value()), _whole(self["model"].value())
        series = self["series"].value()
        if not isinstance(series, str) or "\x00" in series:
            series = ""
        if not brand_id and model_id:
            model = VehicleModel.objects.filter(pk=model_id).first()
            if model is not None:
                brand_id, series = model.brand_id, model.series
                self.initial.update(brand=brand_id, series=series)
        if not brand_id:
            return
        models = VehicleModel.objects.filter(brand_id=brand_id)
        names = list(models.order_by("series").values_list("series", flat=True).distinct())
        self.fields["series"].choices = [("", "—"), *((name, name) for name in names)]  # type: ignore[attr-defined]
        if series:
            models = models.filter(series=series)
        self.fields["model"].queryset = models.select_related("brand").order_by("series", "name")  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(vehicle: Vehicle) -> dict[str, Any]:
        """What the edit form starts with: the stored values and the version they are."""
        initial = {name: getattr(vehicle, name) for name in VEHICLE_FORM_FIELDS}
        initial.update(model=vehicle.model_id, selling_store=vehicle.selling_store_id, version=vehicle.version)
        if vehicle.model is not None:
            initial.update(brand=vehicle.model.brand_id, series=vehicle.model.series)
        return initial

    def service_data(self) -> dict[str, Any]:
        """The fields to send to the service; when editing, only those the person changed."""
        data = dict(self.cleaned_data)
        for name in ("version", "brand", "series"):
            data.pop(name, None)
        for name in ("fuel_type", "plate_release_reason", "plate_release_on"):
            if not data.get(name):
                data.pop(name, None)  # empty: taken from the model, or no plate moved
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
    read_on = forms.DateField(label=gettext_lazy("Date"), widget=date_input())
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


class TransferForm(ArchiveForm):
    customer_number = CustomerNumberField(label=gettext_lazy("New owner"))
    on = forms.DateField(label=gettext_lazy("Transfer date"), widget=date_input())

    service_aliases = {"customer_id": "customer_number"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class DriverForm(ArchiveForm):
    """Add a driver: the customer is found with the archive search (or by number), as for a transfer."""

    customer_number = CustomerNumberField(label=gettext_lazy("Driver"))
    valid_from = forms.DateField(label=gettext_lazy("Drives from"), widget=date_input())

    service_aliases = {"customer_id": "customer_number"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"valid_from": timezone.localdate()})
        kwargs.setdefault("auto_id", "id_driver_%s")
        super().__init__(*args, **kwargs)


class DriverEndForm(ArchiveForm):
    """End one driver's period; the page shows one per current driver."""

    valid_to = forms.DateField(label=gettext_lazy("Last day"), widget=date_input())

    def __init__(self, *args: Any, link_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"valid_to": timezone.localdate()})
        kwargs.setdefault("auto_id", f"id_end{link_id}_%s")
        super().__init__(*args, **kwargs)
        self.fields["valid_to"].widget.attrs["class"] = "form-control form-control-sm w-auto"
        self.link_id = link_id


class FirstVehicleForm(VehicleForm):
    """The customer's first vehicle, entered on the new-customer page (optional: left empty, none)."""

    shown = ("vin", "plate", "model", "model_year", "colour", "use_type", "purchase_date", "delivery_date")
    checked_fields = frozenset()  # the inline checks read unprefixed names: checked on saving instead

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "vehicle")
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in self.shown:
                del self.fields[name]
        self.fields["vin"].required = False
        # One list of every model (brand series name): the vehicle's own form chooses step by step.
        self.fields["model"].queryset = VehicleModel.objects.select_related("brand").order_by(  # type: ignore[attr-defined]
            "brand__code", "series", "name"
        )

    def _narrow_models(self) -> None:
        return None

    def entered(self) -> bool:
        """Whether the person started a vehicle (any of its inputs has a value)."""
        return any(self.data.get(self.add_prefix(name), "").strip() for name in self.shown if self.is_bound)

    def clean_vin(self) -> str:
        vin = str(self.cleaned_data.get("vin") or "")
        if self.entered() and not vin.strip():
            raise forms.ValidationError(_("Enter the VIN, or leave the vehicle empty."), code="required")
        return vin

    def service_data(self) -> dict[str, Any]:
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        if "model" in data:
            data["model_id"] = data.pop("model").pk
        return data


class WarrantyPolicyForm(ArchiveForm):
    """A brand's warranty policy from a date (services.warranty_policy_create checks the legal minimum)."""

    brand: forms.ModelChoiceField[Brand] = forms.ModelChoiceField(
        label=gettext_lazy("Brand"), queryset=Brand.objects.order_by("code")
    )
    warranty_years = forms.IntegerField(label=gettext_lazy("Warranty (years)"), min_value=0, max_value=99)
    warranty_km = forms.IntegerField(label=gettext_lazy("Warranty (km)"), min_value=0, max_value=2_000_000)
    sanbao_years = forms.IntegerField(label=gettext_lazy("三包 period (years)"), min_value=0, max_value=99)
    sanbao_km = forms.IntegerField(label=gettext_lazy("三包 period (km)"), min_value=0, max_value=2_000_000)
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), widget=date_input())
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False, widget=date_input())

    service_aliases = {"brand_id": "brand"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"warranty_years": 3, "warranty_km": 60_000, "sanbao_years": 2, "sanbao_km": 50_000}
        )
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["brand_id"] = data.pop("brand").pk
        return data
