"""Writes of customers: checked input, create, update, review, their mobiles and search keys."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core import identifiers, regions
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Store, User
from aftersales.core.numbering import number_next
from aftersales.customers import encryption, search
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    SearchKey,
)
from aftersales.customers.selectors.customers import customer_access, customer_get, customer_survivor, personal_value
from aftersales.customers.selectors.privacy import CONSENT_PURPOSES
from aftersales.customers.services.quality import completeness_refresh
from aftersales.customers.visibility import current_visibility

# Letters of any script, digits, spaces and the punctuation real names and company names use.
_NAME_PUNCTUATION = set(" ·•.-‐'’&()（）")


def _clean_name(value: str, *, kind: str) -> str:
    name = re.sub(r"\s+", " ", identifiers.normalise(value)).strip()
    if not name:
        raise ValidationError(_("This field is required."))
    if len(name) > 100:
        raise ValidationError(_("Enter at most %(n)s characters.") % {"n": 100})
    bad = sorted(
        {
            char
            for char in name
            if not (unicodedata.category(char)[0] in {"L", "N"} or char in _NAME_PUNCTUATION)
            or (kind == Customer.Kind.INDIVIDUAL and unicodedata.category(char)[0] == "N")
        }
    )
    if bad:
        raise ValidationError(
            _("The name contains characters that are not allowed: %(chars)s") % {"chars": " ".join(bad)}
        )
    return name


def error_collect(errors: dict[str, list[str]], field: str, error: ValidationError) -> None:
    errors.setdefault(field, []).extend(str(message) for message in error.messages)


_CHOICES = {
    "kind": frozenset(Customer.Kind.values),
    "source": frozenset(Customer.Source.values),
    "customer_class": frozenset(Customer.CustomerClass.values),
    "marketing_consent_channel": frozenset(Customer.ConsentChannel.values),
    "data_consent_channel": frozenset(Customer.ConsentChannel.values),
    "sharing_consent_channel": frozenset(Customer.ConsentChannel.values),
}


_OPTIONAL_CHOICES = frozenset({"marketing_consent_channel", "data_consent_channel", "sharing_consent_channel"})


def customer_clean(
    data: dict[str, Any], *, instance: Customer | None = None, archive_checks: bool = True
) -> dict[str, Any]:
    """Normalise and validate customer fields; raise one ApplicationError listing every bad field.

    ``archive_checks=False`` leaves out the look-up of a resident ID already in the archive: the
    import finds every row's customer in the archive in one query per batch, and handles it as the
    job's ``on_match`` says."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = dict(data.items())
    kind = data.get("kind") or (instance.kind if instance else Customer.Kind.INDIVIDUAL)
    cleaned["kind"] = kind
    if "name" in data or instance is None:
        try:
            cleaned["name"] = _clean_name(data.get("name") or "", kind=kind)
        except ValidationError as error:
            error_collect(errors, "name", error)
    if "mobiles" in data:
        mobiles: list[str] = []
        for index, raw in enumerate(data.get("mobiles") or []):
            try:
                mobile = identifiers.clean_mobile(raw)
            except ValidationError as error:
                error_collect(errors, f"mobiles.{index}", error)
                continue
            if mobile in mobiles:
                errors.setdefault(f"mobiles.{index}", []).append(_("This mobile number is listed twice."))
            mobiles.append(mobile)
        cleaned["mobiles"] = mobiles
    for field, cleaner in (
        ("email", identifiers.clean_email),
        ("uscc", identifiers.clean_uscc),
        ("resident_id", identifiers.clean_resident_id),
    ):
        value = (data.get(field) or "").strip()
        if field in data and value:
            try:
                cleaned[field] = cleaner(value)
            except ValidationError as error:
                error_collect(errors, field, error)
        elif field in data:
            cleaned[field] = ""
    if data.get("emergency_phone"):
        try:
            cleaned["emergency_phone"] = identifiers.clean_mobile(data["emergency_phone"])
        except ValidationError as error:
            error_collect(errors, "emergency_phone", error)
    if data.get("landline"):
        try:
            cleaned["landline"] = identifiers.clean_landline(data["landline"])
        except ValidationError as error:
            error_collect(errors, "landline", error)
    if data.get("emergency_contact"):
        try:
            cleaned["emergency_contact"] = _clean_name(data["emergency_contact"], kind=Customer.Kind.INDIVIDUAL)
        except ValidationError as error:
            error_collect(errors, "emergency_contact", error)
    for field, choices in _CHOICES.items():
        if field in data and data[field] not in choices and (data[field] or field not in _OPTIONAL_CHOICES):
            errors.setdefault(field, []).append(_("Choose one of the listed values."))
    if "tags" in data:
        tags = data["tags"] if data["tags"] is not None else []
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            errors.setdefault("tags", []).append(_("Enter a list of tags."))
        cleaned["tags"] = tags
    if data.get("owner_id") is not None and not User.objects.filter(pk=data["owner_id"], is_active=True).exists():
        errors.setdefault("owner_id", []).append(_("No such staff member."))
    if kind == Customer.Kind.COMPANY and cleaned.get("resident_id"):
        errors.setdefault("resident_id", []).append(_("A company has no resident ID; enter its credit code."))
    if kind == Customer.Kind.INDIVIDUAL and cleaned.get("uscc"):
        errors.setdefault("uscc", []).append(_("Only a company has a unified social credit code."))
    for flag in CONSENT_PURPOSES:
        if data.get(f"{flag}_consent") and not data.get(f"{flag}_consent_channel"):
            errors.setdefault(f"{flag}_consent_channel", []).append(_("Record how the consent was given."))
        withdrawn = f"{flag}_consent" in data and not data[f"{flag}_consent"]
        if instance is not None and withdrawn and getattr(instance, f"{flag}_consent"):
            # A withdrawal is a personal-information request: the customer's home store handles it, and
            # withdrawing data-processing consent deletes the ID copies (services.privacy).
            errors.setdefault(f"{flag}_consent", []).append(
                _(
                    "A consent is withdrawn among the customer's personal-information requests, "
                    "by the store that registered the customer."
                )
            )
    if cleaned.get("uscc"):
        # ~Q(uscc="") repeats the unique index's condition, so that the lookup can use that partial index.
        # The whole archive: the code is unique across the group, seen or not.
        clash = Customer.all_objects.filter(~Q(uscc=""), uscc=cleaned["uscc"], merged_into=None)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        holder = clash.first()
        if holder is not None:
            errors.setdefault("uscc", []).append(_held_by(holder, "uscc"))
    _personal_facts(cleaned, data, errors)
    _address_check(cleaned, data, instance, errors)
    if cleaned.get("resident_id") and archive_checks:
        # One person, one archive: a resident ID already on an active customer blocks a second record.
        holders = Customer.all_objects.filter(
            resident_id_digest=encryption.digest(cleaned["resident_id"]), merged_into=None, anonymised_at=None
        )
        if instance is not None:
            holders = holders.exclude(pk=instance.pk)
        holder = holders.first()
        if holder is not None:
            errors.setdefault("resident_id", []).append(_held_by(holder, "resident_id"))
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    return cleaned


