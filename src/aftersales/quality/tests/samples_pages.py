"""Access-matrix samples of the quality pages (``core.tests.routes`` merges them), the documents' included.

Each sample takes a car of its own (the workshop's sample order: an assembly repair and a part) as far as
its page needs it: worked through by the world's technician, inspected by the world's QC inspector,
washed, handed over, checked and delivered. A page that only reads shares one car per world among the
roles; a comeback to decide is made afresh for each role that may decide it (a decision is taken once)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from aftersales.billing.tests.settle import paid
from aftersales.conftest import World
from aftersales.core.access import can
from aftersales.core.models import User
from aftersales.customers.models import Vehicle
from aftersales.customers.services.warranty import warranty_derive
from aftersales.parts.tests.factories import PartFactory
from aftersales.quality import services
from aftersales.quality.models import Comeback, SanbaoAlert, SanbaoPart
from aftersales.quality.services.delivery import agreed_lines
from aftersales.quality.tests import samples_api as audit_samples
from aftersales.visits.models import Line, RepairOrder
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
        paid(order, advisor=world.user("advisor"), cashier=world.user("cashier"))
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


# --- quality evaluations (the API's samples build them) ------------------------------------------------------


def _audit_page(world: World) -> dict[str, Any]:
    """The world's evaluation with a finding open and one actioned: every form of its page is on it."""
    key = "_quality_audit_page"
    if key not in world.__dict__:
        audit_id = audit_samples._audit(world)
        audit_samples._finding(world.user("qc"), world)
        audit_samples._finding(world.user("qc"), world, actioned=True)
        world.__dict__[key] = audit_id
    return {"kwargs": {"audit_id": world.__dict__[key]}}


def _post_if(
    user: User, world: World, permission: str, kwargs: Callable[[], dict[str, int]], data: dict[str, Any]
) -> dict[str, Any]:
    """A POST about a record of its own for a user who may send it; about none for one refused first."""
    missing = dict.fromkeys(("audit_id", "sample_id", "finding_id"), audit_samples.MISSING)
    built = kwargs() if can(user, permission, store_id=world.sh.pk) else missing
    return {"method": "POST", "kwargs": built, "data": data}


SAMPLES.update(
    {
        "quality:audit": lambda user, w: _audit_page(w),
        "quality:audit_review": lambda user, w: _post_if(
            user, w, "quality.audit", lambda: audit_samples._audit_sample(w), {"result": "pass", "score": "4"}
        ),
        "quality:audit_finding": lambda user, w: _post_if(
            user,
            w,
            "quality.audit",
            lambda: {"audit_id": audit_samples._audit(w)},
            {key: str(value) for key, value in audit_samples._finding_body(w).items()},
        ),
        "quality:audit_finding_action": lambda user, w: _post_if(
            user, w, "quality.view", lambda: audit_samples._finding(user, w), {"action_taken": "已培训"}
        ),
        "quality:audit_finding_close": lambda user, w: _post_if(
            user,
            w,
            "quality.audit",
            lambda: audit_samples._finding(user, w, actioned=True),
            {"verification": "抽查确认"},
        ),
        "quality:audit_close": lambda user, w: _post_if(
            user,
            w,
            "quality.audit",
            lambda: {"audit_id": audit_samples._reviewed_audit(w)},
            {"summary": "整体符合标准"},
        ),
    }
)


# --- the 三包 watch -----------------------------------------------------------------------------------------------


def _sanbao_car(world: World) -> dict[str, int]:
    """The world's household car (bought 30 days ago) with a signed order whose labour repairs a recorded
    fault of the sample part (listed as an engine main part) and an open alert: every form of its 三包 page."""
    key = "_quality_sanbao"
    if key not in world.__dict__:
        from aftersales.core.tests.routes import _stock  # routes imports this module

        part = _stock(world)["part"]
        order = _order(world)
        Line.all_objects.filter(pk=order["labour"]).update(
            causal_part_id=part.pk, fault_code="P0201", fault_symptom="发动机抖动"
        )
        vehicle = Vehicle.objects.get(pk=RepairOrder.all_objects.get(pk=order["order_id"]).vehicle_id)
        vehicle.use_type, vehicle.purchase_date = "household", timezone.localdate() - timedelta(days=30)
        warranty_derive(vehicle)
        fields = ("use_type", "purchase_date", "warranty_start", "warranty_end", "warranty_km_limit", "sanbao_end")
        Vehicle.objects.filter(pk=vehicle.pk).update(
            **{name: getattr(vehicle, name) for name in fields}, sanbao_km_limit=vehicle.sanbao_km_limit
        )
        SanbaoPart.objects.get_or_create(
            part=part, defaults={"group": world.sh.group, "system": "engine", "created_by": world.user("advisor")}
        )
        world.__dict__[key] = {"vehicle_id": vehicle.pk, "line_id": order["labour"]}
        _sanbao_alert(world)
    return dict(world.__dict__[key])


def _sanbao_alert(world: World) -> int:
    """An open early warning of the world's car (each one of its own: an answer closes it)."""
    car = world.__dict__["_quality_sanbao"]
    alert = SanbaoAlert.all_objects.create(
        store=world.sh,
        group_id=world.sh.group_id,
        vehicle_id=car["vehicle_id"],
        rule="long_repair",
        key=f"visit:{next(_SANBAO_KEYS)}",
        level="warning",
        subject="单次修理已满 5 日",
        value=5,
        threshold=5,
    )
    return alert.pk


_SANBAO_KEYS = itertools.count(1)


def _sanbao_pages(world: World) -> dict[str, Any]:
    """The store's alerts and the group's parts list: with the world's car, its alert and its part on them."""
    _sanbao_car(world)
    return {}


def _sanbao_part(user: User, world: World) -> int:
    """A part on the group's 三包 list to take off: afresh for a user who may, else a number no row has."""
    if not can(user, "quality.sanbao", store_id=world.sh.pk):
        return 999_999
    part = PartFactory.create(group=world.sh.group, brand=world.sh.brands.get())
    SanbaoPart.objects.create(group=world.sh.group, part=part, system="gearbox", created_by=world.user("advisor"))
    return part.pk


def _sanbao_act(user: User, world: World) -> int:
    _sanbao_car(world)
    if not can(user, "quality.sanbao", store_id=world.sh.pk) and "_quality_sanbao_alert" in world.__dict__:
        return int(world.__dict__["_quality_sanbao_alert"])
    world.__dict__["_quality_sanbao_alert"] = _sanbao_alert(world)
    return int(world.__dict__["_quality_sanbao_alert"])


SAMPLES.update(
    {
        "quality:sanbao": lambda user, w: {"kwargs": {"vehicle_id": _sanbao_car(w)["vehicle_id"]}},
        "quality:sanbao_line": lambda user, w: {
            "method": "POST",
            "kwargs": _sanbao_car(w),
            "data": {"cause": "quality", "safety": "", "note": "质量问题"},
        },
        "quality:sanbao_alerts": lambda user, w: _sanbao_pages(w),
        "quality:sanbao_parts": lambda user, w: _sanbao_pages(w),
        "quality:sanbao_alert_act": lambda user, w: {
            "method": "POST",
            "kwargs": {"alert_id": _sanbao_act(user, w)},
            "data": {"action": "customer_informed", "note": "已告知三包权利", "back": "list"},
        },
        "quality:sanbao_part_remove": lambda user, w: {
            "method": "POST",
            "kwargs": {"part_id": _sanbao_part(user, w)},
        },
    }
)
