"""What one actor may see and do, resolved once per request or job and kept as the current scope.

The scope is set once per request (session users in middleware, token users in the API
authentication) and held in ``aftersales.core.current``, which the store-owned models' managers and
the audit trail read. Its store ids and permissions are looked up (``aftersales.core.grants``) the
first time they are asked for, then kept for the rest of the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aftersales.core.current import current_scope, reset_scope, set_scope
from aftersales.core.grants import permissions_of, visible_store_ids

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

    @property
    def store_ids(self) -> frozenset[int] | None:
        if not self._resolved:
            self._store_ids = visible_store_ids(self.user)
            self._resolved = True
        return self._store_ids

    def permissions_in(self, store_id: int | None) -> frozenset[str]:
        if store_id not in self._permissions:
            self._permissions[store_id] = permissions_of(self.user, store_id)
        return self._permissions[store_id]


@contextmanager
def scope_of(user: User | None, client_ip: str | None = None) -> Iterator[AccessScope]:
    """Run a block as ``user`` (used by jobs acting for someone, and by tests)."""
    scope = AccessScope(user=user, client_ip=client_ip)
    token = set_scope(scope)
    try:
        yield scope
    finally:
        reset_scope(token)
