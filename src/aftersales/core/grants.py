"""Who may see which stores and holds which permissions there: the membership queries.

A user may act in a store when they hold an active membership there, or a group-wide role anywhere;
superusers may do everything. ``aftersales.core.scope`` keeps these answers for one actor, and
``aftersales.core.access`` decides with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from aftersales.core.models import StaffMembership, Store
from aftersales.core.permissions import PERMISSIONS

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from aftersales.core.models import User


def is_acting_user(user: User | AnonymousUser | None) -> TypeGuard[User]:
    """Whether ``user`` is a signed-in, active user (who may hold grants at all)."""
    return user is not None and user.is_authenticated and user.is_active


# One active membership as the grants read it: (role scope, role permissions, store id, the store's group id).
Membership = tuple[str, list[str] | None, int, int]


def memberships_of(user: User) -> list[Membership]:
    """The user's active memberships in active stores, in one query: what every answer below is worked out
    from (``aftersales.core.scope`` keeps them for the rest of a request)."""
    rows = StaffMembership.all_objects.filter(user_id=user.pk, is_active=True, store__is_active=True)
    return list(rows.values_list("role__scope", "role__permissions", "store_id", "store__group_id"))


def visible_from(memberships: list[Membership]) -> frozenset[int] | None:
    """The stores the memberships let a user see; None (every store) with a group-wide role."""
    if any(scope == "group" for scope, _permissions, _store, _group in memberships):
        return None
    return frozenset(store_id for _scope, _permissions, store_id, _group in memberships)


def permissions_from(memberships: list[Membership], store_id: int | None) -> frozenset[str]:
    """The permissions the memberships grant in ``store_id``, or in any store when ``store_id`` is None."""
    granted: set[str] = set()
    for scope, permissions, member_store, _group in memberships:
        if store_id is None or scope == "group" or member_store == store_id:
            granted.update(permissions or [])
    return frozenset(granted & set(PERMISSIONS))


def groups_from(memberships: list[Membership]) -> list[int] | None:
    """The dealer groups of the stores the memberships let a user see (None: every store, as
    ``visible_from``), in order."""
    if any(scope == "group" for scope, _permissions, _store, _group in memberships):
        return None
    return sorted({group_id for _scope, _permissions, _store, group_id in memberships})


def visible_store_ids(user: User | AnonymousUser | None) -> frozenset[int] | None:
    """Store ids the user may see; None means every store (superusers and group-wide roles)."""
    if not is_acting_user(user):
        return frozenset()
    if user.is_superuser:
        return None
    return visible_from(memberships_of(user))


def permissions_of(user: User | AnonymousUser | None, store_id: int | None) -> frozenset[str]:
    """Permissions the user holds in ``store_id``, or in any store when ``store_id`` is None."""
    if not is_acting_user(user):
        return frozenset()
    if user.is_superuser:
        return frozenset(PERMISSIONS)
    return permissions_from(memberships_of(user), store_id)


def default_store(visible: frozenset[int] | None) -> Store | None:
    """The store a user works in until they choose another: the first active store by code among
    ``visible`` (``visible_store_ids``; None: every store). The one rule for a session's first store,
    for keeping a session's store one the user may still see, and for an API token, which has no
    session."""
    stores = Store.all_objects.filter(is_active=True).order_by("code")
    return (stores.filter(pk__in=visible) if visible is not None else stores).first()
