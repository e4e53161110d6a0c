"""The parts area's part of ``aftersales demo``: a part master of 1,500 numbers per demo brand
with guide and claim prices, supersessions and fitment; per store a parts warehouse, an oil store and an
old-parts store with bins; a year of receipts and issues valued exactly as the posting engine values
them (``ledger.stock_in`` / ``ledger.stock_out``), the months before last closed with their snapshots,
and a few reservations for open orders."""

from __future__ import annotations

import functools
import itertools
import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from aftersales.core.calendar import store_calendar
from aftersales.core.models import Brand, DealerGroup, Store
from aftersales.customers.search import name_initials_and_pinyin
from aftersales.parts.models import (
    Bin,
    Part,
    PartFitment,
    PartPrice,
    StockBalance,
    StockClosing,
    StockMove,
    Supersession,
    Warehouse,
)
from aftersales.parts.services import Demand, stock_month_close, stock_reserve
from aftersales.parts.services.ledger import stock_in, stock_out
from aftersales.parts.services.stocktakes import Scope, stocktake_create

PARTS_PER_BRAND = 1500
ISSUES_PER_DAY = 24

# (name, English name, category, unit, decimals, guide price in yuan, class)
FAMILIES: list[tuple[str, str, str, str, int, int, str]] = [
    ("机油滤清器", "Oil filter", "保养件", "piece", 0, 68, "common"),
    ("空气滤清器", "Air filter", "保养件", "piece", 0, 120, "common"),
    ("空调滤清器", "Cabin filter", "保养件", "piece", 0, 98, "common"),
    ("燃油滤清器", "Fuel filter", "保养件", "piece", 0, 168, "common"),
    ("火花塞", "Spark plug", "点火系统", "piece", 0, 85, "common"),
    ("前刹车片", "Front brake pads", "制动系统", "set", 0, 560, "common"),
    ("后刹车片", "Rear brake pads", "制动系统", "set", 0, 460, "common"),
    ("前刹车盘", "Front brake disc", "制动系统", "piece", 0, 720, "common"),
    ("后刹车盘", "Rear brake disc", "制动系统", "piece", 0, 620, "uncommon"),
    ("雨刮片", "Wiper blade", "车身附件", "pair", 0, 198, "common"),
    ("蓄电池", "Battery", "电气系统", "piece", 0, 980, "common"),
    ("正时皮带", "Timing belt", "发动机", "piece", 0, 680, "uncommon"),
    ("水泵", "Water pump", "冷却系统", "piece", 0, 1280, "uncommon"),
    ("节温器", "Thermostat", "冷却系统", "piece", 0, 420, "uncommon"),
    ("氧传感器", "Oxygen sensor", "发动机", "piece", 0, 890, "uncommon"),
    ("点火线圈", "Ignition coil", "点火系统", "piece", 0, 520, "common"),
    ("前大灯总成", "Headlamp assembly", "灯光", "piece", 0, 3680, "emergency"),
    ("尾灯总成", "Tail lamp assembly", "灯光", "piece", 0, 1580, "uncommon"),
    ("外后视镜", "Door mirror", "车身附件", "piece", 0, 1260, "uncommon"),
    ("前保险杠皮", "Front bumper cover", "钣金件", "piece", 0, 2380, "emergency"),
    ("后保险杠皮", "Rear bumper cover", "钣金件", "piece", 0, 2160, "emergency"),
    ("前减震器", "Front shock absorber", "悬架", "piece", 0, 1180, "uncommon"),
    ("后减震器", "Rear shock absorber", "悬架", "piece", 0, 980, "uncommon"),
    ("下摆臂", "Lower control arm", "悬架", "piece", 0, 860, "uncommon"),
    ("转向横拉杆球头", "Tie rod end", "转向系统", "piece", 0, 320, "common"),
    ("前轮轴承", "Front wheel bearing", "底盘", "piece", 0, 560, "uncommon"),
    ("发电机皮带", "Drive belt", "发动机", "piece", 0, 260, "common"),
    ("刹车灯开关", "Brake light switch", "电气系统", "piece", 0, 180, "common"),
    ("鼓风机", "Blower motor", "空调", "piece", 0, 1080, "uncommon"),
    ("空调压缩机", "AC compressor", "空调", "piece", 0, 4980, "emergency"),
    ("冷凝器", "Condenser", "空调", "piece", 0, 1860, "emergency"),
    ("散热器", "Radiator", "冷却系统", "piece", 0, 1680, "emergency"),
    ("排气管吊耳", "Exhaust hanger", "排气系统", "piece", 0, 48, "common"),
    ("门锁总成", "Door lock", "车身附件", "piece", 0, 780, "uncommon"),
    ("玻璃升降器", "Window regulator", "车身附件", "piece", 0, 690, "uncommon"),
    ("轮速传感器", "Wheel speed sensor", "电气系统", "piece", 0, 460, "uncommon"),
]
# Fluids, sold by the litre with one decimal (consumables of the packages).
FLUIDS: list[tuple[str, str, str, int]] = [
    ("全合成机油 5W-30", "Synthetic engine oil 5W-30", "油品", 88),
    ("全合成机油 0W-20", "Synthetic engine oil 0W-20", "油品", 98),
    ("防冻冷却液", "Coolant", "油品", 45),
    ("DOT4 制动液", "Brake fluid DOT4", "油品", 68),
    ("自动变速箱油", "ATF", "油品", 120),
]
VARIANTS = ["2016-2018款", "2019-2021款", "2022款起", "高配", "标配", "运动版", "混动版"]
SERIES = {
    "VW": ["帕萨特", "途观L", "朗逸", "ID.4 CROZZ"],
    "TOYOTA": ["凯美瑞", "RAV4荣放", "卡罗拉"],
    "BYD": ["汉", "宋PLUS", "元PLUS"],
}
TAX_CODE_PARTS = "1090418010000000000"  # 税收分类编码: 汽车零部件 (the demo's code for parts)
TAX_CODE_OIL = "1070213990000000000"  # 税收分类编码: 润滑油 (the demo's code for oils)


