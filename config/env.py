"""Typed readers for settings that come from the environment.

Each helper fails loudly (``ImproperlyConfigured``) on a value it cannot parse, so a
typo in a deployment shows up at start-up instead of as odd behaviour later.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a boolean (use 1/0, true/false).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is below the minimum {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """Comma-separated IP addresses or CIDR ranges (``10.0.0.1, 172.16.0.0/12``), each checked."""
    networks = env_list(name, [])
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"Environment variable {name}: {network!r} is not an IP address or a CIDR range."
            ) from None
    return networks


_SECRET = re.compile(r"[A-Za-z0-9_+/=-]+")


def env_secrets(name: str, *, min_length: int) -> list[str]:
    """Comma-separated secret keys, each at least ``min_length`` characters of letters, digits and
    ``-_+/=`` (base64, base64url and hex all fit); unset or empty: none. A bad key is named by its
    position, never shown."""
    keys = env_list(name, [])
    for position, key in enumerate(keys, start=1):
        if len(key) < min_length or not _SECRET.fullmatch(key):
            raise ImproperlyConfigured(
                f"Environment variable {name}: key {position} must be at least {min_length} characters of "
                "letters, digits and -_+/= (for example the output of: openssl rand -base64 32)."
            )
    return keys


def env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def database_from_url(url: str) -> dict[str, object]:
    """Translate a ``DATABASE_URL`` into a Django ``DATABASES`` entry.

    Supported: ``sqlite:///relative/or/absolute.db`` and ``postgres://user:pass@host:port/name``.
    """
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "sqlite":
        # sqlite:////abs/file.db is absolute, sqlite:///file.db is relative to the working directory.
        name = unquote(parsed.path)[1:]
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no SQLite file.")
        return sqlite_database(Path(name))
    if scheme in {"postgres", "postgresql", "pgsql"}:
        if not parsed.path.strip("/"):
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no database.")
        options: dict[str, object] = {}
        query = parse_qs(parsed.query)
        if "sslmode" in query:
            options["sslmode"] = query["sslmode"][0]
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.strip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            "TEST": {"NAME": "test_" + unquote(parsed.path.strip("/"))},
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {scheme!r} is not supported (use sqlite or postgres).")


def sqlite_database(path: Path) -> dict[str, object]:
    """SQLite tuned for a small multi-user server: WAL, immediate write transactions."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA cache_size=-64000;"
            ),
        },
        "TEST": {"NAME": str(path.with_name(path.stem + "_test.sqlite3"))},
    }


def huey_settings(*, redis_url: str, data_dir: Path, workers: int) -> dict[str, object]:
    """Job queue settings: Redis when a URL is given, else a SQLite file in the data directory."""
    settings: dict[str, object] = {
        "name": "aftersales",
        "immediate": False,
        "utc": True,
        "consumer": {"workers": workers, "worker_type": "thread"},
    }
    if redis_url:
        if urlparse(redis_url).scheme not in {"redis", "rediss", "unix"}:
            raise ImproperlyConfigured(f"REDIS_URL {redis_url!r} is not a redis:// URL.")
        settings.update({"huey_class": "huey.PriorityRedisHuey", "url": redis_url})
    else:
        settings.update({"huey_class": "huey.SqliteHuey", "filename": str(data_dir / "jobs.sqlite3")})
    return settings
