"""The visits' scenarios, in the first store of a ``bench generate`` database:

- ``repair_order_create``: ``POST /api/v1/repair-orders`` as the store's service advisor, each call the
  signed order of a new visit: 10 lines (6 labour operations priced at the customer's rate, 4 parts of
  the shelf priced at their guide price and reserved on their balances), the customer's signature (a
  PNG kept by the media service). The visits are opened untimed in the set-up (one car of the archive
  each); the parts are those of the store with the most free stock, so that every call reserves.
- ``repair_order_detail``: ``GET /api/v1/repair-orders/{id}`` of one order with 60 lines (labour and
  parts, half approved at signing) and 40 events (the signing, 30 approvals, 8 lines dispatched by the
  workshop, the work started).

The catalogue's labour operations are installed (``catalogue.demo``'s) when the group has none, a
customer labour rate and the parts' guide prices when missing.
"""

from __future__ import annotations

import base64
import io
import json
import weakref
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.http import HttpResponse
from django.utils import timezone
from PIL import Image

from aftersales.appointments.models import Shift, Technician
from aftersales.catalogue.models import LabourOperation, LabourRate
from aftersales.catalogue.paytypes import PayType
from aftersales.core.models import Bay, Brand, Certificate, Role, StaffMembership, StaffProfile, Store, User
from aftersales.core.numbering import numbers_reserve
from aftersales.core.services import token_create
from aftersales.customers.models import VehicleLink
from aftersales.parts.models import PartPrice, StockBalance
from aftersales.parts.services import ReceiptLine, stock_receive
from aftersales.visits import services
from aftersales.visits.models import RepairOrder, Visit
from aftersales.workshop import services as workshop
from aftersales.workshop.models import WorkshopSettings
from bench.appointments.store_day import store_day
from bench.registry import BenchContext, BenchFailure, Call, scenario

# The calls of repair_order_create are set up ahead: enough for --iterations 1000 with its warm-up.
VISITS_AHEAD = 1100
LABOUR_LINES, PART_LINES = 6, 4
ADVISOR = "bench_advisor"
TECHNICIANS = 6


