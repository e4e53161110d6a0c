"""Every page and API operation × every role × own store / other store.

Routes are discovered from the URL configuration and the API, so a new page or endpoint joins this
matrix automatically; one without an access declaration, or without a sample request when it needs
one, fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from aftersales.conftest import World
from aftersales.core.models import Role, User
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.core.routing import Access
from aftersales.core.services import token_create
from config.api import api


@dataclass
class Route:
    name: str  # route name or API operation name
    method: str
    path_template: str
    access: Access
    params: tuple[str, ...]


def _join(prefix: str, pattern: str) -> str:
    return prefix + pattern


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str, Any]]:
    found: list[tuple[str, str, Any]] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _walk(entry.url_patterns, _join(prefix, str(entry.pattern)), ns)
        elif isinstance(entry, URLPattern):
            found.append((f"{namespace}{entry.name}", _join(prefix, str(entry.pattern)), entry.callback))
    return found


# Pages (Django views) that are not ours to declare: what the matrix expects of them.
FOREIGN_PREFIXES = ("admin/", "i18n/", "api/v1/")

# Requests that need a method other than GET, a body or a path argument.
SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "core:logout": lambda user, w: {"method": "POST"},
    "core:store_switch": lambda user, w: {"method": "POST", "data": {"store": w.sh.pk}},
    "core:token_revoke": lambda user, w: {
        "method": "POST",
        "kwargs": {"token_id": token_create(user=user, name="t")[0].pk},
    },
    "core:store_detail": lambda user, w: {"kwargs": {"store_id": w.sh.pk}},
    "auth_token_create": lambda user, w: {"json": {"username": user.username, "password": "Correct-Horse-Battery-9"}},
    "auth_token_revoke": lambda user, w: {
        "headers": {"Authorization": "Bearer " + token_create(user=user, name="t")[1]}
    },
    "token_create": lambda user, w: {"json": {"name": "matrix"}},
    "token_revoke": lambda user, w: {"kwargs": {"token_id": token_create(user=user, name="t")[0].pk}},
    "store_detail": lambda user, w: {"kwargs": {"store_id": w.sh.pk}},
}


def page_routes() -> list[Route]:
    routes = []
    for name, template, callback in _walk(get_resolver().url_patterns):
        if template.startswith(FOREIGN_PREFIXES):
            continue
        access = getattr(callback, "access", None)
        assert isinstance(access, Access), f"page {name} declares no access (use @page)"
        params = tuple(part.split(":")[-1].split(">")[0] for part in template.split("<")[1:])
        routes.append(Route(name, "GET", template, access, params))
    return routes


def api_routes() -> list[Route]:
    routes = []
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                access = getattr(operation.view_func, "access", None)
                assert isinstance(access, Access), f"API {path} declares no access (use @operation)"
                params = tuple(part.split("}")[0] for part in path.split("{")[1:])
                for method in operation.methods:
                    routes.append(Route(operation.view_func.__name__, method, path, access, params))
    return routes


ROUTES = page_routes() + api_routes()
ROLES = [default.code for default in ROLE_DEFAULTS]


def _request(
    client: Client, route: Route, user: User, world: World, *, other_store: bool, anonymous: bool = False
) -> int:
    sample = SAMPLES.get(route.name, lambda u, w: {})(user, world)
    kwargs = dict(sample.get("kwargs", {}))
    missing = [p for p in route.params if p not in kwargs]
    assert not missing, f"add a sample for {route.name} giving {missing}"
    if other_store and route.access.store_kwarg:
        kwargs[route.access.store_kwarg] = world.sz.pk
    method = sample.get("method", route.method)
    if route.name.startswith("core:") or ":" in route.name:
        path = "/" + route.path_template
        for key, value in kwargs.items():
            path = path.replace(f"<int:{key}>", str(value))
    else:
        path = "/api/v1" + route.path_template
        for key, value in kwargs.items():
            path = path.replace("{" + key + "}", str(value))
    call = getattr(client, method.lower())
    headers = {} if anonymous else sample.get("headers", {})
    if "json" in sample:
        response = call(path, sample["json"], content_type="application/json", headers=headers)
    elif "data" in sample:
        response = call(path, sample["data"], headers=headers)
    else:
        response = call(path, headers=headers)
    return int(response.status_code)


def test_every_route_is_in_the_matrix() -> None:
    names = {route.name for route in ROUTES}
    assert {"core:today", "core:audit", "core:stores", "health", "me", "store_list", "token_create"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.name}")
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(route: Route, role: str, world: World) -> None:
    user = world.user(role)
    client = Client()
    client.force_login(user)
    permissions = set(Role.objects.get(code=role).permissions)
    group_wide = Role.objects.get(code=role).scope == "group"
    allowed = route.access.public or route.access.permission is None or route.access.permission in permissions

    status = _request(client, route, user, world, other_store=False)
    if allowed:
        assert status < 400, f"{role} should reach {route.name}, got {status}"
    else:
        assert status == 403, f"{role} should be refused {route.name}, got {status}"

    if route.access.store_kwarg:
        status = _request(client, route, user, world, other_store=True)
        if group_wide and allowed:
            assert status < 400
        elif group_wide:
            assert status == 403
        else:
            assert status == 404, f"{role} must not learn of another store's {route.name}, got {status}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.name}")
def test_anonymous_is_sent_to_login_or_gets_401(route: Route, world: World) -> None:
    client = Client()
    status = _request(client, route, world.user("advisor"), world, other_store=False, anonymous=True)
    if route.access.public:
        assert status < 500
    elif route.name.startswith("core:"):
        assert status == 302
    else:
        assert status == 401


def test_user_without_membership_sees_no_store(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.users["outsider"])
    assert client.get(f"/stores/{world.sh.pk}/").status_code == 404
    assert client.get(f"/api/v1/stores/{world.sh.pk}").status_code == 404
    response = client.get("/api/v1/stores")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_admin_site_is_for_admins_only(world: World, client_for: Callable[[User], Client]) -> None:
    assert client_for(world.user("admin")).get("/admin/").status_code == 200
    for role in ROLES:
        if role != "admin":
            response = client_for(world.user(role)).get("/admin/")
            assert response.status_code == 302 and "/admin/login/" in response["Location"], role


def test_admin_edits_a_role_and_it_takes_effect(world: World, client_for: Callable[[User], Client]) -> None:
    advisor_role = Role.objects.get(code="advisor")
    admin = client_for(world.user("admin"))
    form = admin.get(f"/admin/core/role/{advisor_role.pk}/change/")
    assert form.status_code == 200
    response = admin.post(
        f"/admin/core/role/{advisor_role.pk}/change/",
        {
            "code": "advisor",
            "name": "服务顾问",
            "name_en": "Service advisor",
            "scope": "store",
            "landing": "advisor",
            "permissions": ["today.view", "tokens.manage", "audit.view"],
        },
    )
    assert response.status_code == 302
    assert Role.objects.get(code="advisor").permissions == ["today.view", "tokens.manage", "audit.view"]
    advisor = client_for(world.user("advisor"))
    assert advisor.get("/stores/").status_code == 403
    assert advisor.get("/audit/").status_code == 200
    from aftersales.core.models import AuditEntry

    change = AuditEntry.objects.get(object_type="core.role", action="update")
    assert change.actor_username == "admin_sh"
    assert change.changes == {
        "permissions": [["today.view", "stores.view", "tokens.manage"], ["today.view", "tokens.manage", "audit.view"]]
    }


def test_role_permissions_must_be_known(world: World, client_for: Callable[[User], Client]) -> None:
    role = Role.objects.get(code="advisor")
    response = client_for(world.user("admin")).post(
        f"/admin/core/role/{role.pk}/change/",
        {
            "code": "advisor",
            "name": "服务顾问",
            "name_en": "x",
            "scope": "store",
            "landing": "advisor",
            "permissions": ["everything"],
        },
    )
    assert response.status_code == 200
    assert "permissions" in response.context["adminform"].form.errors
    assert Role.objects.get(code="advisor").permissions == ["today.view", "stores.view", "tokens.manage"]
