"""The customer archive at benchmark scale: ``bench generate --customers N --vehicles M`` and its scenarios.

Generation runs inside ``bench.generate.generate``'s transaction, after the dealer group, with the
same loading technique (rows in batches through ``Table``: ``executemany`` on SQLite, ``COPY`` on
PostgreSQL, plain indexes dropped for the load and rebuilt from their own definitions). It writes:

- customers spread over the stores, numbered per store and year as ``number_next`` numbers them
  (``CUS-S0001-2019-000001``), with the number sequences set so that later numbers follow on;
  realistic Chinese names (surnames weighted by frequency, so that names repeat as they do), their
  pinyin initials and full pinyin from ``search.name_initials_and_pinyin`` (memoised by name: about
  a quarter of a millisecond a call), mobiles, addresses of the store's city, consents, review dates,
  completeness as ``quality`` computes it; one in ten individuals with a valid resident ID (encrypted,
  digested and masked as the services do); one in fifty a company with a unique credit code;
- vehicles with unique, valid VINs (ISO 3779 check digit, the brand's WMI) and unique, valid plates
  of the store's city (new-energy plates for battery and plug-in vehicles, ordinary ones otherwise,
  one in a hundred not registered yet), each with its current owner;
- the search keys exactly as the services write them (``search.customer_keys`` / ``search.vehicle_keys``);
- the detail customer: the first customer of store S0001 (the lowest number of that store) gets,
  through the real services (audited and hash-chained like any change), 20 vehicles, 40 changes of
  its own record, 10 changes of each vehicle and 12 mileage readings per vehicle: exactly 500
  timeline entries.

On PostgreSQL the foreign keys of the loaded tables are dropped for the load too and added back
afterwards (one validating join each instead of a deferred trigger per row and key, which would
queue ~90 million trigger events at full scale), ``maintenance_work_mem`` is raised for the index
builds, and after the commit the tables are vacuumed and analysed, as autovacuum would shortly after
a real load (this server runs with autovacuum off).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max, Min
from django.utils import timezone

from aftersales.core.models import AuditEntry, Brand, DocumentSequence, Store, User
from aftersales.customers import encryption, identifiers, search, selectors, services
from aftersales.customers.demo import CATALOGUE as DEMO_CATALOGUE
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    MileageReading,
    SearchKey,
    Vehicle,
    VehicleLink,
    VehicleModel,
)
from aftersales.customers.selectors import search as search_ranking
from bench.generate import GenerateResult, Table, deferred_indexes
from bench.run import BenchContext, BenchFailure, Call, scenario

DETAIL_STORE = "S0001"
DETAIL_VEHICLES = 20
DETAIL_CUSTOMER_CHANGES = 40
DETAIL_VEHICLE_CHANGES = 10
DETAIL_READINGS = 12
DETAIL_TIMELINE = DETAIL_CUSTOMER_CHANGES + DETAIL_VEHICLES * (1 + DETAIL_VEHICLE_CHANGES + DETAIL_READINGS)  # 500
CUSTOMER_YEARS = 8  # customers registered over the last 8 years
SEED = "aftersales-bench-archive"
CHUNK = 2000  # customers queued (with their mobiles, vehicles, owners and keys) between writes


@dataclass(frozen=True)
class Region:
    """What the customers and vehicles of a store in one city look like."""

    plate: str  # province abbreviation on plates
    letters: str  # issuing-authority letters of the city
    province: str
    city: str
    districts: tuple[str, ...]
    streets: tuple[str, ...]
    id_area: str  # administrative division code of resident IDs and credit codes
    area_code: str  # landline


REGIONS: dict[str, Region] = {
    "上海": Region(
        "沪",
        "ABCDEFGHJKLMN",
        "上海市",
        "上海市",
        ("浦东新区", "徐汇区", "闵行区", "静安区", "杨浦区", "长宁区"),
        ("世纪大道", "张杨路", "漕溪北路", "虹桥路", "南京西路", "四平路"),
        "310115",
        "021",
    ),
    "苏州": Region(
        "苏",
        "E",
        "江苏省",
        "苏州市",
        ("工业园区", "姑苏区", "吴中区", "相城区", "虎丘区"),
        ("金鸡湖大道", "星湖街", "人民路", "干将路", "东环路"),
        "320506",
        "0512",
    ),
    "杭州": Region(
        "浙",
        "A",
        "浙江省",
        "杭州市",
        ("西湖区", "上城区", "拱墅区", "滨江区", "余杭区"),
        ("文三路", "延安路", "江南大道", "文一西路", "莫干山路"),
        "330106",
        "0571",
    ),
    "南京": Region(
        "苏",
        "A",
        "江苏省",
        "南京市",
        ("江宁区", "鼓楼区", "玄武区", "秦淮区", "建邺区"),
        ("中山路", "汉中路", "江东中路", "双龙大道", "龙蟠路"),
        "320115",
        "025",
    ),
    "宁波": Region(
        "浙",
        "B",
        "浙江省",
        "宁波市",
        ("鄞州区", "海曙区", "江北区", "北仑区", "镇海区"),
        ("天童南路", "中山西路", "人民路", "明州路", "钟公庙路"),
        "330212",
        "0574",
    ),
    "无锡": Region(
        "苏",
        "B",
        "江苏省",
        "无锡市",
        ("滨湖区", "梁溪区", "新吴区", "锡山区", "惠山区"),
        ("太湖大道", "中山路", "长江路", "梁溪路", "蠡湖大道"),
        "320211",
        "0510",
    ),
    "合肥": Region(
        "皖",
        "A",
        "安徽省",
        "合肥市",
        ("蜀山区", "包河区", "庐阳区", "瑶海区"),
        ("长江西路", "徽州大道", "黄山路", "芜湖路", "望江西路"),
        "340104",
        "0551",
    ),
    "温州": Region(
        "浙",
        "C",
        "浙江省",
        "温州市",
        ("鹿城区", "龙湾区", "瓯海区", "洞头区"),
        ("车站大道", "人民路", "府东路", "温州大道", "学院路"),
        "330302",
        "0577",
    ),
    "常州": Region(
        "苏",
        "D",
        "江苏省",
        "常州市",
        ("武进区", "天宁区", "钟楼区", "新北区", "金坛区"),
        ("延陵西路", "龙锦路", "人民中路", "太湖东路", "晋陵路"),
        "320412",
        "0519",
    ),
    "嘉兴": Region(
        "浙",
        "F",
        "浙江省",
        "嘉兴市",
        ("南湖区", "秀洲区", "海宁市", "平湖市", "桐乡市"),
        ("中山路", "禾兴路", "洪兴路", "东升路", "凌公塘路"),
        "330402",
        "0573",
    ),
}

# Brand code (bench.generate.BRANDS) -> WMI of its Chinese joint venture, and a few models.
# The demo's brands (aftersales.customers.demo.CATALOGUE) and the other brands of bench.generate.
CATALOGUE: dict[str, tuple[str, Sequence[tuple[str, str, str]]]] = {
    **DEMO_CATALOGUE,
    "HONDA": (
        "LHG",
        (
            ("雅阁", "260TURBO 精英版", "petrol"),
            ("思域", "240TURBO 劲动版", "petrol"),
            ("CR-V", "锐·混动 2.0L 净速版", "hybrid"),
        ),
    ),
    "NISSAN": (
        "LGB",
        (
            ("轩逸", "1.6L CVT 悦享版", "petrol"),
            ("天籁", "2.0T 智进版", "petrol"),
            ("奇骏", "VC-Turbo 300 豪华版", "petrol"),
        ),
    ),
    "BUICK": (
        "LSG",
        (
            ("君越", "652T 豪华型", "petrol"),
            ("英朗", "1.5L 自动精英型", "petrol"),
            ("微蓝6", "PHEV 互联时尚型", "phev"),
        ),
    ),
    "BMW": (
        "LBV",
        (
            ("3系", "325Li M运动套装", "petrol"),
            ("5系", "530Li 领先型", "petrol"),
            ("iX3", "领先型", "bev"),
        ),
    ),
    "BENZ": (
        "LE4",
        (
            ("C级", "C260 L 运动版", "petrol"),
            ("E级", "E300 L 时尚型", "petrol"),
            ("EQC", "400 4MATIC", "bev"),
        ),
    ),
    "AUDI": (
        "LFV",
        (
            ("A4L", "40 TFSI 时尚动感型", "petrol"),
            ("Q5L", "45 TFSI 臻选动感型", "petrol"),
            ("Q4 e-tron", "40 创境版", "bev"),
        ),
    ),
    "GEELY": (
        "L6T",
        (
            ("星越L", "2.0TD 旗舰型", "petrol"),
            ("帝豪", "1.5L CVT 豪华型", "petrol"),
            ("几何A", "星际版", "bev"),
        ),
    ),
    "CHANGAN": (
        "LS5",
        (
            ("CS75 PLUS", "1.5T 自动尊贵型", "petrol"),
            ("逸动", "PLUS 1.6L 豪华型", "petrol"),
            ("深蓝SL03", "515纯电版", "bev"),
        ),
    ),
    "HYUNDAI": (
        "LBE",
        (
            ("伊兰特", "1.5L CVT 精英版", "petrol"),
            ("途胜L", "1.5T 两驱智勇版", "petrol"),
            ("索纳塔", "2.0L 混动智能型", "hybrid"),
        ),
    ),
}

# About the 100 most common surnames, most frequent first (weights fall off with rank).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_SINGLE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华鑫鹏宇浩婷雪琳晨欣颖斌峰辉健凯丹瑶怡倩"
GIVEN_FIRST = "子梓浩欣佳思嘉俊志建晓海文国明雨一宇家雅诗晨天梦泽博语若金玉春秀立永"
GIVEN_SECOND = "轩涵然怡琪豪航阳辰睿杰婷强华伟明平军萍兰芳红英梅霞东峰成龙飞林宁静敏丽娟涛鹏"
COMPANY_WORDS = (
    "顺达",
    "恒通",
    "汇丰",
    "宏远",
    "鑫源",
    "安捷",
    "东方",
    "华信",
    "金桥",
    "新程",
    "众联",
    "申通",
    "天成",
    "瑞祥",
    "永盛",
    "兴业",
    "同创",
    "博远",
    "佳禾",
    "中泰",
)
COMPANY_KINDS = ("物流有限公司", "汽车租赁有限公司", "科技有限公司", "建设工程有限公司", "商贸有限公司")
COLOURS = ("珍珠白", "星空灰", "曜石黑", "极地银", "宝石蓝", "中国红")
PREFERENCES = ("", "", "", "偏好微信联系", "在休息室等候", "需要代步车", "仅工作日到店", "电话前请先短信")
MOBILE_PREFIXES = (
    *(f"13{digit}" for digit in range(10)),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177"),
    *("178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199"),
)
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O
PLATE_SERIAL = PLATE_LETTERS + "0123456789"
VIN_YEAR_CODES = dict(zip(range(2010, 2031), "ABCDEFGHJKLMNPRSTVWXY", strict=True))
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
NEV_FUELS = frozenset({"bev", "phev"})


@dataclass
class _StoreInfo:
    pk: int
    code: str
    region: Region
    advisor_id: int | None
    models: list[tuple[int, str, str]]  # (vehicle model id, WMI, fuel type) of the brands it serves


class ArchiveGenerator:
    """Writes the archive rows; ``run`` is the whole job."""

    def __init__(self, result: GenerateResult, *, customers: int, vehicles: int) -> None:
        if customers < 0 or vehicles < 0:
            raise ValueError("customers and vehicles must be at least 0.")
        if vehicles and not customers:
            raise ValueError("vehicles need customers to own them.")
        self.result = result
        self.customers = customers
        self.vehicles = vehicles
        self.rng = random.Random(SEED)
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.vins: set[str] = set()
        self.plates: set[str] = set()
        self.resident_ids: set[str] = set()
        self.surname_weights = list(itertools.accumulate(1 / (rank + 5) for rank in range(len(SURNAMES))))
        self.name_keys = functools.cache(search.name_initials_and_pinyin)
        self.detail_start = self.today - timedelta(days=DETAIL_READINGS * 120 + 30)
        self.detail_vehicles: list[tuple[str, str, int, str]] = []  # VIN, plate, model id, fuel

    # --- the job ------------------------------------------------------------------------------

    def run(self) -> list[str]:
        """Write the archive; return lines describing it for the summary."""
        if not self.customers:
            return []
        notes: list[str] = []
        started = time.perf_counter()
        stores = self.stores()
        loaded = [Customer, CustomerPhone, Vehicle, VehicleLink, SearchKey]
        with ExitStack() as stack:
            stack.enter_context(_load_settings())
            stack.enter_context(_deferred_foreign_keys(loaded))
            for model in loaded:
                stack.enter_context(deferred_indexes(model))
            # search.customer_keys runs as it is, with the slow pinyin of a name computed once per name.
            stack.enter_context(mock.patch.object(search, "name_initials_and_pinyin", self.name_keys))
            detail = self.bulk(stores)
            written = time.perf_counter()
        indexed = time.perf_counter()
        _reset_sequences([VehicleModel, Customer, CustomerPhone, Vehicle, VehicleLink, SearchKey, DocumentSequence])
        if detail is not None:
            notes.append(self.detail_customer(detail, stores[0]))
        notes.append(
            f"  archive: rows {written - started:.2f} s ({self.name_keys.cache_info().currsize:,} distinct names), "
            f"indexes and foreign keys {indexed - written:.2f} s, detail customer "
            f"{time.perf_counter() - indexed:.2f} s"
        )
        return notes

    def stores(self) -> list[_StoreInfo]:
        """The generated stores with their city, advisor and the vehicle models of their brands."""
        models_of = self.catalogue()
        serves: dict[int, list[str]] = {}
        for store_id, code in Store.brands.through.objects.values_list("store_id", "brand__code").order_by("pk"):
            serves.setdefault(store_id, []).append(code)
        everything = [entry for entries in models_of.values() for entry in entries]
        rows = list(Store.all_objects.order_by("code").values_list("pk", "code", "name"))
        advisors = dict(
            User.objects.filter(username__in=[f"advisor_{code.lower()}" for _pk, code, _name in rows]).values_list(
                "username", "pk"
            )
        )
        stores = []
        for pk, code, name in rows:
            region = next((region for city, region in REGIONS.items() if name.startswith(city)), REGIONS["上海"])
            served = [entry for brand in serves.get(pk, []) for entry in models_of.get(brand, [])]
            stores.append(_StoreInfo(pk, code, region, advisors.get(f"advisor_{code.lower()}"), served or everything))
        if not stores:
            raise ValueError("The archive needs stores: generate them in the same run.")
        return stores

    def catalogue(self) -> dict[str, list[tuple[int, str, str]]]:
        """Write the vehicle models of the generated brands; return (id, WMI, fuel) per brand code."""
        table = Table(VehicleModel, self.result, "vehicle_models")
        brands = dict(Brand.objects.filter(code__in=CATALOGUE).values_list("code", "pk"))
        found: dict[str, list[tuple[int, str, str]]] = {}
        for code, (wmi, entries) in CATALOGUE.items():
            if code not in brands:
                continue
            for series, name, fuel in entries:
                pk = table.add(brand_id=brands[code], series=series, name=name, fuel_type=fuel)
                found.setdefault(code, []).append((pk, wmi, fuel))
        table.flush()
        return found

    # --- bulk rows ----------------------------------------------------------------------------

    def bulk(self, stores: list[_StoreInfo]) -> tuple[int, int] | None:
        """Write customers, mobiles, vehicles, owners and search keys; return the detail customer (id, version)."""
        rng = self.rng
        random_ = rng.random
        customers = Table(Customer, self.result, "customers")
        phones = Table(CustomerPhone, self.result, "customer_phones")
        vehicles = Table(Vehicle, self.result, "vehicles")
        links = Table(VehicleLink, self.result, "vehicle_links")
        keys = Table(SearchKey, self.result, "search_keys")
        sequences = Table(DocumentSequence, self.result, "document_sequences")
        moment = customers.datetime_adapter("created_at")
        vehicle_moment = vehicles.datetime_adapter("created_at")
        day = _date_adapter(vehicles, "purchase_date")
        link_day = _date_adapter(links, "valid_from")
        tag_options = [
            customers.adapt("tags", tags) for tags in ([], [], [], [], ["prefers WeChat"], ["waits in lounge"])
        ]
        cu, ph, ve, li, sk = customers.positions, phones.positions, vehicles.positions, links.positions, keys.positions
        key_template = keys.template()
        phone_template = phones.template()
        link_template = links.template(role=VehicleLink.Role.OWNER.value)
        vehicle_template = vehicles.template(version=1, warranty_km_limit=100_000)
        completeness_of: dict[tuple[bool, ...], int] = {}

        def add_keys(pairs: list[tuple[str, str]], customer_id: int | None, vehicle_id: int | None) -> None:
            for kind, key in pairs:
                row = key_template.copy()
                row[sk["id"]] = keys.allocate()
                row[sk["key"]] = key
                row[sk["kind"]] = kind
                row[sk["customer_id"]] = customer_id
                row[sk["vehicle_id"]] = vehicle_id
                keys.rows.append(tuple(row))

        span = timedelta(days=365 * CUSTOMER_YEARS).total_seconds()
        first_moment = self.now - timedelta(days=365 * CUSTOMER_YEARS + 1)
        remaining_customers = self.customers
        detail: tuple[int, int] | None = None
        bulk_vehicles = self.vehicles - DETAIL_VEHICLES if self.vehicles >= DETAIL_VEHICLES else self.vehicles
        remaining_vehicles = bulk_vehicles
        per_store, extra = divmod(self.customers, len(stores))
        serial = 0
        for position, store in enumerate(stores):
            count = per_store + (1 if position < extra else 0)
            region = store.region
            template = customers.template(
                province=region.province, city=region.city, home_store_id=store.pk, owner_id=store.advisor_id, version=1
            )
            numbers_in_year: dict[int, int] = {}
            for index in range(count):
                serial += 1
                created = first_moment + timedelta(seconds=span * (index + random_()) / count)
                year = created.astimezone(self.zone).year
                numbers_in_year[year] = numbers_in_year.get(year, 0) + 1
                number = f"CUS-{store.code}-{year}-{numbers_in_year[year]:06d}"
                company = serial % 50 == 17
                name = self.company_name(region) if company else self.person_name()
                initials, full = self.name_keys(name)
                row = template.copy()
                customer_id = row[cu["id"]] = customers.allocate()
                row[cu["number"]] = number
                row[cu["kind"]] = Customer.Kind.COMPANY.value if company else Customer.Kind.INDIVIDUAL.value
                row[cu["name"]] = name
                row[cu["name_initials"]] = " ".join(initials)
                row[cu["name_pinyin"]] = full
                has_street = random_() < 0.9
                row[cu["district"]] = region.districts[int(random_() * len(region.districts))]
                if has_street:
                    row[cu["street"]] = (
                        f"{region.streets[int(random_() * len(region.streets))]}{1 + int(random_() * 1999)}号"
                    )
                has_email = random_() < 0.2
                if has_email:
                    row[cu["email"]] = (
                        f"{full[:20] or 'kehu'}{serial % 997}@{'qq.com' if random_() < 0.6 else '163.com'}"
                    )
                if random_() < 0.1:
                    row[cu["landline"]] = f"{region.area_code}-{int(random_() * 90_000_000) + 10_000_000}"
                has_identity = company
                if company:
                    row[cu["uscc"]] = self.uscc(region, serial)
                elif serial % 10 == 3:
                    self.resident_id(row, cu, region, serial)
                    has_identity = True
                has_emergency = not company and random_() < 0.3
                if has_emergency:
                    row[cu["emergency_contact"]] = self.person_name()
                    row[cu["emergency_phone"]] = self.mobile()
                row[cu["preferences"]] = PREFERENCES[int(random_() * len(PREFERENCES))]
                row[cu["tags"]] = tag_options[int(random_() * len(tag_options))]
                row[cu["source"]] = ("sales", "sales", "sales", "walk_in", "referral", "online", "phone")[
                    int(random_() * 7)
                ]
                chance = random_()
                row[cu["customer_class"]] = (
                    "fleet" if company else ("vip" if chance < 0.08 else "lapsed" if chance < 0.15 else "regular")
                )
                created_db = moment(created)
                row[cu["created_at"]] = created_db
                has_consent = random_() < 0.92
                if has_consent:
                    row[cu["data_consent"]] = True
                    row[cu["data_consent_at"]] = created_db
                    row[cu["data_consent_channel"]] = "paper" if random_() < 0.7 else "app"
                if random_() < 0.6:
                    row[cu["marketing_consent"]] = True
                    row[cu["marketing_consent_at"]] = created_db
                    row[cu["marketing_consent_channel"]] = "paper"
                updated = created
                if random_() < 0.7:
                    reviewed = min(created + timedelta(days=1 + int(random_() * 400)), self.now)
                    row[cu["reviewed_at"]] = moment(reviewed)
                    updated = reviewed
                row[cu["updated_at"]] = moment(updated)

                # Vehicles: on average what is left per customer left, more for companies, none for a few.
                if detail is None and store.code == DETAIL_STORE and index == 0:
                    owned = 0
                    detail = (customer_id, 1)
                elif remaining_customers == 1:
                    owned = remaining_vehicles
                else:
                    weight = 4.0 if company else (0.0 if random_() < 0.06 else 1.0)
                    owned = min(remaining_vehicles, int(remaining_vehicles / remaining_customers * weight + random_()))
                remaining_customers -= 1
                remaining_vehicles -= owned
                facts = (
                    has_street,
                    has_identity,
                    has_email,
                    has_emergency,
                    store.advisor_id is not None,
                    has_consent,
                    owned > 0,
                )
                score = completeness_of.get(facts)
                if score is None:
                    score = completeness_of[facts] = selectors.completeness(
                        selectors.ArchiveFacts(
                            has_mobile=True,
                            has_address=facts[0],
                            has_identity=facts[1],
                            has_email=facts[2],
                            has_emergency_contact=facts[3],
                            has_owner=facts[4],
                            has_data_consent=facts[5],
                            has_vehicle=facts[6],
                        ),
                        selectors.DEFAULT_REQUIRED,
                    )[0]
                row[cu["completeness"]] = score
                customers.rows.append(tuple(row))
                if len(customers.rows) >= CHUNK:
                    _flush_in_order(customers, phones, vehicles, links, keys)

                mobiles = [self.mobile()]
                if random_() < 0.15:
                    second = self.mobile()
                    if second != mobiles[0]:
                        mobiles.append(second)
                for primary, mobile in enumerate(mobiles):
                    phone = phone_template.copy()
                    phone[ph["id"]] = phones.allocate()
                    phone[ph["customer_id"]] = customer_id
                    phone[ph["number"]] = mobile
                    phone[ph["is_primary"]] = primary == 0
                    phones.rows.append(tuple(phone))
                add_keys(search.customer_keys(number=number, name=name, mobiles=mobiles), customer_id, None)

                for _car in range(owned):
                    model_id, wmi, fuel = store.models[int(random_() * len(store.models))]
                    model_year = self.model_year(created)
                    purchase = min(date(model_year, 1, 1) + timedelta(days=int(random_() * 300)), self.today)
                    vin = self.vin(wmi, model_year)
                    plate = "" if random_() < 0.01 else self.plate(region, fuel in NEV_FUELS)
                    vehicle = vehicle_template.copy()
                    vehicle_id = vehicle[ve["id"]] = vehicles.allocate()
                    vehicle[ve["vin"]] = vin
                    vehicle[ve["plate"]] = plate
                    vehicle[ve["model_id"]] = model_id
                    vehicle[ve["model_year"]] = model_year
                    vehicle[ve["engine_no"]] = f"{VIN_CHARS[int(random_() * 23)]}{int(random_() * 10_000_000):07d}"
                    vehicle[ve["colour"]] = COLOURS[int(random_() * len(COLOURS))]
                    vehicle[ve["fuel_type"]] = fuel
                    vehicle[ve["purchase_date"]] = day(purchase)
                    vehicle[ve["selling_store_id"]] = (
                        store.pk if random_() < 0.9 else stores[int(random_() * len(stores))].pk
                    )
                    vehicle[ve["warranty_start"]] = day(purchase)
                    vehicle[ve["warranty_end"]] = day(_years_later(purchase, 3))
                    vehicle_created = vehicle_moment(max(created, _noon(purchase, self.zone)))
                    vehicle[ve["created_at"]] = vehicle_created
                    vehicle[ve["updated_at"]] = vehicle_created
                    vehicles.rows.append(tuple(vehicle))
                    link = link_template.copy()
                    link[li["id"]] = links.allocate()
                    link[li["vehicle_id"]] = vehicle_id
                    link[li["customer_id"]] = customer_id
                    link[li["valid_from"]] = link_day(purchase)
                    links.rows.append(tuple(link))
                    add_keys(search.vehicle_keys(vin=vin, plate=plate), None, vehicle_id)
            for year, last in sorted(numbers_in_year.items()):
                sequences.add(store_id=store.pk, doc_type="CUS", year=year, last_value=last)
        _flush_in_order(customers, phones, vehicles, links, keys, sequences)
        if self.vehicles < DETAIL_VEHICLES:
            return None
        models = itertools.islice(itertools.cycle(stores[0].models), DETAIL_VEHICLES)
        for slot, (model_id, wmi, fuel) in enumerate(models):
            vin = self.vin(wmi, self.detail_purchase(slot).year)
            self.detail_vehicles.append((vin, self.plate(stores[0].region, fuel in NEV_FUELS), model_id, fuel))
        return detail

    def detail_purchase(self, number: int) -> date:
        """The purchase date of the detail customer's ``number``-th vehicle: early enough for 12 readings."""
        return self.detail_start - timedelta(days=7 * number)

    # --- values ---------------------------------------------------------------------------------

    def person_name(self) -> str:
        random_ = self.rng.random
        surname = SURNAMES[bisect.bisect(self.surname_weights, random_() * self.surname_weights[-1])]
        if random_() < 0.25:
            return surname + GIVEN_SINGLE[int(random_() * len(GIVEN_SINGLE))]
        return (
            surname + GIVEN_FIRST[int(random_() * len(GIVEN_FIRST))] + GIVEN_SECOND[int(random_() * len(GIVEN_SECOND))]
        )

    def company_name(self, region: Region) -> str:
        random_ = self.rng.random
        word = COMPANY_WORDS[int(random_() * len(COMPANY_WORDS))]
        return f"{region.city.removesuffix('市')}{word}{COMPANY_KINDS[int(random_() * len(COMPANY_KINDS))]}"

    def mobile(self) -> str:
        random_ = self.rng.random
        return f"{MOBILE_PREFIXES[int(random_() * len(MOBILE_PREFIXES))]}{int(random_() * 100_000_000):08d}"

    def model_year(self, registered: datetime) -> int:
        """Mostly the years around the customer's registration, never after this year."""
        year = registered.year - 2 + int(self.rng.random() * 4)
        return max(2012, min(year, self.today.year))

    def vin(self, wmi: str, model_year: int) -> str:
        """A unique VIN with a valid check digit: WMI, 5 descriptor characters, check, year, plant, serial."""
        random_ = self.rng.random
        while True:
            body = (
                wmi
                + "".join(VIN_CHARS[int(random_() * 23)] for _ in range(2))
                + "".join(VIN_CHARS[int(random_() * 33)] for _ in range(3))
                + "0"
                + VIN_YEAR_CODES[model_year]
                + VIN_CHARS[int(random_() * 9)]
                + f"{int(random_() * 1_000_000):06d}"
            )
            vin = body[:8] + identifiers.vin_check_digit(body) + body[9:]
            if vin not in self.vins:
                self.vins.add(vin)
                return vin

    def plate(self, region: Region, nev: bool) -> str:
        """A unique plate of the region: 5 characters (at most 2 letters), or a small new-energy plate."""
        random_ = self.rng.random
        while True:
            head = region.plate + region.letters[int(random_() * len(region.letters))]
            if nev:
                plate = (
                    head
                    + "DF"[int(random_() * 2)]
                    + PLATE_SERIAL[int(random_() * len(PLATE_SERIAL))]
                    + f"{int(random_() * 10_000):04d}"
                )
            else:
                chars = [
                    PLATE_LETTERS[int(random_() * len(PLATE_LETTERS))]
                    if random_() < 0.15
                    else "0123456789"[int(random_() * 10)]
                    for _ in range(5)
                ]
                if sum(char.isalpha() for char in chars) > 2:
                    continue
                plate = head + "".join(chars)
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def resident_id(self, row: list[object], at: dict[str, int], region: Region, serial: int) -> None:
        """Set a unique, valid resident ID: encrypted, digested and masked as the services store it."""
        random_ = self.rng.random
        while True:
            born = date(1950, 1, 1) + timedelta(days=int(random_() * 365 * 55))
            first = f"{region.id_area}{born:%Y%m%d}{int(random_() * 1000):03d}"
            value = first + identifiers.resident_id_check_char(first)
            if value not in self.resident_ids:
                self.resident_ids.add(value)
                break
        hint = value[:4] + "*" * 10 + value[-4:]
        if serial % 10_000 == 3 and hint != identifiers.mask_resident_id(value):
            raise ValueError(f"Resident ID masking changed: {identifiers.mask_resident_id(value)!r} != {hint!r}.")
        row[at["resident_id_cipher"]] = encryption.encrypt(value)
        row[at["resident_id_digest"]] = encryption.digest(value)
        row[at["resident_id_hint"]] = hint

    def uscc(self, region: Region, serial: int) -> str:
        """A unique, valid unified social credit code (the organisation part encodes ``serial``)."""
        digits = []
        for _ in range(9):
            serial, rest = divmod(serial, len(USCC_CHARS))
            digits.append(USCC_CHARS[rest])
        first = "91" + region.id_area + "".join(reversed(digits))
        return first + identifiers.uscc_check_char(first)

    # --- the detail customer --------------------------------------------------------------------

    def detail_customer(self, detail: tuple[int, int], store: _StoreInfo) -> str:
        """Give the detail customer 20 vehicles and 500 timeline entries through the real services."""
        customer_id, version = detail
        actor = User.objects.filter(pk=store.advisor_id or 0).first() or User.objects.order_by("pk").first()
        if actor is None:
            raise ValueError("The detail customer needs a user to act as.")
        owner = Customer.objects.get(pk=customer_id)
        audit_before = AuditEntry.objects.count()
        for step in range(DETAIL_CUSTOMER_CHANGES):
            changed = services.customer_update(
                actor=actor,
                customer_id=customer_id,
                version=version,
                data={"preferences": f"第{step + 1}次回访：{PREFERENCES[3 + step % 5]}"},
            )
            version = changed.version
        vehicle_ids = []
        for number, (vin, plate, model_id, fuel) in enumerate(self.detail_vehicles):
            purchase = self.detail_purchase(number)
            vehicle = services.vehicle_create(
                actor=actor,
                owner=owner,
                data={
                    "vin": vin,
                    "plate": plate,
                    "model_id": model_id,
                    "model_year": purchase.year,
                    "fuel_type": fuel,
                    "colour": COLOURS[0],
                    "purchase_date": purchase,
                    "selling_store_id": store.pk,
                    "warranty_start": purchase,
                    "warranty_end": _years_later(purchase, 3),
                    "warranty_km_limit": 100_000,
                },
            )
            vehicle_ids.append(vehicle.pk)
            vehicle_version = vehicle.version
            for step in range(DETAIL_VEHICLE_CHANGES):
                vehicle = services.vehicle_update(
                    actor=actor,
                    vehicle_id=vehicle.pk,
                    version=vehicle_version,
                    data={"colour": COLOURS[(step + 1) % len(COLOURS)]},
                )
                vehicle_version = vehicle.version
            for reading in range(DETAIL_READINGS):
                services.mileage_record(
                    actor=actor,
                    vehicle_id=vehicle.pk,
                    km=3_000 + reading * 4_500 + number * 10,
                    read_on=purchase + timedelta(days=120 * (reading + 1)),
                    source=MileageReading.Source.REPAIR_ORDER.value,
                )
        owner.refresh_from_db()
        timeline = selectors.customer_timeline(owner)
        vehicles = VehicleLink.objects.filter(customer_id=customer_id, valid_to=None).count()
        if len(timeline) != DETAIL_TIMELINE or vehicles != DETAIL_VEHICLES:
            raise ValueError(
                f"Detail customer {owner.number}: {vehicles} vehicles and {len(timeline)} timeline entries, "
                f"expected {DETAIL_VEHICLES} and {DETAIL_TIMELINE}."
            )
        counts = self.result.counts
        counts["detail_vehicles"] = len(vehicle_ids)
        counts["detail_vehicle_links"] = vehicles
        counts["detail_mileage_readings"] = MileageReading.objects.filter(vehicle_id__in=vehicle_ids).count()
        counts["detail_search_keys"] = SearchKey.objects.filter(vehicle_id__in=vehicle_ids).count()
        counts["detail_audit_entries"] = AuditEntry.objects.count() - audit_before
        return (
            f"  detail customer {owner.number} (id {owner.pk}): {vehicles} vehicles, {len(timeline)} timeline "
            "entries, written through the services"
        )


