"""The one place that decides who may do what, where.

Every page and API call asks ``authorize`` (directly or through the ``access`` decorators).
A user may act in a store when they hold an active membership there, or a group-wide role;
superusers may do everything (the queries are ``aftersales.core.grants``). Records of stores a user
may not see are reported as missing (404), so that their existence is not revealed; a visible record
without the permission is 403.

Some records are seen group-wide but belong to particular stores (a customer to the store that
registered it, a document copy also to the store that took it): an operation on them needs the
permission in one of those stores (``authorize_for``), which a group-wide role holds everywhere.

Both refusals are audited: a 403 as ``permission_denied``, a 404 for a record that exists in
another store as ``not_found_in_scope`` (a record that exists nowhere writes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NoReturn, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.grants import is_acting_user, permissions_of, visible_store_ids
from aftersales.core.models import Store
from aftersales.core.permissions import PERMISSIONS
from aftersales.core.scope import AccessScope, current_scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from aftersales.core.models import User

# The membership queries (core.grants) are named here too, for the areas that ask this module.
__all__ = [
    "NotAuthenticated",
    "authorize",
    "authorize_for",
    "can",
    "can_for",
    "groups_seen",
    "permissions_of",
    "store_record_access",
    "visible_store_ids",
]

M = TypeVar("M", bound=Model)


class NotAuthenticated(Exception):
    """No user: pages redirect to the login page, the API answers 401."""


def _scope_for(user: User | AnonymousUser | None) -> AccessScope:
    scope = current_scope()
    if scope is not None and scope.user is user:
        return scope
    return AccessScope(user=user if is_acting_user(user) else None)


def can(user: User | AnonymousUser | None, permission: str, *, store_id: int | None = None) -> bool:
    if permission not in PERMISSIONS:
        raise ValueError(f"Unknown permission {permission!r}")
    if not is_acting_user(user):
        return False
    scope = _scope_for(user)
    if store_id is not None and scope.store_ids is not None and store_id not in scope.store_ids:
        return False
    return permission in scope.permissions_in(store_id)


def can_for(user: User | AnonymousUser | None, permission: str, *, store_ids: Iterable[int]) -> bool:
    """Whether the user holds ``permission`` in one of the stores a record belongs to."""
    return any(can(user, permission, store_id=store_id) for store_id in store_ids)


def authorize_for(user: User | AnonymousUser | None, permission: str, *, store_ids: Iterable[int]) -> None:
    """Allow an operation on a record the user may see but which belongs to ``store_ids``: the
    permission must be held in one of them. Raises NotAuthenticated or PermissionDenied (audited,
    naming the record's first store)."""
    if not is_acting_user(user):
        raise NotAuthenticated
    store_ids = list(store_ids)
    if can_for(user, permission, store_ids=store_ids):
        return
    _refuse(user, permission, store_id=store_ids[0] if store_ids else None)


def _refuse(user: User, permission: str, *, store_id: int | None) -> NoReturn:
    audit_append(action="permission_denied", actor=user, store_id=store_id, changes={"permission": permission})
    raise PermissionDenied(_("You do not have permission to do this."))


def authorize(
    user: User | AnonymousUser | None,
    permission: str | tuple[str, ...] | None,
    *,
    store_id: int | None = None,
    record: Model | None = None,
) -> None:
    """Allow or refuse one action. Raises NotAuthenticated, Http404 or PermissionDenied.

    ``permission`` None means any signed-in user; a tuple, any one of its permissions (an operation whose
    kinds each have their own, e.g. recording an approval of any kind). With ``store_id`` the action concerns a record
    of that store (``record``; without it the store itself): a store the user may not see answers
    404 before the permission is looked at, and the request is audited when that record exists.
    """
    if not is_acting_user(user):
        raise NotAuthenticated
    wanted = (permission,) if isinstance(permission, str) else permission or ()
    for code in wanted:
        if code not in PERMISSIONS:
            raise ValueError(f"Unknown permission {code!r}")
    first = wanted[0] if wanted else None
    scope = _scope_for(user)
    if store_id is not None and scope.store_ids is not None and store_id not in scope.store_ids:
        _audit_out_of_scope(user, first, store_id=store_id, record=record)
        raise Http404(_("Not found."))
    if wanted and not set(wanted) & set(scope.permissions_in(store_id)):
        _refuse(user, " | ".join(wanted), store_id=store_id)


def _audit_out_of_scope(user: User, permission: str | None, *, store_id: int, record: Model | None) -> None:
    """Record that ``user`` asked for ``record`` (default: the store ``store_id``) of a store outside
    their scope, in that store's chain. A store that does not exist is a plain miss: nothing is written."""
    if record is None:
        record = Store.all_objects.filter(pk=store_id).first()
        if record is None:
            return
    meta = record._meta
    audit_repr = getattr(record, "audit_repr", None)
    audit_append(
        action="not_found_in_scope",
        actor=user,
        store_id=store_id,
        object_type=f"{meta.app_label}.{meta.model_name}",
        object_id=str(record.pk),
        object_repr=audit_repr() if callable(audit_repr) else "",
        changes={"permission": permission} if permission is not None else {},
    )


def store_record_access(
    *, actor: User | AnonymousUser | None, permission: str | None, records: QuerySet[M], record_id: int
) -> M:
    """The record ``record_id`` of ``records`` if ``actor`` may act on it (``authorize`` on its store).

    ``records`` must not be limited to the user's stores (``all_objects`` of a store-owned model): a
    record of another store is then told apart from a missing one, both answer 404 and only the
    first is audited (``not_found_in_scope``). The record needs a ``store_id``.
    """
    if not is_acting_user(actor):
        raise NotAuthenticated
    record = records.filter(pk=record_id).first()
    if record is None:
        raise Http404(_("Not found."))
    authorize(actor, permission, store_id=record.store_id, record=record)  # type: ignore[attr-defined]
    return record


def groups_seen(user: User | AnonymousUser | None) -> list[int] | None:
    """The dealer groups of the stores ``user`` sees (None: every store, as ``visible_store_ids``), read with
    the request's scope (no query of its own)."""
    return _scope_for(user).group_ids


def stores_with(user: User, permission: str) -> list[int] | None:
    """The stores in which ``user`` holds ``permission`` (None: every store, a group-wide role)."""
    visible = visible_store_ids(user)
    if visible is None:
        return None
    return [store_id for store_id in sorted(visible) if can(user, permission, store_id=store_id)]
