"""Merging two archives of one person: fields chosen per field, links, search keys, audit."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.customers import search
from aftersales.customers.models import (
    Customer,
    CustomerAlias,
    CustomerPhone,
    VehicleLink,
)
from aftersales.customers.selectors.customers import merged_error
from aftersales.customers.services.customers import customer_search_keys_rebuild, mobiles_audit, mobiles_of
from aftersales.customers.services.quality import completeness_refresh

# Fields the merging user picks from either record ("survivor" keeps the surviving record's value).
MERGEABLE_FIELDS = (
    "name",
    "kind",
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
    "source",
    "owner_id",
    "customer_class",
    "marketing_consent",
    "data_consent",
    "sharing_consent",
)


_CONSENTS = frozenset({"marketing_consent", "data_consent", "sharing_consent"})


def _links_settle_for_merge(survivor: Customer, merged: Customer, *, actor: User) -> None:
    """Before the merged record's vehicle links move to the survivor, end the open driver periods that
    would make one person drive a vehicle twice, or drive the vehicle they own (audited link changes)."""
    today = timezone.localdate()
    open_links = VehicleLink.objects.filter(customer__in=[survivor, merged], valid_to=None).order_by("pk")
    held: dict[int, dict[int, VehicleLink]] = {survivor.pk: {}, merged.pk: {}}
    roles: dict[tuple[int, int], set[str]] = {}
    for link in open_links:
        roles.setdefault((link.customer_id, link.vehicle_id), set()).add(link.role)
        if link.role == VehicleLink.Role.DRIVER:
            held[link.customer_id][link.vehicle_id] = link
    for vehicle_id, link in list(held[merged.pk].items()):
        if roles.get((survivor.pk, vehicle_id)):  # the survivor already drives or owns it
            link.valid_to = max(today, link.valid_from)
            link.save(actor=actor)
    for vehicle_id, link in list(held[survivor.pk].items()):
        if VehicleLink.Role.OWNER in roles.get((merged.pk, vehicle_id), set()):  # it becomes the survivor's own
            link.valid_to = max(today, link.valid_from)
            link.save(actor=actor)


def _fills(survivor: Customer, merged: Customer, field: str) -> bool:
    """Whether the merged record has a value for ``field`` where the survivor has none (and taking it
    would not give the survivor an identifier its kind cannot have)."""
    if field == "resident_id":
        return bool(merged.resident_id_cipher) and not survivor.resident_id_cipher and survivor.kind == "individual"
    if field == "uscc":
        return bool(merged.uscc) and not survivor.uscc and survivor.kind == Customer.Kind.COMPANY
    if field in _CONSENTS:
        return getattr(merged, f"{field}_at") is not None and getattr(survivor, f"{field}_at") is None
    if field in {"kind", "source", "customer_class", "name"}:
        return False  # always set: the survivor's stands unless the user picks the other
    if field == "owner_id":
        return merged.owner_id is not None and survivor.owner_id is None
    return bool(getattr(merged, field)) and not getattr(survivor, field)


@transaction.atomic
def customer_merge(*, actor: User, survivor_id: int, merged_id: int, choices: dict[str, str]) -> Customer:
    """Merge ``merged_id`` into ``survivor_id``: the user's picked values, then mobiles, vehicles,
    documents and history move to the survivor; the merged number stays findable as an alias.

    Both rows are locked (in primary-key order) for the whole merge.
    """
    if survivor_id == merged_id:
        raise ApplicationError(
            _("A customer cannot be merged into itself."), code="invalid", field="merged_id", status=422
        )
    unknown = sorted(set(choices) - set(MERGEABLE_FIELDS))
    bad_values = sorted(field for field, side in choices.items() if side not in {"survivor", "merged"})
    if unknown or bad_values:
        raise ApplicationError(
            _("Some fields are not valid."),
            fields={f"choices.{field}": [_("Unknown field.")] for field in unknown}
            | {f"choices.{field}": [_("Choose survivor or merged.")] for field in bad_values},
            status=422,
        )
    locked = {
        c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor_id, merged_id]).order_by("pk")
    }
    survivor, merged = locked.get(survivor_id), locked.get(merged_id)
    for field, customer in (("survivor_id", survivor), ("merged_id", merged)):
        if customer is not None and customer.merged_into_id:
            # A merge run twice (a double click, a retried request): it names where the record went.
            raise merged_error(customer, status=409)
        if customer is None or customer.anonymised_at:
            raise ApplicationError(_("No such active customer."), code="invalid", field=field, status=422)
    assert survivor is not None and merged is not None  # noqa: S101 - narrowed by the loop above
    taken = [field for field, side in choices.items() if side == "merged"]
    # No value of the merged record is dropped: a field the user left to the survivor, where the
    # survivor has none and the merged record has one, takes the merged record's.
    taken += [field for field in MERGEABLE_FIELDS if field not in choices and _fills(survivor, merged, field)]
    if "uscc" in taken and merged.uscc:
        uscc = merged.uscc
        merged.uscc = ""
        merged.save(actor=actor)
        survivor.uscc = uscc
    for field in taken:
        if field == "resident_id":
            survivor.resident_id_cipher = merged.resident_id_cipher
            survivor.resident_id_digest = merged.resident_id_digest
            survivor.resident_id_hint = merged.resident_id_hint
        elif field in _CONSENTS:
            # A consent goes with when and how it was given.
            for part in ("", "_at", "_channel"):
                setattr(survivor, field + part, getattr(merged, field + part))
        elif field != "uscc":
            setattr(survivor, field, getattr(merged, field))
    survivor.tags = list(dict.fromkeys([*(survivor.tags or []), *(merged.tags or [])]))  # no tag is lost
    clashes: dict[str, list[str]] = {}
    if survivor.kind == Customer.Kind.INDIVIDUAL and survivor.uscc:
        clashes["choices.uscc"] = [_("Only a company has a unified social credit code.")]
    if survivor.kind == Customer.Kind.COMPANY and survivor.resident_id_cipher:
        clashes["choices.resident_id"] = [_("A company has no resident ID; enter its credit code.")]
    if clashes:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=clashes, status=422)
    survivor_mobiles = mobiles_of(survivor)
    survivor_numbers = set(survivor_mobiles)
    for phone in merged.phones.all():
        if phone.number in survivor_numbers:
            phone.delete()
        else:
            CustomerPhone.objects.filter(pk=phone.pk).update(customer=survivor, is_primary=False)
    _links_settle_for_merge(survivor, merged, actor=actor)
    moved_links = VehicleLink.objects.filter(customer=merged).update(customer=survivor)
    moved_documents = merged.documents.update(customer=survivor)

    merged.aliases.update(customer=survivor)
    CustomerAlias.objects.create(customer=survivor, number=merged.number, merged_by=actor)
    merged.merged_into = survivor
    merged.save(actor=actor)
    customer_search_keys_rebuild(merged)
    initials, full = search.name_initials_and_pinyin(survivor.name)
    survivor.name_initials, survivor.name_pinyin = " ".join(initials), full
    survivor.version += 1
    survivor.save(actor=actor)
    customer_search_keys_rebuild(survivor)
    completeness_refresh(survivor)
    mobiles_audit(survivor, survivor_mobiles, mobiles_of(survivor), actor=actor)
    audit_append(
        action="merge",
        actor=actor,
        store_id=survivor.home_store_id,
        object_type="customers.customer",
        object_id=str(survivor.pk),
        object_repr=survivor.number,
        changes={
            "merged": merged.number,
            "fields_taken": sorted(taken),
            "vehicle_links": moved_links,
            "documents": moved_documents,
        },
    )
    return survivor
