"""The workshop's part of ``aftersales demo``: a working day in progress in each demo store. The
technicians' skill levels and certificates where missing, the bays where a store has none, a team (班组)
of the foreman and the technician, two more cars for the workshop (brakes waiting for parts; tyres for
alignment and balancing), and over today's signed orders the foreman's dispatch: the oil change done
(its order complete), the brake pads on the clock, the other brakes paused waiting for parts, the
alignment accepted by the team, the balancing dispatched but not accepted yet, and the oil change of the
order waiting for the customer's decisions left for the board to dispatch.

Everything about jobs goes through the workshop's services, by the store's foreman and technicians, the
clock set back so that the minutes on it are those of a morning's work. Deterministic (a seeded random
per store) and idempotent: a store that has jobs is left as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from aftersales.core.demo import BAYS, STORES, demo_username
from aftersales.core.models import Bay, Certificate, StaffProfile, Store, User
from aftersales.visits import services as visits_services
from aftersales.visits.demo import Reception
from aftersales.visits.models import Line, RepairOrder
from aftersales.workshop import services
from aftersales.workshop.models import Job, PauseReason, Team

TEAM_NAME = "机修一组"
# The workers of the demo: the roles that work jobs (workshop.work), with the skill level each has.
WORKERS = {"foreman": StaffProfile.SkillLevel.SENIOR, "technician": StaffProfile.SkillLevel.INTERMEDIATE}


@dataclass
class Crew:
    foreman: User
    technician: User
    team: Team
    bays: dict[str, Bay]


def _profiles(store: Store, users: dict[str, User]) -> int:
    """The workers' staff profiles with their skill level, and the technician's EV high-voltage licence
    (新能源汽车高压作业证), where missing."""
    made = 0
    for role, level in WORKERS.items():
        profile, new = StaffProfile.objects.get_or_create(
            user=users[role], defaults={"employee_no": f"{store.code}-{role.upper()}", "skill_level": level}
        )
        made += new
        if role == "technician" and not profile.certificates.filter(kind=Certificate.Kind.EV_HIGH_VOLTAGE).exists():
            Certificate.objects.create(
                profile=profile,
                kind=Certificate.Kind.EV_HIGH_VOLTAGE,
                name="新能源汽车高压作业证",
                valid_from=date(2025, 3, 1),
                valid_until=date(2028, 2, 28),
            )
            made += 1
    return made


def _bays(store: Store) -> int:
    """The demo's bays in a store that has none."""
    if Bay.objects.filter(store=store).exists():
        return 0
    for code, name, kind in BAYS:
        Bay.objects.create(store=store, code=code, name=name, kind=kind)
    return len(BAYS)


def _crew(store: Store) -> tuple[Crew, int]:
    users = {role: User.objects.get(username=demo_username(role, store.code)) for role in WORKERS}
    made = _profiles(store, users) + _bays(store)
    team, new = Team.all_objects.get_or_create(store=store, name=TEAM_NAME, defaults={"leader": users["foreman"]})
    if new:
        team.members.set([users["foreman"], users["technician"]])
        made += 1
    bays = {bay.code: bay for bay in Bay.objects.filter(store=store, is_active=True)}
    return Crew(users["foreman"], users["technician"], team, bays), made


def _cars(store: Store) -> dict[str, RepairOrder]:
    """Two more cars signed in for the workshop: brakes (the pads to come) and tyres (alignment and
    balancing), signed by the advisor through reception's services."""
    desk = Reception(store)
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs="刹车有异响，更换前刹车片")
    desk.walk_around(visit, photo=False)
    pads = desk.part(vehicle, "前刹车片")
    brakes = desk.sign(
        visit,
        [
            visits_services.LineIn(kind="labour", operation_id=desk.operation(vehicle, "B01").pk),
            *([visits_services.LineIn(kind="part", part_id=pads.pk, quantity=Decimal(1))] if pads is not None else []),
        ],
        "更换前刹车片",
    )
    customer, vehicle = desk.next_car()
    visit = desk.open(customer, vehicle, needs="换季换轮胎，做四轮定位和动平衡")
    desk.walk_around(visit, photo=False)
    tyres = desk.sign(
        visit,
        [
            visits_services.LineIn(kind="labour", operation_id=desk.operation(vehicle, "C03").pk),
            visits_services.LineIn(kind="labour", operation_id=desk.operation(vehicle, "C04").pk),
        ],
        "四轮定位和动平衡",
    )
    return {
        "brakes": RepairOrder.all_objects.get(pk=brakes),
        "tyres": RepairOrder.all_objects.get(pk=tyres),
    }


