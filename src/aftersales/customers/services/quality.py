"""Writes of archive quality: a store's rule and the completeness it gives each archive."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.customers import tasks
from aftersales.customers.models import (
    ArchiveRule,
    Customer,
    CustomerPhone,
    VehicleLink,
)
from aftersales.customers.selectors.quality import (
    REQUIRED_ITEMS,
    completeness,
    customer_completeness,
    facts_of,
    rule_for,
)


def completeness_refresh(customer: Customer) -> int:
    """Store the archive's completeness (not an audited business change)."""
    score, _missing = customer_completeness(customer)
    Customer.all_objects.filter(pk=customer.pk).update(completeness=score)
    customer.completeness = score
    return score


def archive_rule_save(*, actor: User, store_id: int, required_fields: list[str], review_days: int) -> ArchiveRule:
    """Set a store's required archive items and review interval, audited; once committed, a background
    job recomputes the completeness of the store's archives by the new rule."""
    unknown = sorted(set(required_fields) - set(REQUIRED_ITEMS))
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["required_fields"] = [str(gettext_lazy("Unknown items: %(items)s")) % {"items": ", ".join(unknown)}]
    elif not required_fields:
        errors["required_fields"] = [str(gettext_lazy("Choose at least one item."))]
    if not 1 <= review_days <= 3650:
        errors["review_days"] = [str(gettext_lazy("Enter a number of days between 1 and 3650."))]
    if errors:
        raise ApplicationError(gettext_lazy("Some fields are not valid."), fields=errors, status=422)
    with transaction.atomic():
        rule = ArchiveRule.objects.select_for_update().filter(store_id=store_id).first()
        before = {"required_fields": rule.required_fields, "review_days": rule.review_days} if rule else None
        after = {
            "required_fields": [item for item in REQUIRED_ITEMS if item in required_fields],
            "review_days": review_days,
        }
        rule, _created = ArchiveRule.objects.update_or_create(store_id=store_id, defaults=after)
        if before != after:
            audit_append(
                action="update" if before else "create",
                actor=actor,
                store_id=store_id,
                object_type="customers.archiverule",
                object_id=str(rule.pk),
                object_repr=str(rule),
                changes={key: [before[key], value] for key, value in after.items()} if before else after,
            )
        transaction.on_commit(lambda: tasks.completeness_recompute(store_id))
    return rule


def completeness_recompute_store(store_id: int, *, batch: int = 2000) -> int:
    """Recompute the stored completeness of every archive registered at a store, in batches.

    Idempotent; a background job runs it after the store's rule changes. Returns the archives updated.
    """
    required, _days = rule_for(store_id)
    last_pk = 0
    updated = 0
    while True:
        customers = list(
            Customer.all_objects.filter(home_store_id=store_id, pk__gt=last_pk, merged_into=None)
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
        Customer.all_objects.bulk_update(changed, ["completeness"], batch_size=1000)
        updated += len(changed)
        last_pk = customers[-1].pk
