"""The store-day both appointment scenarios run on: the first store (by code) of a ``bench generate``
database, given once and untimed what a store of that size has (``store_day``):

- 40 technicians (users, staff memberships, profiles with skill levels and certificates, efficiencies
  0.90-1.20, weekly shifts in three patterns around business hours 08:30-18:00, two of them on leave for
  part of the day), 12 service advisors (whose arrivals stay 15 minutes apart) and 30 bays of the
  catalogue's types; the catalogue's labour operations (``catalogue.demo``'s, for every brand) when the
  group has none;
- 300 bookings on the bench day (the first weekday at least two days ahead that is no holiday), each
  placed where the capacity engine places a booking (``capacity.day_plan`` / ``DayPlan.place``, the
  start nearest a wish spread over the day) and written with its planned technician, advisor and event,
  its services on their bays by the bookings' own writer (``appointment_services_write``); the result is
  checked against ``day_plan`` read back from the database.

``bookings_ahead`` works out the arrivals of ``booking_create`` with the same engine, on the days after
the bench day, so that every call fits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from aftersales.appointments.capacity import DayPlan, Need, Placement, booking_settings, day_plan
from aftersales.appointments.models import Appointment, AppointmentEvent, AppointmentService, Leave, Shift, Technician
from aftersales.appointments.services import appointment_services_write, needs_for
from aftersales.catalogue import services as catalogue
from aftersales.catalogue.demo import EV_OPERATIONS, OPERATIONS, TAX_CODE_REPAIR
from aftersales.catalogue.models import LabourOperation
from aftersales.core.calendar import DayKind, StoreCalendar, store_calendar
from aftersales.core.models import (
    Bay,
    Certificate,
    Department,
    Role,
    StaffMembership,
    StaffProfile,
    Store,
    User,
)
from aftersales.core.numbering import number_next
from bench.registry import BenchFailure

TECHNICIANS = 40
ADVISORS = 12
BOOKINGS = 300
# The bays of a store with 40 technicians, by type: 30 in all.
BAYS = {
    "general_lift": ("A", 11),
    "quick_service": ("Q", 12),
    "alignment": ("L", 2),
    "wash": ("W", 2),
    "ev_hv": ("E", 1),
    "body": ("B", 1),
    "paint_booth": ("P", 1),
}
# Skill levels of the technicians (12 junior, 18 intermediate, 10 senior): every senior and
# intermediate holds the brand certificate, five seniors the EV high-voltage licence, two others paint.
LEVELS = ["junior"] * 12 + ["intermediate"] * 18 + ["senior"] * 10
EFFICIENCIES = [Decimal("0.90"), Decimal("1.00"), Decimal("1.10"), Decimal("1.20")]
SHIFTS = [(time(8, 0), time(17, 0)), (time(8, 30), time(17, 30)), (time(9, 30), time(18, 30))]
# One day's bookings, a cycle of 20 (their catalogue codes): twelve quick services (oil changes, the
# 24-point check, tyres, battery, filters), two washes, an alignment and five jobs on a general lift;
# 0.63 standard hours on average, so that 300 take about 190 of the day's 300 bookable hours.
DAY_MIX: list[tuple[str, ...]] = [
    ("M01",), ("M09",), ("B01",), ("W01",), ("M01",), ("C05",), ("E03",), ("M02",), ("C03",), ("M01",),
    ("E01",), ("A01",), ("M09",), ("C04",), ("M01",), ("E02",), ("M02",), ("W01",), ("G04",), ("M09",),
]  # fmt: skip
# What the agent asks slots for: (catalogue codes, the customer's wished time).
SLOT_ASKS: list[tuple[tuple[str, ...], str]] = [
    (("M01",), "09:00"),
    (("M01", "M03"), "10:30"),
    (("B01",), "14:00"),
    (("H01",), "15:30"),
    (("E01",), "17:00"),
    (("G04",), "09:30"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚", "建华", "丽娟"]


@dataclass
class StoreDay:
    store: Store
    day: date
    operations: dict[str, LabourOperation]
    plan: DayPlan


def bench_store() -> Store:
    store = Store.all_objects.filter(is_active=True).order_by("code").first()
    if store is None:
        raise BenchFailure("No stores: run bench generate first.")
    return store


def weekday_after(calendar: StoreCalendar, first: date) -> date:
    """The first weekday from ``first`` that is no holiday and open (the store's own calendar)."""
    day = first
    while calendar.day_kind(day) != DayKind.WORKDAY or calendar.hours(day) is None:
        day += timedelta(days=1)
    return day


def bench_day(store: Store) -> date:
    """The bench day: the first ordinary weekday at least two days ahead."""
    calendar = store_calendar(store)
    return weekday_after(calendar, calendar.local_date(timezone.now()) + timedelta(days=2))


def _operations(store: Store) -> dict[str, LabourOperation]:
    """The group's labour operations by catalogue code (``VW-M01`` and ``M01`` alike are ``M01``); the
    demo catalogue's, for every brand, written first when the group has none of them."""
    wanted = {code for mix in DAY_MIX for code in mix} | {code for mix, _wish in SLOT_ASKS for code in mix}
    found: dict[str, LabourOperation] = {}
    for operation in LabourOperation.objects.filter(group_id=store.group_id, is_active=True).order_by("-brand", "pk"):
        found.setdefault(operation.code.rsplit("-", 1)[-1], operation)
    if not wanted <= set(found):
        for code, name, name_en, category, hours, skill, certificate, bay, repair in OPERATIONS + EV_OPERATIONS:
            if code in found:
                continue
            found[code] = catalogue.operation_save(
                actor=None,
                group_id=store.group_id,
                code=f"APT-{code}",
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
                },
            )
    return found