def _labour(order: RepairOrder, code: str) -> Line:
    """The order's approved labour line of the operation ``code`` (without the brand's prefix)."""
    return Line.all_objects.get(
        order=order, kind=Line.Kind.LABOUR, state=Line.State.APPROVED, operation__code__endswith=f"-{code}"
    )


def _store_demo(store: Store) -> int:
    crew, made = _crew(store)
    rng = random.Random(f"workshop-{store.code}")  # noqa: S311 (demo data, not a secret)
    orders = {order.visit.needs: order for order in RepairOrder.all_objects.filter(store=store).select_related("visit")}
    maintenance, started = orders["1万公里保养"], orders["更换前刹车片"]  # reception's demo signed these
    cars = _cars(store)
    now = timezone.now()

    def ago(minutes: int) -> datetime:
        """``minutes`` (and up to 4 more) before now: the steps below are at least 5 minutes apart."""
        return now - timedelta(minutes=minutes + rng.randint(0, 4))

    def dispatch(order: RepairOrder, code: str, bay: str, at: datetime, *, worker: User | None = None) -> Job:
        """The foreman dispatches the order's line of ``code`` to ``worker`` (none: the team) on ``bay``."""
        return services.dispatch(
            actor=crew.foreman,
            order_id=order.pk,
            data=services.DispatchIn(
                line_id=_labour(order, code).pk,
                technician_id=worker.pk if worker else None,
                team_id=None if worker else crew.team.pk,
                bay_id=crew.bays[bay].pk,
            ),
            now=at,
        )

    def clock(job: Job, actor: User, at: datetime, data: services.ClockIn) -> None:
        services.clock(actor=actor, job_id=job.pk, data=data, now=at)

    technician, foreman = crew.technician, crew.foreman
    # The oil change, done on the quick-service bay: its order is complete.
    job = dispatch(maintenance, "M01", "Q01", ago(110), worker=technician)
    clock(job, technician, ago(100), services.ClockIn(action="on"))
    report = "更换机油机滤，检查油位正常，复位保养提示。"
    clock(job, technician, ago(58), services.ClockIn(action="off", report=report))
    # The brake pads of the order the foreman started at reception: on the clock.
    job = dispatch(started, "B01", "A01", ago(50), worker=technician)
    clock(job, technician, ago(40), services.ClockIn(action="on"))
    # The other brakes, taken by the foreman: the pads on the shelf do not fit, paused for parts.
    job = dispatch(cars["brakes"], "B01", "A02", ago(80), worker=foreman)
    clock(job, foreman, ago(70), services.ClockIn(action="on"))
    waiting = services.ClockIn(action="pause", reason=PauseReason.PARTS, note="前刹车片型号不符，等配件部调货")
    clock(job, foreman, ago(30), waiting)
    # The tyres: the alignment accepted by the team, the balancing dispatched and not accepted yet.
    job = dispatch(cars["tyres"], "C03", "L01", ago(20))
    services.job_accept(actor=foreman, job_id=job.pk, now=ago(12))
    dispatch(cars["tyres"], "C04", "Q02", ago(5), worker=technician)
    # The oil change of the order waiting for the customer's decisions is left for the board to dispatch.
    return made + len(cars) + Job.all_objects.filter(store=store).count()


@transaction.atomic
def workshop_demo_install() -> int:
    """Install the working day of both demo stores once; returns the rows made (0 when they have jobs)."""
    made = 0
    for spec in STORES:
        store = Store.all_objects.filter(code=spec["code"]).first()
        if store is None or Job.all_objects.filter(store=store).exists():
            continue
        if not RepairOrder.all_objects.filter(store=store).exists():  # reception's demo did not run
            continue
        made += _store_demo(store)
    return made
