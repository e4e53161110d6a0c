"""Customers (客户档案): people and companies, their mobiles, and the numbers of merged records."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.core import identifiers
from aftersales.core.models import ANY_ACTION, AuditedModel, AuditKey, AuditKeys


class CustomerManager(models.Manager["Customer"]):
    """The customers the current actor may see (``aftersales.customers.visibility``): where the group's
    stores are separate companies, a store sees another company's customers only with the customer's
    consent to sharing (PIPL Art. 23) or while serving a visit booked there. Without a current actor
    (jobs, the system) and for group-wide roles: every customer. Integrity checks that must see the
    whole archive (unique credit codes and resident IDs) use ``Customer.all_objects``."""

    # The current actor's rule as a condition (None: no rule); the app sets it when ready.
    rule: ClassVar[Callable[[], Q | None]] = staticmethod(lambda: None)

    def get_queryset(self) -> models.QuerySet[Customer]:
        customers = super().get_queryset()
        rule = CustomerManager.rule()
        return customers if rule is None else customers.filter(rule)


class Customer(AuditedModel):
    """A vehicle owner or company known to the group; any store of the group may serve them, unless the
    stores are separate companies and the customer has not agreed to sharing (``CustomerManager``)."""

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
    # PIPL Art. 23: giving personal information to another handler (another company of the group) needs
    # the person's separate consent; without it, the other companies' stores do not see the customer.
    sharing_consent = models.BooleanField(_("consent to sharing within the group"), default=False)
    sharing_consent_at = models.DateTimeField(_("sharing consent time"), null=True, blank=True)
    sharing_consent_channel = models.CharField(
        _("sharing consent channel"), max_length=10, choices=ConsentChannel.choices, blank=True
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

    objects: ClassVar[CustomerManager] = CustomerManager()  # the default: what the current actor may see
    all_objects: ClassVar[models.Manager[Customer]] = models.Manager()  # the whole archive, for integrity checks

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
            "correction": AuditKey(_("contact details the customer corrected")),
            "decision": AuditKey(
                _("decision"), choices={"approved": _("approved"), "rejected": _("rejected")}, summary=True
            ),
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
            "format": AuditKey(_("file format"), choices={"json": "JSON", "xlsx": "Excel", "pdf": "PDF"}),
            "kind": AuditKey(
                _("content"),
                choices={
                    "personal_information": _("all personal information held"),
                    "archive_card": _("the archive card, printed"),
                },
            ),
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
                choices={
                    "marketing": _("marketing consent"),
                    "data": _("data-processing consent"),
                    "sharing": _("consent to sharing within the group"),
                },
            ),
            "merged_record": AuditKey(_("record merged into another")),
        },
    }

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="customer_uscc_unique"),
        ]
        indexes = [
            models.Index(fields=["home_store", "created_at"], name="customer_store_created"),
            models.Index(fields=["reviewed_at"], name="customer_reviewed"),
            models.Index(fields=["home_store", "completeness"], name="customer_store_completeness"),
            # The customers every store of the group sees (few): read by the visibility rule.
            models.Index(fields=["id"], condition=Q(sharing_consent=True), name="customer_shared"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    # How history names a customer the current actor may not see (core.history): not even the number.
    audit_hidden_name = _("a customer of another company of the group")

    @classmethod
    def audit_hidden(cls, pks: Iterable[Any]) -> frozenset[int]:
        """Of these customers, those the current actor may not see."""
        ids = {int(pk) for pk in pks}
        if not ids or CustomerManager.rule() is None:
            return frozenset()
        return frozenset(ids - set(cls.objects.filter(pk__in=ids).values_list("pk", flat=True)))

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