def _signature() -> str:
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 17) - 8), (20, 20, 20, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _staff(store: Store, username: str, role: str, name: str) -> User:
    """A member of the store's staff in ``role`` (made once)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(username=username, full_name=name)
        StaffMembership.objects.create(user=user, store=store, role=Role.objects.get(code=role))
    return user


def _advisor(store: Store) -> User:
    return _staff(store, ADVISOR, "advisor", "基准服务顾问")


def _catalogue(store: Store) -> list[LabourOperation]:
    """Labour operations of the store's group (the store-day installs the catalogue's), with a rate."""
    store_day()
    if not LabourRate.objects.filter(group_id=store.group_id, store=None, pay_type=PayType.CUSTOMER).exists():
        LabourRate.objects.create(
            group_id=store.group_id, pay_type=PayType.CUSTOMER, rate=Decimal("320.00"), valid_from=date(2020, 1, 1)
        )
    operations = list(LabourOperation.objects.filter(group_id=store.group_id, is_active=True).order_by("pk")[:40])
    if len(operations) < LABOUR_LINES:
        raise BenchFailure("repair_order: the group has too few labour operations: generate the bench data first.")
    return operations


def _parts(store: Store, count: int, *, free: int = 0) -> list[int]:
    """The parts (whole units) with the most free stock in the store, given a guide price where they have none,
    and received into their bins (a receipt, as the parts desk posts one) until ``free`` units are free."""
    rows = list(
        StockBalance.all_objects.filter(store=store, part__decimals=0, on_hand__gt=F("reserved"))
        .annotate(free=F("on_hand") - F("reserved"))
        .order_by("-free", "pk")
        .values_list("part_id", "bin_id", "free")[: count * 3]
    )
    chosen: dict[int, tuple[int, Decimal]] = {}
    for part_id, bin_id, left in rows:
        chosen.setdefault(part_id, (bin_id, left))
    parts = list(chosen)[:count]
    if len(parts) < count:
        raise BenchFailure("repair_order: the store has too few parts on the shelf: generate the bench data first.")
    priced = set(
        PartPrice.objects.filter(part_id__in=parts, kind="retail", store=None).values_list("part_id", flat=True)
    )
    PartPrice.objects.bulk_create(
        PartPrice(part_id=part, kind="retail", price=Decimal("168.00"), valid_from=date(2020, 1, 1))
        for part in parts
        if part not in priced
    )
    short = [
        ReceiptLine(part_id=part, bin_id=chosen[part][0], quantity=free - chosen[part][1], unit_cost=Decimal("98.00"))
        for part in parts
        if chosen[part][1] < free
    ]
    if short:
        stock_receive(actor=None, store_id=store.pk, lines=short)
    return parts


def _visits(store: Store, advisor: User, count: int) -> list[int]:
    """``count`` cars on site at the store, each a car of the archive with no visit yet (written in bulk)."""
    # NOT EXISTS, not NOT IN: PostgreSQL plans a NOT IN over millions of visits as a hashed subplan it
    # cannot finish, and an anti-join for NOT EXISTS (16 ms over 10 million visits).
    taken = Visit.all_objects.filter(vehicle_id=OuterRef("vehicle_id"))
    links = list(
        VehicleLink.objects.filter(role=VehicleLink.Role.OWNER, valid_to=None)
        .exclude(Exists(taken))
        .order_by("vehicle_id")
        .values_list("customer_id", "vehicle_id")[:count]
    )
    if len(links) < count:
        raise BenchFailure(f"repair_order: fewer than {count:,} cars in the archive without a visit.")
    now = timezone.now()
    with transaction.atomic():  # the numbers' sequence row stays locked until the visits are written
        prefix, first = numbers_reserve(store=store, doc_type="VS", count=count)
        made = Visit.all_objects.bulk_create(
            Visit(
                store=store,
                number=f"{prefix}{first + index:06d}",
                customer_id=customer_id,
                vehicle_id=vehicle_id,
                advisor=advisor,
                contact_name="基准客户",
                contact_mobile="13800000000",
                arrived_at=now,
                mileage_in=20_000,
                fuel_level=4,
                promised_at=now + timedelta(days=3),
                created_by=advisor,
            )
            for index, (customer_id, vehicle_id) in enumerate(links)
        )
    return [visit.pk for visit in made]


def _lines(operations: list[LabourOperation], parts: list[int], labour: int, part_lines: int) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [{"kind": "labour", "operation": op.pk} for op in operations[:labour]]
    lines += [{"kind": "part", "part": part, "quantity": "1"} for part in (parts * part_lines)[:part_lines]]
    return lines


@scenario(
    "repair_order_create",
    "POST /api/v1/repair-orders: one signed order of 10 lines (6 labour, 4 parts reserved on the shelf) with "
    "the customer's signature, as the store's advisor",
    expected_status=201,
)
def _repair_order_create(bench: BenchContext) -> Call:
    store = store_day().store
    advisor = _advisor(store)
    operations = _catalogue(store)
    parts = _parts(store, PART_LINES, free=VISITS_AHEAD + 10)
    visits = _visits(store, advisor, VISITS_AHEAD)
    _token, raw = token_create(user=advisor, name="bench-repair-order")
    headers = {"authorization": f"Bearer {raw}"}
    signature = _signature()
    lines = _lines(operations, parts, LABOUR_LINES, PART_LINES)
    free = StockBalance.all_objects.filter(store=store, part_id__in=parts).annotate(free=F("on_hand") - F("reserved"))
    print(
        f"  repair_order_create: as {advisor.username} at {store.code}, {len(visits):,} cars on site set up; "
        f"parts reserved from balances with {min(row.free for row in free):,} to {max(row.free for row in free):,} "
        "free units"
    )
    calls = iter(visits)

    def call() -> HttpResponse:
        visit_id = next(calls, None)
        if visit_id is None:
            raise BenchFailure(f"repair_order_create: more than {VISITS_AHEAD:,} calls; run fewer iterations.")
        payload = {
            "visit": visit_id,
            "statement": "保养，刹车异响",
            "signature": signature,
            "signed_name": "基准客户",
            "lines": lines,
        }
        response: HttpResponse = bench.client.post(  # type: ignore[assignment]
            "/api/v1/repair-orders", json.dumps(payload), content_type="application/json", headers=headers
        )
        return response

    # The visits the calls did not use are closed (left) once the runner is done, so a later run sets up anew.
    weakref.finalize(call, lambda: Visit.all_objects.filter(pk__in=visits, orders=None).update(state="left"))
    return call


@scenario(
    "repair_order_detail",
    "GET /api/v1/repair-orders/{id}: an order with 60 lines (labour and parts, half approved at signing) and 40 events",
)
def _repair_order_detail(bench: BenchContext) -> Call:
    store = store_day().store
    advisor = _advisor(store)
    order = RepairOrder.all_objects.filter(store=store, customer_statement="基准：60 项").first()
    if order is None:
        operations = _catalogue(store)
        parts = _parts(store, 10)
        (visit_id,) = _visits(store, advisor, 1)
        rows = [
            services.LineIn(
                kind="labour",
                operation_id=operations[i % len(operations)].pk,
                source="requested" if i % 2 == 0 else "diagnosis",
            )
            for i in range(40)
        ] + [
            services.LineIn(
                kind="part",
                part_id=parts[i % 10],
                quantity=Decimal(1),
                source="requested" if i % 2 == 0 else "diagnosis",
            )
            for i in range(20)
        ]
        order = services.repair_order_create(
            actor=advisor,
            visit_id=visit_id,
            data=services.OrderIn(statement="基准：60 项", signature=_signature(), signed_name="基准客户", lines=rows),
        )
        foreman = _staff(store, "bench_foreman", "foreman", "基准车间主管")
        # Its assembly repairs start once the pre-repair diagnosis record is kept (the repair archive).
        services.diagnosis_save(
            actor=foreman,
            visit_id=visit_id,
            data=services.DiagnosisIn(symptoms="基准：异响", pre_repair_record="基准：维修前诊断检验记录"),
        )
        # The workshop dispatches 8 approved labour lines (the first starts the work).
        technicians, bays = workshop_setup(store)
        approved = order.lines.filter(kind="labour", state="approved").select_related("operation").order_by("position")
        for index, line in enumerate(approved[:8]):
            operation = line.operation
            bay = bays[operation.bay_kind].pk if operation is not None and operation.bay_kind else None
            workshop.dispatch(
                actor=foreman,
                order_id=order.pk,
                data=workshop.DispatchIn(line.pk, technician_id=technicians[index % len(technicians)].pk, bay_id=bay),
            )
    lines, events = order.lines.count(), order.events.count()
    if (lines, events) != (60, 40):
        raise BenchFailure(f"repair_order_detail: the order has {lines} lines and {events} events, not 60 and 40.")
    print(f"  repair_order_detail: {order.number}: {lines} lines, {events} events")
    path = f"/api/v1/repair-orders/{order.pk}"
    return lambda: bench.get(path)


def workshop_setup(store: Store) -> tuple[list[User], dict[str, Bay]]:
    """The bench's technicians (made once: senior, every certificate, on shift all day every day) and one bay
    of each type."""
    users = []
    brands = list(Brand.objects.order_by("pk"))
    for number in range(1, TECHNICIANS + 1):
        user = _staff(store, f"bench_technician_{number}", "technician", f"基准技师{number}")
        users.append(user)
        if Technician.objects.filter(store=store, user=user).exists():
            continue
        profile, _created = StaffProfile.objects.get_or_create(user=user)
        profile.skill_level = StaffProfile.SkillLevel.SENIOR
        profile.save()
        Certificate.objects.bulk_create(
            [
                Certificate(profile=profile, kind=kind, name=str(label))
                for kind, label in Certificate.Kind.choices
                if kind != Certificate.Kind.BRAND
            ]
            + [
                Certificate(profile=profile, kind=Certificate.Kind.BRAND, name=brand.name, brand=brand)
                for brand in brands
            ]
        )
        technician = Technician.objects.create(
            store=store, user=user, efficiency=Decimal("1.00") + Decimal(number) / 100
        )
        Shift.objects.bulk_create(
            Shift(technician=technician, weekday=day, starts=time(0, 0), ends=time(23, 59)) for day in range(7)
        )
    # No progress messages to the archive's customers: the scenarios time the workshop, not the outbox.
    WorkshopSettings.all_objects.update_or_create(
        store=store, defaults={"notify_approved": False, "notify_started": False, "notify_waiting": False}
    )
    bays = {}
    for kind, _label in Bay.Kind.choices:
        bay = Bay.objects.filter(store=store, kind=kind, is_active=True).order_by("pk").first()
        if bay is None:
            bay = Bay.objects.create(store=store, code=f"B-{kind[:8].upper()}", kind=kind)
        bays[kind] = bay
    return users, bays
