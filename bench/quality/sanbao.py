"""The quality area's scenario ``warranty_watch``: the 三包 page of a household vehicle with 50 past orders,
``GET /quality/vehicles/<id>/sanbao/`` (``quality.views.sanbao.sanbao_page``: the watch of
``quality.services.sanbao.warranty_watch``, its rules, counters, visits and lines), as the first store's
service advisor (a session).

No generator option: the set-up (untimed, once per database, in one transaction) takes 20 vehicles of the
customer archive (``bench generate --customers N --vehicles M``) owned by individuals registered at the first
store, none of them seen by the workshop yet, makes each a household car bought 1,515 to 1,534 days ago (the
warranty and 三包 periods derived as the customers' services derive them: ``warranty_derive``) and writes its
50 past orders, one every 30 days from 15 days after the delivery, each in a visit of its own, signed,
delivered and with its pickup notice (``quality.Handover.notified_at``), in a cycle of ten:

- maintenance (three in ten; nothing the law counts);
- a repair of the front shock absorber (the causal part A, with the symptom), the car back the next day;
- A replaced: the repair and a part line of A (a replacement of the part repaired);
- an accident: body work and A fitted, on the insurance pay type, A named as the causal part (not counted);
- a repair of the ignition coil (the causal part B, a fault code);
- A repaired again, 2 of its 4 days off site with the owner's agreement to pause (left out of its days);
- B repaired again, 2 of its 4 days off site without agreement (counted);
- A repaired the same day.

The cars are driven 25 to 75 km a day, so that some leave the 三包 period by the mileage (50,000 km) before
its two years are over and the others by the date; the later orders are outside it. The rows go in with
``bulk_create`` (no audit entries, as for every bulk load). Found again by the next run: the visits' contact
is ``基准三包``.

Set-up then renders the page of every car once and fails unless each shows the repairs, replacements and
repair days of A and B and the cumulative repair days this plan gives (worked out here, from the plan, not
read back), and unless every car's page takes the same number of queries. Each call renders the next car's
page.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.catalogue.models import LabourOperation, LabourRate
from aftersales.catalogue.paytypes import PayType
from aftersales.core.calendar import store_calendar
from aftersales.core.models import Store, User
from aftersales.core.numbering import numbers_reserve
from aftersales.customers.models import Customer, Vehicle, VehicleLink
from aftersales.customers.services.warranty import warranty_derive
from aftersales.messaging.models import Signature
from aftersales.messaging.services import signature_store
from aftersales.parts.models import Part, PartPrice
from aftersales.quality.models import Handover
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import LineIn
from aftersales.visits.services.lines import LineContext
from aftersales.workshop.models import OffSite
from bench.appointments.store_day import store_day
from bench.customers.scenarios import detail_customer_id
from bench.quality.comebacks import _priced
from bench.registry import BenchContext, BenchFailure, Call, scenario
from bench.visits import _advisor, _catalogue, _signature

VEHICLES, ORDERS = 20, 50
EVERY = 30  # days between a car's visits
FIRST = 15  # days from the delivery to the first visit
MARK = "基准三包"  # the contact of the history's visits: found again by the next run
KM_PER_DAY = (25, 35, 45, 55, 65, 75)
OFF_SITE = (timedelta(days=1, minutes=15), timedelta(days=3, minutes=15))  # from the signing: 2 days off site
SIGNED, NOTICE = clock_time(8, 45), clock_time(16, 0)  # the order signed; the pickup notice
# The two parts whose repairs the law counts, made once: (number, name, English name).
PARTS = {
    "A": ("BENCH-SB-A", "基准前减震器", "Bench front shock absorber"),
    "B": ("BENCH-SB-B", "基准点火线圈", "Bench ignition coil"),
}
OPERATIONS = ("M01", "C01", "S01", "E02")  # maintenance, shock absorbers, bumper, ignition coil
SYMPTOM_A, SYMPTOM_B, ACCIDENT = "过减速带前悬架异响", "怠速抖动，故障灯亮", "碰撞后前悬架受损"
# What the set-up sets on the cars, and what ``warranty_derive`` works out from it.
FACTS = ("use_type", "purchase_date", "delivery_date")
DERIVED = ("warranty_policy", "warranty_start", "warranty_end", "warranty_km_limit", "sanbao_end", "sanbao_km_limit")


@dataclass(frozen=True)
class Kind:
    """One visit of the cycle: its lines, the problem the law counts (A, B or none), whether A is replaced,
    days from the signing to the pickup notice, and its time off site (None: none; else the owner agreed)."""

    lines: str
    problem: str = ""
    replaced: bool = False
    days: int = 0
    off_site: bool | None = None


CYCLE = (
    Kind("maintenance"),
    Kind("repair_a", "A", days=1),
    Kind("maintenance"),
    Kind("replace_a", "A", replaced=True, days=2),
    Kind("accident", days=3),
    Kind("repair_b", "B", days=1),
    Kind("repair_a", "A", days=4, off_site=True),
    Kind("maintenance"),
    Kind("repair_b", "B", days=4, off_site=False),
    Kind("repair_a", "A"),
)


@dataclass(frozen=True)
class Planned:
    """One past visit of a car as the plan has it."""

    kind: Kind
    arrived: datetime
    signed: datetime
    notified: datetime
    mileage: int

    @property
    def seconds(self) -> int:
        """The repair time as the law counts it: signed to notice, less time off site the owner agreed to."""
        paused = OFF_SITE[1] - OFF_SITE[0] if self.kind.off_site else timedelta(0)
        return int((self.notified - self.signed - paused).total_seconds())


def _plan(store: Store, start: date, index: int) -> Iterator[Planned]:
    """The car's ``ORDERS`` visits, the ``index``-th car of the set-up delivered on ``start``."""
    zone = store.zone
    for number in range(ORDERS):
        kind = CYCLE[number % len(CYCLE)]
        day = start + timedelta(days=FIRST + EVERY * number)
        arrived = datetime.combine(day, clock_time(8, 30), zone).astimezone(UTC)
        signed = datetime.combine(day, SIGNED, zone).astimezone(UTC)
        notified = datetime.combine(day + timedelta(days=kind.days), NOTICE, zone).astimezone(UTC)
        yield Planned(kind, arrived, signed, notified, 10 + KM_PER_DAY[index % len(KM_PER_DAY)] * (day - start).days)


