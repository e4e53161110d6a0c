"""Shared test fixtures: a dealer group with two stores and a user for every role in each."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from aftersales.core.models import Role, StaffMembership, Store, User
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.core.scope import set_scope
from aftersales.core.tests.factories import BrandFactory, DealerGroupFactory, StoreFactory

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture(scope="session", autouse=True)
def test_data_dir() -> Iterator[None]:
    """Remove the per-run data folder (uploaded documents, import files) after the session."""
    yield
    if str(settings.DATA_DIR).startswith(tempfile.gettempdir()):
        shutil.rmtree(settings.DATA_DIR, ignore_errors=True)
    database: dict[str, Any] = settings.DATABASES["default"]
    test_name = str(database.get("TEST", {}).get("NAME") or "")
    if test_name.startswith(tempfile.gettempdir()):
        # SQLite leaves its write-ahead log beside the test database it drops.
        for suffix in ("-wal", "-shm"):
            Path(test_name + suffix).unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Every test starts in the product's default language: a request handled by an earlier test may
    have left another one active in this thread."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Every test starts with an empty cache: rate limits count from zero."""
    cache.clear()


@pytest.fixture(autouse=True)
def no_leftover_scope() -> None:
    set_scope(None)


@pytest.fixture(autouse=True)
def no_leftover_checkpoints() -> Iterator[None]:
    """Each test starts without audit checkpoints: a file left by one would not match the next one's trail."""
    yield
    Path(settings.AUDIT_CHECKPOINTS).unlink(missing_ok=True)


@dataclass
class World:
    sh: Store
    sz: Store
    users: dict[str, User] = field(default_factory=dict)

    def user(self, role: str, store: str = "sh") -> User:
        return self.users[f"{role}_{store}"]


@pytest.fixture
def world(db: None) -> World:
    group = DealerGroupFactory.create()
    brand = BrandFactory.create()
    sh = StoreFactory.create(group=group, code="SH01", name="上海店")
    sz = StoreFactory.create(group=group, code="SZ01", name="苏州店")
    sh.brands.set([brand])
    world = World(sh=sh, sz=sz)
    roles = {role.code: role for role in Role.objects.all()}
    # Users and memberships in bulk (no per-row audit): the matrix builds this world hundreds of times.
    hashed = make_password(PASSWORD)
    users = [
        User(username=f"{default.code}_{suffix}", password=hashed, full_name=default.name)
        for suffix in ("sh", "sz")
        for default in ROLE_DEFAULTS
    ]
    users.append(User(username="outsider", password=hashed))
    User.objects.bulk_create(users)
    world.users = {user.username: user for user in User.objects.all()}
    StaffMembership.objects.bulk_create(
        StaffMembership(user=world.users[f"{default.code}_{suffix}"], store=store, role=roles[default.code])
        for store, suffix in ((sh, "sh"), (sz, "sz"))
        for default in ROLE_DEFAULTS
    )
    return world


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def browser_required() -> bool:
    return bool(os.environ.get("CI"))


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser_pages(live_server: object) -> Iterator[Callable[..., Any]]:
    """Open pages in one headless Chromium: ``browser_pages(viewport=…, user_agent=…, is_mobile=…)``, each
    in a context of its own (Chinese). With ``CI`` set a missing Chromium fails the test; elsewhere the
    test is skipped."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but Chromium is not installed (.ci/run installs it).")
        pytest.skip("Chromium is not installed on this machine (apt-get install chromium).")
    # Playwright's sync API runs an event loop in this thread; the test's own database use is synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        contexts: list[Any] = []

        def open_page(**options: Any) -> Any:
            context = browser.new_context(locale="zh-CN", **options)
            contexts.append(context)
            return context.new_page()

        yield open_page
        for context in contexts:
            context.close()
        browser.close()
