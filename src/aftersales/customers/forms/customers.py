"""Forms of the customer pages: the record, the list's filters, reveals and inline checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core import regions
from aftersales.core.forms import InputForm
from aftersales.core.models import Store, User
from aftersales.customers.forms.fields import MAX_MOBILES, ArchiveForm, LinesField, MobilesWidget, TagsField
from aftersales.customers.models import Customer
from aftersales.customers.selectors.privacy import CONSENT_PURPOSES

# Personal fields the record page shows masked, each with a button that reveals it (audited).


def _staff_label(user: User) -> str:
    return f"{user.full_name} ({user.username})" if user.full_name else user.username


class CustomerForm(ArchiveForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.INDIVIDUAL
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    gender = forms.ChoiceField(
        label=gettext_lazy("Gender"), choices=[("", "—"), *Customer.Gender.choices], required=False
    )
    birthday = forms.DateField(
        label=gettext_lazy("Birthday"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Taken from the resident ID when one is entered."),
    )
    wechat_id = forms.CharField(label=gettext_lazy("WeChat ID"), max_length=40, required=False)
    mobiles = LinesField(
        label=gettext_lazy("Mobile numbers"),
        required=False,
        max_lines=MAX_MOBILES,
        max_line_length=30,
        widget=MobilesWidget,
        help_text=gettext_lazy("The first is the primary number (required for an individual)."),
    )
    landline = forms.CharField(label=gettext_lazy("Landline"), max_length=30, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    # Chosen from the bundled GB/T 2260 table (core.regions); the page reloads the next list on a change.
    province = forms.CharField(label=gettext_lazy("Province"), max_length=20, required=False, widget=forms.Select)
    city = forms.CharField(label=gettext_lazy("City"), max_length=30, required=False, widget=forms.Select)
    district = forms.CharField(label=gettext_lazy("District"), max_length=30, required=False, widget=forms.Select)
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
    sharing_consent = forms.BooleanField(
        label=gettext_lazy("Agrees to the archive being shared with the group's other companies"),
        help_text=gettext_lazy(
            "A separate consent (PIPL Art. 23): without it, stores of the group's other companies see this "
            "customer only when serving a visit booked with them."
        ),
        required=False,
    )
    sharing_consent_channel = forms.ChoiceField(
        label=gettext_lazy("How the sharing consent was given"),
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
        "gender",
        "birthday",
        "wechat_id",
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
        "sharing_consent",
        "sharing_consent_channel",
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
        self.regions_narrow()
        if editing:
            self.fields["resident_id"].help_text = (
                _("Stored: %(hint)s. Leave empty to keep it.") % {"hint": resident_id_hint}
                if resident_id_hint
                else _("Leave empty if unknown.")
            )

    def regions_narrow(self) -> None:
        """The choices of province, city and district: the table's, narrowed by the level above; a
        stored value the table does not have (older records) stays selectable."""

        def choices(names: list[str], current: Any) -> list[tuple[str, str]]:
            listed = [("", "—"), *((name, name) for name in names)]
            if isinstance(current, str) and current and current not in names:
                listed.append((current, current))
            return listed

        province, city = self["province"].value() or "", self["city"].value() or ""
        province, city = str(province), str(city)
        self.fields["province"].widget.choices = choices([region.name for region in regions.provinces()], province)
        self.fields["city"].widget.choices = choices(
            [region.name for region in regions.cities(province)] if province else [], city
        )
        self.fields["district"].widget.choices = choices(
            [region.name for region in regions.districts(province, city)] if province and city else [],
            self["district"].value(),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A person is reached by mobile: the form asks for the first one (the API leaves it optional).
        if (
            cleaned.get("kind") == Customer.Kind.INDIVIDUAL
            and not cleaned.get("mobiles")
            and "mobiles" not in self.errors
        ) and (not self.editing or "mobiles" in self.changed_data):
            self.add_error("mobiles", _("Enter the customer's mobile number."))
        return cleaned

    @staticmethod
    def initial_for(customer: Customer, personal: dict[str, Any]) -> dict[str, Any]:
        """What the edit form starts with: personal fields as the reader may see them (masked or not)."""
        initial = {name: getattr(customer, name) for name in CustomerForm.service_fields if hasattr(customer, name)}
        initial.update({name: personal[name] for name in Customer.personal_masks})
        initial.update(
            mobiles=list(personal["mobiles"]),
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
            for flag in CONSENT_PURPOSES:
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


class IdentifierCheckForm(InputForm):
    """One identifier input, checked while the form is filled in (``customers:validate``)."""

    value = forms.CharField(required=False, strip=False, max_length=1000)

    def __init__(self, data: Any, *, field: str) -> None:
        super().__init__({"value": data.get(field, "")})


class RevealForm(InputForm):
    """Which personal field the record page's "show" button asks for."""

    field = forms.ChoiceField(choices=[(name, name) for name in Customer.revealable])