@dataclass(frozen=True)
class Expected:
    """What the car's page must show: per problem (repairs, replacements, repair days) within the 三包
    period, and the cumulative repair days."""

    problems: dict[str, tuple[int, int, int]]
    repair_days: int


def _expected(store: Store, car: Vehicle, index: int, parts: dict[str, Part]) -> Expected:
    if car.warranty_start is None or car.sanbao_end is None or car.sanbao_km_limit is None:
        raise BenchFailure(f"warranty_watch: vehicle {car.pk} has no 三包 period.")
    counts: dict[str, list[int]] = {f"part:{part.pk}": [0, 0, 0] for part in parts.values()}
    total = 0
    zone = store.zone
    for visit in _plan(store, car.warranty_start, index):
        within = visit.arrived.astimezone(zone).date() <= car.sanbao_end and visit.mileage <= car.sanbao_km_limit
        if not visit.kind.problem or not within:
            continue
        days = max(1, math.ceil(visit.seconds / 86_400))
        row = counts[f"part:{parts[visit.kind.problem].pk}"]
        row[0], row[1], row[2] = row[0] + 1, row[1] + visit.kind.replaced, row[2] + days
        total += days
    return Expected({key: (a, b, c) for key, (a, b, c) in counts.items() if a}, total)


# --- the set-up --------------------------------------------------------------------------------------------


def _parts(store: Store) -> dict[str, Part]:
    """Parts A and B of the store's first brand (made once, with a guide price)."""
    brand = store.brands.order_by("code").first()
    if brand is None:
        raise BenchFailure("warranty_watch: the first store serves no brand: run bench generate first.")
    found = {}
    for key, (number, name, name_en) in PARTS.items():
        part = Part.objects.filter(group_id=store.group_id, brand=brand, number=number.replace("-", "")).first()
        if part is None:
            part = Part.objects.create(
                group_id=store.group_id,
                brand=brand,
                number=number.replace("-", ""),
                number_display=number,
                name=name,
                name_en=name_en,
                standard_cost=Decimal("300.0000"),
            )
            PartPrice.objects.create(
                part=part, kind=PartPrice.Kind.RETAIL, price=Decimal("680.00"), valid_from=date(2020, 1, 1)
            )
        found[key] = part
    return found


