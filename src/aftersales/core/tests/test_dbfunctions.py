"""Database functions written for both databases: the same answer from SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.db import connection

from aftersales.core.dbfunctions import EpochSeconds
from aftersales.core.models import User


def test_epoch_seconds_of_an_instant_whatever_zone_it_was_written_in(db: None) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    User.objects.create(username="quarter", last_login=datetime(2026, 12, 1, 0, 15, tzinfo=shanghai))
    User.objects.create(username="fraction", last_login=datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC))
    User.objects.create(username="never")

    rows = dict(
        User.objects.filter(username__in=["quarter", "fraction", "never"]).values_list(
            "username", EpochSeconds("last_login")
        )
    )

    assert rows["quarter"] == 1796055300.0  # 2026-11-30 16:15 UTC: a quarter hour comes back exact
    assert rows["quarter"] - 1796054400.0 == 900.0  # a quarter hour after midnight in Shanghai
    # PostgreSQL to the microsecond; SQLite to the millisecond.
    assert rows["fraction"] == (1795741323.456789 if connection.vendor == "postgresql" else 1795741323.457)
    assert rows["never"] is None
