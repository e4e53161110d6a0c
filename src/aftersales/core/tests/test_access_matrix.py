"""Every page and API operation × every role × own store / other store.

Routes are discovered from the URL configuration and the API, so a new page or endpoint joins this
matrix automatically; one without an access declaration, or without a sample request when it needs
one, fails here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, Role, User
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.core.tests.routes import Route, api_routes, page_routes, request_route

ROUTES = page_routes() + api_routes()
ROLES = [default.code for default in ROLE_DEFAULTS]


def test_every_route_is_in_the_matrix() -> None:
    names = {route.name for route in ROUTES}
    assert {"core:today", "core:audit", "core:stores", "health", "me", "store_list", "token_create"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.name}")
def test_role_matrix(route: Route, world: World) -> None:
    """Every role on one route (one world per route keeps the matrix fast as routes grow)."""
    problems = []
    for role in ROLES:
        user = world.user(role)
        client = Client()
        client.force_login(user)
        definition = Role.objects.get(code=role)
        group_wide = definition.scope == "group"
        access = route.access
        held = set(definition.permissions)
        wanted = {access.permission} if isinstance(access.permission, str) else set(access.permission or ())
        allowed = access.public or not wanted or bool(wanted & held)

        status = request_route(client, route, user, world, other_store=False)
        if (allowed and status >= 400) or (not allowed and status != 403):
            problems.append(f"{role}: own store {'allowed' if allowed else 'refused'} expected, got {status}")

        if access.store_kwarg:
            status = request_route(client, route, user, world, other_store=True)
            expected = (status < 400) if (group_wide and allowed) else (status == (403 if group_wide else 404))
            if not expected:
                problems.append(f"{role}: other store got {status}")
    assert problems == []


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.name}")
def test_anonymous_is_sent_to_login_or_gets_401(route: Route, world: World) -> None:
    client = Client()
    status = request_route(client, route, world.user("advisor"), world, other_store=False, anonymous=True)
    if route.access.public:
        assert status < 500
    elif ":" in route.name:  # a page
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
    before = list(advisor_role.permissions)
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

    change = AuditEntry.objects.get(object_type="core.role", action="update")
    assert change.actor_username == "admin_sh"
    assert change.changes == {"permissions": [before, ["today.view", "tokens.manage", "audit.view"]]}


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
    assert Role.objects.get(code="advisor").permissions == role.permissions
