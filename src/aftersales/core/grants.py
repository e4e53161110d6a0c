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


def visible_store_ids(user: User | AnonymousUser | None) -> frozenset[int] | None:
    """Store ids the user may see; None means every store (superusers and group-wide roles)."""
    if not is_acting_user(user):
        return frozenset()
    if user.is_superuser:
        return None
    memberships = StaffMembership.all_objects.filter(user_id=user.pk, is_active=True, store__is_active=True)
    if memberships.filter(role__scope="group").exists():
        return None
    return frozenset(memberships.values_list("store_id", flat=True))


def permissions_of(user: User | AnonymousUser | None, store_id: int | None) -> frozenset[str]:
    """Permissions the user holds in ``store_id``, or in any store when ``store_id`` is None."""
    if not is_acting_user(user):
        return frozenset()
    if user.is_superuser:
        return frozenset(PERMISSIONS)
    memberships = StaffMembership.all_objects.filter(user_id=user.pk, is_active=True, store__is_active=True)
    granted: set[str] = set()
    for scope, permissions, member_store in memberships.values_list("role__scope", "role__permissions", "store_id"):
        if store_id is None or scope == "group" or member_store == store_id:
            granted.update(permissions or [])
    return frozenset(granted & set(PERMISSIONS))


def default_store(visible: frozenset[int] | None) -> Store | None:
    """The store a user works in until they choose another: the first active store by code among
    ``visible`` (``visible_store_ids``; None: every store). The one rule for a session's first store,
    for keeping a session's store one the user may still see, and for an API token, which has no
    session."""
    stores = Store.all_objects.filter(is_active=True).order_by("code")
    return (stores.filter(pk__in=visible) if visible is not None else stores).first()
