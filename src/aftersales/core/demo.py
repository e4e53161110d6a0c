"""The demo dealer group: two stores, brands, departments, bays and one user per role per store.

Idempotent: running it again finds what exists (by code or user name) and creates only what is
missing, so later areas can extend it safely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from aftersales.core import identifiers
from aftersales.core.models import (
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
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.core.services import roles_install_defaults

BRANDS = [("VW", "大众", "Volkswagen"), ("TOYOTA", "丰田", "Toyota"), ("BYD", "比亚迪", "BYD")]

STORES: list[dict[str, Any]] = [
    {
        "code": "SH01",
        "name": "上海浦东4S店",
        "address": "上海市浦东新区金桥路1288号",
        "phone": "021-58881234",
        "brands": ["VW", "TOYOTA"],
    },
    {
        "code": "SZ01",
        "name": "苏州园区4S店",
        "address": "江苏省苏州市工业园区星湖街328号",
        "phone": "0512-62885678",
        "brands": ["VW", "BYD"],
    },
]

# The two demo stores are two companies of the group (as stores of a dealer group usually are).
COMPANIES: dict[str, dict[str, Any]] = {
    "SH01": {
        "name": "上海华东浦东汽车销售服务有限公司",
        "uscc17": "91310115MA1H7Q3R5",
        "address": "上海市浦东新区金桥路1288号",
        "phone": "021-58881234",
        "bank_name": "招商银行上海金桥支行",
        "bank_account": "121908765410001",
        "repair_filing_no": "310115-2019-0123",
        "health_record_code": "3101150123",
    },
    "SZ01": {
        "name": "苏州华东园区汽车服务有限公司",
        "uscc17": "91320594MA1W2N8K6",
        "address": "江苏省苏州市工业园区星湖街328号",
        "phone": "0512-62885678",
        "bank_name": "中国工商银行苏州工业园区支行",
        "bank_account": "1102020509000876543",
        "repair_filing_no": "320594-2020-0456",
        "health_record_code": "3205940456",
    },
}

HOURS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "08:30-18:00") | {"sun": "09:00-17:00"}

DEPARTMENTS = [
    ("SVC", "服务接待部", "service"),
    ("WS", "维修车间", "workshop"),
    ("PRT", "配件部", "parts"),
    ("CRM", "客户关怀部", "crm"),
    ("FIN", "财务部", "finance"),
    ("MGT", "店长办公室", "management"),
]

BAYS = [
    ("A01", "机修工位1", "general_lift"),
    ("A02", "机修工位2", "general_lift"),
    ("A03", "机修工位3", "general_lift"),
    ("A04", "机修工位4", "general_lift"),
    ("Q01", "快修工位1", "quick_service"),
    ("Q02", "快修工位2", "quick_service"),
    ("L01", "四轮定位", "alignment"),
    ("B01", "钣金工位", "body"),
    ("P01", "烤漆房", "paint_booth"),
    ("W01", "洗车工位", "wash"),
    ("E01", "新能源高压工位", "ev_hv"),
]

ROLE_DEPARTMENT: dict[str, str | None] = {
    "admin": "MGT",
    "manager": "MGT",
    "advisor": "SVC",
    "crm": "CRM",
    "frontdesk": "SVC",
    "foreman": "WS",
    "technician": "WS",
    "qc": "WS",
    "parts": "PRT",
    "purchaser": "PRT",
    "finance": "FIN",
    "auditor": "MGT",
    "service_manager": "MGT",
    "cashier": "FIN",
    "warranty": "SVC",
    "insurance": "SVC",
    "expert": "WS",
    "washer": "WS",
    "rescue": "WS",
    "sales": None,  # the sales department is not the after-sales one
}

NAMES = {
    "SH01": [
        "陈建国",
        "王海燕",
        "李明轩",
        "张晓燕",
        "刘志强",
        "赵磊",
        "孙丽华",
        "周文斌",
        "吴静怡",
        "郑国华",
        "冯雪梅",
        "何俊杰",
        "杨振华",
        "黄丽娟",
        "曹志远",
        "许文静",
        "邓卫东",
        "彭小军",
        "曾德明",
        "萧雨桐",
    ],
    "SZ01": [
        "徐立新",
        "朱慧敏",
        "胡晓东",
        "高雅琴",
        "林志鹏",
        "马宏伟",
        "罗春燕",
        "梁子豪",
        "宋佳怡",
        "谢天明",
        "韩梅",
        "唐振宇",
        "蒋国庆",
        "沈佳琪",
        "钱永康",
        "姚丽萍",
        "卢建军",
        "汪海波",
        "范志刚",
        "金晓燕",
    ],
}


# Business areas add their demo data here (from AppConfig.ready); each returns the rows it created.
DEMO_EXTENSIONS: list[Callable[[], int]] = []
# Run after every area's demo data, for what must come last (e.g. closing the stock months, once every
# area has posted its history into them); each returns the rows it created.
DEMO_FINISHERS: list[Callable[[], int]] = []


@dataclass
class DemoSummary:
    usernames: list[str]
    created: int


def demo_username(role_code: str, store_code: str) -> str:
    return f"{role_code}_{store_code.lower()}"


@transaction.atomic
def demo_install() -> DemoSummary:
    """Create what is missing of the demo group. Demo users all get ``DEMO_PASSWORD``."""
    created = len(roles_install_defaults())
    password = make_password(settings.DEMO_PASSWORD)
    group, new = DealerGroup.objects.get_or_create(code="HDAUTO", defaults={"name": "华东汽车服务集团"})
    created += new
    brands = {}
    for code, name, name_en in BRANDS:
        brands[code], new = Brand.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
        created += new
    roles = {role.code: role for role in Role.objects.all()}
    usernames = ["admin"]
    admin, new = User.objects.get_or_create(
        username="admin",
        defaults={"full_name": "系统管理员", "is_superuser": True, "is_staff": True, "password": password},
    )
    created += new
    for spec in STORES:
        store, new = Store.all_objects.get_or_create(
            code=spec["code"],
            defaults={
                "group": group,
                "name": spec["name"],
                "address": spec["address"],
                "phone": spec["phone"],
                "business_hours": HOURS,
            },
        )
        created += new
        if new:
            store.brands.set([brands[code] for code in spec["brands"]])
        company = dict(COMPANIES[store.code])
        uscc = company.pop("uscc17")
        entity, new = LegalEntity.objects.get_or_create(
            uscc=uscc + identifiers.uscc_check_char(uscc),
            defaults={"group": group, "taxpayer_type": LegalEntity.TaxpayerType.GENERAL, **company},
        )
        created += new
        if store.legal_entity_id is None:
            store.legal_entity = entity
            store.holiday_hours = "09:00-16:00"
            store.save(update_fields=["legal_entity", "holiday_hours"])
        departments = {}
        for code, name, kind in DEPARTMENTS:
            departments[code], new = Department.all_objects.get_or_create(
                store=store, code=code, defaults={"name": name, "kind": kind}
            )
            created += new
        for code, name, kind in BAYS:
            _bay, new = Bay.all_objects.get_or_create(store=store, code=code, defaults={"name": name, "kind": kind})
            created += new
        for index, default in enumerate(ROLE_DEFAULTS):
            username = demo_username(default.code, store.code)
            usernames.append(username)
            user, new = User.objects.get_or_create(
                username=username,
                defaults={
                    "full_name": NAMES[store.code][index],
                    "mobile": f"139{index:02d}{store.pk:02d}{index * 7 % 10000:04d}",
                    "password": password,
                },
            )
            created += new
            _membership, new = StaffMembership.all_objects.get_or_create(
                user=user,
                store=store,
                defaults={
                    "role": roles[default.code],
                    "department": departments.get(ROLE_DEPARTMENT[default.code] or ""),
                },
            )
            created += new
            if default.code in {"technician", "foreman", "qc"}:
                level = {"technician": "intermediate", "foreman": "senior", "qc": "senior"}[default.code]
                profile, new = StaffProfile.objects.get_or_create(
                    user=user, defaults={"employee_no": f"{store.code}-{index + 1:03d}", "skill_level": level}
                )
                created += new
                if new:
                    brand_code = spec["brands"][0]
                    Certificate.objects.create(
                        profile=profile,
                        kind="brand",
                        name=f"{brands[brand_code].name}认证技师",
                        brand=brands[brand_code],
                        valid_from=date(2025, 1, 1),
                        valid_until=date(2027, 12, 31),
                    )
                    if default.code == "technician" or "BYD" in spec["brands"]:
                        Certificate.objects.create(
                            profile=profile,
                            kind="ev_hv",
                            name="新能源汽车高压作业证",
                            valid_from=date(2025, 3, 1),
                            valid_until=date(2028, 2, 28),
                        )
    _admin_membership, new = StaffMembership.all_objects.get_or_create(
        user=admin, store=Store.all_objects.get(code="SH01"), defaults={"role": roles["admin"]}
    )
    created += new
    for extension in DEMO_EXTENSIONS:
        created += extension()
    for finisher in DEMO_FINISHERS:
        created += finisher()
    return DemoSummary(usernames=usernames, created=created)
