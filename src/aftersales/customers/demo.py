"""Demo archive: a vehicle-model catalogue and a few thousand customers and vehicles per store.

Generated deterministically (seeded) with valid mobiles, resident IDs, credit codes, VINs and
plates, and inserted in bulk; a store that already has customers is left alone (idempotent).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aftersales.core import identifiers
from aftersales.core.models import Brand, Store, User
from aftersales.core.numbering import numbers_reserve
from aftersales.customers import encryption, search, selectors
from aftersales.customers.models import (
    Customer,
    CustomerPhone,
    MileageReading,
    PlateRegistration,
    SearchKey,
    Vehicle,
    VehicleLink,
    VehicleModel,
    WarrantyPolicy,
)
from aftersales.customers.services.warranty import warranty_derive

CATALOGUE = {
    "VW": (
        "LSV",
        [
            ("帕萨特", "330TSI 精英版", "petrol"),
            ("途观L", "380TSI 四驱旗舰版", "petrol"),
            ("朗逸", "1.5L 自动舒适版", "petrol"),
            ("ID.4 CROZZ", "PRO 长续航版", "bev"),
        ],
    ),
    "TOYOTA": (
        "LVG",
        [
            ("凯美瑞", "2.5HE 双擎豪华版", "hybrid"),
            ("卡罗拉", "1.2T 先锋版", "petrol"),
            ("RAV4荣放", "2.0L 风尚版", "petrol"),
            ("汉兰达", "2.5L 双擎四驱至尊版", "hybrid"),
        ],
    ),
    "BYD": (
        "LGX",
        [
            ("汉", "EV 创世版", "bev"),
            ("秦PLUS", "DM-i 120KM 旗舰型", "phev"),
            ("宋PLUS", "DM-i 110KM 尊贵型", "phev"),
            ("元PLUS", "510KM 旗舰型", "bev"),
        ],
    ),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌婷雪梅玉兰志鹏晓东海燕宇航欣怡子豪佳琪浩然梓涵一诺"
STREETS = ["世纪大道", "张杨路", "星湖街", "金鸡湖大道", "人民路", "东方路"]
COMPANY_WORDS = ["顺达", "恒通", "汇丰", "宏远", "鑫源", "安捷", "东方", "华信", "金桥", "新程", "众联", "申通"]
COMPANY_KINDS = ["物流有限公司", "汽车租赁有限公司", "科技有限公司", "建设工程有限公司", "商贸有限公司"]
COLOURS = ["珍珠白", "星空灰", "曜石黑", "极地银", "宝石蓝", "中国红"]
STORE_REGION: dict[str, dict[str, Any]] = {
    "SH01": {
        "plate": "沪",
        "letters": "ABCDEFGHJKLMN",
        "province": "上海市",
        "city": "上海市",
        "districts": ["浦东新区", "徐汇区", "闵行区", "静安区", "杨浦区"],
        "id_area": "310115",
    },
    "SZ01": {
        "plate": "苏",
        "letters": "E",
        "province": "江苏省",
        "city": "苏州市",
        "districts": ["工业园区", "姑苏区", "吴中区", "相城区", "虎丘区"],
        "id_area": "320506",
    },
}
YEAR_CODES = {2018: "J", 2019: "K", 2020: "L", 2021: "M", 2022: "N", 2023: "P", 2024: "R", 2025: "S", 2026: "T"}
SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def catalogue_install() -> dict[str, list[VehicleModel]]:
    models: dict[str, list[VehicleModel]] = {}
    for code, (_wmi, entries) in CATALOGUE.items():
        brand = Brand.objects.filter(code=code).first()
        if brand is None:
            continue
        models[code] = [
            VehicleModel.objects.get_or_create(brand=brand, series=series, name=name, defaults={"fuel_type": fuel})[0]
            for series, name, fuel in entries
        ]
        # A brand policy above the legal minimum (3 years / 100,000 km warranty, 2 years / 50,000 km 三包).
        WarrantyPolicy.objects.get_or_create(
            brand=brand,
            valid_from=date(2015, 1, 1),
            defaults={"warranty_years": 3, "warranty_km": 100_000, "sanbao_years": 2, "sanbao_km": 50_000},
        )
    return models


def _vin(rng: random.Random, wmi: str, year: int, serial: int) -> str:
    body = wmi + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(5)) + "0"
    body += YEAR_CODES[year] + rng.choice("ABCDEFGHJ") + f"{serial:06d}"
    return body[:8] + identifiers.vin_check_digit(body) + body[9:]


def _plate(rng: random.Random, region: dict[str, Any], nev: bool) -> str:
    head = str(region["plate"]) + rng.choice(str(region["letters"]))
    if nev:
        return head + rng.choice("DF") + rng.choice(SERIAL) + f"{rng.randrange(10000):04d}"
    return head + "".join(rng.choice(SERIAL) for _ in range(5))


def _resident_id(rng: random.Random, area: str) -> str:
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 42))
    first = f"{area}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first + identifiers.resident_id_check_char(first)


def _uscc(rng: random.Random, area: str) -> str:
    first = "91" + area + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return first + identifiers.uscc_check_char(first)


@transaction.atomic
def archive_demo_install(*, customers_per_store: int | None = None) -> int:
    """Fill each store without customers; return the number of customers created."""
    if customers_per_store is None:
        customers_per_store = settings.DEMO_CUSTOMERS_PER_STORE
    catalogue = catalogue_install()
    created = 0
    for store in Store.all_objects.filter(code__in=STORE_REGION).order_by("code"):
        if Customer.objects.filter(home_store=store).exists():
            continue
        created += _fill_store(store, catalogue, customers_per_store)
    return created


def _fill_store(store: Store, catalogue: dict[str, list[VehicleModel]], count: int) -> int:
    rng = random.Random(f"aftersales-demo-{store.code}")  # noqa: S311 - repeatable demo data, not secrets
    region = STORE_REGION[store.code]
    brands = [code for code in store.brands.values_list("code", flat=True) if code in catalogue] or list(catalogue)
    today = timezone.localdate()
    prefix, first = numbers_reserve(store=store, doc_type="CUS", count=count)
    now = timezone.now()
    customers: list[Customer] = []
    for index in range(1, count + 1):
        company = index % 12 == 0
        if company:
            name = f"{region['city'][:2]}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS)}"
        else:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        initials, full = search.name_initials_and_pinyin(name)
        resident_id = "" if company or index % 3 else _resident_id(rng, str(region["id_area"]))
        created_at = now - timedelta(days=rng.randrange(3 * 365))
        consent = index % 4 != 0
        customers.append(
            Customer(
                number=f"{prefix}{first + index - 1:06d}",
                kind="company" if company else "individual",
                name=name,
                name_initials=" ".join(initials),
                name_pinyin=full,
                province=str(region["province"]),
                city=str(region["city"]),
                district=rng.choice(region["districts"]),
                street=f"{rng.choice(STREETS)}{rng.randrange(1, 2000)}号",
                uscc=_uscc(rng, str(region["id_area"])) if company else "",
                resident_id_cipher=encryption.encrypt(resident_id),
                resident_id_digest=encryption.digest(resident_id),
                resident_id_hint=identifiers.mask_resident_id(resident_id) if resident_id else "",
                source=rng.choice(["sales", "sales", "walk_in", "referral", "online", "phone"]),
                customer_class="fleet" if company else rng.choice(["regular"] * 6 + ["vip", "lapsed"]),
                marketing_consent=consent,
                marketing_consent_at=created_at if consent else None,
                marketing_consent_channel="paper" if consent else "",
                data_consent=True,
                data_consent_at=created_at,
                data_consent_channel="paper",
                # The two demo stores are two companies: about a third agreed to sharing within the group.
                sharing_consent=index % 3 == 0,
                sharing_consent_at=created_at if index % 3 == 0 else None,
                sharing_consent_channel="paper" if index % 3 == 0 else "",
                preferences=rng.choice(["", "", "偏好微信联系", "在休息室等候", "需要代步车", "仅工作日到店"]),
                tags=rng.choice([[], [], ["prefers WeChat"], ["waits in lounge"]]),
                home_store=store,
                reviewed_at=created_at + timedelta(days=rng.randrange(120)) if index % 5 else None,
            )
        )
    advisor = User.objects.filter(username=f"advisor_{store.code.lower()}").first()
    required, _days = selectors.rule_for(store.pk)
    for customer in customers:
        customer.owner = advisor
        facts = selectors.facts_of(customer, has_mobile=True, has_vehicle=True)
        customer.completeness = selectors.completeness(facts, required)[0]
    Customer.objects.bulk_create(customers, batch_size=1000)
    customers = list(Customer.objects.filter(home_store=store).order_by("pk"))
    phones: list[CustomerPhone] = []
    keys: list[SearchKey] = []
    vehicles: list[Vehicle] = []
    owners: list[Customer] = []
    for customer in customers:
        mobiles = [f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"]
        if rng.random() < 0.15:
            mobiles.append(f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}")
        phones += [CustomerPhone(customer=customer, number=m, is_primary=i == 0) for i, m in enumerate(mobiles)]
        keys += [
            SearchKey(key=key, kind=kind, customer=customer)
            for kind, key in search.customer_keys(number=customer.number, name=customer.name, mobiles=mobiles)
        ]
        for _car in range(3 if customer.kind == "company" else (2 if rng.random() < 0.2 else 1)):
            brand = rng.choice(brands)
            model = rng.choice(catalogue[brand])
            model_year = rng.randrange(2018, min(2026, today.year) + 1)
            purchase = date(model_year, rng.randrange(1, 13), rng.randrange(1, 28))
            vehicles.append(
                Vehicle(
                    vin=_vin(rng, CATALOGUE[brand][0], model_year, len(vehicles) + 1 + 500000 * (store.pk % 2)),
                    plate=_plate(rng, region, model.fuel_type in {"bev", "phev"}),
                    model=model,
                    model_year=model_year,
                    engine_no=f"{rng.choice('ABCDEFGH')}{rng.randrange(10**7):07d}",
                    colour=rng.choice(COLOURS),
                    fuel_type=model.fuel_type,
                    use_type="commercial" if customer.kind == "company" else "household",
                    purchase_date=purchase,
                    delivery_date=purchase + timedelta(days=rng.choice((0, 0, 0, 3, 12))),
                    selling_store=store,
                )
            )
            warranty_derive(vehicles[-1])
            owners.append(customer)
    CustomerPhone.objects.bulk_create(phones, batch_size=2000)
    seen_plates: set[str] = set()
    for vehicle in vehicles:
        while vehicle.plate in seen_plates:
            vehicle.plate = _plate(rng, region, vehicle.fuel_type in {"bev", "phev"})
        seen_plates.add(vehicle.plate)
    Vehicle.objects.bulk_create(vehicles, batch_size=1000)
    saved = {v.vin: v for v in Vehicle.objects.filter(selling_store=store)}
    links: list[VehicleLink] = []
    readings: list[MileageReading] = []
    plates: list[PlateRegistration] = []
    for vehicle, owner in zip(vehicles, owners, strict=True):
        stored = saved[vehicle.vin]
        plates.append(PlateRegistration(vehicle=stored, plate=stored.plate, valid_from=vehicle.delivery_date or today))
        links.append(
            VehicleLink(vehicle=stored, customer=owner, role="owner", valid_from=vehicle.purchase_date or today)
        )
        keys += [
            SearchKey(key=key, kind=kind, vehicle=stored)
            for kind, key in search.vehicle_keys(vin=stored.vin, plate=stored.plate)
        ]
        km = 0
        day = vehicle.purchase_date or today
        while day < today - timedelta(days=200):
            day += timedelta(days=rng.randrange(150, 400))
            km += rng.randrange(5000, 15000)
            if day <= today:
                readings.append(MileageReading(vehicle=stored, km=km, read_on=day, source="repair_order"))
    VehicleLink.objects.bulk_create(links, batch_size=2000)
    PlateRegistration.objects.bulk_create(plates, batch_size=2000)
    MileageReading.objects.bulk_create(readings, batch_size=2000)
    SearchKey.objects.bulk_create(keys, batch_size=5000)
    MileageReading.objects.filter(vehicle__selling_store=store).update(
        created_at=timezone.make_aware(datetime.combine(today, day_time(8)))
    )
    return len(customers)