def _staff(store: Store, role_code: str, stem: str, count: int) -> list[User]:
    """``count`` users of the store with ``role_code``, those of the bench first made (``<stem>NN_<store>``)."""
    role = Role.objects.get(code=role_code)
    have = list(
        User.objects.filter(memberships__store=store, memberships__role=role, memberships__is_active=True)
        .distinct()
        .order_by("pk")
    )
    missing = count - len(have)
    if missing > 0:
        department = Department.all_objects.filter(
            store=store, code="WS" if role_code == "technician" else "SVC"
        ).first()
        password = make_password(None)  # the bench's extra staff never sign in
        suffix = store.code.lower()
        made = User.objects.bulk_create(
            User(
                username=f"{stem}{len(have) + index + 1:02d}_{suffix}",
                full_name=f"{SURNAMES[(len(have) + index) % len(SURNAMES)]}{GIVEN[index % len(GIVEN)]}",
                password=password,
            )
            for index in range(missing)
        )
        made = list(User.objects.filter(username__in=[user.username for user in made]).order_by("pk"))
        StaffMembership.all_objects.bulk_create(
            StaffMembership(user=user, store=store, role=role, department=department) for user in made
        )
        have += made
    return have[:count]


def _technicians(store: Store) -> None:
    """40 technicians with profiles, certificates, efficiencies and shifts (Monday to Friday all of
    them, the weekend by halves), written once."""
    if Technician.all_objects.filter(store=store, is_active=True).count() >= TECHNICIANS:
        return
    users = _staff(store, "technician", "apt_tech", TECHNICIANS)
    brand = store.brands.order_by("code").first()
    profiles = {profile.user_id: profile for profile in StaffProfile.objects.filter(user__in=users)}
    for index, user in enumerate(users):
        profile = profiles.get(user.pk) or StaffProfile(user=user, employee_no=f"{store.code}-T{index + 1:03d}")
        profile.skill_level = LEVELS[index]
        profile.save()
        held = set(Certificate.objects.filter(profile=profile).values_list("kind", flat=True))
        kinds = ["brand"] if LEVELS[index] != "junior" else []
        kinds += ["ev_hv"] if index >= TECHNICIANS - 5 else []
        kinds += ["paint"] if index in (12, 13) else []
        for kind in kinds:
            if kind not in held:
                Certificate.objects.create(
                    profile=profile, kind=kind, name=kind, brand=brand if kind == "brand" else None
                )
    existing = set(Technician.all_objects.filter(store=store).values_list("user_id", flat=True))
    Technician.all_objects.bulk_create(
        Technician(store=store, user=user, efficiency=EFFICIENCIES[index % len(EFFICIENCIES)])
        for index, user in enumerate(users)
        if user.pk not in existing
    )
    technicians = list(Technician.all_objects.filter(store=store, user__in=users).order_by("pk"))
    Shift.objects.filter(technician__in=technicians).delete()
    Shift.objects.bulk_create(
        Shift(technician=technician, weekday=weekday, starts=SHIFTS[index % 3][0], ends=SHIFTS[index % 3][1])
        for index, technician in enumerate(technicians)
        for weekday in range(7)
        if weekday < 5 or weekday == 5 + index % 2
    )


