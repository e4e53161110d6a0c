"""The store scope of the current request or job.

Set once per request (session users in middleware, token users in the API authentication) and
read by every store-owned model's default manager, so that queries are limited to the stores the
user may see without each view remembering to filter. Outside a request (jobs, commands) no scope
is set and managers see every store; system code that must ignore a scope uses ``all_objects``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aftersales.core.models import User


@dataclass
class AccessScope:
    """What one actor may see: ``store_ids`` is None for group-wide access, else a set of ids."""

    user: User | None
    client_ip: str | None = None
    _store_ids: frozenset[int] | None = field(default=None, init=False)
    _resolved: bool = field(default=False, init=False)
    _permissions: dict[int | None, frozenset[str]] = field(default_factory=dict, init=False)

    @property
    def store_ids(self) -> frozenset[int] | None:
        if not self._resolved:
            from aftersales.core.access import visible_store_ids

            self._store_ids = visible_store_ids(self.user)
            self._resolved = True
        return self._store_ids

    def permissions_in(self, store_id: int | None) -> frozenset[str]:
        if store_id not in self._permissions:
            from aftersales.core.access import permissions_of

            self._permissions[store_id] = permissions_of(self.user, store_id)
        return self._permissions[store_id]


_current: ContextVar[AccessScope | None] = ContextVar("aftersales_scope", default=None)


def current_scope() -> AccessScope | None:
    return _current.get()


def set_scope(scope: AccessScope | None) -> None:
    _current.set(scope)


@contextmanager
def scope_of(user: User | None, client_ip: str | None = None) -> Iterator[AccessScope]:
    """Run a block as ``user`` (used by jobs acting for someone, and by tests)."""
    scope = AccessScope(user=user, client_ip=client_ip)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