def _operations(store: Store) -> dict[str, LabourOperation]:
    """The catalogue's operations by code (``APT-M01`` and ``VW-M01`` alike are ``M01``) with a labour rate for
    the customer and the insurer."""
    _catalogue(store)  # the store-day's catalogue and the customer's rate
    customer = LabourRate.objects.filter(group_id=store.group_id, store=None, pay_type=PayType.CUSTOMER).first()
    if (
        customer is not None
        and not LabourRate.objects.filter(group_id=store.group_id, store=None, pay_type=PayType.INSURANCE).exists()
    ):
        LabourRate.objects.create(
            group_id=store.group_id, pay_type=PayType.INSURANCE, rate=customer.rate, valid_from=customer.valid_from
        )
    found: dict[str, LabourOperation] = {}
    for operation in LabourOperation.objects.filter(group_id=store.group_id, is_active=True).order_by("-brand", "pk"):
        found.setdefault(operation.code.rsplit("-", 1)[-1], operation)
    missing = [code for code in OPERATIONS if code not in found]
    if missing:
        raise BenchFailure(f"warranty_watch: the catalogue has no operation {', '.join(missing)}.")
    return found


def _templates(
    context: LineContext, parts: dict[str, Part], ops: dict[str, LabourOperation]
) -> dict[str, list[dict[str, Any]]]:
    """Each kind's lines checked and priced once as the signing prices them, as field values to copy."""
    a, b = parts["A"].pk, parts["B"].pk
    repair_a = LineIn("labour", operation_id=ops["C01"].pk, symptom=SYMPTOM_A, causal_part_id=a)
    wanted = {
        "maintenance": [LineIn("labour", operation_id=ops["M01"].pk)],
        "repair_a": [repair_a],
        "replace_a": [repair_a, LineIn("part", part_id=a, quantity=Decimal(1))],
        "accident": [
            LineIn(
                "labour", pay_type=PayType.INSURANCE, operation_id=ops["S01"].pk, symptom=ACCIDENT, causal_part_id=a
            ),
            LineIn("part", pay_type=PayType.INSURANCE, part_id=a, quantity=Decimal(1)),
        ],
        "repair_b": [
            LineIn("labour", operation_id=ops["E02"].pk, fault_code="P0301", symptom=SYMPTOM_B, causal_part_id=b)
        ],
    }
    skip = {"id", "store_id", "order_id", "vehicle_id", "position", "state", "priced_at", "created_at"}
    fields = [field.attname for field in Line._meta.concrete_fields if field.attname not in skip]
    return {
        name: [{field: getattr(line, field) for field in fields} for line in (_priced(context, row) for row in rows)]
        for name, rows in wanted.items()
    }


def _cars(store: Store) -> list[tuple[int, Vehicle]]:
    """``VEHICLES`` cars of the archive owned by individuals of the store (the detail customer's aside) that no
    visit has seen yet, with their owners."""
    try:
        detail = detail_customer_id()
    except BenchFailure:
        raise BenchFailure("warranty_watch: no archive: generate with --customers and --vehicles.") from None
    links = list(
        VehicleLink.objects.filter(
            role=VehicleLink.Role.OWNER,
            valid_to=None,
            customer__home_store=store,
            customer__kind=Customer.Kind.INDIVIDUAL,
        )
        .exclude(customer_id=detail)
        .filter(~Exists(Visit.all_objects.filter(vehicle_id=OuterRef("vehicle_id"))))
        .select_related("vehicle__model")
        .order_by("vehicle_id")[:VEHICLES]
    )
    if len(links) < VEHICLES:
        raise BenchFailure(f"warranty_watch: fewer than {VEHICLES} cars of {store.code}'s customers without a visit.")
    return [(link.customer_id, link.vehicle) for link in links]


