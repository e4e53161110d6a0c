"""Fill an empty database with a large synthetic dealer group, fast, for benchmarks.

Rows go in as batched multi-row inserts (``executemany``, 5,000 rows a batch) in one transaction,
with primary keys assigned here, so model ``save()`` is bypassed and no audit entries are written
for them. Instead, ``years`` of plausible history is synthesised directly: one audit entry per
store and day, linked into valid chains signed with the audit signing key (``aftersales audit
verify`` passes under the same ``AFTERSALES_AUDIT_KEYS``) with a chain head per store, so that later
appends continue the chains.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone

from aftersales.core.audit import GENESIS, AuditKeyring, audit_keyring, entry_digest
from aftersales.core.demo import BAYS, DEPARTMENTS, HOURS, ROLE_DEPARTMENT
from aftersales.core.models import (
    AuditChainHead,
    AuditEntry,
    Bay,
    Brand,
    Certificate,
    DealerGroup,
    Department,
    Role,
    StaffMembership,
    StaffProfile,
    Store,
    User,
)

GROUP_CODE = "BENCH"
GROUP_NAME = "基准测试汽车集团"
BATCH_SIZE = 5000
MAX_SCALE = 99999

BRANDS: tuple[tuple[str, str, str], ...] = (
    ("VW", "大众", "Volkswagen"),
    ("TOYOTA", "丰田", "Toyota"),
    ("BYD", "比亚迪", "BYD"),
    ("HONDA", "本田", "Honda"),
    ("NISSAN", "日产", "Nissan"),
    ("BUICK", "别克", "Buick"),
    ("BMW", "宝马", "BMW"),
    ("BENZ", "奔驰", "Mercedes-Benz"),
    ("AUDI", "奥迪", "Audi"),
    ("GEELY", "吉利", "Geely"),
    ("CHANGAN", "长安", "Changan"),
    ("HYUNDAI", "现代", "Hyundai"),
)

CITIES: tuple[tuple[str, str, str], ...] = (
    ("上海", "上海市浦东新区", "021"),
    ("苏州", "江苏省苏州市工业园区", "0512"),
    ("杭州", "浙江省杭州市西湖区", "0571"),
    ("南京", "江苏省南京市江宁区", "025"),
    ("宁波", "浙江省宁波市鄞州区", "0574"),
    ("无锡", "江苏省无锡市滨湖区", "0510"),
    ("合肥", "安徽省合肥市蜀山区", "0551"),
    ("温州", "浙江省温州市鹿城区", "0577"),
    ("常州", "江苏省常州市武进区", "0519"),
    ("嘉兴", "浙江省嘉兴市南湖区", "0573"),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ("建国", "海燕", "明轩", "晓燕", "志强", "磊", "丽华", "文斌", "静怡", "国华", "雪梅", "俊杰", "立新")
WORKSHOP_LEVELS = {"technician": "intermediate", "foreman": "senior", "qc": "senior"}


class GenerateRefused(Exception):
    """The target database is not empty; the generator only fills empty databases."""


@dataclass
class GenerateResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # extra summary lines (bench.archive)

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


def _person_name(index: int) -> str:
    """Return a plausible Chinese full name for the ``index``-th person."""
    return SURNAMES[index % len(SURNAMES)] + GIVEN_NAMES[(index // len(SURNAMES)) % len(GIVEN_NAMES)]


def _roles_for_store(roles: list[Role], users_per_store: int) -> list[tuple[Role, str]]:
    """Pick the role and user-name stem of each user of one store: every role once, then extra store staff."""
    picked = [(role, role.code) for role in roles[:users_per_store]]
    extra_roles = [role for role in roles if role.scope == Role.Scope.STORE] or roles
    extra = 0
    while len(picked) < users_per_store:
        role = extra_roles[extra % len(extra_roles)]
        picked.append((role, f"{role.code}{extra // len(extra_roles) + 2}"))
        extra += 1
    return picked


def generate(
    *, scale: int, users_per_store: int = 12, years: int = 1, customers: int = 0, vehicles: int = 0
) -> GenerateResult:
    """Insert a dealer group of ``scale`` stores into the empty default database and report the counts.

    With ``customers`` (and ``vehicles``), the customer archive of ``bench.archive`` goes in too.
    """
    if not 1 <= scale <= MAX_SCALE or users_per_store < 1 or years < 0:
        raise ValueError(f"scale must be 1 to {MAX_SCALE}, users_per_store at least 1, years at least 0.")
    if customers < 0 or vehicles < 0 or (vehicles and not customers):
        raise ValueError("customers and vehicles must be at least 0, and vehicles need customers.")
    if Store.all_objects.exists():
        raise GenerateRefused(
            f"The database already holds {Store.all_objects.count()} stores; "
            "bench generate only fills an empty database (drop it or use a new file)."
        )
    roles = list(Role.objects.order_by("pk"))
    if not roles:
        raise GenerateRefused("No roles found: the database is not migrated (migration 0002 installs them).")
    password = make_password(settings.DEMO_PASSWORD)
    result = GenerateResult()
    started = time.perf_counter()
    with fast_inserts(), transaction.atomic():
        generator = _Generator(result, users_per_store=users_per_store, roles=roles, password=password)
        generator.run(scale=scale, years=years)
        if customers:
            from bench.archive import archive_generate

            result.notes += archive_generate(result, customers=customers, vehicles=vehicles)
    if customers:
        from bench.archive import archive_settle

        result.notes += archive_settle()
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class _BayRef:
    """A bay as audit entries name it, with the JSON of its id and text prepared for hashing."""

    object_id: str
    object_repr: str
    id_json: str
    repr_json: str

    @classmethod
    def of(cls, pk: int, text: str) -> _BayRef:
        return cls(str(pk), text, _json(str(pk)), _json(text))


@dataclass
class _StoreRow:
    index: int
    pk: int
    code: str
    brand_ids: list[int]
    department_ids: dict[str, int] = field(default_factory=dict)
    bays: list[_BayRef] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)


class _Generator:
    """Writes the rows of every table in dependency order."""

    def __init__(self, result: GenerateResult, *, users_per_store: int, roles: list[Role], password: str) -> None:
        self.result = result
        self.users_per_store = users_per_store
        self.plan = _roles_for_store(roles, users_per_store)
        self.password = password
        self.now = timezone.now()

    def table(self, model: type[models.Model], label: str) -> Table:
        """Start writing rows of ``model``, counted under ``label``."""
        return Table(model, self.result, label)

    def run(self, *, scale: int, years: int) -> None:
        """Write the whole dealer group."""
        groups = self.table(DealerGroup, "dealer_groups")
        group_id = groups.add(code=GROUP_CODE, name=GROUP_NAME)
        groups.flush()
        brands = self.table(Brand, "brands")
        brand_ids = [brands.add(code=code, name=name, name_en=name_en) for code, name, name_en in BRANDS]
        brands.flush()
        stores = self.stores(scale, group_id, brand_ids)
        self.departments_and_bays(stores)
        self.staff(stores)
        if years > 0:
            with deferred_indexes(AuditEntry):
                self.audit_history(stores, days=365 * years)
        self.reset_sequences()

    def stores(self, scale: int, group_id: int, brand_ids: list[int]) -> list[_StoreRow]:
        """Write the stores and the brands each serves."""
        table = self.table(Store, "stores")
        links = self.table(Store.brands.through, "store_brands")
        stores = []
        for index in range(1, scale + 1):
            city, district, area_code = CITIES[index % len(CITIES)]
            code = f"S{index:04d}"
            pk = table.add(
                group_id=group_id,
                code=code,
                name=f"{city}{index}号4S店",
                address=f"{district}汽车城路{index}号",
                phone=f"{area_code}-{60000000 + index:08d}",
                business_hours=HOURS,
            )
            served = [brand_ids[index % len(brand_ids)]]
            if index % 3:
                served.append(brand_ids[(index + 5) % len(brand_ids)])
            stores.append(_StoreRow(index=index, pk=pk, code=code, brand_ids=served))
        table.flush()
        for store in stores:
            for brand_id in store.brand_ids:
                links.add(store_id=store.pk, brand_id=brand_id)
        links.flush()
        return stores

    def departments_and_bays(self, stores: list[_StoreRow]) -> None:
        """Write every store's departments and bays."""
        departments = self.table(Department, "departments")
        bays = self.table(Bay, "bays")
        kinds = dict(Bay.Kind.choices)
        for store in stores:
            for code, name, kind in DEPARTMENTS:
                store.department_ids[code] = departments.add(store_id=store.pk, code=code, name=name, kind=kind)
            for code, name, kind in BAYS:
                bay_id = bays.add(store_id=store.pk, code=code, name=name, kind=kind)
                store.bays.append(_BayRef.of(bay_id, f"{code} {kinds[kind]}"))
        departments.flush()
        bays.flush()

    def staff(self, stores: list[_StoreRow]) -> None:
        """Write every store's users with their memberships, profiles and certificates."""
        users = self.table(User, "users")
        memberships = self.table(StaffMembership, "memberships")
        profiles = self.table(StaffProfile, "profiles")
        certificates = self.table(Certificate, "certificates")
        for store in stores:
            for slot, (role, stem) in enumerate(self.plan):
                serial = (store.index - 1) * self.users_per_store + slot
                user_id = users.add(
                    username=f"{stem}_{store.code.lower()}",
                    full_name=_person_name(serial),
                    mobile=f"139{store.index:05d}{slot:03d}",
                    password=self.password,
                    date_joined=self.now,
                )
                store.user_ids.append(user_id)
                memberships.add(
                    store_id=store.pk,
                    user_id=user_id,
                    role_id=role.pk,
                    department_id=store.department_ids[ROLE_DEPARTMENT.get(role.code, "MGT")],
                )
                employee_no = f"{store.code}-{slot + 1:03d}"
                profile_id = profiles.add(
                    user_id=user_id,
                    employee_no=employee_no,
                    skill_level=WORKSHOP_LEVELS.get(role.code, ""),
                    hired_on=date(2015 + serial % 10, 1 + serial % 12, 1 + serial % 28),
                )
                if role.code in WORKSHOP_LEVELS:
                    brand = BRANDS[(store.index % len(BRANDS))]
                    certificates.add(
                        profile_id=profile_id,
                        kind=Certificate.Kind.BRAND.value,
                        name=f"{brand[1]}认证技师",
                        brand_id=store.brand_ids[0],
                        number=f"B-{employee_no}",
                        valid_from=date(2025, 1, 1),
                        valid_until=date(2027, 12, 31),
                    )
                if role.code == "technician":
                    certificates.add(
                        profile_id=profile_id,
                        kind=Certificate.Kind.EV_HIGH_VOLTAGE.value,
                        name="新能源汽车高压作业证",
                        number=f"EV-{employee_no}",
                        valid_from=date(2025, 3, 1),
                        valid_until=date(2028, 2, 28),
                    )
        for table in (users, memberships, profiles, certificates):
            table.flush()

    def audit_history(self, stores: list[_StoreRow], *, days: int) -> None:
        """One bay-status change per store and day, hash-chained per store, and each chain's head."""
        entries = self.table(AuditEntry, "audit_entries")
        heads = self.table(AuditChainHead, "audit_chain_heads")
        codes = [role.code for role, _stem in self.plan]
        actor_slot = codes.index("foreman") if "foreman" in codes else 0
        actor_stem = self.plan[actor_slot][1]
        zone = ZoneInfo(settings.TIME_ZONE)
        first_day = timezone.localdate() - timedelta(days=days)
        opening_time = clock_time(9, 0)
        openings = [datetime.combine(first_day + timedelta(days=day), opening_time, zone) for day in range(days)]
        changes = ({"is_active": [True, False]}, {"is_active": [False, True]})
        changes_json = tuple(_json(change) for change in changes)
        changes_db = tuple(entries.adapt("changes", change) for change in changes)
        moments = _Moments(openings, entries.datetime_adapter("created_at"))
        keyring = audit_keyring()
        position = entries.positions
        pk_at, seq_at, time_at = position["id"], position["chain_seq"], position["created_at"]
        id_at, repr_at, changes_at = position["object_id"], position["object_repr"], position["changes"]
        prev_at, hash_at = position["prev_hash"], position["hash"]
        for store in stores:
            username = f"{actor_stem}_{store.code.lower()}"
            actor_id = store.user_ids[actor_slot]
            client_ip = f"10.{store.index // 250 % 250}.{store.index % 250}.{10 + actor_slot}"
            slot = store.index % _Moments.SLOTS
            digest = _ChainDigest(
                chain=store.pk, actor_id=actor_id, username=username, client_ip=client_ip, keyring=keyring
            )
            template = entries.template(
                chain=store.pk,
                actor_id=actor_id,
                actor_username=username,
                store_id=store.pk,
                action=AuditEntry.Action.UPDATE.value,
                object_type=digest.object_type,
                client_ip=client_ip,
                key_id=keyring.signing_id,
            )
            prev_hash = GENESIS
            for day in range(days):
                bay = store.bays[day % len(store.bays)]
                variant = (day // len(store.bays)) % 2
                created_at, created_db, created_text = moments.at(slot, day)
                entry_hash = digest.hash(
                    seq=day + 1,
                    created_at=created_at,
                    created_text=created_text,
                    bay=bay,
                    changes=changes[variant],
                    changes_json=changes_json[variant],
                    prev_hash=prev_hash,
                )
                row = template.copy()
                row[pk_at] = entries.allocate()
                row[seq_at] = day + 1
                row[time_at] = created_db
                row[id_at] = bay.object_id
                row[repr_at] = bay.object_repr
                row[changes_at] = changes_db[variant]
                row[prev_at] = prev_hash
                row[hash_at] = entry_hash
                entries.append(row)
                prev_hash = entry_hash
            heads.add(chain=store.pk, last_seq=days, last_hash=prev_hash, last_key_id=keyring.signing_id)
        entries.flush()
        heads.flush()

    def reset_sequences(self) -> None:
        """Move the database's id sequences past the ids assigned here (PostgreSQL)."""
        models_written: list[type[models.Model]] = [DealerGroup, Brand, Store, Store.brands.through, Department]
        models_written += [Bay, User, StaffMembership, StaffProfile, Certificate, AuditEntry]
        statements = connection.ops.sequence_reset_sql(no_style(), models_written)
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


class _Moments:
    """Times of audit entries: a store's entries fall in one of ``SLOTS`` ten-minute slots of a day.

    Each time is built, adapted for the database and formatted for hashing once per slot and day.
    """

    SLOTS = 48

    def __init__(self, openings: list[datetime], adapt: Callable[[datetime], object]) -> None:
        self.openings = openings
        self.adapt = adapt
        self.cache: dict[tuple[int, int], tuple[datetime, object, str]] = {}

    def at(self, slot: int, day: int) -> tuple[datetime, object, str]:
        """Return the time, its database value and its hashed text for ``slot`` of ``day``."""
        key = (slot, day)
        moment = self.cache.get(key)
        if moment is None:
            created_at = (self.openings[day] + timedelta(minutes=10 * slot)).astimezone(UTC)
            moment = (created_at, self.adapt(created_at), created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
            self.cache[key] = moment
        return moment


class _ChainDigest:
    """``entry_digest`` for many entries of one chain, from a prepared template of ``entry_content``
    signed with a prepared HMAC of the signing key.

    The template is checked against ``entry_digest`` on the first entry of the chain; if the
    audit format ever changes so that they differ, every entry goes through ``entry_digest``.
    """

    object_type = "core.bay"

    def __init__(self, *, chain: int, actor_id: int, username: str, client_ip: str, keyring: AuditKeyring) -> None:
        self.chain = chain
        self.actor_id = actor_id
        self.username = username
        self.client_ip = client_ip
        self.key_id = keyring.signing_id
        self.mac = hmac.new(keyring.keys[self.key_id], digestmod=hashlib.sha256)
        self.head = f'{{"action":"{AuditEntry.Action.UPDATE.value}","actor":{actor_id},"at":"'
        self.middle = f'","chain":{chain},"changes":'
        self.tail = f',"store":{chain},"type":{_json(self.object_type)},"username":{_json(username)}}}'
        self.ip = f'{_json(client_ip)},"key":{_json(self.key_id)}'  # "ip" and, next in order, "key"
        self.checked = False
        self.fast = True

    def hash(
        self,
        *,
        seq: int,
        created_at: datetime,
        created_text: str,
        bay: _BayRef,
        changes: object,
        changes_json: str,
        prev_hash: str,
    ) -> str:
        """Return the digest of one entry of this chain."""
        fast = ""
        if self.fast:
            canonical = (
                f'{self.head}{created_text}{self.middle}{changes_json},"id":{bay.id_json},"ip":{self.ip},'
                f'"prev":"{prev_hash}","repr":{bay.repr_json},"seq":{seq}{self.tail}'
            )
            mac = self.mac.copy()
            mac.update(canonical.encode())
            fast = mac.hexdigest()
            if self.checked:
                return fast
        entry = AuditEntry(
            chain=self.chain,
            chain_seq=seq,
            created_at=created_at,
            actor_id=self.actor_id,
            actor_username=self.username,
            store_id=self.chain,
            action=AuditEntry.Action.UPDATE.value,
            object_type=self.object_type,
            object_id=bay.object_id,
            object_repr=bay.object_repr,
            changes=changes,
            client_ip=self.client_ip,
            prev_hash=prev_hash,
            key_id=self.key_id,
        )
        slow = entry_digest(entry)
        if not self.checked:
            self.checked = True
            self.fast = slow == fast
        return slow


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def summary_lines(result: GenerateResult) -> list[str]:
    """Describe a generation run for the console."""
    counts = ", ".join(f"{label} {count:,}" for label, count in result.counts.items())
    return [
        f"Inserted {result.rows:,} rows in {result.seconds:.2f} s ({result.rows_per_second:,.0f} rows/s).",
        f"  {counts}",
        *result.notes,
    ]


# --- an Excel import file (bench run import) ---------------------------------------------------------


def import_workbook(path: Path, *, rows: int, run: int) -> None:
    """Write an import file of ``rows`` valid rows, each one customer with one vehicle, as a dealer fills it.

    ``run`` (0-999) goes into every VIN, mobile and credit code, so that files of different runs
    never clash with each other or with the archive that ``--customers`` generates.
    """
    import bisect
    import itertools
    import random

    from aftersales.customers import excel, identifiers
    from bench.archive import GIVEN_FIRST, GIVEN_SECOND, GIVEN_SINGLE, SURNAMES

    if not 1 <= rows <= 999_999 or not 0 <= run <= 999:
        raise ValueError("rows must be 1 to 999,999 and run 0 to 999.")
    rng = random.Random(f"aftersales-bench-import-{run}")
    surname_weights = list(itertools.accumulate(1 / (rank + 5) for rank in range(len(SURNAMES))))
    districts = ("浦东新区", "徐汇区", "闵行区", "静安区", "杨浦区", "长宁区")
    streets = ("世纪大道", "张杨路", "漕溪北路", "虹桥路", "南京西路", "四平路")
    fuels = ("汽油", "汽油", "汽油", "混动", "插混", "纯电")
    colours = ("珍珠白", "星空灰", "曜石黑", "极地银", "宝石蓝", "中国红")
    vds_letters = "ABCDEFGHJKLMNPRSTUVWXYZ"  # a run's letters in VIN positions 4-8
    vds = "".join(vds_letters[run // 23**power % 23] for power in range(5))
    writer = excel.XlsxWriter(path, title=excel.SHEET_TITLE, shared_strings=True)  # as Excel saves it
    writer.append([column.zh for column in excel.COLUMNS], style="header")
    writer.append([column.en for column in excel.COLUMNS], style="note")
    today = date.today()
    for index in range(rows):
        company = index % 10 == 9
        surname = SURNAMES[bisect.bisect(surname_weights, rng.random() * surname_weights[-1])]
        if company:
            name = f"上海{rng.choice(streets)}{index}号汽车服务有限公司"
        elif rng.random() < 0.25:
            name = surname + rng.choice(GIVEN_SINGLE)
        else:
            name = surname + rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND)
        year = 2016 + index % 10
        bought = date(year, 1 + index % 12, 1 + index % 28)
        body = f"LSV{vds}0{'GHJKLMNPRS'[year - 2016]}A{index:06d}"
        resident_id = ""
        if not company and index % 2 == 0:
            first = f"310115{date(1960, 1, 1) + timedelta(days=index % 15000):%Y%m%d}{index % 1000:03d}"
            resident_id = first + identifiers.resident_id_check_char(first)
        credit = f"91310115{run:03d}{index:06d}"
        fuel = rng.choice(fuels)
        plate_body = f"{index % 100000:05d}"
        row = {
            "kind": "公司" if company else "个人",
            "name": name,
            "mobile": f"1{3 + run % 7}{run:03d}{index:06d}",
            "email": f"customer{index}@example.com" if index % 3 == 0 else None,
            "province": "上海市",
            "city": "上海市",
            "district": rng.choice(districts),
            "street": f"{rng.choice(streets)}{1 + index % 2000}号",
            "resident_id": resident_id or None,
            "uscc": credit + identifiers.uscc_check_char(credit) if company else None,
            "emergency_contact": "张三" if index % 4 == 0 else None,
            "emergency_phone": "13900001111" if index % 4 == 0 else None,
            "source": rng.choice(("销售", "到店", "转介绍", "网络", "电话")),
            "customer_class": "车队" if company else rng.choice(("普通", "普通", "普通", "VIP")),
            "data_consent": "是",
            "marketing_consent": "是" if index % 3 else "否",
            "consent_channel": "纸质",
            "vin": body[:8] + identifiers.vin_check_digit(body) + body[9:],
            "plate": f"沪{'ABCDEFGHJKLMN'[index % 13]}{'D' if fuel in {'插混', '纯电'} else ''}{plate_body}",
            "model_year": year,
            "engine_no": f"E{index:07d}",
            "colour": rng.choice(colours),
            "fuel_type": fuel,
            "purchase_date": bought,
            "warranty_end": bought.replace(year=year + 3),
            "mileage": 5000 + index % 150000,
            "mileage_date": today - timedelta(days=1 + index % 300),
        }
        writer.append([row.get(column.key) for column in excel.COLUMNS])
    writer.close()
