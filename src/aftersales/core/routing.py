"""Access declarations for pages and API operations.

Every page view and API operation states who may call it through one of these decorators. The
declaration is kept on the function (``access``) so that the permission-matrix test can find
every route and check it against every role, without a list kept by hand.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.params.models import Query as QuerySource
from pydantic import BaseModel

from aftersales.core.access import NotAuthenticated, authorize, can, stores_with
from aftersales.core.current import current_scope
from aftersales.core.errors import ApplicationError
from aftersales.core.grants import default_store, visible_store_ids
from aftersales.core.models import DealerGroup, Store
from aftersales.core.permissions import PERMISSIONS

if typing.TYPE_CHECKING:
    from aftersales.core.models import User

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    """``public``: anyone; otherwise a signed-in user holding ``permission`` (None: any signed-in user)
    in the request's store. ``store_kwarg`` names the URL argument that selects a store's record."""

    permission: str | tuple[str, ...] | None = None  # a tuple: any one of them
    public: bool = False
    store_kwarg: str | None = None
    admin_only: bool = False


def active_store_id(request: HttpRequest) -> int | None:
    value = request.session.get("store_id") if hasattr(request, "session") else None
    return int(value) if value is not None else None


def page_store(request: HttpRequest) -> Store:
    """The session's active store a page shows (the store picker's choice); 404 without one."""
    store_id = active_store_id(request)
    store = Store.objects.filter(pk=store_id).first() if store_id else None
    if store is None:
        raise Http404
    return store


def acting_store(request: HttpRequest, *, permission: str) -> Store:
    """The store a request creates records in, where ``permission`` must be held: the session's active
    store, else (an API token has no session) the user's first store by code."""
    store_id = active_store_id(request)
    store = Store.objects.filter(pk=store_id, is_active=True).first() if store_id else None
    if store is None:
        scope = current_scope()
        store = default_store(scope.store_ids if scope is not None else visible_store_ids(request.user))
    if store is None:
        raise ApplicationError(_("You are not a member of any store."), code="no_store", status=403)
    authorize(request.user, permission, store_id=store.pk)
    return store


def acting_group(request: HttpRequest, *, permission: str) -> DealerGroup:
    """The dealer group a request works in, for what is kept per group (the part master, the service
    catalogue): the active store's group, else (an API token has no session) the group of the first
    store, by code, in which the user holds ``permission``."""
    store_id = active_store_id(request)
    store = Store.objects.filter(pk=store_id, is_active=True).select_related("group").first() if store_id else None
    if store is None:
        store_ids = stores_with(request_user(request), permission)
        stores = Store.all_objects.filter(is_active=True)
        if store_ids is not None:
            stores = stores.filter(pk__in=store_ids)
        store = stores.select_related("group").order_by("code").first()
    if store is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return store.group


def _ensure_active_store(request: HttpRequest) -> None:
    """Keep the session's active store one the user may see (memberships change)."""
    scope = current_scope()
    visible = scope.store_ids if scope is not None else None
    store_id = active_store_id(request)
    if store_id is not None and (visible is None or store_id in visible):
        return
    first = default_store(visible)
    request.session["store_id"] = first.pk if first else None


def page(
    permission: str | tuple[str, ...] | None = None, *, public: bool = False, store_kwarg: str | None = None
) -> Callable[[F], F]:
    """Declare and enforce who may open a page; anonymous users are sent to the login page. A service's
    "not found" (an ApplicationError with status 404: missing, or not in the actor's scope) is the
    page's 404; every other refusal is the view's to show, never turned into a 404."""
    _known(permission)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not public:
                if request.user.is_authenticated:
                    _ensure_active_store(request)
                try:
                    store_id = kwargs.get(store_kwarg) if store_kwarg else active_store_id(request)
                    authorize(request.user, permission, store_id=store_id)
                except NotAuthenticated:
                    return redirect_to_login(request.get_full_path())
            try:
                response: HttpResponse = view(request, *args, **kwargs)
            except ApplicationError as error:
                if error.status == 404:
                    raise Http404(error.detail) from None
                raise
            return response

        wrapped.access = Access(permission=permission, public=public, store_kwarg=store_kwarg)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _query_names(view: Callable[..., Any]) -> frozenset[str]:
    """Names the operation accepts in its query string: its Query schemas' fields and scalar params.

    A parameter declared ``Query[Schema]`` is ``Annotated[Schema, <ninja Query param>]``: that
    parameter source, not the schema's name, says that the schema's fields come from the query string.
    """
    names: set[str] = set()
    for name, hint in typing.get_type_hints(view, include_extras=True).items():
        if name in {"request", "return"}:
            continue
        if typing.get_origin(hint) is Annotated:
            model, *metadata = typing.get_args(hint)
            is_query = any(isinstance(item, QuerySource) for item in metadata)
            if is_query and isinstance(model, type) and issubclass(model, BaseModel):
                names.update(field.alias or key for key, field in model.model_fields.items())
                continue
        names.add(name)
    return frozenset(names)


def _known(permission: str | tuple[str, ...] | None) -> None:
    for code in (permission,) if isinstance(permission, str) else permission or ():
        if code not in PERMISSIONS:
            raise ValueError(f"Unknown permission {code!r}")


def operation(
    permission: str | tuple[str, ...] | None = None, *, public: bool = False, store_kwarg: str | None = None
) -> Callable[[F], F]:
    """Declare and enforce who may call an API operation (after the API's authentication ran); a tuple of
    permissions: any one of them (the operation's service checks which the call needs)."""
    _known(permission)

    def decorator(view: F) -> F:
        allowed: list[frozenset[str]] = []

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not public:
                authorize(request.user, permission, store_id=kwargs.get(store_kwarg) if store_kwarg else None)
            if not allowed:
                allowed.append(_query_names(view))
            unknown = sorted(set(request.GET) - allowed[0])
            if unknown:
                message = _("Unknown field.")
                raise ApplicationError(
                    _("Unknown query parameter: %(names)s.") % {"names": ", ".join(unknown)},
                    fields={name: [message] for name in unknown},
                    status=422,
                )
            return view(request, *args, **kwargs)

        wrapped.access = Access(permission=permission, public=public, store_kwarg=store_kwarg)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a request that a ``page`` or ``operation`` declaration let through."""
    return typing.cast("User", request.user)


def can_here(request: HttpRequest, permission: str) -> bool:
    """Whether the request's user holds ``permission`` in the active store (the one the page checked)."""
    return can(request.user, permission, store_id=active_store_id(request))
