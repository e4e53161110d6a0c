"""The sign-in lockout: one check for every sign-in path, per user name and address and per address,
holding under concurrent attempts; and the client address it counts by."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from aftersales.conftest import PASSWORD, World
from aftersales.core import services
from aftersales.core.models import AuditEntry, LoginThrottle, User
from config.env import env_networks

EN = {"accept-language": "en"}


def _login(client: Client, username: str, password: str) -> int:
    return int(client.post("/login/", {"username": username, "password": password}).status_code)


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The user names whose password was looked at (``authenticate`` called), in order."""
    checked: list[str] = []
    lock = threading.Lock()
    real = services.authenticate

    def counting(request: Any, **credentials: Any) -> Any:
        with lock:
            checked.append(credentials["username"])
        return real(request, **credentials)

    monkeypatch.setattr(services, "authenticate", counting)
    return checked


# --- per user name and address ------------------------------------------------------------------------


def test_five_failures_lock_the_name_at_that_address_only(
    world: World, password_checks: list[str], client_for: Callable[[User], Client]
) -> None:
    attacker = Client(REMOTE_ADDR="198.51.100.9")
    for _attempt in range(5):
        assert _login(attacker, "advisor_sh", "wrong") == 200
    response = attacker.post("/login/", {"username": "advisor_sh", "password": PASSWORD}, headers=EN)
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in attacker.session
    assert password_checks == ["advisor_sh"] * 5
    # The person at the store is not locked out by someone guessing elsewhere.
    assert _login(Client(REMOTE_ADDR="10.20.0.5"), "advisor_sh", PASSWORD) == 302
    rows = (
        LoginThrottle.objects.filter(username="advisor_sh").order_by("client_ip").values_list("client_ip", "failures")
    )
    assert list(rows) == [("*", 5), ("198.51.100.9", 5)]  # the name from every address, and from this one
    refused = AuditEntry.objects.get(action="locked_out")
    assert (refused.actor_username, refused.client_ip, refused.changes) == (
        "advisor_sh",
        "198.51.100.9",
        {"lock": "user_address"},
    )
    assert AuditEntry.objects.filter(action="login_failed", client_ip="198.51.100.9").count() == 5
    # Locked from a second address too: still one user name locked out.
    for _attempt in range(5):
        _login(Client(REMOTE_ADDR="198.51.100.10"), "advisor_sh", "wrong")
    today = client_for(world.user("auditor")).get("/")
    assert {card.key: card.value for card in today.context["view"].cards}["locked_out"] == 1


def test_the_lock_message_is_in_the_users_language(world: World) -> None:
    client = Client()
    for _attempt in range(5):
        _login(client, "advisor_sh", "wrong")
    response = client.post(
        "/login/", {"username": "advisor_sh", "password": PASSWORD}, headers={"accept-language": "zh-hans"}
    )
    assert "登录失败次数过多，请 15 分钟后重试。" in response.content.decode()
    LoginThrottle.objects.filter(username="advisor_sh").update(locked_until=timezone.now() + timedelta(seconds=50))
    response = client.post("/login/", {"username": "advisor_sh", "password": PASSWORD}, headers=EN)
    assert "Too many failed sign-in attempts. Try again in 1 minute." in response.content.decode()


def test_a_success_gives_the_attempt_back(world: World) -> None:
    client = Client(REMOTE_ADDR="10.20.0.5")
    for _attempt in range(4):
        _login(client, "advisor_sh", "wrong")
    assert _login(client, "advisor_sh", PASSWORD) == 302
    assert not LoginThrottle.objects.exists()  # the name's failures taken back everywhere: nothing left to count


def test_failures_older_than_the_window_no_longer_count(world: World) -> None:
    client = Client()
    for _attempt in range(4):
        _login(client, "advisor_sh", "wrong")
    LoginThrottle.objects.update(window_started_at=timezone.now() - timedelta(minutes=15, seconds=1))
    for _attempt in range(4):
        assert _login(client, "advisor_sh", "wrong") == 200
    assert _login(client, "advisor_sh", PASSWORD) == 302


# --- per address --------------------------------------------------------------------------------------


