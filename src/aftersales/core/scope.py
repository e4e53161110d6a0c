"""What one actor may see and do, resolved once per request or job and kept as the current scope.

The scope is set once per request (session users in middleware, token users in the API
authentication) and held in ``aftersales.core.current``, which the store-owned models' managers and
the audit trail read. Its memberships are read (``aftersales.core.grants``, one query) the first time
its store ids, permissions or dealer groups are asked for, and every answer is worked out from them for the
rest of the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aftersales.core.current import current_scope, reset_scope, set_scope
from aftersales.core.grants import (
    Membership,
    groups_from,
    is_acting_user,
    memberships_of,
    permissions_from,
    permissions_of,
    visible_from,
    visible_store_ids,
)

if TYPE_CHECKING:
    from aftersales.core.models import User

__all__ = ["AccessScope", "current_scope", "scope_of", "set_scope"]


@dataclass
class AccessScope:
    """What one actor may see: ``store_ids`` is None for group-wide access, else a set of ids."""

    user: User | None
    client_ip: str | None = None
    _store_ids: frozenset[int] | None = field(default=None, init=False)
    _resolved: bool = field(default=False, init=False)
    _permissions: dict[int | None, frozenset[str]] = field(default_factory=dict, init=False)
    # What areas derive from the scope once per request (e.g. the archive's visibility rule), by key.
    memo: dict[str, object] = field(default_factory=dict, init=False)
    _memberships: list[Membership] | None = field(default=None, init=False)

    def _rows(self) -> list[Membership] | None:
        """The actor's memberships, read once; None for a superuser or no acting user (no rows to read)."""
        user = self.user
        if not is_acting_user(user) or user.is_superuser:
            return None
        if self._memberships is None:
            self._memberships = memberships_of(user)
        return self._memberships

    @property
    def store_ids(self) -> frozenset[int] | None:
        if not self._resolved:
            rows = self._rows()
            self._store_ids = visible_store_ids(self.user) if rows is None else visible_from(rows)
            self._resolved = True
        return self._store_ids

    def permissions_in(self, store_id: int | None) -> frozenset[str]:
        if store_id not in self._permissions:
            rows = self._rows()
            found = permissions_of(self.user, store_id) if rows is None else permissions_from(rows, store_id)
            self._permissions[store_id] = found
        return self._permissions[store_id]

    @property
    def group_ids(self) -> list[int] | None:
        """The dealer groups of the stores the actor sees (None: every store), in order."""
        rows = self._rows()
        if rows is None:
            return None if is_acting_user(self.user) else []
        return groups_from(rows)


@contextmanager
def scope_of(user: User | None, client_ip: str | None = None) -> Iterator[AccessScope]:
    """Run a block as ``user`` (used by jobs acting for someone, and by tests)."""
    scope = AccessScope(user=user, client_ip=client_ip)
    token = set_scope(scope)
    try:
        yield scope
    finally:
        reset_scope(token)
