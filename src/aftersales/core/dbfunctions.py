"""Database functions the ORM lacks, written for both databases the product runs on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FloatField, Func
from django.db.models.sql.compiler import SQLCompiler

if TYPE_CHECKING:
    from django.db.models.sql.compiler import _AsSqlType


class EpochSeconds(Func):
    """Seconds since 1970-01-01 00:00 UTC of a date-time column, as a float.

    For reading many instants where only their distance matters (a day's bookings on a grid of
    quarter hours): an aware ``datetime`` costs the database driver a few microseconds each to build,
    a float next to nothing. PostgreSQL gives the exact value; SQLite, which stores instants as UTC
    text, through ``julianday`` rounded to the millisecond (its float carries about 50 µs at today's
    dates, so a whole second or quarter hour comes back exact).
    """

    arity = 1
    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)"

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any) -> _AsSqlType:
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::double precision", **extra_context
        )

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any) -> _AsSqlType:
        return self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3)",
            **extra_context,
        )
