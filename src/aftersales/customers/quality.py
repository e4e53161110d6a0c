"""Archive quality: completeness per archive (by the store's required fields) and review due dates."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.customers.models import ArchiveRule, Customer, VehicleLink

# Each required item an archive can be checked for, and what satisfies it.
REQUIRED_ITEMS: dict[str, Promise] = {
    "mobile": _("Mobile number"),
    "address": _("Full address"),
    "identity": _("Resident ID or credit code"),
    "email": _("E-mail"),
    "emergency_contact": _("Emergency contact"),
    "owner": _("Archive owner"),
    "data_consent": _("Data-processing consent"),
    "vehicle": _("At least one vehicle"),
}
DEFAULT_REQUIRED = ("mobile", "address", "identity", "owner", "data_consent", "vehicle")
DEFAULT_REVIEW_DAYS = 90


@dataclass(frozen=True)
class ArchiveFacts:
    has_mobile: bool
    has_address: bool
    has_identity: bool
    has_email: bool
    has_emergency_contact: bool
    has_owner: bool
    has_data_consent: bool
    has_vehicle: bool


def facts_of(customer: Customer, *, has_mobile: bool, has_vehicle: bool) -> ArchiveFacts:
    return ArchiveFacts(
        has_mobile=has_mobile,
        has_address=all((customer.province, customer.city, customer.district, customer.street)),
        has_identity=bool(customer.uscc if customer.kind == Customer.Kind.COMPANY else customer.resident_id_digest),
        has_email=bool(customer.email),
        has_emergency_contact=bool(customer.emergency_contact and customer.emergency_phone),
        has_owner=customer.owner_id is not None,
        has_data_consent=customer.data_consent,
        has_vehicle=has_vehicle,
    )


def completeness(facts: ArchiveFacts, required: tuple[str, ...] | list[str]) -> tuple[int, list[str]]:
    """Percentage of required items present, and the missing items."""
    items = [item for item in required if item in REQUIRED_ITEMS] or list(DEFAULT_REQUIRED)
    missing = [item for item in items if not getattr(facts, f"has_{item}")]
    return round(100 * (len(items) - len(missing)) / len(items)), missing


def rule_for(store_id: int) -> tuple[tuple[str, ...], int]:
    rule = ArchiveRule.objects.filter(store_id=store_id).first()
    if rule is None:
        return DEFAULT_REQUIRED, DEFAULT_REVIEW_DAYS
    return tuple(rule.required_fields) or DEFAULT_REQUIRED, rule.review_days


def customer_completeness(customer: Customer) -> tuple[int, list[str]]:
    """Completeness of one archive now (two queries)."""
    required, _days = rule_for(customer.home_store_id)
    facts = facts_of(
        customer,
        has_mobile=customer.phones.exists(),
        has_vehicle=VehicleLink.objects.filter(customer=customer, valid_to=None).exists(),
    )
    return completeness(facts, required)


def completeness_refresh(customer: Customer) -> int:
    """Store the archive's completeness (not an audited business change)."""
    score, _missing = customer_completeness(customer)
    Customer.objects.filter(pk=customer.pk).update(completeness=score)
    customer.completeness = score
    return score


def archive_rule_save(*, store_id: int, required_fields: list[str], review_days: int) -> ArchiveRule:
    """Set a store's required archive items and review interval (the caller refreshes the scores)."""
    from aftersales.core.errors import ApplicationError

    unknown = sorted(set(required_fields) - set(REQUIRED_ITEMS))
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["required_fields"] = [str(_("Unknown items: %(items)s")) % {"items": ", ".join(unknown)}]
    elif not required_fields:
        errors["required_fields"] = [str(_("Choose at least one item."))]
    if not 1 <= review_days <= 3650:
        errors["review_days"] = [str(_("Enter a number of days between 1 and 3650."))]
    if errors:
        raise ApplicationError(_("Some fields are not valid."), fields=errors, status=422)
    rule, _created = ArchiveRule.objects.update_or_create(
        store_id=store_id,
        defaults={
            "required_fields": [item for item in REQUIRED_ITEMS if item in required_fields],
            "review_days": review_days,
        },
    )
    return rule


def completeness_recompute_store(store_id: int, *, batch: int = 2000) -> int:
    """Recompute the stored completeness of every archive registered at a store, in batches.

    Idempotent; a background job runs it after the store's rule changes. Returns the archives updated.
    """
    from django.db.models import Exists, OuterRef

    from aftersales.customers.models import CustomerPhone

    required, _days = rule_for(store_id)
    last_pk = 0
    updated = 0
    while True:
        customers = list(
            Customer.objects.filter(home_store_id=store_id, pk__gt=last_pk, merged_into=None)
            .annotate(
                has_phone=Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"))),
                has_car=Exists(VehicleLink.objects.filter(customer=OuterRef("pk"), valid_to=None)),
            )
            .order_by("pk")[:batch]
        )
        if not customers:
            return updated
        changed = []
        for customer in customers:
            score = completeness(
                facts_of(customer, has_mobile=customer.has_phone, has_vehicle=customer.has_car), required
            )[0]
            if score != customer.completeness:
                customer.completeness = score
                changed.append(customer)
        Customer.objects.bulk_update(changed, ["completeness"], batch_size=1000)
        updated += len(changed)
        last_pk = customers[-1].pk