@transaction.atomic
def _write(store: Store, advisor: User) -> None:
    """Make the cars household cars with their periods and write their past orders (see the module)."""
    parts, ops = _parts(store), _operations(store)
    cars = _cars(store)
    today = store_calendar(store).local_date(timezone.now())
    for index, (_owner, car) in enumerate(cars):
        car.use_type = Vehicle.UseType.HOUSEHOLD
        car.purchase_date = car.delivery_date = today - timedelta(days=FIRST + EVERY * ORDERS + index)
        warranty_derive(car)
    Vehicle.objects.bulk_update([car for _owner, car in cars], [*FACTS, *DERIVED])
    templates = _templates(LineContext(store=store, vehicle=cars[0][1], actor=advisor), parts, ops)
    signature = signature_store(
        data_url=_signature(),
        store=store,
        signer_type=Signature.SignerType.CUSTOMER,
        signer_name="基准客户",
        object_type="visits.visit",
        object_id=0,
        what="bench_sanbao",
        snapshot_hash="0" * 64,
        user=advisor,
        audited=False,
    )
    plans = [
        (owner, car, visit)
        for index, (owner, car) in enumerate(cars)
        if car.warranty_start is not None
        for visit in _plan(store, car.warranty_start, index)
    ]
    visit_prefix, visit_first = numbers_reserve(store=store, doc_type="VS", count=len(plans))
    order_prefix, order_first = numbers_reserve(store=store, doc_type="RO", count=len(plans))
    staff: dict[str, Any] = {"store": store, "advisor": advisor, "created_by": advisor}
    visits = Visit.all_objects.bulk_create(
        Visit(
            **staff,
            number=f"{visit_prefix}{visit_first + n:06d}",
            state=Visit.State.DELIVERED,
            customer_id=owner,
            vehicle=car,
            contact_name=MARK,
            contact_mobile="13800000000",
            arrived_at=plan.arrived,
            mileage_in=plan.mileage,
            fuel_level=4,
            promised_at=plan.notified,
            left_at=plan.notified + timedelta(hours=1),
        )
        for n, (owner, car, plan) in enumerate(plans)
    )
    orders = RepairOrder.all_objects.bulk_create(
        RepairOrder(
            **staff,
            number=f"{order_prefix}{order_first + n:06d}",
            state=RepairOrder.State.DELIVERED,
            visit=visit,
            customer_id=owner,
            vehicle=car,
            customer_statement=MARK,
            mileage_in=plan.mileage,
            signed_name="基准客户",
            signature=signature,
            signed_at=plan.signed,
            signed_hash="0" * 64,
        )
        for n, (visit, (owner, car, plan)) in enumerate(zip(visits, plans, strict=True))
    )
    Line.all_objects.bulk_create(
        Line(
            **values,
            store=store,
            order=order,
            vehicle=order.vehicle,
            position=position,
            state=Line.State.DONE,
            priced_at=plan.signed,
        )
        for order, (_owner, _car, plan) in zip(orders, plans, strict=True)
        for position, values in enumerate(templates[plan.kind.lines], start=1)
    )
    Handover.objects.bulk_create(
        Handover(
            store=store,
            visit=visit,
            handed_by=advisor,
            advisor=advisor,
            keys="基准",
            explanation=MARK,
            car_checked=True,
            checked_by=advisor,
            checked_at=plan.notified,
            notified_at=plan.notified,
            customer_arrived_at=plan.notified + timedelta(minutes=30),
        )
        for visit, (_owner, _car, plan) in zip(visits, plans, strict=True)
    )
    OffSite.objects.bulk_create(
        OffSite(
            store=store,
            visit=visit,
            left_at=plan.signed + OFF_SITE[0],
            back_at=plan.signed + OFF_SITE[1],
            reason="等待配件",
            owner_agreed_pause=plan.kind.off_site,
            recorded_by=advisor,
        )
        for visit, (_owner, _car, plan) in zip(visits, plans, strict=True)
        if plan.kind.off_site is not None
    )


