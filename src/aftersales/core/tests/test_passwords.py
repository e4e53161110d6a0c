"""Changing one's own password, the password rules, and a change an admin forces at the next sign-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.password_validation import (
    UserAttributeSimilarityValidator,
    get_default_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from aftersales.conftest import PASSWORD, World
from aftersales.core.models import AuditEntry, LoginThrottle, StaffMembership, User
from aftersales.core.services import token_create

EN = {"accept-language": "en"}
NEW = "Workshop-Bay-Seven-42"


def _change(client: Client, current: str, new: str, again: str | None = None, **extra: str) -> Any:
    data = {"current_password": current, "new_password": new, "new_password_again": new if again is None else again}
    return client.post("/password/", {**data, **extra}, headers=EN)


def _signed_in(username: str) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def admin_user_form(user: User, **changes: str) -> dict[str, Any]:
    """What the admin's change form of ``user`` sends unchanged, with ``changes`` (a key set to "" unticks a box)."""
    membership = StaffMembership.all_objects.get(user=user)
    # The form sends whole seconds: the user must have joined at one, or saving records a change.
    joined = timezone.localtime(user.date_joined).replace(microsecond=0)
    User.objects.filter(pk=user.pk).update(date_joined=joined)
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "full_name": user.full_name,
        "mobile": "",
        "preferred_language": "zh-hans",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(membership.pk),
        "memberships-0-user": str(user.pk),
        "memberships-0-store": str(membership.store_id),
        "memberships-0-role": str(membership.role_id),
        "memberships-0-department": "",
        "memberships-0-is_active": "on",
    }
    data.update(changes)
    return {
        key: value for key, value in data.items() if value != "" or key not in {"is_active", "must_change_password"}
    }


# --- changing one's own password ----------------------------------------------------------------------


def test_every_signed_in_user_finds_the_password_page_in_the_user_menu(
    world: World, client_for: Callable[[User], Client]
) -> None:
    for role in ("technician", "advisor", "auditor"):
        page = client_for(world.user(role)).get("/", headers=EN).content.decode()
        assert 'href="/password/" data-testid="password-link"' in page, role
        assert "Change password" in page
    form = client_for(world.user("technician")).get("/password/", headers=EN)
    assert form.status_code == 200
    assert list(form.context["form"].fields) == ["current_password", "new_password", "new_password_again", "next"]
    assert "Your password must contain at least 12 characters." in form.content.decode()
    assert "Your password may not contain your user name or your name." in form.content.decode()


def test_a_user_changes_their_password_and_stays_signed_in(world: World) -> None:
    client = _signed_in("technician_sh")
    other_session = _signed_in("technician_sh")
    response = _change(client, PASSWORD, NEW, next="/stores/")
    assert (response.status_code, response["Location"]) == (302, "/stores/")
    technician = User.objects.get(username="technician_sh")
    assert technician.check_password(NEW)
    assert client.get("/").status_code == 200
    # Another session signed in with the old password ends.
    assert other_session.get("/").status_code == 302
    entry = AuditEntry.objects.get(action="password_changed")
    assert (entry.actor_username, entry.object_type, entry.object_id) == (
        "technician_sh",
        "core.user",
        str(technician.pk),
    )
    assert Client().post("/login/", {"username": "technician_sh", "password": NEW}).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "again", "errors"),
    [
        ("wrong", NEW, NEW, {"current_password": ["The current password is not correct."]}),
        (
            "wrong",
            "Short-pw-1",
            "Short-pw-1",
            {
                "new_password": ["This password is too short. It must contain at least 12 characters."],
                "current_password": ["The current password is not correct."],
            },
        ),
        (PASSWORD, NEW, NEW + "x", {"new_password_again": ["The two new passwords differ."]}),
        (PASSWORD, PASSWORD, PASSWORD, {"new_password": ["The new password must differ from the current one."]}),
        (
            PASSWORD,
            "Short-pw-1",
            "Short-pw-1",
            {"new_password": ["This password is too short. It must contain at least 12 characters."]},
        ),
        (
            PASSWORD,
            "technician_sh",
            "technician_sh",
            {
                "new_password": [
                    "The password is too similar to the username.",
                    "The password contains your user name or your name.",
                ]
            },
        ),
        (
            PASSWORD,
            "维修技师Workshop-2026",
            "维修技师Workshop-2026",
            {"new_password": ["The password contains your user name or your name."]},
        ),
        (
            PASSWORD,
            "Workshop-Bay-7-TECHNICIAN_SH-2026",
            "Workshop-Bay-7-TECHNICIAN_SH-2026",
            {"new_password": ["The password contains your user name or your name."]},
        ),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    current: str, new: str, again: str, errors: dict[str, list[str]], world: World
) -> None:
    client = _signed_in("technician_sh")
    before = User.objects.get(username="technician_sh").password
    audit_before = AuditEntry.objects.exclude(action="login_failed").count()
    response = _change(client, current, new, again)
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert User.objects.get(username="technician_sh").password == before
    assert AuditEntry.objects.exclude(action="login_failed").count() == audit_before