def test_thirty_staff_at_one_address_each_mistyping_twice_all_sign_in(world: World) -> None:
    hashed = make_password(PASSWORD)
    User.objects.bulk_create([User(username=f"staff{n:02d}", password=hashed) for n in range(30)])
    for n in range(30):
        client = Client(REMOTE_ADDR="10.8.0.1")
        assert _login(client, f"staff{n:02d}", "wrong") == 200
        assert _login(client, f"staff{n:02d}", "wrong-again") == 200
        assert _login(client, f"staff{n:02d}", PASSWORD) == 302, n
        assert client.session["_auth_user_id"] == str(User.objects.get(username=f"staff{n:02d}").pk)
    assert AuditEntry.objects.filter(action="login_failed", client_ip="10.8.0.1").count() == 60
    assert not LoginThrottle.objects.exists()


def test_the_fifty_first_failure_from_one_address_is_refused_unchecked(
    world: World, password_checks: list[str]
) -> None:
    client = Client(REMOTE_ADDR="10.9.0.1")
    for n in range(25):  # 50 failures over 25 names, none of them locked on its own
        assert _login(client, f"guess{n:02d}", "wrong") == 200
        assert _login(client, f"guess{n:02d}", "wrong") == 200
    assert len(password_checks) == 50
    response = client.post("/login/", {"username": "advisor_sh", "password": PASSWORD}, headers=EN)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts from your network. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert len(password_checks) == 50
    api = client.post(
        "/api/v1/auth/token", {"username": "advisor_sh", "password": PASSWORD}, content_type="application/json"
    )
    assert (api.status_code, api.json()["code"]) == (429, "locked_out")
    refused = AuditEntry.objects.filter(action="locked_out")
    assert list(refused.values_list("actor_username", "client_ip", "changes")) == [
        ("advisor_sh", "10.9.0.1", {"lock": "address"}),  # once per lock, not per refused attempt
    ]
    address = LoginThrottle.objects.get(username="", client_ip="10.9.0.1")
    assert address.failures == 50 and address.locked_until is not None
    # Another address of the group signs in as usual.
    assert _login(Client(REMOTE_ADDR="10.9.0.2"), "advisor_sh", PASSWORD) == 302
    assert len(password_checks) == 51


@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=3)
def test_the_address_limit_is_a_setting(world: World) -> None:
    client = Client(REMOTE_ADDR="10.9.0.3")
    for n in range(3):
        assert _login(client, f"guess{n}", "wrong") == 200
    response = client.post("/login/", {"username": "advisor_sh", "password": PASSWORD}, headers=EN)
    assert "from your network" in response.content.decode()


# --- concurrency ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_forty_parallel_wrong_passwords_check_at_most_five(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each attempt is taken from the counter before its password is checked: of 40 at once, 5 are checked."""
    User.objects.create_user(username="advisor_sh", password=PASSWORD)
    checked: list[str] = []
    lock = threading.Lock()
    real_check = User.check_password

    def counting_check(self: User, raw_password: str) -> bool:
        with lock:
            checked.append(raw_password)
        return real_check(self, raw_password)

    monkeypatch.setattr(User, "check_password", counting_check)
    statuses: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(40)

    def attempt(n: int) -> None:
        try:
            client = Client(REMOTE_ADDR="203.0.113.40")
            barrier.wait()
            response = client.post(
                "/api/v1/auth/token",
                {"username": "advisor_sh", "password": f"wrong-{n}"},
                content_type="application/json",
            )
            with lock:
                statuses.append(response.status_code)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(checked) == 5
    assert Counter(statuses) == {401: 5, 429: 35}
    right = Client(REMOTE_ADDR="203.0.113.40").post(
        "/api/v1/auth/token", {"username": "advisor_sh", "password": PASSWORD}, content_type="application/json"
    )
    assert (right.status_code, right.json()["code"]) == (429, "locked_out")
    assert len(checked) == 5
    assert AuditEntry.objects.filter(action="login_failed").count() == 5
    assert AuditEntry.objects.filter(action="locked_out").count() == 1  # one per lock
    throttle = LoginThrottle.objects.get(username="advisor_sh", client_ip="203.0.113.40")
    assert throttle.failures == 5 and throttle.locked_until is not None


