"""The store scope of the current request or job, held in a context variable.

Set once per request (session users in middleware, token users in the API authentication) and read
by every store-owned model's default manager, so that queries are limited to the stores the user may
see without each view remembering to filter, and by the audit trail (who acts, from where). Outside a
request (jobs, commands) no scope is set and managers see every store; system code that must ignore a
scope uses ``all_objects``.

This module sits below the models that read it: what a scope holds and how it is resolved is
``aftersales.core.scope``.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aftersales.core.scope import AccessScope

_current: ContextVar[AccessScope | None] = ContextVar("aftersales_scope", default=None)


def current_scope() -> AccessScope | None:
    return _current.get()


def set_scope(scope: AccessScope | None) -> Token[AccessScope | None]:
    """Make ``scope`` the current one; the token undoes it (``reset_scope``)."""
    return _current.set(scope)


def reset_scope(token: Token[AccessScope | None]) -> None:
    _current.reset(token)
