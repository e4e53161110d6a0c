"""Access-matrix samples of the workshop's API operations (``core.tests.routes`` merges them).

The world has no technicians: a sample makes the user who calls a technician of SH01 (with shifts and a
staff profile) when they may work jobs there, else the world's technician, and dispatches them a job of
a signed order of their own (the foreman dispatches)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from aftersales.appointments.models import Shift, Technician
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.conftest import World
from aftersales.core.access import can
from aftersales.core.models import StaffMembership, StaffProfile, User
from aftersales.visits import services as visits
from aftersales.workshop import services
from aftersales.workshop.models import ClockEvent, Job, PartsRequest

PART_NUMBER = "06L115562"  # the part ``core.tests.routes._stock`` keeps 1,000 of in SH01


def _worker(user: User, world: World) -> User:
    """``user`` if they may work jobs in SH01, else the world's technician: a technician of SH01 on shift
    every day, senior, so that any operation's level is met."""
    worker = user if can(user, "workshop.work", store_id=world.sh.pk) else world.user("technician")
    technician, created = Technician.objects.get_or_create(store=world.sh, user=worker)
    if created:
        Shift.objects.bulk_create(
            Shift(technician=technician, weekday=day, starts=time(8, 0), ends=time(18, 0)) for day in range(7)
        )
        profile, _created = StaffProfile.objects.get_or_create(user=worker)
        profile.skill_level = StaffProfile.SkillLevel.SENIOR
        profile.save()
    return worker


def _assembly_operation(world: World) -> int:
    """A labour operation of an assembly repair (it needs the in-process inspection record), one per world."""
    cached = world.__dict__.get("_assembly_operation")
    if cached is None:
        cached = LabourOperationFactory.create(group=world.sh.group, code="MX200", repair_category="assembly").pk
        world.__dict__["_assembly_operation"] = cached
    return int(cached)


def _order(world: World, *, assembly: bool = False, part: bool = False) -> dict[str, int]:
    """A signed order of its own visit: one approved labour line (an assembly repair, its pre-repair record
    kept, when asked) and, when asked, an approved line of a part in stock."""
    from aftersales.core.tests import routes  # routes merges these samples: imported when a sample runs

    advisor = world.user("advisor")
    visit_id = routes._visit(world)
    operation = _assembly_operation(world) if assembly else routes._operation(world)
    if assembly:
        visits.diagnosis_save(
            actor=advisor, visit_id=visit_id, data=visits.DiagnosisIn(symptoms="异响", pre_repair_record="制动片磨损")
        )
    lines = [visits.LineIn(kind="labour", operation_id=operation)]
    if part:
        lines.append(visits.LineIn(kind="part", part_id=routes._stock(world)["part"].pk, quantity=Decimal(1)))
    order = visits.repair_order_create(
        actor=advisor,
        visit_id=visit_id,
        data=visits.OrderIn(statement="保养", signature=routes._signature(), signed_name="王五", lines=lines),
    )
    positions = dict(order.lines.values_list("position", "pk"))
    return {"order_id": order.pk, "labour": positions[1], "part": positions.get(2, 0)}


def _job(user: User, world: World, *, assembly: bool = False, part: bool = False) -> tuple[Job, dict[str, int]]:
    """A job dispatched to the user (or the world's technician) on an order of its own."""
    order = _order(world, assembly=assembly, part=part)
    job = services.dispatch(
        actor=world.user("foreman"),
        order_id=order["order_id"],
        data=services.DispatchIn(order["labour"], technician_id=_worker(user, world).pk),
    )
    return job, order


def _clocked(user: User, world: World) -> dict[str, int]:
    """A job of the world's technician clocked on an hour ago and paused now, and that clock-on entry."""
    technician = world.user("technician")
    job, _order_ids = _job(technician, world)
    services.clock(
        actor=technician,
        job_id=job.pk,
        data=services.ClockIn("on"),
        now=timezone.now() - timedelta(hours=1),
    )
    # Paused at once: the next sample of the world's technician clocks on another job.
    services.clock(actor=technician, job_id=job.pk, data=services.ClockIn("pause", reason="break"))
    return {"job_id": job.pk, "event_id": ClockEvent.objects.get(job=job, kind="on").pk}


def _parts_request(user: User, world: World, *, issued: bool = False) -> int:
    """A request of the user (or the world's technician) for a part in stock, issued when asked: the parts
    desk issues only to the store's staff (a superuser outside it asks through the world's technician)."""
    if not StaffMembership.objects.filter(user=user, store=world.sh).exists():
        user = world.user("technician")
    _job_row, order = _job(user, world, part=True)
    worker = _worker(user, world)
    request = services.parts_request(actor=worker, order_id=order["order_id"], line_id=order["part"])
    if issued:
        services.parts_request_issue(actor=world.user("parts"), request_id=request.pk, part_number=PART_NUMBER)
    return request.pk


def _requested(world: World) -> int:
    request_id = _parts_request(world.user("technician"), world)
    assert PartsRequest.all_objects.filter(pk=request_id, state="requested").exists()
    return request_id


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "repair_order_dispatch_board": lambda user, w: {"kwargs": {"order_id": _order(w)["order_id"]}},
    "repair_order_dispatch": lambda user, w: {
        "kwargs": {"order_id": (order := _order(w))["order_id"]},
        "json": {"line": order["labour"], "technician": _worker(w.user("technician"), w).pk},
    },
    "job_redispatch": lambda user, w: {
        "kwargs": {"job_id": _job(w.user("technician"), w)[0].pk},
        "json": {"technician": _worker(w.user("technician"), w).pk},
    },
    "job_list": lambda user, w: {"query": {"store": "SH01"}},
    "job_detail": lambda user, w: {"kwargs": {"job_id": _job(w.user("technician"), w)[0].pk}},
    "job_accept": lambda user, w: {"kwargs": {"job_id": _job(user, w)[0].pk}},
    "job_clock": lambda user, w: {"kwargs": {"job_id": _job(user, w)[0].pk}, "json": {"action": "on"}},
    "job_clock_correct": lambda user, w: {
        "kwargs": _clocked(user, w),
        "json": {"at": (timezone.now() - timedelta(hours=2)).isoformat(), "reason": "忘记打卡"},
    },
    "job_inspection": lambda user, w: {
        "kwargs": {"job_id": _job(user, w, assembly=True)[0].pk},
        "json": {"items": [{"item": "制动片厚度", "ok": True}], "note": ""},
    },
    "job_finding": lambda user, w: {
        "kwargs": {"job_id": _job(user, w)[0].pk},
        "json": {"kind": "sublet", "description": "洗车", "unit_price": "50"},
    },
    "job_parts_request": lambda user, w: {
        "kwargs": {"job_id": (job := _job(user, w, part=True))[0].pk},
        "json": {"line": job[1]["part"]},
    },
    "parts_request_issue": lambda user, w: {
        "kwargs": {"request_id": _requested(w)},
        "json": {"part_number": PART_NUMBER},
    },
    "parts_request_receive": lambda user, w: {"kwargs": {"request_id": _parts_request(user, w, issued=True)}},
}
