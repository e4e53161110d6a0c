"""Which customers a member of staff sees where the group's stores are separate companies (PIPL Art. 23).

个人信息保护法 第二十三条: a personal-information handler that provides personal information it handles
to another handler must tell the person the recipient's name, contact, purpose, manner of handling and
the kinds of information, and obtain the person's *separate consent* (单独同意). Each company of a
dealer group (``LegalEntity``) is a handler of its own; the archive is shared across the group, so:

- a store sees the customers registered at a store of its own company (``home_store``);
- a store of another company sees a customer only when the customer has given the separate consent
  to sharing within the group (``Customer.sharing_consent``), or while serving a visit booked at that
  store: the areas that book visits register what counts (``VISIT_VISIBILITY``);
- stores without a recorded company are not separated from any store (nothing says they are
  different handlers), and group-wide roles (head office) see the whole archive;
- without a current actor (background jobs, the system) nothing is filtered.

The rule is applied by ``Customer.objects`` (``models.customers.CustomerManager``, given
``current_rule`` when the app is ready) and inside the archive search, so that lists, search, record
pages, the API and exports all follow it; history names a hidden customer "a customer of another
company" (``Customer.audit_hidden``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Q, QuerySet

from aftersales.core.current import current_scope
from aftersales.core.models import Store
from aftersales.customers.models import Customer

# What a visit-booking area adds: given the actor's stores, the ids of customers with a visit booked at
# one of them (a queryset of ``values("customer_id")``), e.g. appointments not yet closed.
VISIT_VISIBILITY: list[Callable[[frozenset[int]], QuerySet[Any]]] = []


@dataclass(frozen=True)
class ArchiveVisibility:
    """The customers one member of staff sees: registered at ``home_store_ids``, shared, or visiting."""

    home_store_ids: frozenset[int]
    visiting: tuple[QuerySet[Any], ...] = field(default=())

    def q(self, prefix: str = "") -> Q:
        """The rule as a condition on customers, or (with ``prefix``, e.g. ``"customer__"``) on rows that
        refer to one."""
        rule = Q(**{f"{prefix}home_store_id__in": sorted(self.home_store_ids)}) | Q(
            **{f"{prefix}sharing_consent": True}
        )
        for customer_ids in self.visiting:
            rule |= Q(**{f"{prefix}pk__in": customer_ids})
        return rule

    def sees_registration(self, customer: Customer) -> bool:
        """Whether the customer is visible by registration or consent (not asking about visits)."""
        return customer.home_store_id in self.home_store_ids or customer.sharing_consent


def archive_visibility(store_ids: frozenset[int] | None) -> ArchiveVisibility | None:
    """The rule for a member of staff of ``store_ids`` (None: group-wide, no rule). None as well when the
    actor's companies cover every store (nothing to hide, and no condition to slow the reads)."""
    if store_ids is None:
        return None
    companies = dict(Store.all_objects.values_list("pk", "legal_entity_id"))
    own = {companies.get(store_id) for store_id in store_ids}
    if None in own:
        return None  # a store without a recorded company is separated from none
    visible = frozenset(pk for pk, company in companies.items() if company is None or company in own)
    if len(visible) == len(companies):
        return None
    return ArchiveVisibility(visible, tuple(visiting(store_ids) for visiting in VISIT_VISIBILITY))


def customers_hidden(customer_ids: Iterable[int]) -> frozenset[int]:
    """Of these customers (linked to a vehicle the actor sees, say), those the current actor may not see:
    shown as "a customer of another company", without name, number or link."""
    return Customer.audit_hidden(customer_ids)


def current_rule() -> Q | None:
    """The current actor's rule as a condition on customers (``Customer.objects`` applies it)."""
    visibility = current_visibility()
    return None if visibility is None else visibility.q()


_UNRESOLVED = object()


def current_visibility() -> ArchiveVisibility | None:
    """The rule for the current actor (resolved once per request or job, then kept on its scope)."""
    scope = current_scope()
    if scope is None or scope.user is None:
        return None
    known = scope.memo.get("customers.visibility", _UNRESOLVED)
    if known is _UNRESOLVED:
        known = archive_visibility(scope.store_ids)
        scope.memo["customers.visibility"] = known
    return cast("ArchiveVisibility | None", known)  # what archive_visibility returned