def _held_by(holder: Customer, field: str) -> str:
    """Who already has that resident ID or credit code: the customer's number, unless the customer is
    registered by another company of the group without consent to sharing (then not even the number)."""
    visibility = current_visibility()
    if visibility is None or visibility.sees_registration(holder):
        message = (
            _("Customer %(number)s already has this resident ID.")
            if field == "resident_id"
            else _("Customer %(number)s already has this credit code.")
        )
        return message % {"number": holder.number}
    return (
        _("A customer registered by another company of the group already has this resident ID.")
        if field == "resident_id"
        else _("A customer registered by another company of the group already has this credit code.")
    )


# A WeChat ID: 6 to 20 letters, digits, underscores or hyphens, starting with a letter.
_WECHAT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{5,19}")


def _personal_facts(cleaned: dict[str, Any], data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Gender, birthday and WeChat ID; the birthday and gender a resident ID gives (GB 11643: the birth
    date in digits 7 to 14, the gender in the parity of digit 17) fill those left empty and must agree."""
    if data.get("gender") and data["gender"] not in Customer.Gender.values:
        errors.setdefault("gender", []).append(_("Choose one of the listed values."))
    if "birthday" in data and data["birthday"] is not None:
        birthday = data["birthday"]
        if not isinstance(birthday, date):
            errors.setdefault("birthday", []).append(_("Enter a valid date."))
        elif birthday > timezone.localdate() or birthday.year < 1900:
            errors.setdefault("birthday", []).append(_("Enter a birthday between 1900 and today."))
    if "wechat_id" in data:
        wechat = (data.get("wechat_id") or "").strip()
        if wechat and not _WECHAT_ID.fullmatch(wechat):
            errors.setdefault("wechat_id", []).append(
                _("A WeChat ID has 6 to 20 letters, digits, underscores or hyphens and starts with a letter.")
            )
        cleaned["wechat_id"] = wechat
    number = cleaned.get("resident_id")
    if not number or "resident_id" in errors:
        return
    born = identifiers.birth_date_from_resident_id(number)
    gender = Customer.Gender.MALE if int(number[16]) % 2 else Customer.Gender.FEMALE
    if isinstance(data.get("birthday"), date) and data["birthday"] != born:
        errors.setdefault("birthday", []).append(
            _("The resident ID gives the birthday %(date)s.") % {"date": born.isoformat()}
        )
    elif not data.get("birthday"):
        cleaned["birthday"] = born
    if data.get("gender") and data["gender"] != gender:
        errors.setdefault("gender", []).append(
            _("The resident ID gives the gender %(gender)s.") % {"gender": Customer.Gender(gender).label}
        )
    elif not data.get("gender"):
        cleaned["gender"] = gender


_ADDRESS_ERRORS = {
    regions.UNKNOWN_PROVINCE: ("province", gettext_lazy("Choose a province from the list.")),
    regions.UNKNOWN_CITY: ("city", gettext_lazy("Choose a city of this province from the list.")),
    regions.UNKNOWN_DISTRICT: ("district", gettext_lazy("Choose a district of this city from the list.")),
}


def _address_check(
    cleaned: dict[str, Any], data: dict[str, Any], instance: Customer | None, errors: dict[str, list[str]]
) -> None:
    """Province, city and district as the GB/T 2260 table names them (core.regions), each of the one
    above; checked when any of them changes (a record from before the table keeps its text)."""
    levels = ("province", "city", "district")
    if not set(levels) & set(data):
        return
    values = []
    for level in levels:
        value = (data[level] or "").strip() if level in data else getattr(instance, level, "") if instance else ""
        if level in data:
            cleaned[level] = value
        values.append(value)
    problem = regions.check(*values)
    if problem is not None:
        field_name, message = _ADDRESS_ERRORS[problem]
        errors.setdefault(field_name, []).append(str(message))


def mobile_matches(mobiles: list[str]) -> list[dict[str, Any]]:
    """Active customers who already have one of these mobiles (families and fleets share numbers, so
    this only warns): id, number, name, kind and the shared mobile (masked)."""
    if not mobiles:
        return []
    phones = (
        CustomerPhone.objects.filter(number__in=mobiles, customer__merged_into=None, customer__anonymised_at=None)
        .select_related("customer")
        .order_by("customer__number")
    )
    visibility = current_visibility()
    if visibility is not None:  # another company's customers are not named without their consent
        phones = phones.filter(visibility.q("customer__"))
    found: dict[int, dict[str, Any]] = {}
    for phone in phones[:20]:
        found.setdefault(
            phone.customer_id,
            {
                "id": phone.customer_id,
                "number": phone.customer.number,
                "name": phone.customer.name,
                "kind": phone.customer.kind,
                "mobile": identifiers.mask_mobile(phone.number),
            },
        )
    return list(found.values())


_SIMPLE_FIELDS = (
    "kind",
    "name",
    "gender",
    "wechat_id",
    "landline",
    "email",
    "province",
    "city",
    "district",
    "street",
    "uscc",
    "emergency_contact",
    "emergency_phone",
    "preferences",
    "tags",
    "source",
    "customer_class",
)


def _apply(customer: Customer, cleaned: dict[str, Any]) -> None:
    for field in _SIMPLE_FIELDS:
        if field in cleaned:
            setattr(customer, field, cleaned[field] if cleaned[field] is not None else "")
    if "birthday" in cleaned:
        customer.birthday = cleaned["birthday"]
    if "owner_id" in cleaned:
        customer.owner_id = cleaned["owner_id"]
    if "resident_id" in cleaned:
        value = cleaned["resident_id"]
        customer.resident_id_cipher = encryption.encrypt(value)
        customer.resident_id_digest = encryption.digest(value)
        customer.resident_id_hint = identifiers.mask_resident_id(value) if value else ""
    now = timezone.now()
    for flag in CONSENT_PURPOSES:
        if f"{flag}_consent" in cleaned:
            given = bool(cleaned[f"{flag}_consent"])
            channel = cleaned.get(f"{flag}_consent_channel") or ""
            if given != getattr(customer, f"{flag}_consent"):
                setattr(customer, f"{flag}_consent", given)
                setattr(customer, f"{flag}_consent_at", now)
                setattr(customer, f"{flag}_consent_channel", channel)
            elif given and channel and channel != getattr(customer, f"{flag}_consent_channel"):
                # The same consent re-recorded through another channel: a new consent record.
                setattr(customer, f"{flag}_consent_at", now)
                setattr(customer, f"{flag}_consent_channel", channel)
    initials, full = search.name_initials_and_pinyin(customer.name)
    customer.name_initials = " ".join(initials)
    customer.name_pinyin = full


def mobiles_of(customer: Customer) -> list[str]:
    """The customer's mobiles, primary first."""
    return list(customer.phones.order_by("-is_primary", "pk").values_list("number", flat=True))


def mobiles_audit(customer: Customer, before: list[str], after: list[str], *, actor: User, **extra: Any) -> None:
    """One entry on the customer for a change of its mobiles (the first is the primary), erasable."""
    if before == after and not extra:
        return
    audit_append(
        action="update",
        actor=actor,
        store_id=customer.home_store_id,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=customer.number,
        changes={"mobiles": [before, after], **extra},
        subject=customer.audit_subject(),
        personal=frozenset({"mobiles"}),
    )


def _sync_phones(customer: Customer, mobiles: list[str]) -> None:
    existing = {phone.number: phone for phone in customer.phones.all()}
    for number, phone in existing.items():
        if number not in mobiles:
            phone.delete()
    for number in mobiles:
        if number not in existing:
            CustomerPhone.objects.create(customer=customer, number=number, is_primary=False)
    # The first number listed is the primary one.
    CustomerPhone.objects.filter(customer=customer).exclude(number=mobiles[0] if mobiles else "").update(
        is_primary=False
    )
    if mobiles:
        CustomerPhone.objects.filter(customer=customer, number=mobiles[0]).update(is_primary=True)


def customer_search_keys_rebuild(customer: Customer) -> None:
    SearchKey.objects.filter(customer=customer).delete()
    if customer.merged_into_id or customer.anonymised_at:
        return
    mobiles = list(customer.phones.values_list("number", flat=True))
    keys = search.customer_keys(number=customer.number, name=customer.name, mobiles=mobiles)
    keys += [("number", alias) for alias in customer.aliases.values_list("number", flat=True)]
    SearchKey.objects.bulk_create(SearchKey(key=key, kind=kind, customer=customer) for kind, key in keys)


@transaction.atomic
def customer_create(*, actor: User, store: Store, data: dict[str, Any], confirm_duplicates: bool = False) -> Customer:
    """Register a customer at ``store``; the number comes from that store's sequence.

    A mobile another active customer has is a warning, not a refusal: without ``confirm_duplicates``
    the call answers 409 ``possible_duplicates`` naming them (``matches``), so that the clerk opens the
    existing record; confirmed, the customer is created and the creation entry records whom the clerk
    saw (``duplicates_confirmed``).
    """
    cleaned = customer_clean(data)
    matches = mobile_matches(cleaned.get("mobiles", []))
    if matches and not confirm_duplicates:
        raise ConflictError(
            _(
                "A customer with this mobile number is already in the archive: "
                "open that record, or create a new one anyway."
            ),
            code="possible_duplicates",
            extra={"matches": matches},
        )
    customer = Customer(home_store=store, number=number_next(store=store, doc_type="CUS"), owner=actor)
    if matches:
        customer.audit_duplicates = [match["number"] for match in matches]
    # The archive owner (责任人) is whoever registers the customer unless someone else is named.
    _apply(customer, cleaned)
    if cleaned.get("owner_id") is None:
        customer.owner = actor
    customer.audit_mobiles = list(cleaned.get("mobiles", []))  # recorded in the creation entry
    customer.save(actor=actor)
    _sync_phones(customer, cleaned.get("mobiles", []))
    customer_search_keys_rebuild(customer)
    completeness_refresh(customer)
    return customer


@transaction.atomic
def customer_update(*, actor: User, customer_id: int, version: int, data: dict[str, Any]) -> Customer:
    """Change a customer. ``version`` is the one the editor loaded: a newer one means someone else
    saved first, and the change is refused (409) instead of overwriting theirs."""
    customer = customer_access(actor=actor, customer_id=customer_id, for_update=True)
    if customer.anonymised_at is not None:
        # Editing would bring personal data back into a record the person asked to have removed.
        raise ApplicationError(
            _("This customer was anonymised on request; the record can no longer be edited."),
            code="anonymised",
            status=409,
        )
    if customer.version != version:
        raise ConflictError(
            _("Someone else changed this customer after you opened it. Reload to see their changes."),
            code="conflict",
        )
    cleaned = customer_clean(data, instance=customer)
    _apply(customer, cleaned)
    customer.version += 1
    customer.save(actor=actor)
    if "mobiles" in cleaned:
        before = mobiles_of(customer)
        _sync_phones(customer, cleaned["mobiles"])
        mobiles_audit(customer, before, cleaned["mobiles"], actor=actor)
    customer_search_keys_rebuild(customer)
    completeness_refresh(customer)
    return customer


@transaction.atomic
def customer_mark_reviewed(*, actor: User, customer_id: int) -> Customer:
    """Record that ``actor`` reviewed the archive now. A record merged into another is not reviewed:
    its survivor is (409, naming it)."""
    customer = customer_access(actor=actor, customer_id=customer_id, for_update=True, include_merged=True)
    if customer.merged_into_id is not None:
        survivor = customer_survivor(customer)
        raise ConflictError(
            _("This record was merged into customer %(number)s: review that one.") % {"number": survivor.number},
            code="merged",
            extra={"merged_into": {"id": survivor.pk, "number": survivor.number}},
        )
    customer.reviewed_at = timezone.now()
    customer.save(actor=actor)
    return customer


def customer_reveal(*, actor: User, customer_id: int, field: str) -> str:
    """One personal value in full (``Customer.revealable``; ``all``: the edit form shows every one),
    recorded in the trail as a reveal by ``actor``."""
    customer = customer_get(customer_id)
    audit_append(
        action="reveal",
        actor=actor,
        store_id=customer.home_store_id,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=customer.number,
        changes={"field": "all", "for": "edit"} if field == "all" else {"field": field},
    )
    return "" if field == "all" else personal_value(customer, field)