# --- the admin's sign-in ------------------------------------------------------------------------------


def _admin_login(client: Client, username: str, password: str) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, headers=EN)


def test_admin_sign_in_counts_failures_and_holds_the_lockout(world: World, password_checks: list[str]) -> None:
    client = Client()
    for _attempt in range(5):
        response = _admin_login(client, "admin_sh", "wrong")
        assert response.status_code == 200
        assert "The user name or password is not correct." in response.content.decode()
    assert AuditEntry.objects.filter(action="login_failed", actor_username="admin_sh").count() == 5
    response = _admin_login(client, "admin_sh", PASSWORD)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert password_checks == ["admin_sh"] * 5
    assert AuditEntry.objects.filter(action="locked_out", actor_username="admin_sh").count() == 1
    # The lockout is the same one the sign-in page and the token endpoint hold.
    assert (
        "Try again in 15 minutes."
        in client.post("/login/", {"username": "admin_sh", "password": PASSWORD}, headers=EN).content.decode()
    )


def test_admin_sign_in_opens_the_admin_and_is_audited(world: World) -> None:
    client = Client()
    response = _admin_login(client, "admin_sh", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200
    entry = AuditEntry.objects.get(action="login")
    assert (entry.actor_username, entry.store_id, entry.client_ip) == ("admin_sh", world.sh.pk, "127.0.0.1")


def test_admin_sign_in_refuses_who_may_not_administer(world: World) -> None:
    # Staff status is no admin right here: the role's "admin.access" is.
    User.objects.filter(username="advisor_sh").update(is_staff=True)
    client = Client()
    response = _admin_login(client, "advisor_sh", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action="login").exists()
    assert response.context["form"].errors["__all__"] == [
        "Please enter the correct username and password for a staff account. Note that both fields may be "
        "case-sensitive."
    ]


# --- the client address -------------------------------------------------------------------------------


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return services.client_ip_of(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_counts(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    assert _ip("10.0.0.1", "1.2.3.4") == "10.0.0.1"  # no trusted proxy: the header is ignored
    settings.TRUSTED_PROXIES = ["10.0.0.1", "172.16.0.0/12"]
    assert _ip("203.0.113.5", "1.2.3.4") == "203.0.113.5"  # not from a proxy of ours: the header is the client's
    assert _ip("10.0.0.1", "198.51.100.7") == "198.51.100.7"
    # What the client wrote itself stands left of what the proxy saw.
    assert _ip("10.0.0.1", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    # Through two proxies of ours.
    assert _ip("10.0.0.1", "1.2.3.4, 198.51.100.7, 172.16.4.4") == "198.51.100.7"
    # Only proxies of ours: the one furthest out.
    assert _ip("10.0.0.1", "172.16.4.4") == "172.16.4.4"
    # Text that is no address ends the walk at the last address a proxy of ours wrote.
    assert _ip("10.0.0.1", "198.51.100.7, not-an-address") == "10.0.0.1"
    assert _ip("10.0.0.1") == "10.0.0.1"
    assert _ip("::ffff:10.0.0.1", "198.51.100.7") == "198.51.100.7"
    assert _ip("fe80::1%eth0") == "fe80::1"
    # A load balancer that writes the client's port too.
    assert _ip("10.0.0.1", "198.51.100.7:51234") == "198.51.100.7"
    assert _ip("10.0.0.1", "[2001:db8::7]:443") == "2001:db8::7"


def test_an_ipv6_client_is_counted_by_its_64_network(world: World, password_checks: list[str]) -> None:
    """A line or site holds a whole /64: a new address per attempt does not start a new count."""
    for host in range(1, 6):
        assert _login(Client(REMOTE_ADDR=f"2001:db8:7:7::{host}"), "advisor_sh", "wrong") == 200
    assert _login(Client(REMOTE_ADDR="2001:db8:7:7::99"), "advisor_sh", PASSWORD) == 200
    assert len(password_checks) == 5
    assert _login(Client(REMOTE_ADDR="2001:db8:7:8::1"), "advisor_sh", PASSWORD) == 302  # another /64
    # The audit trail keeps each address as it was.
    assert sorted(AuditEntry.objects.filter(action="login_failed").values_list("client_ip", flat=True)) == [
        f"2001:db8:7:7::{host}" for host in range(1, 6)
    ]


@override_settings(LOGIN_NAME_FAILURE_LIMIT=8)
def test_one_user_name_guessed_from_many_addresses_is_locked_at_its_own_ceiling(
    world: World, password_checks: list[str]
) -> None:
    for host in range(8):  # 4 addresses would each stay under the per-address limit of 5
        assert _login(Client(REMOTE_ADDR=f"198.51.100.{20 + host // 2}"), "advisor_sh", "wrong") == 200
    response = Client(REMOTE_ADDR="198.51.100.99").post(
        "/login/", {"username": "advisor_sh", "password": PASSWORD}, headers=EN
    )
    assert "Too many failed sign-in attempts for this user name. Try again in 15 minutes." in response.content.decode()
    assert len(password_checks) == 8
    assert list(AuditEntry.objects.filter(action="locked_out").values_list("changes", flat=True)) == [{"lock": "user"}]
    assert _login(Client(REMOTE_ADDR="198.51.100.99"), "crm_sh", PASSWORD) == 302  # other names as usual


def test_refused_attempts_leave_no_counters_and_one_audit_entry(world: World, password_checks: list[str]) -> None:
    client = Client(REMOTE_ADDR="10.9.0.7")
    for n in range(25):
        _login(client, f"guess{n:02d}", "wrong")
        _login(client, f"guess{n:02d}", "wrong")
    counters = LoginThrottle.objects.count()
    for n in range(40):  # new names from the locked address
        _login(client, f"more{n:02d}", "wrong")
    assert LoginThrottle.objects.count() == counters
    assert len(password_checks) == 50
    assert AuditEntry.objects.filter(action="locked_out").count() == 1


def test_the_lockout_counts_by_the_forwarded_address_behind_a_trusted_proxy(world: World, settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for _attempt in range(5):
        assert _login(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7"), "advisor_sh", "wrong") == 200
    assert _login(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7"), "advisor_sh", PASSWORD) == 200
    # A spoofed header does not move the attacker to a fresh address.
    spoofed = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7")
    assert _login(spoofed, "advisor_sh", PASSWORD) == 200
    assert _login(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.20.0.5"), "advisor_sh", PASSWORD) == 302
    assert set(AuditEntry.objects.filter(action="login_failed").values_list("client_ip", flat=True)) == {"198.51.100.7"}


def test_trusted_proxies_must_be_addresses_or_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12,::1")
    assert env_networks("AFTERSALES_TRUSTED_PROXIES") == ["10.0.0.1", "172.16.0.0/12", "::1"]
    monkeypatch.setenv("AFTERSALES_TRUSTED_PROXIES", "10.0.0.1,proxy.local")
    with pytest.raises(ImproperlyConfigured) as error:
        env_networks("AFTERSALES_TRUSTED_PROXIES")
    assert str(error.value) == (
        "Environment variable AFTERSALES_TRUSTED_PROXIES: 'proxy.local' is not an IP address or a CIDR range."
    )


# --- housekeeping -------------------------------------------------------------------------------------


def test_pruning_forgets_only_counters_that_hold_nothing(db: None) -> None:
    now = timezone.now()
    old = now - timedelta(minutes=16)
    LoginThrottle.objects.bulk_create(
        [
            LoginThrottle(username="gone", client_ip="10.0.0.9", failures=3, window_started_at=old),
            LoginThrottle(username="", client_ip="10.0.0.9", failures=3, window_started_at=old),
            LoginThrottle(username="fresh", client_ip="10.0.0.9", failures=2, window_started_at=now),
            LoginThrottle(
                username="locked",
                client_ip="10.0.0.9",
                failures=5,
                window_started_at=old,
                locked_until=now + timedelta(minutes=1),
            ),
        ]
    )
    assert services.login_throttles_prune() == 2
    assert sorted(LoginThrottle.objects.values_list("username", flat=True)) == ["fresh", "locked"]
