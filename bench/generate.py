"""Fill an empty database with a large synthetic dealer group, fast, for benchmarks.

Rows go in with the loading technique of ``bench.loading`` (batches through the cursor, 5,000 rows a
batch) in one transaction, with primary keys assigned here, so model ``save()`` is bypassed and no
audit entries are written for them. Instead, ``years`` of plausible history is synthesised directly:
one audit entry per store and day, linked into valid chains signed with the audit signing key
(``aftersales audit verify`` passes under the same ``AFTERSALES_AUDIT_KEYS``) with a chain head per
store, so that later appends continue the chains.

The areas' data (the customer archive of ``--customers``/``--vehicles``, ...) comes from the
generators that the area modules register with ``@generator`` (``bench.registry``): this module
never names an area; each registered generator writes its rows after the group, in the same
transaction, and settles after the commit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from aftersales.core.audit import GENESIS, AuditKeyring, audit_keyring, entry_digest
from aftersales.core.demo import BAYS, DEPARTMENTS, HOURS, ROLE_DEPARTMENT
from aftersales.core.identifiers import uscc_check_char
from aftersales.core.models import (
    AuditChainHead,
    AuditEntry,
    Bay,
    Brand,
    Certificate,
    DealerGroup,
    Department,
    LegalEntity,
    Role,
    StaffMembership,
    StaffProfile,
    Store,
    User,
)
from bench.loading import GenerateResult, Table, deferred_indexes, fast_inserts
from bench.registry import GENERATORS, GenerateOptions, discover_areas

GROUP_CODE = "BENCH"
GROUP_NAME = "基准测试汽车集团"
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
    *,
    scale: int,
    users_per_store: int = 12,
    years: int = 1,
    customers: int = 0,
    vehicles: int = 0,
    parts: int = 0,
    stock_moves: int = 0,
) -> GenerateResult:
    """Insert a dealer group of ``scale`` stores into the empty default database and report the counts.

    With ``customers`` (and ``vehicles``), the customer archive goes in too: every area's registered
    generator writes its rows after the group, in the same transaction, and settles after the commit.
    """
    if not 1 <= scale <= MAX_SCALE or users_per_store < 1 or years < 0:
        raise ValueError(f"scale must be 1 to {MAX_SCALE}, users_per_store at least 1, years at least 0.")
    if parts < 0 or stock_moves < 0 or (stock_moves and not parts):
        raise ValueError("parts and stock moves must be at least 0, and stock moves need parts.")
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
    discover_areas()
    options = GenerateOptions(
        scale=scale,
        users_per_store=users_per_store,
        years=years,
        customers=customers,
        vehicles=vehicles,
        parts=parts,
        stock_moves=stock_moves,
    )
    password = make_password(settings.DEMO_PASSWORD)
    result = GenerateResult()
    started = time.perf_counter()
    with fast_inserts(), transaction.atomic():
        generator = _Generator(result, users_per_store=users_per_store, roles=roles, password=password)
        generator.run(scale=scale, years=years)
        for area in GENERATORS.values():
            result.notes += area.fill(result, options)
    for area in GENERATORS.values():
        result.notes += area.settle(options)
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
        entities = self.table(LegalEntity, "legal_entities")
        links = self.table(Store.brands.through, "store_brands")
        stores = []
        for index in range(1, scale + 1):
            city, district, area_code = CITIES[index % len(CITIES)]
            code = f"S{index:04d}"
            # Each store its own company, as the stores of a dealer group usually are.
            first_17 = f"91{area_code[-3:].rjust(3, '0')}000{index:09d}"[:17]
            entity_id = entities.add(
                group_id=group_id,
                name=f"{city}{index}号汽车销售服务有限公司",
                uscc=first_17 + uscc_check_char(first_17),
                taxpayer_type=LegalEntity.TaxpayerType.GENERAL.value,
                address=f"{district}汽车城路{index}号",
                phone=f"{area_code}-{60000000 + index:08d}",
                repair_filing_no=f"{index:06d}-2020-{index % 10000:04d}",
                is_active=True,
            )
            pk = table.add(
                group_id=group_id,
                legal_entity_id=entity_id,
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
        entities.flush()
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
                    department_id=store.department_ids.get(ROLE_DEPARTMENT.get(role.code, "MGT") or ""),
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
        models_written: list[type[models.Model]] = [
            DealerGroup,
            Brand,
            LegalEntity,
            Store,
            Store.brands.through,
            Department,
        ]
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
