"""The workshop's scenarios, in the first store of a ``bench generate`` database:

- ``board``: ``GET /workshop/board/``, the foreman's job board of a store with 200 open orders of 3 approved
  labour lines each: on every order one line waits for dispatch, one is assigned and one is accepted, on
  the clock, paused or done (the states in turn), dispatched to 6 technicians over 7 bays. The query count
  is the same whatever the number of orders.
- ``clock``: ``POST /api/v1/jobs/{id}/clock`` as the job's technician (token), the calls clocking on and
  pausing (a break) in turn.

The technicians are senior with every certificate (the store's brands too) and work every day round the
clock, so that any operation of the catalogue may go to any of them; each bay type has one bay.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from aftersales.catalogue.models import LabourOperation
from aftersales.core.models import Bay, Store, User
from aftersales.core.services import token_create
from aftersales.visits import services as visits
from aftersales.visits.models import RepairOrder
from aftersales.visits.transitions import RECORD_CATEGORIES
from aftersales.workshop import services
from aftersales.workshop.models import Job
from bench.appointments.store_day import store_day
from bench.registry import BenchContext, BenchFailure, Call, scenario
from bench.visits import _catalogue, _signature, _staff, _visits, workshop_setup

# The board's open orders (the figure); the bench test sets fewer.
ORDERS = 200
BOARD_MARK = "基准：看板"
CLOCK_MARK = "基准：打卡"


def _foreman(store: Store) -> User:
    return _staff(store, "bench_foreman", "foreman", "基准车间主管")


def _bay(bays: dict[str, Bay], operation: LabourOperation | None) -> int | None:
    return bays[operation.bay_kind].pk if operation is not None and operation.bay_kind else None


def _orders(store: Store, advisor: User, operations: list[LabourOperation], count: int, mark: str) -> list[RepairOrder]:
    """``count`` signed orders of 3 approved labour lines each, on cars new to the store (the pre-repair
    record kept, so that any repair category may start)."""
    made = []
    for index, visit_id in enumerate(_visits(store, advisor, count)):
        rows = [
            visits.LineIn(kind="labour", operation_id=operations[(index * 3 + offset) % len(operations)].pk)
            for offset in range(3)
        ]
        visits.diagnosis_save(
            actor=advisor,
            visit_id=visit_id,
            data=visits.DiagnosisIn(symptoms="基准", pre_repair_record="基准：维修前诊断检验记录"),
        )
        made.append(
            visits.repair_order_create(
                actor=advisor,
                visit_id=visit_id,
                data=visits.OrderIn(statement=mark, signature=_signature(), signed_name="基准客户", lines=rows),
            )
        )
    return made


def _board_orders(store: Store) -> int:
    advisor = _staff(store, "bench_advisor", "advisor", "基准服务顾问")
    foreman = _foreman(store)
    technicians, bays = workshop_setup(store)
    have = RepairOrder.all_objects.filter(store=store, customer_statement=BOARD_MARK).count()
    if have < ORDERS:
        _orders(store, advisor, _catalogue(store), ORDERS - have, BOARD_MARK)
    # Each order without jobs yet gets its two: one assigned, one further on (the states in turn).
    waiting = (
        RepairOrder.all_objects.filter(store=store, customer_statement=BOARD_MARK, jobs=None).order_by("pk").distinct()
    )
    start = timezone.now() - timedelta(hours=2)
    states = itertools.cycle(["accepted", "on", "paused", "done"])
    workers = itertools.cycle(technicians)
    for order in waiting:
        lines = list(order.lines.select_related("operation").order_by("position"))
        for line, target in zip(lines[1:], ["assigned", next(states)], strict=True):
            worker = next(workers)
            job = services.dispatch(
                actor=foreman,
                order_id=order.pk,
                data=services.DispatchIn(line.pk, technician_id=worker.pk, bay_id=_bay(bays, line.operation)),
            )
            if target == "assigned":
                continue
            services.job_accept(actor=worker, job_id=job.pk)
            if target in ("on", "paused", "done"):
                # Each technician's clock holds one job at a time: the others are paused or done first.
                for other in Job.all_objects.filter(clocked_by=worker, state="in_progress"):
                    services.clock(actor=worker, job_id=other.pk, data=services.ClockIn("pause", reason="other_job"))
                services.clock(actor=worker, job_id=job.pk, data=services.ClockIn("on"), now=start)
            if target == "done" and line.repair_category in RECORD_CATEGORIES:
                services.inspection_record(actor=worker, job_id=job.pk, items=[services.InspectionItem("基准", True)])
            if target in ("paused", "done"):
                action = "pause" if target == "paused" else "off"
                services.clock(
                    actor=worker,
                    job_id=job.pk,
                    data=services.ClockIn(
                        action, reason="parts" if action == "pause" else "", fault_verified=True, report="基准"
                    ),
                    now=start + timedelta(minutes=40),
                )
    return ORDERS


@scenario(
    "board",
    "GET /workshop/board/: the foreman's job board of a store with 200 open orders (600 labour lines: 200 to "
    "dispatch, 400 jobs in every state)",
)
def _board(bench: BenchContext) -> Call:
    store = store_day().store
    orders = _board_orders(store)
    client = Client()
    client.force_login(_foreman(store))
    jobs = Job.all_objects.filter(store=store, order__customer_statement=BOARD_MARK)
    counts = {state: jobs.filter(state=state).count() for state in Job.State.values}
    print(f"  board: {orders:,} open orders at {store.code}; jobs " + ", ".join(f"{k} {v}" for k, v in counts.items()))

    def call() -> HttpResponse:
        response: HttpResponse = client.get("/workshop/board/")  # type: ignore[assignment]
        return response

    return call


@scenario("clock", "POST /api/v1/jobs/{id}/clock: a technician clocks on and pauses one job in turn (token)")
def _clock(bench: BenchContext) -> Call:
    store = store_day().store
    advisor = _staff(store, "bench_advisor", "advisor", "基准服务顾问")
    foreman = _foreman(store)
    technicians, bays = workshop_setup(store)
    technician = technicians[-1]
    job = Job.all_objects.filter(store=store, order__customer_statement=CLOCK_MARK).first()
    if job is None:
        (order,) = _orders(store, advisor, _catalogue(store), 1, CLOCK_MARK)
        line = order.lines.select_related("operation").order_by("position").first()
        if line is None:
            raise BenchFailure("clock: the order has no line.")
        job = services.dispatch(
            actor=foreman,
            order_id=order.pk,
            data=services.DispatchIn(line.pk, technician_id=technician.pk, bay_id=_bay(bays, line.operation)),
        )
        services.job_accept(actor=technician, job_id=job.pk)
    for other in Job.all_objects.filter(clocked_by=technician, state="in_progress"):
        services.clock(actor=technician, job_id=other.pk, data=services.ClockIn("pause", reason="other_job"))
    _token, raw = token_create(user=technician, name="bench-clock")
    headers = {"authorization": f"Bearer {raw}"}
    path = f"/api/v1/jobs/{job.pk}/clock"
    bodies = itertools.cycle([json.dumps({"action": "on"}), json.dumps({"action": "pause", "reason": "break"})])
    print(f"  clock: job {job.pk} of {technician.username}, {job.clock.count():,} clock entries so far")

    def call() -> HttpResponse:
        response: HttpResponse = bench.client.post(  # type: ignore[assignment]
            path, next(bodies), content_type="application/json", headers=headers
        )
        return response

    return call