def _bays(store: Store) -> None:
    """Bays up to the counts of ``BAYS`` per type (30), those missing written once."""
    have = Counter(Bay.all_objects.filter(store=store, is_active=True).values_list("kind", flat=True))
    codes = set(Bay.all_objects.filter(store=store).values_list("code", flat=True))
    for kind, (prefix, count) in BAYS.items():
        number = 0
        for _missing in range(count - have[kind]):
            number += 1
            while f"{prefix}{number:02d}" in codes:
                number += 1
            codes.add(f"{prefix}{number:02d}")
            Bay.all_objects.create(store=store, code=f"{prefix}{number:02d}", name=f"{prefix}{number:02d}", kind=kind)


def _leave(store: Store, day: date) -> None:
    """Two technicians away for part of the bench day (the capacity reads the leave table)."""
    calendar = store_calendar(store)
    technicians = list(Technician.all_objects.filter(store=store, is_active=True).order_by("pk")[:2])
    hours = [(time(8, 0), time(12, 0)), (time(14, 0), time(19, 0))]
    for technician, (start, end) in zip(technicians, hours[: len(technicians)], strict=True):
        starts = datetime.combine(day, start, tzinfo=calendar.zone)
        if not Leave.objects.filter(technician=technician, starts_at__lt=starts + timedelta(hours=1)).filter(
            ends_at__gt=starts
        ):
            Leave.objects.create(
                technician=technician,
                starts_at=starts,
                ends_at=datetime.combine(day, end, tzinfo=calendar.zone),
                reason="调休",
            )


def _nearest(plan: DayPlan, needs: list[Need], wish: int) -> Placement | None:
    """Where ``needs`` fit at the start nearest ``wish`` (then the earlier), as the agent offers it."""
    if plan.opens is None or not plan.within_reserve(sum((need.hours for need in needs), Decimal(0))):
        return None
    for distance in range(plan.closes - plan.opens):
        for start in (wish - distance, wish + distance) if distance else (wish,):
            placement = plan.place(needs, start) if plan.opens <= start < plan.closes else None
            if placement is not None:
                return placement
    return None


def _contact(index: int) -> tuple[str, str, str]:
    name = SURNAMES[index * 7 % len(SURNAMES)] + GIVEN[index * 5 % len(GIVEN)]
    plate = f"沪{'ABCDEFGHJK'[index % 10]}{(index * 7919) % 100000:05d}"
    return name, f"139{index * 104729 % 100_000_000:08d}", plate


def _mixes(store: Store, operations: dict[str, LabourOperation]) -> dict[tuple[str, ...], list[Need]]:
    return {mix: needs_for(store, [f"operation:{operations[code].pk}" for code in mix]) for mix in set(DAY_MIX)}


@dataclass(frozen=True)
class Placed:
    index: int  # the booking's number in the cycle: its services and its contact
    mix: tuple[str, ...]
    placement: Placement
    wish: int


def _fill(plan: DayPlan, mixes: dict[tuple[str, ...], list[Need]], count: int, first: int) -> list[Placed]:
    """Place up to ``count`` bookings of the day's mix on ``plan`` (taking each), each at the start nearest
    its wish; stops early when the day is full (a whole cycle of the mix fits nowhere)."""
    placed: list[Placed] = []
    if plan.opens is None:
        return placed
    opens, span = plan.opens, plan.closes - plan.opens
    index, misses = first, 0
    while len(placed) < count and misses < len(DAY_MIX):
        mix = DAY_MIX[index % len(DAY_MIX)]
        wish = opens + (index * 11) % span
        index += 1
        placement = _nearest(plan, mixes[mix], wish)
        if placement is None:
            misses += 1
            continue
        misses = 0
        plan.take(placement, mixes[mix])
        placed.append(Placed(index, mix, placement, wish))
    return placed


