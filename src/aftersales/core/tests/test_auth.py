from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from aftersales.conftest import PASSWORD, World
from aftersales.core.models import AuditEntry, LoginThrottle, User


def _login(client: Client, username: str, password: str) -> int:
    return int(client.post("/login/", {"username": username, "password": password}).status_code)


def test_login_page_signs_in_and_opens_today(world: World) -> None:
    client = Client()
    response = client.post("/login/", {"username": "advisor_sh", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    entry = AuditEntry.objects.filter(action="login").get()
    assert (entry.actor_username, entry.store_id, entry.client_ip) == ("advisor_sh", world.sh.pk, "127.0.0.1")


def test_wrong_password_shows_error_in_chinese_and_is_audited(world: World) -> None:
    client = Client()
    response = client.post(
        "/login/", {"username": "advisor_sh", "password": "wrong"}, headers={"accept-language": "zh-hans"}
    )
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert AuditEntry.objects.filter(action="login_failed", actor_username="advisor_sh").count() == 1
    assert "_auth_user_id" not in client.session


def test_empty_login_form_gives_field_errors(world: World) -> None:
    response = Client().post("/login/", {"username": "", "password": ""}, headers={"accept-language": "en"})
    assert response.context["form"].errors == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }


def test_lockout_after_five_failures_even_with_right_password(world: World) -> None:
    client = Client()
    for _attempt in range(5):
        assert _login(client, "advisor_sh", "wrong") == 200
    throttle = LoginThrottle.objects.get(username="advisor_sh", client_ip="127.0.0.1")
    assert throttle.failures == 5
    assert throttle.locked_until is not None
    remaining = throttle.locked_until - timezone.now()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    response = client.post(
        "/login/", {"username": "advisor_sh", "password": PASSWORD}, headers={"accept-language": "en"}
    )
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session
    api = client.post(
        "/api/v1/auth/token", {"username": "advisor_sh", "password": PASSWORD}, content_type="application/json"
    )
    assert (api.status_code, api.json()["code"]) == (429, "locked_out")
    assert AuditEntry.objects.filter(action="locked_out", actor_username="advisor_sh").count() == 1  # one per lock


def test_lockout_ends_after_fifteen_minutes(world: World) -> None:
    client = Client()
    for _attempt in range(5):
        _login(client, "advisor_sh", "wrong")
    LoginThrottle.objects.filter(username="advisor_sh").update(locked_until=timezone.now() - timedelta(seconds=1))
    assert _login(client, "advisor_sh", PASSWORD) == 302
    assert not LoginThrottle.objects.filter(username="advisor_sh").exists()


def test_success_resets_failure_count(world: World) -> None:
    client = Client()
    for _attempt in range(4):
        _login(client, "advisor_sh", "wrong")
    assert _login(client, "advisor_sh", PASSWORD) == 302
    assert not LoginThrottle.objects.filter(username="advisor_sh").exists()


def test_lockout_of_one_name_leaves_others_alone(world: World) -> None:
    client = Client()
    for _attempt in range(5):
        _login(client, "advisor_sh", "wrong")
    assert _login(Client(), "technician_sh", PASSWORD) == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-pw-1", "This password is too short. It must contain at least 12 characters."),
        ("123456789012345", "This password is entirely numeric."),
        ("password1234", "This password is too common."),
    ],
)
def test_password_policy(password: str, message: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_password(password, User(username="someone"))
    assert message in error.value.messages


def test_strong_password_is_accepted() -> None:
    validate_password("Workshop-Bay-Seven-42", User(username="someone"))


def test_session_expires_after_idle_time(world: World) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    client = Client()
    _login(client, "advisor_sh", PASSWORD)

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_logout_is_post_only_and_audited(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("advisor"))
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert AuditEntry.objects.filter(action="logout", actor_username="advisor_sh").count() == 1
    assert client.get("/").status_code == 302


def test_page_post_without_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("auditor"))
    before = world.user("auditor").api_tokens.count()
    response = client.post("/tokens/", {"name": "no csrf", "expires": "30"}, headers={"accept-language": "en"})
    assert response.status_code == 403
    assert "security token is missing" in response.content.decode()
    assert world.user("auditor").api_tokens.count() == before


def test_api_session_post_without_csrf_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("auditor"))
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")
    assert world.user("auditor").api_tokens.count() == 0
