"""The group-wide customer and vehicle archive (客户档案)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import ANY_ACTION, AuditedModel, AuditKey, AuditKeys
from aftersales.customers import identifiers


class Customer(AuditedModel):
    """A vehicle owner or company known to the group; any store of the group may serve them."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        COMPANY = "company", _("Company")

    class Source(models.TextChoices):
        SALES = "sales", _("Vehicle sales")
        WALK_IN = "walk_in", _("Walk-in")
        REFERRAL = "referral", _("Referral")
        ONLINE = "online", _("Online")
        PHONE = "phone", _("Phone")

    class CustomerClass(models.TextChoices):
        VIP = "vip", _("VIP")
        REGULAR = "regular", _("Regular")
        FLEET = "fleet", _("Fleet")
        LAPSED = "lapsed", _("Lapsed")

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class ConsentChannel(models.TextChoices):
        PAPER = "paper", _("Signed form")
        APP = "app", _("App / self-service")
        PHONE = "phone", _("Phone (recorded)")
        COUNTER = "counter", _("At the counter")

    number = models.CharField(_("customer number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField(_("name"), max_length=100)
    name_initials = models.CharField(_("name initials"), max_length=100, blank=True, editable=False)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=300, blank=True, editable=False)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    wechat_id = models.CharField(_("WeChat ID"), max_length=40, blank=True)
    landline = models.CharField(_("landline"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    # The number encrypted, its keyed digest for an exact search, and its masked form for display.
    resident_id_cipher = models.TextField(_("resident ID"), blank=True, editable=False)
    resident_id_digest = models.CharField(_("resident ID"), max_length=64, blank=True, editable=False, db_index=True)
    resident_id_hint = models.CharField(_("resident ID"), max_length=18, blank=True, editable=False)
    emergency_contact = models.CharField(_("emergency contact"), max_length=60, blank=True)
    emergency_phone = models.CharField(_("emergency phone"), max_length=20, blank=True)
    preferences = models.TextField(_("preferences and special needs"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    source = models.CharField(_("source channel"), max_length=12, choices=Source.choices, default=Source.WALK_IN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("archive owner"),
    )
    customer_class = models.CharField(
        _("customer class"), max_length=10, choices=CustomerClass.choices, default=CustomerClass.REGULAR
    )
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_consent_at = models.DateTimeField(_("marketing consent time"), null=True, blank=True)
    marketing_consent_channel = models.CharField(
        _("marketing consent channel"), max_length=10, choices=ConsentChannel.choices, blank=True
    )
    data_consent = models.BooleanField(_("data-processing consent"), default=False)
    data_consent_at = models.DateTimeField(_("data-processing consent time"), null=True, blank=True)
    data_consent_channel = models.CharField(
        _("data-processing consent channel"), max_length=10, choices=ConsentChannel.choices, blank=True
    )
    home_store = models.ForeignKey(
        "core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("registering store")
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("merged into")
    )
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    completeness = models.PositiveSmallIntegerField(_("completeness (%)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = frozenset(
        {
            "resident_id_cipher",
            "resident_id_digest",
            "name_initials",
            "name_pinyin",
            "updated_at",
            "version",
            "completeness",
        }
    )
    # The personal data of a customer, declared once: every key is a field (``mobiles``: the phones)
    # that identifies or describes the person, with how it reads to someone without the right to see
    # it in full (None: shown to every reader of the record). Everything else derives from this:
    # the record page and the API answer (selectors.customer_personal, personal_value, the reveal
    # choices), the change log and timeline (core.audit.audit_masked), the Excel export, the audit
    # trail (erasable values, audit_personal), and anonymisation (every declared value emptied,
    # with the values derived from them in personal_derived). The address also reads as a whole,
    # down to the district (identifiers.mask_address); the resident ID is stored as a cipher and a
    # masked hint beside it.
    personal_fields: ClassVar[dict[str, Callable[[str], str] | None]] = {
        "name": None,
        "mobiles": identifiers.mask_mobile,
        "landline": identifiers.mask_hidden,
        "email": identifiers.mask_hidden,
        "wechat_id": identifiers.mask_hidden,
        "province": None,
        "city": None,
        "district": None,
        "street": identifiers.mask_hidden,
        "uscc": identifiers.mask_uscc,
        "resident_id_hint": None,
        "gender": None,
        "birthday": identifiers.mask_hidden,
        "emergency_contact": None,
        "emergency_phone": identifiers.mask_mobile,
        "preferences": None,
        "tags": None,
    }
    # Stored values computed from the personal ones: anonymisation empties them too.
    personal_derived: ClassVar[tuple[str, ...]] = (
        "resident_id_cipher",
        "resident_id_digest",
        "name_initials",
        "name_pinyin",
    )
    personal_masks: ClassVar[dict[str, Callable[[str], str]]] = {
        key: mask for key, mask in personal_fields.items() if mask is not None
    }
    # What a reader with the right may show in full, one at a time (audited): each masked value (the
    # street as part of the whole address) and the resident ID.
    revealable: ClassVar[tuple[str, ...]] = (
        *(key for key in personal_masks if key != "street"),
        "address",
        "resident_id",
    )
    audit_personal = frozenset(personal_fields)
    # How the keys of the customer's entries read that are not fields (core.history). Written by the
    # services (mobiles, merge, reveal), services.id_copies (an ID copy opened),
    # services.privacy (personal-information export, anonymisation) and excel.exporting (list export).
    audit_keys: ClassVar[AuditKeys] = {
        ANY_ACTION: {
            "mobiles": AuditKey(_("mobile numbers")),
            "resident_id": AuditKey(_("resident ID")),
            "address": AuditKey(_("address")),
            "duplicates_confirmed": AuditKey(_("created although these customers share a mobile")),
        },
        "reveal": {
            "field": AuditKey(_("field"), names=True, choices={"all": _("all personal data")}, summary=True),
            "for": AuditKey(_("purpose"), choices={"edit": _("editing the record")}),
            "document": AuditKey(_("document"), ref="customers.customerdocument", summary=True),
        },
        "merge": {
            "merged": AuditKey(_("customer merged into this one")),
            "fields_taken": AuditKey(_("values taken from it"), names=True),
            "vehicle_links": AuditKey(_("vehicle links moved")),
            "documents": AuditKey(_("documents moved")),
        },
        "export": {
            "filters": AuditKey(_("filters")),
            "q": AuditKey(_("search text")),
            "rows": AuditKey(_("rows")),
            "masked": AuditKey(_("personal data masked")),
            "format": AuditKey(_("file format"), choices={"json": "JSON", "xlsx": "Excel"}),
            "kind": AuditKey(_("content"), choices={"personal_information": _("all personal information held")}),
        },
        "anonymise": {
            "reason": AuditKey(_("reason")),
            "cleared": AuditKey(_("fields cleared"), names=True),
            "phones_deleted": AuditKey(_("mobile numbers deleted")),
            "documents_deleted": AuditKey(_("documents deleted")),
            "search_keys_deleted": AuditKey(_("search keys deleted")),
            "audit_values_erased": AuditKey(_("audit entries whose values were erased")),
            "consents_withdrawn": AuditKey(
                _("consents withdrawn"),
                choices={"marketing": _("marketing consent"), "data": _("data-processing consent")},
            ),
            "merged_record": AuditKey(_("record merged into another")),
        },
    }

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="customer_uscc_unique"),
        ]
        indexes = [
            models.Index(fields=["home_store", "created_at"], name="customer_store_created"),
            models.Index(fields=["reviewed_at"], name="customer_reviewed"),
            models.Index(fields=["home_store", "completeness"], name="customer_store_completeness"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def audit_store_id(self) -> int | None:
        return self.home_store_id

    def audit_subject(self) -> str:
        return f"customers.customer:{self.pk}"

    def audit_repr(self) -> str:
        return self.number

    audit_mobiles: list[str] | None = None
    audit_duplicates: list[str] | None = None

    def audit_values(self) -> dict[str, Any]:
        values = super().audit_values()
        # Set by the create service: the mobiles go into the creation entry (changes later get their own),
        # and the customers sharing a mobile whom the clerk saw before creating this one anyway.
        if self.audit_mobiles is not None:
            values["mobiles"] = self.audit_mobiles
            self.audit_mobiles = None
        if self.audit_duplicates is not None:
            values["duplicates_confirmed"] = self.audit_duplicates
            self.audit_duplicates = None
        return values


class CustomerPhone(models.Model):
    """A mobile of a customer. Changes are recorded on the customer (its "mobiles", first = primary)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("mobile"), max_length=11)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("mobile number")
        verbose_name_plural = _("mobile numbers")
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="customer_phone_unique"),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="customer_one_primary_phone"
            ),
        ]
        indexes = [models.Index(fields=["number"], name="customer_phone_number")]

    def __str__(self) -> str:
        return self.number


class VehicleModel(models.Model):
    """Catalogue of brand / series / model, e.g. 大众 / 帕萨特 / 330TSI 精英版."""

    brand = models.ForeignKey("core.Brand", on_delete=models.PROTECT, related_name="vehicle_models")
    series = models.CharField(_("series"), max_length=50)
    name = models.CharField(_("model"), max_length=80)
    fuel_type = models.CharField(_("fuel type"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("vehicle model")
        verbose_name_plural = _("vehicle models")
        constraints = [
            models.UniqueConstraint(fields=["brand", "series", "name"], name="vehicle_model_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.series} {self.name}"


class Vehicle(AuditedModel):
    class FuelType(models.TextChoices):
        PETROL = "petrol", _("Petrol")
        DIESEL = "diesel", _("Diesel")
        HYBRID = "hybrid", _("Hybrid")
        PHEV = "phev", _("Plug-in hybrid")
        BEV = "bev", _("Battery electric")

    class UseType(models.TextChoices):
        # 三包 covers household vehicles only (家用汽车产品修理、更换、退货责任规定 2021 第二条).
        HOUSEHOLD = "household", _("Household")
        COMMERCIAL = "commercial", _("Commercial")

    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    vin_check_override = models.BooleanField(_("VIN check digit not used"), default=False)
    vin_override_reason = models.CharField(_("reason"), max_length=200, blank=True)
    plate = models.CharField(_("licence plate"), max_length=10, blank=True, db_index=True)
    model = models.ForeignKey(
        VehicleModel, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("model")
    )
    model_year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    engine_no = models.CharField(_("engine number"), max_length=30, blank=True)
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    fuel_type = models.CharField(_("fuel type"), max_length=10, choices=FuelType.choices, default=FuelType.PETROL)
    use_type = models.CharField(_("use"), max_length=12, choices=UseType.choices, blank=True)
    # The date on the purchase invoice (购车发票) and the date the car was handed over: the statutory
    # periods run from the invoice date, or from delivery where that differs (三包规定 2021 第十七条).
    purchase_date = models.DateField(_("purchase-invoice date"), null=True, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    selling_store = models.ForeignKey(
        "core.Store", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("selling store")
    )
    # Derived by services.vehicles.warranty_derive from the dates and the brand's policy; never typed.
    warranty_policy = models.ForeignKey(
        "WarrantyPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warranty policy"),
    )
    warranty_start = models.DateField(_("warranty start"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    warranty_km_limit = models.PositiveIntegerField(_("warranty mileage limit (km)"), null=True, blank=True)
    sanbao_end = models.DateField(_("三包 period end"), null=True, blank=True)
    sanbao_km_limit = models.PositiveIntegerField(_("三包 mileage limit (km)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    audit_exclude = frozenset({"updated_at", "version"})

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.CheckConstraint(
                condition=Q(use_type__in=["", "household", "commercial"]), name="vehicle_use_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plate or '—'} {self.vin}"

    def audit_store_id(self) -> int | None:
        return self.selling_store_id


class WarrantyPolicy(models.Model):
    """A brand's warranty terms for vehicles sold in a period: the basic warranty (包修期) and the 三包 period.

    Neither may be shorter than the law's minimum (家用汽车产品修理、更换、退货责任规定, 2021, 第十七条:
    "包修期不低于3年或者行驶里程60000公里，以先到者为准；三包有效期不低于2年或者行驶里程50000公里，
    以先到者为准"). The policy a vehicle follows is the one of its brand valid on its warranty start.
    """

    LEGAL_WARRANTY_YEARS = 3
    LEGAL_WARRANTY_KM = 60_000
    LEGAL_SANBAO_YEARS = 2
    LEGAL_SANBAO_KM = 50_000

    brand = models.ForeignKey(
        "core.Brand", on_delete=models.PROTECT, related_name="warranty_policies", verbose_name=_("brand")
    )
    warranty_years = models.PositiveSmallIntegerField(_("warranty (years)"))
    warranty_km = models.PositiveIntegerField(_("warranty (km)"))
    sanbao_years = models.PositiveSmallIntegerField(_("三包 period (years)"))
    sanbao_km = models.PositiveIntegerField(_("三包 period (km)"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("warranty policy")
        verbose_name_plural = _("warranty policies")
        ordering = ["brand", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "valid_from"], name="warranty_policy_brand_from"),
            models.CheckConstraint(
                condition=Q(warranty_years__gte=3, warranty_km__gte=60_000, sanbao_years__gte=2, sanbao_km__gte=50_000),
                name="warranty_policy_legal_minimum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.valid_from}: {self.warranty_years}y/{self.warranty_km}km"


class PlateRegistration(AuditedModel):
    """Which vehicle held a plate from when to when: the source of truth for plates (Vehicle.plate is the
    current one, kept for display and search). A plate is on one vehicle at a time; a plate that moves
    (to the owner's next car, a 沪牌 transfer) is ended on the old vehicle with a date and a reason."""

    class EndReason(models.TextChoices):
        REPLACED = "replaced", _("Replaced by a new plate")
        MOVED = "moved", _("Plate moved to another vehicle")
        TRANSFERRED = "transferred", _("Plate transferred (e.g. 沪牌 transfer)")
        DEREGISTERED = "deregistered", _("Vehicle deregistered or scrapped")
        CORRECTED = "corrected", _("Entered in error")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="plates")
    plate = models.CharField(_("licence plate"), max_length=10)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True)
    end_reason = models.CharField(_("reason it ended"), max_length=12, choices=EndReason.choices, blank=True)
    end_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("plate registration")
        verbose_name_plural = _("plate registrations")
        constraints = [
            models.UniqueConstraint(fields=["plate"], condition=Q(valid_to=None), name="plate_on_one_vehicle"),
            models.UniqueConstraint(fields=["vehicle"], condition=Q(valid_to=None), name="vehicle_one_current_plate"),
        ]
        indexes = [models.Index(fields=["vehicle", "valid_from"], name="plate_vehicle_from")]

    def __str__(self) -> str:
        return f"{self.plate} {self.vehicle_id} {self.valid_from}–{self.valid_to or ''}"

    def audit_store_id(self) -> int | None:
        return self.vehicle.selling_store_id

    def audit_repr(self) -> str:
        return f"{self.plate} · {self.vehicle.vin}"


class MileageReading(models.Model):
    """One odometer reading; readings are a history, never overwritten."""

    class Source(models.TextChoices):
        RECEPTION = "reception", _("Reception")
        REPAIR_ORDER = "repair_order", _("Repair order")
        CUSTOMER = "customer", _("Customer")
        IMPORT = "import", _("Import")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="mileage_readings")
    km = models.PositiveIntegerField(_("mileage (km)"))
    read_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=15, choices=Source.choices)
    reason = models.CharField(_("reason for a lower reading"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mileage reading")
        verbose_name_plural = _("mileage readings")
        indexes = [models.Index(fields=["vehicle", "read_on"], name="mileage_vehicle_date")]

    def __str__(self) -> str:
        return f"{self.km} km @ {self.read_on}"


class VehicleLink(AuditedModel):
    """Who owns or drives a vehicle, from when to when; transfers end one link and start another."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        DRIVER = "driver", _("Driver")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicle_links")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("vehicle owner or driver")
        verbose_name_plural = _("vehicle owners and drivers")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"], condition=Q(role="owner", valid_to__isnull=True), name="vehicle_one_current_owner"
            ),
            # A customer drives a vehicle in one open period at a time (the service checks it under a lock).
            models.UniqueConstraint(
                fields=["vehicle", "customer"],
                condition=Q(role="driver", valid_to__isnull=True),
                name="vehicle_one_open_driver_period",
            ),
        ]
        indexes = [models.Index(fields=["customer", "valid_to"], name="vehicle_link_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.role} {self.vehicle_id}"

    def audit_store_id(self) -> int | None:
        return self.customer.home_store_id

    def audit_repr(self) -> str:
        """The vehicle by plate (or VIN) and the customer by number: their ids say nothing to a reader."""
        return f"{self.vehicle.plate or self.vehicle.vin} · {self.customer.number}"


class SearchKey(models.Model):
    """Precomputed keys the archive search looks up by prefix on an index (no full scans)."""

    class Kind(models.TextChoices):
        NUMBER = "number"
        NAME = "name"
        INITIALS = "initials"
        PINYIN = "pinyin"
        MOBILE = "mobile"
        MOBILE_LAST4 = "mobile4"
        VIN = "vin"
        VIN_LAST6 = "vin6"
        PLATE = "plate"
        FORMER_PLATE = "oldplate"

    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, related_name="+")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, null=True, related_name="+")

    class Meta:
        # One range read per kind, in key order, then by customer and vehicle (their age).
        # On PostgreSQL the key column uses the "C" collation (migration 0003), so that ranges and
        # order are by code point there as they are on SQLite, and a prefix is a range of the index.
        # The owner columns are part of the index, so that a lookup reads the index alone (no row of the
        # table per key found: a broad search reads hundreds), in the order the search ranks by.
        indexes = [models.Index(fields=["kind", "key", "customer", "vehicle"], name="search_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class CustomerAlias(models.Model):
    """The number of a customer merged into another; looking it up finds the survivor."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="aliases")
    number = models.CharField(_("former customer number"), max_length=30, unique=True)
    merged_at = models.DateTimeField(_("merged"), auto_now_add=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("customer alias")
        verbose_name_plural = _("customer aliases")

    def __str__(self) -> str:
        return f"{self.number} → {self.customer_id}"


class CustomerDocument(models.Model):
    """A copy of an identity or vehicle document, kept only with recorded data-processing consent.

    Files live outside the web root (``DATA_DIR/documents``) and are served only by an authorised view.
    """

    class Kind(models.TextChoices):
        ID_CARD = "id_card", _("ID card")
        DRIVING_LICENCE = "driving_licence", _("Driving licence")
        VEHICLE_LICENCE = "vehicle_licence", _("Vehicle licence (行驶证)")
        BUSINESS_LICENCE = "business_licence", _("Business licence")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    consent_at = models.DateTimeField(_("consent recorded"))
    # The store that took the copy: besides the customer's home store, the only one that may open it.
    store = models.ForeignKey(
        "core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded at store")
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    audit_keys: ClassVar[AuditKeys] = {ANY_ACTION: {"size": AuditKey(unit="bytes"), "sha256": AuditKey(unit="digest")}}

    class Meta:
        verbose_name = _("customer document")
        verbose_name_plural = _("customer documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    def audit_repr(self) -> str:
        """How the trail names the document: the file name often holds the person's name, so not that."""
        return f"{self.get_kind_display()} #{self.pk}"


class ArchiveRule(models.Model):
    """Per store: which fields an archive must have to count as complete, and how often to review it."""

    store = models.OneToOneField("core.Store", on_delete=models.CASCADE, related_name="archive_rule")
    required_fields = models.JSONField(_("required fields"), default=list)
    review_days = models.PositiveSmallIntegerField(_("review every (days)"), default=90)

    class Meta:
        verbose_name = _("archive rule")
        verbose_name_plural = _("archive rules")

    def __str__(self) -> str:
        return f"{self.store_id}: {self.review_days} days"


class ImportJob(models.Model):
    """One Excel import: runs as a background job, reports progress and a per-row error file."""

    class Mode(models.TextChoices):
        VALID_ROWS = "valid_rows", _("Import the valid rows")
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")

    class OnMatch(models.TextChoices):
        # A row whose customer is already in the archive (same resident ID or credit code, or the
        # same name and mobile): left out and reported, its empty fields filled, or a new record made.
        SKIP = "skip", _("Skip it (reported)")
        UPDATE = "update", _("Fill its empty fields")
        CREATE = "create", _("Create a new customer anyway")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=200)
    storage_name = models.CharField(max_length=200)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.VALID_ROWS)
    on_match = models.CharField(max_length=10, choices=OnMatch.choices, default=OnMatch.SKIP)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_customers = models.PositiveIntegerField(default=0)
    created_vehicles = models.PositiveIntegerField(default=0)
    matched_rows = models.PositiveIntegerField(default=0)
    updated_customers = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    error_file = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # The keys of the entry an import writes when it ends (excel.importing).
    audit_keys: ClassVar[AuditKeys] = {
        "create": {
            "customers": AuditKey(_("customers imported")),
            "vehicles": AuditKey(_("vehicles imported")),
            "error_rows": AuditKey(_("rows with errors")),
            "dry_run": AuditKey(_("trial run")),
        }
    }

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["store", "created_at"], name="import_store_created")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"
