"""API tokens: expiry, "never" by permission, last use, revocation on deactivation, a wrong bearer
answered 401 on every method, and the tokens page for the roles that set up integrations."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from aftersales.conftest import PASSWORD, World
from aftersales.core.models import ApiToken, AuditEntry, Role, User
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.core.services import token_create
from aftersales.core.tests.routes import SAMPLES, api_routes, route_path
from aftersales.core.tests.test_passwords import admin_user_form

EN = {"accept-language": "en"}


def _bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def _sign_in_token(**extra: Any) -> Any:
    return Client(**extra).post(
        "/api/v1/auth/token", {"username": "advisor_sh", "password": PASSWORD}, content_type="application/json"
    )


# --- expiry -------------------------------------------------------------------------------------------


def test_a_token_from_a_sign_in_expires_after_thirty_days(world: World) -> None:
    before = timezone.now()
    response = _sign_in_token()
    after = timezone.now()
    assert response.status_code == 201
    expires_at = parse_datetime(response.json()["expires_at"])
    assert expires_at is not None
    assert before + timedelta(days=30) <= expires_at <= after + timedelta(days=30)
    stored = ApiToken.objects.get().expires_at
    assert stored is not None and abs(stored - expires_at) < timedelta(milliseconds=1)  # JSON keeps milliseconds
    created = AuditEntry.objects.get(action="token_created")
    assert parse_datetime(created.changes["expires_at"]) == expires_at
    raw = response.json()["token"]
    assert Client().get("/api/v1/me", headers=_bearer(raw)).status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = Client().get("/api/v1/me", headers={**_bearer(raw), **EN})
    assert (expired.status_code, expired.json()["code"]) == (401, "not_authenticated")


@override_settings(TOKEN_DAYS=7)
def test_the_lifetime_of_a_sign_in_token_is_a_setting(world: World) -> None:
    before = timezone.now()
    expires_at = parse_datetime(_sign_in_token().json()["expires_at"])
    assert expires_at is not None
    assert before + timedelta(days=7) <= expires_at <= timezone.now() + timedelta(days=7)


def test_never_expiring_tokens_need_their_permission(world: World) -> None:
    _token, auditor = token_create(user=world.user("auditor"), name="hq")
    refused = Client().post(
        "/api/v1/tokens",
        {"name": "bi", "never_expires": True},
        content_type="application/json",
        headers={**_bearer(auditor), **EN},
    )
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "permission_denied",
        "detail": "You may not create tokens that never expire.",
        "fields": {"never_expires": ["You may not create tokens that never expire."]},
    }
    assert world.user("auditor").api_tokens.count() == 1
    _token, admin = token_create(user=world.user("admin"), name="it")
    both = Client().post(
        "/api/v1/tokens",
        {"name": "dms", "never_expires": True, "expires_in_days": 5},
        content_type="application/json",
        headers={**_bearer(admin), **EN},
    )
    assert (both.status_code, both.json()["fields"]) == (
        422,
        {"expires_in_days": ["Give a number of days or choose never, not both."]},
    )
    made = Client().post(
        "/api/v1/tokens",
        {"name": "dms", "never_expires": True},
        content_type="application/json",
        headers=_bearer(admin),
    )
    assert (made.status_code, made.json()["expires_at"]) == (201, None)
    default = Client().post("/api/v1/tokens", {"name": "bi"}, content_type="application/json", headers=_bearer(auditor))
    expires_at = parse_datetime(default.json()["expires_at"])
    assert expires_at is not None and timedelta(days=29) < expires_at - timezone.now() <= timedelta(days=30)


def test_longer_than_a_year_needs_the_never_expiring_permission_too(world: World) -> None:
    """Ten years is as good as never."""
    _token, auditor = token_create(user=world.user("auditor"), name="hq")
    refused = Client().post(
        "/api/v1/tokens",
        {"name": "bi", "expires_in_days": 366},
        content_type="application/json",
        headers={**_bearer(auditor), **EN},
    )
    assert (refused.status_code, refused.json()["fields"]) == (
        403,
        {"expires_in_days": ["A token may last at most 365 days."]},
    )
    assert world.user("auditor").api_tokens.count() == 1
    year = Client().post(
        "/api/v1/tokens",
        {"name": "bi", "expires_in_days": 365},
        content_type="application/json",
        headers=_bearer(auditor),
    )
    assert year.status_code == 201
    _token, admin = token_create(user=world.user("admin"), name="it")
    decade = Client().post(
        "/api/v1/tokens",
        {"name": "dms", "expires_in_days": 3650},
        content_type="application/json",
        headers=_bearer(admin),
    )
    assert decade.status_code == 201


def test_tokens_of_before_expiry_get_the_default_lifetime(world: World) -> None:
    token, _raw = token_create(user=world.user("admin"), name="old", never_expires=True)
    revoked, _raw = token_create(user=world.user("admin"), name="gone", never_expires=True)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    migration = importlib.import_module("aftersales.core.migrations.0009_tokens_without_expiry_expire")
    migration.expire_in_token_days(apps, None)
    token.refresh_from_db()
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert ApiToken.objects.get(pk=revoked.pk).expires_at is None


def test_the_tokens_page_offers_never_only_with_the_permission(
    world: World, client_for: Callable[[User], Client]
) -> None:
    def choices(role: str) -> list[str]:
        form = client_for(world.user(role)).get("/tokens/", headers=EN).context["form"]
        return [str(label) for _value, label in form.fields["expires"].choices]

    assert choices("auditor") == ["after 30 days", "after 90 days", "after 180 days", "after 365 days"]
    assert choices("admin") == ["after 30 days", "after 90 days", "after 180 days", "after 365 days", "never"]
    auditor = client_for(world.user("auditor"))
    refused = auditor.post("/tokens/", {"name": "bi", "expires": "never"}, headers=EN)
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "expires": ["Select a valid choice. never is not one of the available choices."]
    }
    assert world.user("auditor").api_tokens.count() == 0
    assert auditor.post("/tokens/", {"name": "bi", "expires": "90"}).status_code == 200
    token = world.user("auditor").api_tokens.get()
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    admin = client_for(world.user("admin"))
    assert admin.post("/tokens/", {"name": "dms", "expires": "never"}).status_code == 200
    assert world.user("admin").api_tokens.get().expires_at is None


def test_the_tokens_page_shows_last_use_and_expiry(world: World, client_for: Callable[[User], Client]) -> None:
    used, raw = token_create(user=world.user("auditor"), name="bi-tool")
    expired, _raw = token_create(user=world.user("auditor"), name="old-tool")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert Client(REMOTE_ADDR="10.3.3.3").get("/api/v1/me", headers=_bearer(raw)).status_code == 200
    used.refresh_from_db()
    assert used.last_used_ip == "10.3.3.3" and used.last_used_at is not None
    page = client_for(world.user("auditor")).get("/tokens/", headers=EN)
    rows = page.content.decode().split('data-testid="token-row"')[1:]
    old_row, bi_row = (rows[0], rows[1]) if "old-tool" in rows[0] else (rows[1], rows[0])
    shown = timezone.localtime(used.last_used_at).strftime("%Y-%m-%d %H:%M")
    assert shown in bi_row and "10.3.3.3" in bi_row and "Active" in bi_row
    assert "never used" in old_row and "Expired" in old_row
    listed = Client(REMOTE_ADDR="10.3.3.3").get("/api/v1/tokens", headers=_bearer(raw)).json()
    assert {t["name"]: t["last_used_ip"] for t in listed} == {"bi-tool": "10.3.3.3", "old-tool": None}


# --- deactivation -------------------------------------------------------------------------------------


def test_deactivating_a_user_revokes_their_tokens_for_good(world: World, client_for: Callable[[User], Client]) -> None:
    advisor = world.user("advisor")
    _token, raw = token_create(user=advisor, name="scanner")
    admin = client_for(world.user("admin"))
    assert (
        admin.post(f"/admin/core/user/{advisor.pk}/change/", admin_user_form(advisor, is_active="")).status_code == 302
    )
    assert Client().get("/api/v1/me", headers=_bearer(raw)).status_code == 401
    revoked = AuditEntry.objects.get(action="token_revoked")
    assert (revoked.actor_username, revoked.changes) == ("admin_sh", {"reason": "user_deactivated"})
    assert ApiToken.objects.get().revoked_at is not None
    advisor.refresh_from_db()
    assert (
        admin.post(f"/admin/core/user/{advisor.pk}/change/", admin_user_form(advisor, is_active="on")).status_code
        == 302
    )
    assert User.objects.get(pk=advisor.pk).is_active is True
    response = Client().get("/api/v1/me", headers={**_bearer(raw), **EN})
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_any_save_that_deactivates_revokes(world: World) -> None:
    technician = world.user("technician")
    token_create(user=technician, name="a")
    token_create(user=technician, name="b")
    other, _raw = token_create(user=world.user("advisor"), name="c")
    technician.is_active = False
    technician.save()
    assert technician.api_tokens.filter(revoked_at=None).count() == 0
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None
    assert AuditEntry.objects.filter(action="token_revoked").count() == 2


# --- a wrong bearer -----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Bearer as_not-a-token", "Bearer ", "Token abc", "Basic YWRtaW46eA=="])
def test_a_wrong_authorization_answers_401_on_every_method(header: str, world: World) -> None:
    """Judged by the header alone: no session user (even a signed-in one), no CSRF refusal."""
    user = world.user("admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    seen = set()
    problems = []
    for route in api_routes():
        if route.access.public:
            continue
        sample = SAMPLES.get(route.name, lambda u, w: {})(user, world)
        path = route_path(route, sample.get("kwargs", {}))
        call = getattr(client, route.method.lower())
        headers = {"Authorization": header, **EN}
        if "json" in sample:
            response = call(path, sample["json"], content_type="application/json", headers=headers)
        elif "data" in sample:
            response = call(path, sample["data"], headers=headers)
        else:
            response = call(path, headers=headers)
        seen.add(route.method)
        body = response.json() if response["Content-Type"].startswith("application/json") else {}
        if (response.status_code, body) != (
            401,
            {"code": "not_authenticated", "detail": "Sign in or send a valid API token.", "fields": {}},
        ):
            problems.append(f"{route.method} {path}: {response.status_code} {body}")
    assert problems == []
    assert seen >= {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_a_revoked_token_on_a_post_is_401_not_a_csrf_refusal(world: World) -> None:
    token, raw = token_create(user=world.user("auditor"), name="gone")
    assert Client().delete("/api/v1/auth/token", headers=_bearer(raw)).status_code == 204
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", headers=_bearer(raw)
    )
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert ApiToken.objects.filter(user=token.user).count() == 1


def test_an_anonymous_post_is_401_not_a_csrf_refusal(world: World) -> None:
    response = Client(enforce_csrf_checks=True).post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


# --- who sees the tokens page ---------------------------------------------------------------------------


def test_the_tokens_page_is_for_the_roles_that_set_up_integrations(
    world: World, client_for: Callable[[User], Client]
) -> None:
    # The migrations leave every built-in role with exactly its declared defaults.
    installed = {role.code: sorted(role.permissions) for role in Role.objects.all()}
    assert installed == {default.code: sorted(default.permissions) for default in ROLE_DEFAULTS}
    for default in ROLE_DEFAULTS:
        client = client_for(world.user(default.code))
        today = client.get("/")
        menu = [item.url_name for item in today.context["menu"]]
        cards = {card.key for card in today.context["view"].cards}
        integrator = default.code in {"admin", "auditor"}
        assert ("core:tokens" in menu, "my_tokens" in cards) == (integrator, integrator), default.code
        assert client.get("/tokens/").status_code == (200 if integrator else 403), default.code


def test_the_card_counts_live_tokens_only(world: World, client_for: Callable[[User], Client]) -> None:
    auditor = world.user("auditor")
    token_create(user=auditor, name="live")
    expired, _raw = token_create(user=auditor, name="expired")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    revoked, _raw = token_create(user=auditor, name="revoked")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    cards = {card.key: card.value for card in client_for(auditor).get("/").context["view"].cards}
    assert cards["my_tokens"] == 1
