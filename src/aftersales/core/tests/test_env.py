import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int, env_secrets


def test_env_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", True) is False


def test_env_bool_fails_loudly_on_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe' is not a boolean"):
        env_bool("X_FLAG", False)


def test_env_int_checks_type_and_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_NUM", "abc")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum 1"):
        env_int("X_NUM", 5, minimum=1)
    monkeypatch.setenv("X_NUM", "30")
    assert env_int("X_NUM", 5, minimum=1) == 30


def test_database_urls() -> None:
    sqlite = database_from_url("sqlite:////tmp/a/b.sqlite3")
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == str(Path("/tmp/a/b.sqlite3"))
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]  # type: ignore[index]
    pg = database_from_url("postgres://app:s%40cret@db.local:6543/aftersales")
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "aftersales",
        "app",
        "s@cret",
        "db.local",
        "6543",
    )
    with pytest.raises(ImproperlyConfigured, match="scheme 'mysql' is not supported"):
        database_from_url("mysql://x@y/z")


def test_env_secrets_takes_long_keys_and_names_a_bad_one_by_position(monkeypatch: pytest.MonkeyPatch) -> None:
    good = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4=="
    monkeypatch.setenv("X_KEYS", f" {good} , {'ab12' * 16} ")
    assert env_secrets("X_KEYS", min_length=43) == [good, "ab12" * 16]
    monkeypatch.delenv("X_KEYS")
    assert env_secrets("X_KEYS", min_length=43) == []
    for bad in ("short-key", "a key with spaces in it, long enough to pass the length", "ü" * 50):
        monkeypatch.setenv("X_KEYS", f"{good},{bad}")
        with pytest.raises(ImproperlyConfigured, match="X_KEYS: key 2 must be at least 43 characters") as refused:
            env_secrets("X_KEYS", min_length=43)
        assert bad not in str(refused.value)


def test_production_refuses_to_start_without_audit_keys() -> None:
    environment = {
        **os.environ,
        "DJANGO_SECRET_KEY": "s" * 50,
        "AFTERSALES_DATA_KEYS": Fernet.generate_key().decode(),
        "AFTERSALES_HASH_KEY": "h" * 50,
        "AFTERSALES_ALLOWED_HOSTS": "service.example.com",
        "AFTERSALES_DATA_DIR": str(settings.DATA_DIR),
    }
    environment.pop("AFTERSALES_AUDIT_KEYS", None)
    code = "import config.settings.production as s; print(len(s.AUDIT_KEYS))"
    run = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: Set AFTERSALES_AUDIT_KEYS in production "
        "(the keys of the audit trail's hashes)."
    )
    environment["AFTERSALES_AUDIT_KEYS"] = "k" * 43
    run = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    assert (run.returncode, run.stdout) == (0, "1\n")
