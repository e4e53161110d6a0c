"""The catalogue's part of ``aftersales demo``: per demo brand 32 labour operations with standard hours per
model series, 5 service packages, the group's labour rates per pay type and one store rate of its own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from aftersales.catalogue import services
from aftersales.catalogue.models import LabourOperation, LabourRate, ServicePackage
from aftersales.catalogue.services import PackageLine
from aftersales.core.models import Brand, DealerGroup, Store
from aftersales.parts.demo import SERIES
from aftersales.parts.models import Part

TAX_CODE_REPAIR = "3040305000000000000"  # 税收分类编码: 修理修配劳务 (the demo's code for labour)

# (code, name, English name, category, hours, skill, certificate, bay, repair category)
OPERATIONS: list[tuple[str, str, str, str, str, str, str, str, str]] = [
    (
        "M01",
        "更换机油机滤",
        "Oil and filter change",
        "maintenance",
        "0.6",
        "junior",
        "",
        "quick_service",
        "first_level",
    ),
    (
        "M02",
        "更换空气滤清器",
        "Air filter replacement",
        "maintenance",
        "0.3",
        "junior",
        "",
        "quick_service",
        "first_level",
    ),
    (
        "M03",
        "更换空调滤清器",
        "Cabin filter replacement",
        "maintenance",
        "0.3",
        "junior",
        "",
        "quick_service",
        "first_level",
    ),
    (
        "M04",
        "更换火花塞",
        "Spark plug replacement",
        "maintenance",
        "0.8",
        "intermediate",
        "",
        "general_lift",
        "first_level",
    ),
    (
        "M05",
        "更换制动液",
        "Brake fluid replacement",
        "maintenance",
        "0.8",
        "intermediate",
        "",
        "general_lift",
        "first_level",
    ),
    ("M06", "更换冷却液", "Coolant replacement", "maintenance", "0.7", "junior", "", "general_lift", "first_level"),
    (
        "M07",
        "更换自动变速箱油",
        "ATF replacement",
        "maintenance",
        "1.2",
        "intermediate",
        "",
        "general_lift",
        "second_level",
    ),
    (
        "M08",
        "二级维护全车检查",
        "Second-level maintenance inspection",
        "maintenance",
        "2.5",
        "intermediate",
        "",
        "general_lift",
        "second_level",
    ),
    ("M09", "24项免费检测", "24-point check", "diagnosis", "0.5", "junior", "", "quick_service", "minor"),
    ("B01", "更换前刹车片", "Front brake pads", "chassis", "1.0", "intermediate", "", "general_lift", "minor"),
    ("B02", "更换后刹车片", "Rear brake pads", "chassis", "1.0", "intermediate", "", "general_lift", "minor"),
    ("B03", "更换前刹车盘", "Front brake discs", "chassis", "1.5", "intermediate", "", "general_lift", "minor"),
    ("C01", "更换前减震器", "Front shock absorbers", "chassis", "2.2", "intermediate", "", "general_lift", "special"),
    ("C02", "更换下摆臂", "Lower control arm", "chassis", "1.6", "intermediate", "", "general_lift", "special"),
    ("C03", "四轮定位", "Wheel alignment", "tyres", "1.0", "intermediate", "", "alignment", "special"),
    ("C04", "轮胎动平衡", "Wheel balancing", "tyres", "0.5", "junior", "", "quick_service", "minor"),
    ("C05", "更换轮胎(单条)", "Tyre replacement (one)", "tyres", "0.4", "junior", "", "quick_service", "minor"),
    ("E01", "更换蓄电池", "Battery replacement", "electrical", "0.5", "junior", "", "quick_service", "minor"),
    ("E02", "更换点火线圈", "Ignition coil", "electrical", "0.6", "intermediate", "", "general_lift", "minor"),
    ("E03", "电路故障诊断", "Electrical fault diagnosis", "diagnosis", "1.0", "senior", "", "general_lift", "minor"),
    ("E04", "更换前大灯总成", "Headlamp assembly", "electrical", "1.2", "intermediate", "", "general_lift", "minor"),
    ("G01", "更换正时皮带", "Timing belt", "engine", "3.5", "senior", "brand", "general_lift", "assembly"),
    ("G02", "更换水泵", "Water pump", "engine", "2.8", "senior", "", "general_lift", "special"),
    ("G03", "发动机大修", "Engine overhaul", "engine", "18.0", "senior", "brand", "general_lift", "assembly"),
    ("G04", "发动机故障诊断", "Engine diagnosis", "diagnosis", "1.0", "senior", "brand", "general_lift", "minor"),
    (
        "T01",
        "变速箱总成更换",
        "Gearbox replacement",
        "transmission",
        "8.0",
        "senior",
        "brand",
        "general_lift",
        "assembly",
    ),
    ("A01", "空调系统检测加氟", "AC check and recharge", "ac", "1.0", "intermediate", "", "general_lift", "minor"),
    ("A02", "更换空调压缩机", "AC compressor", "ac", "3.0", "senior", "", "general_lift", "special"),
    ("S01", "前保险杠钣金修复", "Front bumper repair", "body", "2.0", "intermediate", "", "body", "minor"),
    ("S02", "前保险杠喷漆", "Front bumper paint", "paint", "3.0", "intermediate", "paint", "paint_booth", "minor"),
    ("S03", "整车喷漆", "Full respray", "paint", "30.0", "senior", "paint", "paint_booth", "whole_vehicle"),
    ("W01", "精致洗车", "Premium wash", "wash", "0.5", "junior", "", "wash", "minor"),
]
EV_OPERATIONS: list[tuple[str, str, str, str, str, str, str, str, str]] = [
    ("H01", "动力电池绝缘检测", "Traction battery insulation test", "ev", "1.0", "senior", "ev_hv", "ev_hv", "special"),
    ("H02", "驱动电机检修", "Drive motor repair", "ev", "4.0", "senior", "ev_hv", "ev_hv", "assembly"),
    ("H03", "高压线束检查", "High-voltage harness check", "ev", "1.5", "senior", "ev_hv", "ev_hv", "special"),
]
# (code, name, English name, km, months, labour codes, part families, fixed price)
PACKAGES: list[tuple[str, str, str, int, int, list[str], list[str], str | None]] = [
    ("FS5K", "首次保养(5000公里)", "First service (5,000 km)", 5000, 6, ["M01", "M09"], ["机油滤清器"], None),
    (
        "MS10K",
        "10000公里常规保养",
        "10,000 km service",
        10000,
        12,
        ["M01", "M03", "M09"],
        ["机油滤清器", "空调滤清器"],
        "699.00",
    ),
    (
        "MS20K",
        "20000公里保养",
        "20,000 km service",
        20000,
        24,
        ["M01", "M02", "M03", "M09"],
        ["机油滤清器", "空气滤清器", "空调滤清器"],
        None,
    ),
    (
        "MS40K",
        "40000公里大保养",
        "40,000 km major service",
        40000,
        48,
        ["M01", "M02", "M03", "M04", "M05", "M08"],
        ["机油滤清器", "空气滤清器", "空调滤清器", "火花塞"],
        None,
    ),
    ("BRK", "刹车系统保养", "Brake service", 30000, 24, ["B01", "M05"], ["前刹车片"], "1280.00"),
]
RATES = {
    "customer": "360.00",
    "insurance": "360.00",
    "oem_warranty": "180.00",
    "oem_campaign": "180.00",
    "oem_free_service": "180.00",
    "extended_warranty": "300.00",
    "internal": "120.00",
    "goodwill": "120.00",
    "comeback": "120.00",
}


def _operations(group: DealerGroup, brand: Brand) -> dict[str, LabourOperation]:
    series = SERIES.get(brand.code, [])
    specs = OPERATIONS + (EV_OPERATIONS if brand.code in {"BYD", "VW"} else [])
    found: dict[str, LabourOperation] = {}
    for index, (code, name, name_en, category, hours, skill, certificate, bay, repair) in enumerate(specs):
        full = f"{brand.code}-{code}"
        operation = LabourOperation.objects.filter(group=group, brand=brand, code=full).first()
        if operation is None:
            times = {
                name_of: (Decimal(hours) * Decimal(1 + 0.1 * ((index + offset) % 3))).quantize(Decimal("0.01"))
                for offset, name_of in enumerate(series)
            }
            operation = services.operation_save(
                actor=None,
                group_id=group.pk,
                brand_id=brand.pk,
                code=full,
                data={
                    "name": name,
                    "name_en": name_en,
                    "category": category,
                    "default_hours": Decimal(hours),
                    "skill_level": skill,
                    "certificate": certificate,
                    "bay_kind": bay,
                    "repair_category": repair,
                    "tax_code": TAX_CODE_REPAIR,
                    "tax_rate": Decimal("0.13"),
                },
                times=times,
            )
        found[code] = operation
    return found


def _packages(group: DealerGroup, brand: Brand, operations: dict[str, LabourOperation]) -> int:
    created = 0
    oil = Part.objects.filter(group=group, brand=brand, unit="litre").order_by("pk").first()
    for code, name, name_en, km, months, labour, families, price in PACKAGES:
        full = f"{brand.code}-{code}"
        if ServicePackage.objects.filter(group=group, brand=brand, code=full).exists():
            continue
        lines = [PackageLine(kind="labour", operation_id=operations[op].pk) for op in labour]
        for family in families:
            part = Part.objects.filter(group=group, brand=brand, name__startswith=family).order_by("pk").first()
            if part is not None:
                lines.append(PackageLine(kind="part", part_id=part.pk))
        if oil is not None and "M01" in labour:
            lines.append(PackageLine(kind="consumable", part_id=oil.pk, quantity=Decimal("4.5")))
        services.package_save(
            actor=None,
            group_id=group.pk,
            brand_id=brand.pk,
            code=full,
            data={
                "name": name,
                "name_en": name_en,
                "interval_km": km,
                "interval_months": months,
                "fixed_price": Decimal(price) if price else None,
            },
            items=lines,
        )
        created += 1
    return created


@transaction.atomic
def catalogue_demo_install() -> int:
    group = DealerGroup.objects.filter(code="HDAUTO").first()
    if group is None:
        return 0
    created = 0
    for brand in Brand.objects.filter(code__in=SERIES).order_by("code"):
        # Only the catalogue's own codes: later areas' demos add operations of their own (a recall's).
        codes = [f"{brand.code}-{spec[0]}" for spec in OPERATIONS + EV_OPERATIONS]
        before = LabourOperation.objects.filter(group=group, brand=brand, code__in=codes).count()
        operations = _operations(group, brand)
        created += len(operations) - before + _packages(group, brand, operations)
    since = (timezone.localdate() - timedelta(days=365)).replace(day=1)
    for pay_type, rate in RATES.items():
        if not LabourRate.objects.filter(group=group, store__isnull=True, pay_type=pay_type).exists():
            services.labour_rate_set(
                actor=None, group_id=group.pk, store_id=None, pay_type=pay_type, rate=Decimal(rate), valid_from=since
            )
            created += 1
    suzhou = Store.all_objects.filter(group=group, code="SZ01").first()
    if suzhou is not None and not LabourRate.objects.filter(store=suzhou).exists():
        services.labour_rate_set(
            actor=None,
            group_id=group.pk,
            store_id=suzhou.pk,
            pay_type="customer",
            rate=Decimal("320.00"),
            valid_from=since,
            reason="园区店竞争定价,经集团批准",
        )
        created += 1
    return created
