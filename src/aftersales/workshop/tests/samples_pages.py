"""Access-matrix samples of the workshop's pages (``core.tests.routes`` merges them).

The world has no technicians: each sample makes the user who asks (or, when they may not work jobs,
the world's technician) a technician of SH01 on shift all week, and a signed order of its own visit
with a labour line (an assembly repair: it keeps an in-process inspection) and a part line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from aftersales.appointments.models import Shift, Technician
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.conftest import World
from aftersales.core.access import can
from aftersales.core.models import StaffProfile, User
from aftersales.visits import services as visits
from aftersales.workshop import services
from aftersales.workshop.models import ClockEvent, Job


def _worker(user: User, world: World) -> User:
    """The user when they may work jobs, else the world's technician: a technician of SH01 on shift."""
    worker = user if can(user, "workshop.work", store_id=world.sh.pk) else world.user("technician")
    profile, _created = StaffProfile.objects.get_or_create(user=worker)
    if profile.skill_level != "senior":
        profile.skill_level = "senior"
        profile.save()
    technician, created = Technician.objects.get_or_create(store=world.sh, user=worker)
    if created:
        Shift.objects.bulk_create(
            Shift(technician=technician, weekday=day, starts=time(0, 0), ends=time(23, 59)) for day in range(7)
        )
    return worker


def _assembly_operation(world: World) -> int:
    cached = world.__dict__.get("_workshop_operation")
    if cached is None:
        cached = LabourOperationFactory.create(
            group=world.sh.group, code="WS100", name="更换前制动片", repair_category="assembly"
        ).pk
        world.__dict__["_workshop_operation"] = cached
    return int(cached)


def _order(world: World) -> dict[str, int]:
    """A signed order of its own visit: labour (1, approved) and a part in stock (2, approved)."""
    from aftersales.core.tests.routes import _signature, _stock, _visit  # routes imports this module

    visit_id = _visit(world)
    # The assembly repair's pre-repair diagnosis record (the repair archive needs it before dispatch).
    visits.diagnosis_save(
        actor=world.user("advisor"),
        visit_id=visit_id,
        data=visits.DiagnosisIn(symptoms="异响", pre_repair_record="前轮制动片磨损至 2mm"),
    )
    order = visits.repair_order_create(
        actor=world.user("advisor"),
        visit_id=visit_id,
        data=visits.OrderIn(
            statement="刹车异响",
            signature=_signature(),
            signed_name="王五",
            lines=[
                visits.LineIn(kind="labour", operation_id=_assembly_operation(world)),
                visits.LineIn(kind="part", part_id=_stock(world)["part"].pk, quantity=Decimal(1)),
            ],
        ),
    )
    lines = dict(order.lines.values_list("position", "pk"))
    return {"order_id": order.pk, "labour": lines[1], "part": lines[2]}


def _job(user: User, world: World, *, clocked_on: bool = False) -> dict[str, int]:
    """A job of the user (or of the world's technician) dispatched by the foreman; on the clock when asked
    (and they are on no other job's clock)."""
    worker = _worker(user, world)
    order = _order(world)
    job = services.dispatch(
        actor=world.user("foreman"),
        order_id=order["order_id"],
        data=services.DispatchIn(line_id=order["labour"], technician_id=worker.pk),
    )
    if clocked_on and not Job.all_objects.filter(clocked_by=worker, state=Job.State.IN_PROGRESS).exists():
        services.clock(actor=worker, job_id=job.pk, data=services.ClockIn(action="on"))
    return {"job_id": job.pk, **order}


def _clock_entry(user: User, world: World) -> dict[str, Any]:
    """A job on the clock and its clock-on entry, with a time a minute earlier as the store's wall clock
    shows it (the form's datetime-local)."""
    job = _job(user, world, clocked_on=True)
    entry = ClockEvent.objects.filter(job_id=job["job_id"]).order_by("pk").first()
    if entry is None:  # the worker was on another job's clock: put this one on the clock first
        worker = Job.all_objects.get(pk=job["job_id"]).technician
        for other in Job.all_objects.filter(clocked_by=worker, state=Job.State.IN_PROGRESS):
            services.clock(actor=worker, job_id=other.pk, data=services.ClockIn(action="pause", reason="break"))
        services.clock(actor=worker, job_id=job["job_id"], data=services.ClockIn(action="on"))
        entry = ClockEvent.objects.get(job_id=job["job_id"])
    earlier = (entry.at - timedelta(minutes=1)).astimezone(world.sh.zone)
    return {"job_id": job["job_id"], "entry": entry.pk, "at": earlier.strftime("%Y-%m-%dT%H:%M")}


def _to_dispatch(user: User, world: World) -> dict[str, Any]:
    """An order with its labour to dispatch, and the user (or the world's technician) to take it."""
    worker = _worker(user, world)
    order = _order(world)
    return {"order": order, "worker": worker}


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "workshop:dispatch": lambda user, w: {"kwargs": {"order_id": _to_dispatch(user, w)["order"]["order_id"]}},
    "workshop:job": lambda user, w: {"kwargs": {"job_id": _job(user, w, clocked_on=True)["job_id"]}},
    "workshop:job_accept": lambda user, w: {"method": "POST", "kwargs": {"job_id": _job(user, w)["job_id"]}},
    "workshop:job_clock": lambda user, w: {
        "method": "POST",
        "kwargs": {"job_id": _job(user, w)["job_id"]},
        "data": {"action": "on"},
    },
    "workshop:job_note": lambda user, w: {
        "method": "POST",
        "kwargs": {"job_id": _job(user, w)["job_id"]},
        "data": {"text": "前轮制动片磨损至 2mm"},
    },
    "workshop:job_inspection": lambda user, w: {
        "method": "POST",
        "kwargs": {"job_id": _job(user, w, clocked_on=True)["job_id"]},
        "data": {"rows": "2", "item_0": "制动片厚度", "ok_0": "on", "item_1": "制动盘", "ok_1": "on"},
    },
    "workshop:job_finding": lambda user, w: {
        "method": "POST",
        "kwargs": {"job_id": _job(user, w)["job_id"]},
        "data": {"operation": str(_assembly_operation(w)), "description": "后制动片也已磨损", "symptom": "异响"},
    },
    "workshop:clock_correct": lambda user, w: {
        "method": "POST",
        "kwargs": {"job_id": (entry := _clock_entry(user, w))["job_id"]},
        "data": {"entry": str(entry["entry"]), "at": entry["at"], "reason": "忘记打卡"},
    },
    "workshop:job_parts": lambda user, w: {
        "method": "POST",
        "kwargs": {"job_id": (job := _job(user, w))["job_id"]},
        "data": {"line": str(job["part"]), "note": "左前"},
    },
}
