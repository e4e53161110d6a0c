"""Access-matrix samples of the quality pages (``core.tests.routes`` merges them), the documents' included.

Each sample takes a car of its own (the workshop's sample order: an assembly repair and a part) as far as
its page needs it: worked through by the world's technician, inspected by the world's QC inspector,
washed, handed over, checked and delivered. A page that only reads shares one car per world among the
roles; a comeback to decide is made afresh for each role that may decide it (a decision is taken once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.access import can
from aftersales.core.models import User
from aftersales.quality import services
from aftersales.quality.models import Comeback
from aftersales.quality.services.delivery import agreed_lines
from aftersales.visits.models import RepairOrder
from aftersales.workshop.services import (
    ClockIn,
    DispatchIn,
    clock,
    dispatch,
    inspection_record,
    parts_request,
    parts_request_issue,
)
from aftersales.workshop.services.work import InspectionItem
from aftersales.workshop.tests.samples_pages import _order, _worker

STAGES = ("completed", "inspected", "washed", "handed_over", "ready", "delivered")


def _completed(world: World) -> RepairOrder:
    """A signed order of its own car worked through by the world's technician: the part issued, the assembly
    repair clocked on and off with its in-process inspection."""
    technician = _worker(world.user("technician"), world)
    order = _order(world)
    job = dispatch(
        actor=world.user("foreman"),
        order_id=order["order_id"],
        data=DispatchIn(line_id=order["labour"], technician_id=technician.pk),
    )
    request = parts_request(actor=technician, order_id=order["order_id"], line_id=order["part"])
    parts_request_issue(actor=world.user("parts"), request_id=request.pk, part_number="06L115562")
    start = timezone.now() - timedelta(hours=2)
    clock(actor=technician, job_id=job.pk, data=ClockIn("on"), now=start)
    inspection_record(actor=world.user("foreman"), job_id=job.pk, items=[InspectionItem("制动片安装", True)])
    clock(
        actor=technician,
        job_id=job.pk,
        data=ClockIn("off", fault_verified=True, report="更换完成"),
        now=start + timedelta(hours=1),
    )
    return RepairOrder.all_objects.select_related("visit").get(pk=order["order_id"])


def _signature() -> str:
    from aftersales.core.tests.routes import _signature as signature  # routes imports this module

    return signature()


def _moved(world: World, stage: str) -> RepairOrder:
    """A car of its own taken to ``stage`` (one of ``STAGES``)."""
    order = _completed(world)
    visit_id = order.visit_id
    steps = STAGES.index(stage)
    if steps >= 1:
        services.final_inspection_record(
            actor=world.user("qc"),
            order_id=order.pk,
            data=services.InspectionIn(
                checks=[services.CheckIn(True) for _check in services.checklist(order)],
                road_test="not_needed",
                passed=True,
                signature=_signature(),
            ),
        )
    if steps >= 2:
        rules = services.quality_settings(world.sh.pk)
        services.wash_record(
            actor=world.user("washer"),
            visit_id=visit_id,
            data=services.WashIn(
                spot="F-01", nose_out=True, washer_id=world.user("washer").pk, checks=[True] * len(rules.wash_checks)
            ),
        )
    if steps >= 3:
        services.handover_record(
            actor=world.user("foreman"),
            visit_id=visit_id,
            data=services.HandoverIn(keys="K-01", explanation="更换前制动片"),
        )
    if steps >= 4:
        services.ready_check(
            actor=world.user("advisor"),
            visit_id=visit_id,
            data=services.ReadyIn(
                lines=[services.LineCheckIn(line.pk, True) for line in agreed_lines([order])],
                car_checked=True,
                pickup_spot="P-01",
            ),
        )
    if steps >= 5:
        services.pickup_arrived(actor=world.user("advisor"), visit_id=visit_id)
        rules = services.quality_settings(world.sh.pk)
        services.delivery_record(
            actor=world.user("advisor"),
            visit_id=visit_id,
            data=services.DeliveryIn(
                collector="customer",
                collector_name="王五",
                signature=_signature(),
                mileage_out=10_005,
                keys_handed=True,
                next_service_on=date.today() + timedelta(days=180),
                next_service_km=20_000,
                free_checks=[services.FreeCheckIn("green") for _check in rules.delivery_checks],
            ),
        )
    return RepairOrder.all_objects.get(pk=order.pk)


def _at(world: World, stage: str) -> RepairOrder:
    """The world's one car at ``stage``, for pages that only read it."""
    key = f"_quality_{stage}"
    if key not in world.__dict__:
        world.__dict__[key] = _moved(world, stage)
    order: RepairOrder = world.__dict__[key]
    return order


def _flagged(user: User, world: World) -> int:
    """A comeback to decide: afresh for a user who may decide it, else one per world (they are refused
    before it is read). Flagged directly: the service that finds comebacks is tested with it."""
    if not can(user, "visits.qc_confirm", store_id=world.sh.pk) and "_quality_comeback" in world.__dict__:
        return int(world.__dict__["_quality_comeback"])
    original = RepairOrder.all_objects.get(pk=_order(world)["order_id"])
    order = RepairOrder.all_objects.get(pk=_order(world)["order_id"])
    comeback = Comeback(store=world.sh, order=order, original=original, vehicle_id=order.vehicle_id, in_guarantee=True)
    comeback.save(actor=None)
    world.__dict__["_quality_comeback"] = comeback.pk
    return comeback.pk


def _order_id(stage: str) -> Callable[[User, World], dict[str, Any]]:
    return lambda user, w: {"kwargs": {"order_id": _at(w, stage).pk}}


def _visit_id(stage: str) -> Callable[[User, World], dict[str, Any]]:
    return lambda user, w: {"kwargs": {"visit_id": _at(w, stage).visit_id}}


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "quality:inspect": _order_id("completed"),
    "quality:qc_pdf": _order_id("inspected"),
    "quality:certificate_pdf": _order_id("inspected"),
    "quality:wash": _visit_id("inspected"),
    "quality:handover": _visit_id("washed"),
    "quality:check": _visit_id("handed_over"),
    # The customer's arrival: the first press counts, a second changes nothing (every role may press it).
    "quality:arrived": lambda user, w: {"method": "POST", "kwargs": {"visit_id": _at(w, "ready").visit_id}},
    "quality:delivery": _visit_id("ready"),
    "quality:delivery_pdf": _visit_id("delivered"),
    "quality:guarantee_pdf": _visit_id("delivered"),
    "quality:comeback_decide": lambda user, w: {
        "method": "POST",
        "kwargs": {"comeback_id": _flagged(user, w)},
        "data": {"decision": "reject", "note": "新故障，与上次维修无关"},
    },
}