def test_a_wrong_current_password_counts_towards_the_lockout(world: World) -> None:
    client = _signed_in("technician_sh")
    for _attempt in range(5):
        assert _change(client, "wrong", NEW).status_code == 400
    assert AuditEntry.objects.filter(action="login_failed", actor_username="technician_sh").count() == 5
    locked = _change(client, PASSWORD, NEW)
    assert locked.status_code == 429
    assert locked.context["form"].errors == {
        "current_password": ["Too many failed sign-in attempts. Try again in 15 minutes."]
    }
    assert User.objects.get(username="technician_sh").check_password(PASSWORD)
    assert LoginThrottle.objects.get(username="technician_sh", client_ip="127.0.0.1").failures == 5


def test_the_full_name_is_among_the_similarity_validators_attributes() -> None:
    similarity = get_default_password_validators()[0]
    assert isinstance(similarity, UserAttributeSimilarityValidator)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        similarity.validate("Li-Mingxuan-1987", User(username="lmx", full_name="Li Mingxuan"))
    assert error.value.messages == ["The password is too similar to the full name."]


def test_a_name_of_two_chinese_characters_is_refused_but_short_latin_names_are_not() -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_password("王五-Workshop-2026", User(username="someone", full_name="王 五"))
    assert error.value.messages == ["The password contains your user name or your name."]
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_password("Bay-7-MINGXUAN-2026", User(username="someone", full_name="Li Mingxuan"))
    assert error.value.messages == ["The password contains your user name or your name."]
    validate_password("Carolina-Bay-2026", User(username="someone", full_name="Li Na"))


# --- a change an admin forces -------------------------------------------------------------------------


def test_an_admin_forces_a_change_at_the_next_sign_in(world: World, client_for: Callable[[User], Client]) -> None:
    advisor = world.user("advisor")
    admin = client_for(world.user("admin"))
    form = admin.get(f"/admin/core/user/{advisor.pk}/change/")
    assert 'name="must_change_password"' in form.content.decode()
    saved = admin.post(f"/admin/core/user/{advisor.pk}/change/", admin_user_form(advisor, must_change_password="on"))
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    advisor.refresh_from_db()
    assert advisor.must_change_password is True
    change = AuditEntry.objects.get(action="update", object_type="core.user", object_id=str(advisor.pk))
    assert (change.actor_username, change.changes["must_change_password"]) == ("admin_sh", [False, True])

    client = Client()
    signed_in = client.post("/login/", {"username": "advisor_sh", "password": PASSWORD, "next": "/customers/"})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/customers/")
    for path in ("/customers/", "/", "/stores/", "/admin/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, f"/password/?next={path.replace('/', '%2F')}"), (
            path
        )
    htmx = client.get("/stores/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == "/password/?next=%2Fstores%2F"
    page = client.get("/password/?next=/customers/", headers=EN)
    assert page.status_code == 200
    assert page.context["forced"] is True
    assert "An administrator asks you to choose a new password before you go on." in page.content.decode()
    api = client.get("/api/v1/me", headers=EN)
    assert api.status_code == 403
    assert api.json() == {
        "code": "password_change_required",
        "detail": "Your password must be changed before you go on: choose a new one on the password page.",
        "fields": {},
    }
    # Signing out and the language stay open.
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/password/"}).status_code == 302

    done = _change(client, PASSWORD, NEW, next="/customers/")
    assert (done.status_code, done["Location"]) == (302, "/customers/")
    advisor.refresh_from_db()
    assert advisor.must_change_password is False
    assert client.get("/customers/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_a_forced_user_gets_no_token_with_the_old_password_but_keeps_their_tokens(world: World) -> None:
    advisor = world.user("advisor")
    _token, raw = token_create(user=advisor, name="kept")
    advisor.must_change_password = True
    advisor.save()
    refused = Client().post(
        "/api/v1/auth/token",
        {"username": "advisor_sh", "password": PASSWORD},
        content_type="application/json",
        headers=EN,
    )
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "password_change_required",
        "detail": "Your password must be changed: sign in on the web pages and choose a new one first.",
        "fields": {},
    }
    assert advisor.api_tokens.count() == 1
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_the_admins_own_password_page_is_the_products(world: World, client_for: Callable[[User], Client]) -> None:
    response = client_for(world.user("admin")).get("/admin/password_change/")
    assert (response.status_code, response["Location"]) == (302, "/password/")
