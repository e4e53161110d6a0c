"""The job queue on its two storages: SQLite (default) and Redis (production)."""

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from huey import PriorityRedisHuey, SqliteHuey

from config.env import huey_settings

REDIS_URL = os.environ.get("AFTERSALES_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _build(settings: dict[str, object]) -> SqliteHuey | PriorityRedisHuey:
    options = {key: value for key, value in settings.items() if key not in {"huey_class", "consumer"}}
    cls = SqliteHuey if settings["huey_class"] == "huey.SqliteHuey" else PriorityRedisHuey
    return cls(**options)  # type: ignore[arg-type]


def _round_trip(huey: SqliteHuey | PriorityRedisHuey) -> int:
    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    result = add(2, 3)
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    return int(result.get())


def test_sqlite_queue_is_the_default(tmp_path: Path) -> None:
    settings = huey_settings(redis_url="", data_dir=tmp_path, workers=2)
    assert settings["huey_class"] == "huey.SqliteHuey"
    assert settings["filename"] == str(tmp_path / "jobs.sqlite3")
    assert _round_trip(_build(settings)) == 5


def test_redis_queue_when_configured() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but Redis is unreachable at {REDIS_URL}")
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    settings = huey_settings(redis_url=REDIS_URL, data_dir=Path("/unused"), workers=2)
    assert settings["huey_class"] == "huey.PriorityRedisHuey"
    huey = _build({**settings, "name": "aftersales-test"})
    huey.flush()
    assert _round_trip(huey) == 5
    huey.flush()


def test_bad_redis_url_fails_loudly() -> None:
    with pytest.raises(ImproperlyConfigured, match="is not a redis:// URL"):
        huey_settings(redis_url="http://127.0.0.1:6379", data_dir=Path("/unused"), workers=1)
