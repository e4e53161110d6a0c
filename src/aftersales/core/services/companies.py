"""The group's companies (legal entities) and which stores belong to each."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core import identifiers
from aftersales.core.errors import ApplicationError, choose_one_of
from aftersales.core.models import DealerGroup, LegalEntity, Store, User

# Free-text fields and their longest value (the model's max_length).
_TEXT_FIELDS = ("name", "address", "bank_name", "repair_filing_no", "health_record_code")


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def legal_entity_clean(
    data: dict[str, Any], *, group: DealerGroup, instance: LegalEntity | None = None
) -> dict[str, Any]:
    """Check a company's fields (all of them on create, those given on update); return them cleaned.

    ``store_ids``: the stores that belong to it, of its group; a store that belonged to it and is not
    listed must first be given to another company (a store always belongs to one).
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    creating = instance is None
    for name in _TEXT_FIELDS:
        if name in data or creating:
            value = str(data.get(name) or "").strip()
            limit = getattr(LegalEntity._meta.get_field(name), "max_length", 0) or 0
            if len(value) > limit:
                _add(errors, name, _("At most %(limit)d characters.") % {"limit": limit})
            cleaned[name] = value
    if (creating or "name" in data) and not cleaned.get("name"):
        _add(errors, "name", _("This field is required."))
    if creating or "uscc" in data:
        try:
            uscc = identifiers.clean_uscc(str(data.get("uscc") or ""))
        except ValidationError as error:
            _add(errors, "uscc", " ".join(error.messages))
        else:
            others = LegalEntity.objects.filter(uscc=uscc)
            other = (others.exclude(pk=instance.pk) if instance is not None else others).first()
            if other is not None:
                _add(errors, "uscc", _("%(name)s already has this credit code.") % {"name": other.name})
            cleaned["uscc"] = uscc
    if creating or "taxpayer_type" in data:
        taxpayer_type = data.get("taxpayer_type")
        if taxpayer_type not in LegalEntity.TaxpayerType.values:
            _add(errors, "taxpayer_type", choose_one_of(LegalEntity.TaxpayerType.values))
        cleaned["taxpayer_type"] = taxpayer_type
    if creating or "phone" in data:
        phone = str(data.get("phone") or "").strip()
        if phone:
            try:
                phone = identifiers.clean_landline(phone)
            except ValidationError:
                try:
                    phone = identifiers.clean_mobile(phone)
                except ValidationError:
                    _add(errors, "phone", _("Enter a landline (e.g. 021-58881234) or a mobile number."))
        cleaned["phone"] = phone
    if creating or "bank_account" in data:
        account = str(data.get("bank_account") or "").strip()
        if account:
            try:
                account = identifiers.clean_bank_account(account)
            except ValidationError as error:
                _add(errors, "bank_account", " ".join(error.messages))
        cleaned["bank_account"] = account
    if "is_active" in data:
        cleaned["is_active"] = bool(data["is_active"])
    if creating or "store_ids" in data:
        store_ids = data.get("store_ids") or []
        stores = list(Store.all_objects.filter(pk__in=store_ids, group=group).order_by("pk"))
        if len(stores) != len(set(store_ids)):
            _add(errors, "store_ids", _("Choose stores of this group."))
        elif instance is not None:
            left = Store.all_objects.filter(legal_entity=instance).exclude(pk__in=store_ids).order_by("code")
            names = ", ".join(str(store) for store in left)
            if names:
                _add(
                    errors,
                    "store_ids",
                    _("A store always belongs to a company: give %(stores)s to another company instead.")
                    % {"stores": names},
                )
        cleaned["stores"] = stores
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    return cleaned


def _stores_join(actor: User, entity: LegalEntity, stores: list[Store]) -> None:
    for store in Store.all_objects.select_for_update().filter(pk__in=[s.pk for s in stores]).order_by("pk"):
        if store.legal_entity_id != entity.pk:
            store.legal_entity = entity
            store.save(actor=actor)


@transaction.atomic
def legal_entity_create(*, actor: User, group: DealerGroup, data: dict[str, Any]) -> LegalEntity:
    """Record a company of ``group`` and give it its stores (taken from the company they belonged to)."""
    cleaned = legal_entity_clean(data, group=group)
    stores = cleaned.pop("stores")
    entity = LegalEntity(group=group, **cleaned)
    entity.save(actor=actor)
    _stores_join(actor, entity, stores)
    return entity


@transaction.atomic
def legal_entity_update(*, actor: User, entity_id: int, data: dict[str, Any]) -> LegalEntity:
    """Change a company's fields and stores (those given)."""
    entity = LegalEntity.objects.select_for_update().filter(pk=entity_id).first()
    if entity is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    cleaned = legal_entity_clean(data, group=entity.group, instance=entity)
    stores = cleaned.pop("stores", None)
    for name, value in cleaned.items():
        setattr(entity, name, value)
    entity.save(actor=actor)
    if stores is not None:
        _stores_join(actor, entity, stores)
    return entity