def _write(store: Store, plan: DayPlan, mixes: dict[tuple[str, ...], list[Need]], placed: list[Placed]) -> None:
    """Write the placed bookings with their planned technician and advisor, their services on their bays
    (``appointment_services_write``, as a booking writes them) and their booking events."""
    agent = User.objects.filter(memberships__store=store, memberships__role__code="crm").order_by("pk").first()
    rows = []
    for booking in placed:
        name, mobile, plate = _contact(booking.index)
        placement = booking.placement
        rows.append(
            Appointment(
                store=store,
                number=number_next(store=store, doc_type="AP"),
                channel=("phone", "phone", "phone", "online", "phone", "walk_in", "online", "api")[booking.index % 8],
                contact_name=name,
                contact_mobile=mobile,
                plate_text=plate,
                starts_at=plan.at(placement.start),
                ends_at=plan.at(placement.end),
                wish_at=plan.at(booking.wish),
                hours=sum((need.hours for need in mixes[booking.mix]), Decimal(0)),
                advisor_id=placement.advisor_id,
                technician_id=placement.technician_id,
                documents="行驶证、保养手册",
                created_by=agent,
            )
        )
    Appointment.all_objects.bulk_create(rows)
    written = {
        row.number: row for row in Appointment.all_objects.filter(store=store, number__in=[row.number for row in rows])
    }
    for row, booking in zip(rows, placed, strict=True):
        appointment_services_write(written[row.number], plan, mixes[booking.mix], booking.placement)
    AppointmentEvent.objects.bulk_create(
        AppointmentEvent(appointment=written[row.number], actor=agent, action="book", from_state="", to_state="booked")
        for row in rows
    )


def booked_on(store: Store, plan: DayPlan) -> int:
    """The store's live bookings on the plan's day."""
    return Appointment.all_objects.filter(
        store=store, state=Appointment.State.BOOKED, starts_at__gte=plan.midnight, starts_at__lt=plan.at(24 * 4)
    ).count()


# What the set-up writes to, analysed afterwards on PostgreSQL as autovacuum would do shortly after
# (it is off on this machine's server): the planner then knows the tables' sizes.
WRITTEN = [
    Appointment,
    AppointmentService,
    AppointmentEvent,
    Technician,
    Shift,
    Leave,
    User,
    StaffMembership,
    StaffProfile,
    Certificate,
    Bay,
    LabourOperation,
]


def _analyse() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in WRITTEN:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@transaction.atomic
def store_day() -> StoreDay:
    """The first store with 40 technicians, 12 advisors and 30 bays, and 300 bookings on the bench day
    (what is missing written once, untimed); the bookings checked against the plan read back."""
    store = bench_store()
    day = bench_day(store)
    operations = _operations(store)
    _technicians(store)
    _staff(store, "advisor", "apt_adv", ADVISORS)
    _bays(store)
    _leave(store, day)
    booking_settings(store)
    plan = day_plan(store, day)
    booked = booked_on(store, plan)
    if booked < BOOKINGS:
        mixes = _mixes(store, operations)
        placed = _fill(plan, mixes, BOOKINGS - booked, booked)
        if booked + len(placed) < BOOKINGS:
            raise BenchFailure(f"slots: only {booked + len(placed)} bookings fit on {day}.")
        _write(store, plan, mixes, placed)
        again = day_plan(store, day)
        if (
            [(row.id, row.free, row.busy_steps) for row in again.technicians]
            != [(row.id, row.free, row.busy_steps) for row in plan.technicians]
            or [(row.id, row.free) for row in again.bays] != [(row.id, row.free) for row in plan.bays]
            or again.booked_hours != plan.booked_hours
        ):
            raise BenchFailure("slots: the bookings written do not read back as they were placed.")
        plan = again
        _analyse()
    return StoreDay(store, day, operations, plan)


def refs(operations: dict[str, LabourOperation], codes: tuple[str, ...]) -> list[str]:
    """The services of catalogue ``codes`` as a booking or a slots query names them."""
    return [f"operation:{operations[code].pk}" for code in codes]


def bookings_ahead(setting: StoreDay, count: int) -> list[dict[str, object]]:
    """``count`` bookings that fit one after another on the days after the bench day, as API payloads."""
    store, operations = setting.store, setting.operations
    mixes = _mixes(store, operations)
    calendar = store_calendar(store)
    payloads: list[dict[str, object]] = []
    day = setting.day
    while len(payloads) < count:
        day = weekday_after(calendar, day + timedelta(days=1))
        plan = day_plan(store, day)
        for booking in _fill(plan, mixes, count - len(payloads), booked_on(store, plan)):
            name, mobile, plate = _contact(booking.index)
            payloads.append(
                {
                    "store": store.code,
                    "starts_at": calendar.local(plan.at(booking.placement.start)).isoformat(),
                    "services": refs(operations, booking.mix),
                    "channel": "api",
                    "contact_name": name,
                    "contact_mobile": mobile,
                    "plate_text": plate,
                    "wish_at": calendar.local(plan.at(booking.wish)).isoformat(),
                    "description": "保养，顺便检查一下空调异味",
                }
            )
    return payloads