def _history(store: Store, advisor: User) -> tuple[list[Vehicle], str]:
    """The cars with their past orders (written the first time), in the set-up's order."""
    rows = Visit.all_objects.filter(store=store, contact_name=MARK)
    note = "there already"
    if not rows.exists():
        _write(store, advisor)
        note = "written"
    cars = list(Vehicle.objects.filter(pk__in=rows.values("vehicle_id")).order_by("pk"))
    counts = dict.fromkeys((car.pk for car in cars), 0)
    for car_id in rows.values_list("vehicle_id", flat=True):
        counts[car_id] += 1
    if len(cars) != VEHICLES or set(counts.values()) != {ORDERS}:
        raise BenchFailure(
            f"warranty_watch: {len(cars)} cars with {sorted(set(counts.values()))} past orders in the database, "
            f"not {VEHICLES} with {ORDERS}: written with other figures (use a new database)."
        )
    return cars, note


# --- the page and what it must show ---------------------------------------------------------------------------

COUNTER = re.compile(
    r'data-testid="counter-(part:\d+)">.*?data-testid="repairs">(\d+)</td>\s*'
    r'<td[^>]*data-testid="replacements">(\d+)</td>\s*<td[^>]*data-testid="days">(\d+)</td>',
    re.DOTALL,
)
REPAIR_DAYS = re.compile(r'data-testid="repair-days">[^<]*<span[^>]*>(\d+)</span>')
VISIT = re.compile(r'data-testid="visit-\d+"')


def shown(html: str) -> tuple[Expected, int]:
    """What the page shows: the counters per problem, the cumulative repair days, and the visits listed."""
    days = REPAIR_DAYS.search(html)
    problems = {key: (int(a), int(b), int(c)) for key, a, b, c in COUNTER.findall(html)}
    return Expected(problems, int(days.group(1)) if days else -1), len(VISIT.findall(html))


def _check(client: Client, store: Store, cars: list[Vehicle], parts: dict[str, Part]) -> tuple[int, Expected]:
    """Render every car's page once: each shows what its plan gives, all in the same number of queries."""
    queries: dict[int, int] = {}
    first = Expected({}, 0)
    client.get(_path(cars[0]))  # the session's first page
    for index, car in enumerate(cars):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(_path(car))
        if response.status_code != 200:
            raise BenchFailure(f"warranty_watch: the page of vehicle {car.pk} answered {response.status_code}.")
        queries[car.pk] = len(captured.captured_queries)
        want = _expected(store, car, index, parts)
        got, visits = shown(response.content.decode())
        if got != want or visits != ORDERS:
            raise BenchFailure(
                f"warranty_watch: the page of vehicle {car.pk} shows {got} and {visits} visits; the plan gives "
                f"{want} and {ORDERS}."
            )
        first = want if index == 0 else first
    if len(set(queries.values())) != 1:
        raise BenchFailure(f"warranty_watch: the pages take different numbers of queries: {queries}.")
    return next(iter(queries.values())), first


def _path(car: Vehicle) -> str:
    return f"/quality/vehicles/{car.pk}/sanbao/"


@scenario(
    "warranty_watch",
    "GET /quality/vehicles/{id}/sanbao/: the 三包 page of a household car with 50 past orders (repairs, "
    "replacements, accidents, maintenance, time off site), as the store's service advisor",
)
def _warranty_watch(bench: BenchContext) -> Call:
    store = store_day().store
    advisor = _advisor(store)
    cars, note = _history(store, advisor)
    parts = _parts(store)
    client = Client()
    client.force_login(advisor)
    queries, first = _check(client, store, cars, parts)
    problems = ", ".join(f"{key} {a} repairs, {b} replaced, {c} days" for key, (a, b, c) in first.problems.items())
    print(
        f"  warranty_watch: {len(cars)} household cars of {store.code} with {ORDERS} past orders each ({note}); "
        f"each page as shown checked (the first: {problems}; {first.repair_days} repair days in the 三包 period); "
        f"{queries} queries on every car's page"
    )
    cycle = itertools.cycle(cars)

    def call() -> HttpResponse:
        response: HttpResponse = client.get(_path(next(cycle)))  # type: ignore[assignment]
        return response

    return call