def archive_generate(result: GenerateResult, *, customers: int, vehicles: int) -> list[str]:
    """Write ``customers`` customers and ``vehicles`` vehicles into the generated group; return summary lines."""
    return ArchiveGenerator(result, customers=customers, vehicles=vehicles).run()


# --- loading helpers ------------------------------------------------------------------------------


def _flush_in_order(*tables: Table) -> None:
    """Write the queued rows of parents before those of their children.

    On SQLite a child row whose parent is not written yet counts as a deferred violation, and while
    any is outstanding every parent insert searches the child tables (whose indexes are dropped).
    """
    for table in tables:
        table.flush()


def _date_adapter(table: Table, attname: str) -> Callable[[date], object]:
    """Adapt dates of ``attname`` for the driver with the field's own ``get_db_prep_save``, once per date."""
    cache: dict[date, object] = {}

    def adapt(value: date) -> object:
        adapted = cache.get(value)
        if adapted is None:
            adapted = cache[value] = table.adapt(attname, value)
        return adapted

    return adapt


def _noon(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone).astimezone(UTC)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@contextmanager
def _load_settings() -> Iterator[None]:
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
def _deferred_foreign_keys(loaded: list[type[models.Model]]) -> Iterator[None]:
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


def _reset_sequences(written: list[type[models.Model]]) -> None:
    """Move PostgreSQL's id sequences past the ids assigned here, before the services insert rows."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), written):
            cursor.execute(statement)


def archive_settle() -> list[str]:
    """After the commit, on PostgreSQL: VACUUM (ANALYZE) the loaded tables, as autovacuum would after a load.

    Planner statistics for the new rows, and a visibility map and hint bits so that the first reads
    do not pay for them (this server runs with autovacuum off). SQLite needs nothing.
    """
    if connection.vendor != "postgresql":
        return []
    started = time.perf_counter()
    written = [Customer, CustomerPhone, Vehicle, VehicleLink, SearchKey, VehicleModel, DocumentSequence]
    written += [MileageReading, AuditEntry]
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in written)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return [f"  archive tables vacuumed and analysed in {time.perf_counter() - started:.2f} s"]


# --- scenarios ------------------------------------------------------------------------------------

SAMPLES = 256


def _sample(model: type[models.Model], fields: tuple[str, ...], *, seed: str, **filters: Any) -> list[tuple[Any, ...]]:
    """Up to SAMPLES rows of ``model`` at random primary keys (one indexed query), in a seeded random order."""
    bounds = model._default_manager.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    rng = random.Random(seed)
    picks = {rng.randint(bounds["low"], bounds["high"]) for _ in range(SAMPLES * 3)}
    rows = list(model._default_manager.filter(pk__in=sorted(picks), **filters).values_list(*fields))
    rows.sort()
    rng.shuffle(rows)
    return rows


def _search_call(bench: BenchContext, name: str, family: str, samples: list[tuple[str, tuple[str, int]]]) -> Call:
    """Cycle through the sampled queries (one per call) after checking what they find.

    ``samples`` pairs a query with what it was taken from (``("v", vehicle id)`` or ``("c", customer
    id)``). Set-up ranks every query once and prints where its source came: on the first page of 20,
    further down, not ranked because more than the search limit matched (the user must type more), or
    missing (a defect: the run fails); and how often it is on the first page once the user narrows the
    search to ``family`` (one click on the list page).
    """
    expected = dict(reversed(samples))  # the first sample of a repeated query
    queries = list(dict.fromkeys(query for query, _source in samples if query))[:SAMPLES]
    if len(queries) < 10:
        raise BenchFailure(f"{name}: only {len(queries)} sample values: generate with --customers and --vehicles.")
    tally = {"page1": 0, "ranked": 0, "broad": 0, "missing": 0, f"{family}_page1": 0}
    missing: list[str] = []
    for query in queries:
        ranking = search_ranking._candidates(query)
        candidates, more = ranking.candidates, ranking.more
        found = [("v", c.vehicle_id) if c.vehicle_id else ("c", c.customer_id) for c in candidates]
        narrowed = search_ranking._candidates(query, family=family).candidates[:20]
        if expected[query] in [("v", c.vehicle_id) if c.vehicle_id else ("c", c.customer_id) for c in narrowed]:
            tally[f"{family}_page1"] += 1
        if expected[query] in found:
            tally["page1" if found.index(expected[query]) < 20 else "ranked"] += 1
        else:
            tally["broad" if more else "missing"] += 1
            if not more:
                missing.append(query)
    print(f"{name}: of {len(queries)} queries, the source is " + " ".join(f"{k}={v}" for k, v in tally.items()))
    if missing:
        raise BenchFailure(f"{name}: the search did not find the source of {missing[:5]}.")
    paths = [f"/api/v1/customers/search?q={quote(query)}" for query in queries]
    for query, path in list(zip(queries, paths, strict=True))[:3]:
        response = bench.get(path)
        if response.status_code != 200 or not _count(response):
            raise BenchFailure(f"{name}: searching {query!r} found nothing ({response.status_code}).")
    cycle = itertools.cycle(paths)
    return lambda: bench.get(next(cycle))


def _count(response: Any) -> int:
    data = json.loads(response.content)
    return int(data.get("count", 0)) if isinstance(data, dict) else 0


@scenario("search_plate", "GET /api/v1/customers/search?q=: the last 4 characters of random plates")
def _search_plate(bench: BenchContext) -> Call:
    rows = _sample(Vehicle, ("plate", "pk"), seed="plate")
    return _search_call(bench, "search_plate", "plate", [(plate[-4:], ("v", pk)) for plate, pk in rows if plate])


@scenario("search_vin6", "GET /api/v1/customers/search?q=: the last 6 characters of random VINs")
def _search_vin6(bench: BenchContext) -> Call:
    rows = _sample(Vehicle, ("vin", "pk"), seed="vin")
    return _search_call(bench, "search_vin6", "vin", [(vin[-6:], ("v", pk)) for vin, pk in rows])


@scenario("search_mobile4", "GET /api/v1/customers/search?q=: the last 4 digits of random mobiles")
def _search_mobile4(bench: BenchContext) -> Call:
    rows = _sample(CustomerPhone, ("number", "customer_id"), seed="mobile")
    return _search_call(bench, "search_mobile4", "mobile", [(number[-4:], ("c", owner)) for number, owner in rows])


@scenario("search_name", "GET /api/v1/customers/search?q=: the full Chinese names of random individuals")
def _search_name(bench: BenchContext) -> Call:
    rows = _sample(Customer, ("name", "pk"), seed="name", kind=Customer.Kind.INDIVIDUAL)
    return _search_call(bench, "search_name", "name", [(name, ("c", pk)) for name, pk in rows])


@scenario("search_initials", "GET /api/v1/customers/search?q=: the 2-3 pinyin initials of random individuals")
def _search_initials(bench: BenchContext) -> Call:
    rows = _sample(Customer, ("name_initials", "pk"), seed="initials", kind=Customer.Kind.INDIVIDUAL)
    initials = [(text.split()[0], ("c", pk)) for text, pk in rows if text]
    return _search_call(
        bench, "search_initials", "name", [(text, source) for text, source in initials if 2 <= len(text) <= 3]
    )


def detail_customer_id() -> int:
    """The detail customer: the lowest number of store S0001 (a range on the unique index of numbers)."""
    prefix = f"CUS-{DETAIL_STORE}-"
    found = (
        Customer.objects.filter(number__gte=prefix, number__lt=prefix + "\U0010ffff")
        .order_by("number")
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise BenchFailure(f"No customer of {DETAIL_STORE}: generate with --customers and --vehicles.")
    return found


@scenario("customer_detail", "GET /api/v1/customers/{id}: the detail customer, with 20 vehicles")
def _customer_detail(bench: BenchContext) -> Call:
    path = f"/api/v1/customers/{detail_customer_id()}"
    vehicles = json.loads(bench.get(path).content).get("vehicles")
    if not isinstance(vehicles, list) or len(vehicles) != DETAIL_VEHICLES:
        listed = len(vehicles) if isinstance(vehicles, list) else None
        raise BenchFailure(f"customer_detail: {listed} vehicles, expected {DETAIL_VEHICLES}.")
    return lambda: bench.get(path)


@scenario("customer_timeline", "GET /api/v1/customers/{id}/timeline: the detail customer's 500 entries")
def _customer_timeline(bench: BenchContext) -> Call:
    path = f"/api/v1/customers/{detail_customer_id()}/timeline"
    items = json.loads(bench.get(path).content)
    if not isinstance(items, list) or len(items) != DETAIL_TIMELINE:
        listed = len(items) if isinstance(items, list) else None
        raise BenchFailure(f"customer_timeline: {listed} entries, expected {DETAIL_TIMELINE}.")
    return lambda: bench.get(path)