def _number(brand: str, index: int, rng: random.Random) -> str:
    """A number in the brand's own style (as printed): VW 5Q0-115-561-A, Toyota 04152-YZZA1, BYD 1018-00123."""
    if brand == "VW":
        head = rng.choice(["5Q0", "3Q0", "1K0", "06L", "5N0", "3G0"])
        return f"{head}-{100 + index % 900:03d}-{index // 900 * 37 % 1000:03d}-{'ABCDE'[index % 5]}"
    if brand == "TOYOTA":
        return f"{4000 + index:05d}-{rng.choice(['YZZ', 'ZAA', '0R0', '06A'])}{index % 10}{'ABC'[index % 3]}"
    return f"{1000 + index // 100:04d}-{index % 100:02d}{rng.randrange(100, 999)}"


def parts_master_install(group: DealerGroup, brand: Brand, *, count: int = PARTS_PER_BRAND, valid_from: date) -> int:
    """About ``count`` parts of a brand with guide (retail) and claim prices, fitment and supersessions."""
    if Part.objects.filter(group=group, brand=brand).exists():
        return 0
    rng = random.Random(f"parts-{brand.code}")  # noqa: S311 - demo data
    series = SERIES.get(brand.code, ["通用"])
    parts: list[Part] = []
    numbers: set[str] = set()
    for index in range(count):
        if index < len(FLUIDS):
            name, name_en, category, price = FLUIDS[index]
            unit, decimals, part_class, tax_code, fits = "litre", 1, "common", TAX_CODE_OIL, ""
        else:
            family = FAMILIES[index % len(FAMILIES)]
            fits = series[(index // len(FAMILIES)) % len(series)]
            variant = VARIANTS[(index // (len(FAMILIES) * len(series))) % len(VARIANTS)]
            name, name_en, category, unit, decimals, price, part_class = family
            name, name_en, tax_code = f"{name}({fits} {variant})", f"{name_en} ({fits} {variant})", TAX_CODE_PARTS
            price = round(price * rng.uniform(0.8, 1.3))
        number = _number(brand.code, index, rng)
        normalised = number.replace("-", "").upper()
        if normalised in numbers:
            continue
        numbers.add(normalised)
        initials, full = name_initials_and_pinyin(name)
        part = Part(
            group=group,
            brand=brand,
            number=normalised,
            number_display=number,
            name=name,
            name_en=name_en,
            name_pinyin=" ".join([*initials, full])[:200],
            category=category,
            unit=unit,
            decimals=decimals,
            part_class=part_class,
            standard_cost=(Decimal(price) * Decimal("0.62")).quantize(Decimal("0.0001")),
            tax_code=tax_code,
            tax_rate=Decimal("0.13"),
            life_months=24 if category == "保养件" else None,
            life_km=10_000 if category == "保养件" else None,
        )
        part._demo_price = Decimal(price)  # type: ignore[attr-defined]
        part._demo_fits = fits  # type: ignore[attr-defined]
        parts.append(part)
    Part.objects.bulk_create(parts, batch_size=500)
    saved = {part.number: part for part in Part.objects.filter(group=group, brand=brand)}
    prices: list[PartPrice] = []
    fitments: list[PartFitment] = []
    for part in parts:
        row = saved[part.number]
        price = part._demo_price  # type: ignore[attr-defined]
        prices.append(PartPrice(part=row, kind=PartPrice.Kind.RETAIL, price=price, valid_from=valid_from))
        prices.append(
            PartPrice(
                part=row,
                kind=PartPrice.Kind.CLAIM,
                price=(price * Decimal("0.8")).quantize(Decimal("0.01")),
                valid_from=valid_from,
            )
        )
        if part._demo_fits:  # type: ignore[attr-defined]
            fitments.append(PartFitment(part=row, series=part._demo_fits))  # type: ignore[attr-defined]
    PartPrice.objects.bulk_create(prices, batch_size=500)
    PartFitment.objects.bulk_create(fitments, batch_size=500)
    ordered = sorted(saved.values(), key=lambda p: p.pk)
    # Every 40th number was replaced by the next one: two-way, one-way and not interchangeable in turn.
    kinds = ["two_way", "one_way", "none"]
    for step, index in enumerate(range(len(FLUIDS), len(ordered) - 1, 40)):
        Supersession.objects.create(
            old_part=ordered[index],
            new_part=ordered[index + 1],
            interchangeability=kinds[step % 3],
            effective_on=valid_from + timedelta(days=90),
        )
    return len(parts) + len(prices) + len(fitments)


class SimulatedMove(NamedTuple):
    kind: str
    part_id: int
    bin_id: int
    quantity: Decimal
    value_fen: int
    moved_on: date
    posted_at: datetime
    posting: uuid.UUID
    document_type: str
    document_id: int | None
    document_line_id: int | None
    document_no: str


def simulate_year(
    *,
    store: Store,
    parts: list[Part],
    bins: list[Bin],
    oil_bin: Bin,
    start: date,
    end: date,
    issues_per_day: int,
    seed: str,
    emit: Callable[[SimulatedMove], None],
    max_moves: int | None = None,
) -> dict[tuple[int, int], StockBalance]:
    """A year of a store's stock, each move handed to ``emit`` in posting order: a first stocking, then
    each working day issues to repair orders and, once a week, receipts that bring each short part back
    to its target, valued by the engine's own ``stock_in`` / ``stock_out``. Stops after ``max_moves``.
    Returns the balances (unsaved) the moves leave."""
    rng = random.Random(seed)  # noqa: S311 - demo and bench data
    zone = store_calendar(store).zone
    place: dict[int, int] = {}
    target: dict[int, Decimal] = {}
    for index, part in enumerate(parts):
        place[part.pk] = oil_bin.pk if part.decimals else bins[index % len(bins)].pk
        target[part.pk] = Decimal(rng.choice([4, 6, 10, 20] if part.part_class == "common" else [1, 2, 3]))
        if part.decimals:
            target[part.pk] = Decimal(200)
    balances = {
        (part.pk, place[part.pk]): StockBalance(store=store, part_id=part.pk, bin_id=place[part.pk]) for part in parts
    }
    cumulative = list(itertools.accumulate(5 if part.part_class == "common" else 1 for part in parts))
    count = 0
    demand = 0
    per_day: dict[date, int] = {}

    class Done(Exception):
        pass

    def add(day: date, kind: str, part_id: int, quantity: Decimal, value: int, posting: uuid.UUID, **doc: Any) -> None:
        nonlocal count
        if max_moves is not None and count >= max_moves:
            raise Done
        count += 1
        per_day[day] = per_day.get(day, 0) + 1
        # Posting order through the working day: 08:00 and then a few seconds apart.
        moment = datetime.combine(day, time(8), tzinfo=zone) + timedelta(seconds=7 * per_day[day])
        emit(
            SimulatedMove(
                kind,
                part_id,
                place[part_id],
                quantity,
                value,
                day,
                moment,
                posting,
                doc.get("document_type", ""),
                doc.get("document_id"),
                doc.get("document_line_id"),
                doc.get("document_no", ""),
            )
        )

    def receive(day: date, number: int) -> None:
        posting = uuid.uuid4()
        for part in parts:
            balance = balances[(part.pk, place[part.pk])]
            short = target[part.pk] - balance.on_hand
            if short <= 0:
                continue
            unit_cost = (part.standard_cost * Decimal(rng.uniform(0.97, 1.04))).quantize(Decimal("0.0001"))
            value = int((unit_cost * short * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
            if max_moves is not None and count >= max_moves:
                raise Done
            add(
                day,
                StockMove.Kind.RECEIPT,
                part.pk,
                short,
                stock_in(balance, short, value),
                posting,
                document_type="GR",
                document_no=f"GR-{store.code}-{day.year}-{number:06d}",
            )

    try:
        receive(start, 1)
        receipts = 1
        day = start + timedelta(days=1)
        while day <= end:
            if day.weekday() < 6:
                for part in rng.choices(parts, cum_weights=cumulative, k=issues_per_day):
                    balance = balances[(part.pk, place[part.pk])]
                    wanted = Decimal("4.5") if part.decimals else Decimal(rng.choice([1, 1, 1, 2, 4]))
                    wanted = min(wanted, balance.on_hand - balance.reserved)
                    if wanted <= 0:
                        continue
                    demand += 1
                    if max_moves is not None and count >= max_moves:
                        raise Done
                    add(
                        day,
                        StockMove.Kind.ISSUE,
                        part.pk,
                        -wanted,
                        stock_out(balance, wanted),
                        uuid.uuid4(),
                        document_type="repair_order",
                        document_id=demand,
                        document_line_id=demand * 10,
                    )
            if day.weekday() == 0:
                receipts += 1
                receive(day, receipts)
            day += timedelta(days=1)
    except Done:
        pass
    return balances


def _collect(moves: list[StockMove], store: Store, move: SimulatedMove) -> None:
    moves.append(StockMove(store=store, **move._asdict()))


def _warehouses(store: Store) -> tuple[list[Bin], Bin]:
    main = Warehouse.all_objects.create(store=store, code="MAIN", name="配件库")
    oil = Warehouse.all_objects.create(store=store, code="OIL", name="油品库")
    Warehouse.all_objects.create(store=store, code="OLD", name="旧件库")
    Bin.all_objects.bulk_create(
        [
            Bin(store=store, warehouse=main, code=f"{aisle}-{rack:02d}-{level}")
            for aisle in "ABCDEF"
            for rack in range(1, 21)
            for level in range(1, 4)
        ]
        + [Bin(store=store, warehouse=oil, code=f"OIL-{n:02d}") for n in range(1, 7)]
    )
    bins = list(Bin.all_objects.filter(warehouse=main).order_by("code"))
    return bins, Bin.all_objects.get(warehouse=oil, code="OIL-01")


@transaction.atomic
def parts_demo_months_close() -> int:
    """Close each demo store's stock months before last that are not closed yet, with their snapshots: run
    after every area's demo data (``DEMO_FINISHERS``), since other areas post their year of history
    (purchasing's receipts) into those months. Returns the months closed."""
    group = DealerGroup.objects.filter(code="HDAUTO").first()
    if group is None:
        return 0
    today = timezone.localdate()
    start = (today - timedelta(days=365)).replace(day=1)
    last_closable = (today.replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    closed = 0
    for store in Store.all_objects.filter(group=group).order_by("code"):
        if not StockMove.all_objects.filter(store=store).exists():
            continue
        # Months are closed in order: from the one after the last closed (or the year's first).
        last = StockClosing.all_objects.filter(store=store).order_by("-month").values_list("month", flat=True).first()
        month = (last + timedelta(days=32)).replace(day=1) if last else start
        while month <= last_closable:
            stock_month_close(actor=None, store_id=store.pk, month=month)
            closed += 1
            month = (month + timedelta(days=32)).replace(day=1)
    return closed


def parts_demo_install() -> int:
    group = DealerGroup.objects.filter(code="HDAUTO").first()
    if group is None:
        return 0
    today = timezone.localdate()
    start = (today - timedelta(days=365)).replace(day=1)
    created = 0
    for brand in Brand.objects.filter(code__in=SERIES).order_by("code"):
        created += parts_master_install(group, brand, valid_from=start)
    for store in Store.all_objects.filter(group=group).order_by("code"):
        if Warehouse.all_objects.filter(store=store).exists():
            continue
        bins, oil_bin = _warehouses(store)
        parts = list(Part.objects.filter(group=group, brand__in=store.brands.all()).order_by("pk"))
        moves: list[StockMove] = []
        balances = simulate_year(
            store=store,
            parts=parts,
            bins=bins,
            oil_bin=oil_bin,
            start=start,
            end=today - timedelta(days=1),
            issues_per_day=ISSUES_PER_DAY,
            seed=f"stock-{store.code}",
            emit=functools.partial(_collect, moves, store),
        )
        StockMove.all_objects.bulk_create(moves, batch_size=1000)
        StockBalance.all_objects.bulk_create(balances.values(), batch_size=1000)
        created += len(moves) + len(balances)
        # The oil store is being counted (a cycle count, open); the parts warehouse goes round its bins
        # in cycle counts every 60 days (planned each morning).
        stocktake_create(actor=None, store_id=store.pk, kind="cycle", scope=Scope(warehouse_id=oil_bin.warehouse_id))
        Warehouse.all_objects.filter(pk=bins[0].warehouse_id).update(cycle_days=60)
        created += 1
        # A few open repair orders hold stock.
        stocked = [row.part_id for row in balances.values() if not row.part_id % 7 and row.on_hand >= 2][:5]
        stock_reserve(
            actor=None,
            store_id=store.pk,
            demands=[
                Demand(part_id, Decimal(1), "repair_order", 900_000 + index, 9_000_000 + index)
                for index, part_id in enumerate(stocked)
            ],
        )
    return created
