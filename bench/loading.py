"""The loading technique of ``bench generate``, shared by the dealer group and every area's generator.

Rows go in as batches through the database cursor (``executemany`` on SQLite, ``COPY`` on
PostgreSQL) with primary keys assigned here, inside one transaction; plain indexes (and, on
PostgreSQL, the foreign keys of bulk-loaded tables) are dropped for the load and rebuilt from their
own definitions in the same transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations

BATCH_SIZE = 5000


@dataclass
class GenerateResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # extra summary lines (the areas' generators)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@contextmanager
def fast_inserts() -> Iterator[None]:
    """On SQLite, skip syncing to disk during the load (one transaction; WAL); restore it afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA temp_store=MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")


_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


class Table:
    """Rows of one model written in batches; primary keys are assigned here, not by the database.

    Batches go in with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL).

    Values are given by attribute name (``store_id``, not ``store``); fields left out take their
    default. Values of types the driver cannot take as they are (dates, JSON, addresses) are adapted
    with the field's own ``get_db_prep_save``; JSON objects and strings once per distinct value.
    """

    def __init__(self, model: type[models.Model], result: GenerateResult, label: str) -> None:
        self.model = model
        self.result = result
        self.label = label
        self.fields = {model_field.attname: model_field for model_field in model._meta.concrete_fields}
        self.positions = {attname: position for position, attname in enumerate(self.fields)}
        self.needs_adapting = {
            attname: model_field.get_internal_type() not in _PLAIN_TYPES for attname, model_field in self.fields.items()
        }
        self.adapted: dict[str, dict[object, object]] = {}
        self.defaults = [self.adapt(attname, model_field.get_default()) for attname, model_field in self.fields.items()]
        self.rows: list[tuple[Any, ...]] = []
        pk_field = model._meta.pk
        if pk_field is None:
            raise TypeError(f"{model.__name__} has no primary key.")
        self.pk_position = self.positions[pk_field.attname]
        last = model._default_manager.aggregate(last=models.Max(pk_field.attname))["last"]
        self.next_pk = int(last or 0) + 1
        quote = connection.ops.quote_name
        columns = ", ".join(quote(model_field.column or model_field.attname) for model_field in self.fields.values())
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        self.copy_sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"

    def adapt(self, attname: str, value: object) -> object:
        """Return ``value`` as the database driver takes it for the column of ``attname``."""
        if value is None or not self.needs_adapting[attname]:
            return value
        model_field = self.fields[attname]
        if not isinstance(value, dict | list | str):
            return model_field.get_db_prep_save(value, connection)
        cache = self.adapted.setdefault(attname, {})
        key: object = id(value) if isinstance(value, dict | list) else value
        if key not in cache:
            if connection.vendor == "postgresql" and isinstance(model_field, models.JSONField):
                # COPY takes JSON as text; serialised once here instead of by the driver on every row.
                cache[key] = BaseDatabaseOperations.adapt_json_value(connection.ops, value, model_field.encoder)
            else:
                cache[key] = model_field.get_db_prep_save(value, connection)
            cache[("keep", key)] = value  # keeps the object alive so that its id is not reused
        return cache[key]

    def datetime_adapter(self, attname: str) -> Callable[[datetime], object]:
        """Return a fast adapter for aware UTC datetimes of ``attname``, checked against the field's own."""
        sample = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
        adapted = self.adapt(attname, sample)
        if adapted is sample:
            return _unchanged
        if adapted == str(sample.replace(tzinfo=None)):
            return _naive_text
        return functools.partial(self.adapt, attname)

    def template(self, **values: object) -> list[object]:
        """Return a row with ``values`` and the defaults, adapted, in column order (primary key not set)."""
        row = list(self.defaults)
        for attname, value in values.items():
            row[self.positions[attname]] = self.adapt(attname, value)
        return row

    def allocate(self) -> int:
        """Return the next free primary key."""
        self.next_pk += 1
        return self.next_pk - 1

    def add(self, **values: object) -> int:
        """Queue one row and return its primary key (assigned when not given)."""
        row = self.template(**values)
        pk = row[self.pk_position]
        if pk is None:
            pk = row[self.pk_position] = self.allocate()
        if not isinstance(pk, int):
            raise TypeError(f"{self.model.__name__} rows need integer primary keys, not {pk!r}.")
        self.append(row)
        return pk

    def append(self, row: list[object]) -> None:
        """Queue one complete row in column order."""
        self.rows.append(tuple(row))
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows."""
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: one stream instead of a round trip per row.
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, self.rows)
        self.result.counts[self.label] = self.result.counts.get(self.label, 0) + len(self.rows)
        self.rows = []


def _unchanged(value: datetime) -> object:
    return value


def _naive_text(value: datetime) -> object:
    return str(value.replace(tzinfo=None))


@contextmanager
def deferred_indexes(model: type[models.Model]) -> Iterator[None]:
    """Drop the plain indexes of ``model``'s table for a load and rebuild them from their own definitions.

    Indexes that back a primary key or unique constraint stay. Runs inside the caller's transaction,
    so a failed load leaves the schema as it was.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT quote_ident(c.relname), pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                [connection.ops.quote_name(table)],
            )
        indexes: list[tuple[str, str]] = (
            list(cursor.fetchall()) if connection.vendor in {"sqlite", "postgresql"} else []
        )
        for name, _definition in indexes:
            quoted = connection.ops.quote_name(name) if connection.vendor == "sqlite" else name
            cursor.execute(f"DROP INDEX {quoted}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)


def flush_in_order(*tables: Table) -> None:
    """Write the queued rows of parents before those of their children.

    On SQLite a child row whose parent is not written yet counts as a deferred violation, and while
    any is outstanding every parent insert searches the child tables (whose indexes are dropped).
    """
    for table in tables:
        table.flush()


def date_adapter(table: Table, attname: str) -> Callable[[date], object]:
    """Adapt dates of ``attname`` for the driver with the field's own ``get_db_prep_save``, once per date."""
    cache: dict[date, object] = {}

    def adapt(value: date) -> object:
        adapted = cache.get(value)
        if adapted is None:
            adapted = cache[value] = table.adapt(attname, value)
        return adapted

    return adapt


@contextmanager
def load_settings() -> Iterator[None]:
    """A larger page cache (SQLite) or sort memory for the index builds (PostgreSQL) during the load."""
    previous = 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size")
            previous = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA cache_size=-1000000")
        elif connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
    try:
        yield
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size={previous}")


@contextmanager
def deferred_foreign_keys(loaded: list[type[models.Model]]) -> Iterator[None]:
    """On PostgreSQL, drop the foreign keys of the loaded tables and add them back (validated) afterwards.

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: every inserted row would queue a check
    per key until commit. Pending checks of earlier inserts are run first (SET CONSTRAINTS ALL
    IMMEDIATE), since a table with pending trigger events cannot be altered; the usual deferred mode is
    restored at the end. SQLite checks each row's keys as it goes, cheaply, and keeps them.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in loaded]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid::regclass::text, conname",
            [tables],
        )
        keys: list[tuple[str, str, str]] = list(cursor.fetchall())
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def reset_sequences(written: list[type[models.Model]]) -> None:
    """Move PostgreSQL's id sequences past the ids assigned here, before the services insert rows."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), written):
            cursor.execute(statement)
