"""Access-matrix samples of quality's API operations (``core.tests.routes`` merges them).

An allowed caller gets a record of its own, as far along as the operation needs: an order the world's
technician finished, inspected by the world's QC inspector, washed by its washer, handed over by its
foreman, checked and delivered by its advisor. A caller the operation refuses gets a well-formed request
about a record that does not exist: the permission is checked first, so it must answer 403 (a 404 would be
a leak the matrix reports)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from aftersales.billing.tests.settle import paid
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.conftest import World
from aftersales.core.access import can
from aftersales.core.models import User
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.parts.tests.factories import PartFactory
from aftersales.quality import services
from aftersales.quality.models import AuditSample, Comeback, SanbaoAlert, SanbaoPart
from aftersales.quality.services.common import staff_of
from aftersales.quality.services.delivery import agreed_lines
from aftersales.visits import services as visits
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop import services as workshop
from aftersales.workshop.tests import samples_api as workshop_samples

MISSING = 2**40  # no record has this id: a refused caller's request is about nothing


def _signature() -> str:
    from aftersales.core.tests import routes  # routes merges these samples: imported when a sample runs

    return routes._signature()


def _completed(world: World) -> RepairOrder:
    """An order of its own visit whose one labour line the world's technician did: completed."""
    technician = world.user("technician")
    job, ids = workshop_samples._job(technician, world)
    now = timezone.now()
    workshop.clock(actor=technician, job_id=job.pk, data=workshop.ClockIn("on"), now=now - timedelta(hours=1))
    workshop.clock(
        actor=technician,
        job_id=job.pk,
        data=workshop.ClockIn("off", fault_verified=True, report="完成"),
        now=now - timedelta(minutes=5),
    )
    return RepairOrder.all_objects.get(pk=ids["order_id"])


def _inspection(order: RepairOrder) -> dict[str, Any]:
    return {
        "checks": [{"ok": True} for _check in services.checklist(order)],
        "road_test": "not_needed",
        "passed": True,
        "fault_verified": True,
        "signature": _signature(),
    }


def _inspected(world: World) -> RepairOrder:
    order = _completed(world)
    body = _inspection(order)
    services.final_inspection_record(
        actor=world.user("qc"),
        order_id=order.pk,
        data=services.InspectionIn(
            checks=[services.CheckIn(ok=True) for _check in body["checks"]],
            road_test="not_needed",
            passed=True,
            fault_verified=True,
            signature=body["signature"],
        ),
    )
    return order


def _wash(world: World) -> dict[str, Any]:
    washes = len(services.quality_settings(world.sh).wash_checks)
    return {"spot": "F-01", "nose_out": True, "washer": world.user("washer").pk, "checks": [True] * washes}


def _washed(world: World) -> RepairOrder:
    order = _inspected(world)
    body = _wash(world)
    services.wash_record(
        actor=world.user("washer"),
        visit_id=order.visit_id,
        data=services.WashIn(spot=body["spot"], nose_out=True, washer_id=body["washer"], checks=body["checks"]),
    )
    return order


def _handed_over(world: World) -> RepairOrder:
    order = _washed(world)
    services.handover_record(
        actor=world.user("foreman"), visit_id=order.visit_id, data=services.HandoverIn(keys="K-01", explanation="保养")
    )
    return order


def _check(order: RepairOrder) -> dict[str, Any]:
    return {
        "lines": [{"line": line.pk, "ok": True} for line in agreed_lines([order])],
        "car_checked": True,
        "pickup_spot": "P-01",
    }


def _ready(world: World, *, arrived: bool = True) -> RepairOrder:
    order = _handed_over(world)
    services.ready_check(
        actor=world.user("advisor"),
        visit_id=order.visit_id,
        data=services.ReadyIn(
            lines=[services.LineCheckIn(line_id=line.pk, ok=True) for line in agreed_lines([order])],
            car_checked=True,
            pickup_spot="P-01",
        ),
    )
    if arrived:
        services.pickup_arrived(actor=world.user("advisor"), visit_id=order.visit_id)
        paid(order, advisor=world.user("advisor"), cashier=world.user("cashier"))  # settled at the counter
    return order


def _delivery(world: World, visit: Visit) -> dict[str, Any]:
    return {
        "collector": "customer",
        "collector_name": "王五",
        "signature": _signature(),
        "mileage_out": visit.mileage_in + 5,
        "keys_handed": True,
        "next_service_on": (timezone.now() + timedelta(days=180)).date().isoformat(),
        "next_service_km": visit.mileage_in + 10_000,
        "free_checks": [{"result": "green"}] * len(services.quality_settings(world.sh).delivery_checks),
    }


def _delivered(world: World) -> RepairOrder:
    order = _ready(world)
    visit = Visit.all_objects.get(pk=order.visit_id)
    body = _delivery(world, visit)
    services.delivery_record(
        actor=world.user("advisor"),
        visit_id=visit.pk,
        data=services.DeliveryIn(
            collector="customer",
            collector_name="王五",
            signature=body["signature"],
            mileage_out=body["mileage_out"],
            keys_handed=True,
            next_service_on=(timezone.now() + timedelta(days=180)).date(),
            next_service_km=body["next_service_km"],
            free_checks=[services.FreeCheckIn("green") for _row in body["free_checks"]],
        ),
    )
    return order


def _back(world: World, original: RepairOrder, operation_id: int) -> RepairOrder:
    """A new order on the delivered car, of one labour line of ``operation_id``."""
    from aftersales.core.tests import routes

    visit = visits.visit_open(
        actor=world.user("advisor"),
        data=visits.VisitIn(
            store_id=world.sh.pk,
            customer_id=original.customer_id,
            vehicle_id=original.vehicle_id,
            mileage_in=original.mileage_in + 100,
            fuel_level=4,
            contact_mobile="13800000000",
            promised_at=timezone.now() + timedelta(days=1),
        ),
    )
    return visits.repair_order_create(
        actor=world.user("advisor"),
        visit_id=visit.pk,
        data=visits.OrderIn(
            statement="又有异响",
            signature=routes._signature(),
            signed_name="王五",
            lines=[visits.LineIn(kind="labour", operation_id=operation_id)],
        ),
    )


def _flagged(world: World) -> int:
    """A comeback to decide: the same work again on a car delivered today."""
    from aftersales.core.tests import routes

    original = _delivered(world)
    order = _back(world, original, routes._operation(world))
    return int(Comeback.all_objects.get(order=order).pk)


def _other_work(world: World) -> int:
    """An electrical operation (one per world): no category in common with the world's operation."""
    cached = world.__dict__.get("_electrical_operation")
    if cached is None:
        cached = LabourOperationFactory.create(group=world.sh.group, code="EL900", category="electrical").pk
        world.__dict__["_electrical_operation"] = cached
    return int(cached)


def _flag(world: World) -> dict[str, Any]:
    original = _delivered(world)
    order = _back(world, original, _other_work(world))
    line = Line.all_objects.get(order=order, position=1)
    earlier = Line.all_objects.get(order=original, position=1)
    return {"order": order.pk, "original_order": original.pk, "lines": [[line.pk, earlier.pk]]}


def _if(
    user: User, world: World, permission: str, build: Callable[[], dict[str, Any]], refused: dict[str, Any]
) -> dict[str, Any]:
    return build() if can(user, permission, store_id=world.sh.pk) else refused


def _order_body(user: User, world: World) -> dict[str, Any]:
    if not can(user, "quality.inspect", store_id=world.sh.pk):
        return {"kwargs": {"order_id": MISSING}, "json": {"checks": [], "road_test": "not_needed", "passed": True}}
    order = _completed(world)
    return {"kwargs": {"order_id": order.pk}, "json": _inspection(order)}


def _visit_step(
    user: User, world: World, permission: str, build: Callable[[], RepairOrder], body: Callable[[RepairOrder], Any]
) -> dict[str, Any]:
    if not can(user, permission, store_id=world.sh.pk):
        return {"kwargs": {"visit_id": MISSING}, "json": body_for_refused(permission, world)}
    order = build()
    answer: dict[str, Any] = {"kwargs": {"visit_id": order.visit_id}}
    json = body(order)
    if json is not None:
        answer["json"] = json
    return answer


def body_for_refused(permission: str, world: World) -> Any:
    """A well-formed body for a request that must be refused before it is read."""
    return {
        "quality.wash": {"spot": "F-01", "nose_out": True},
        "quality.handover": {"keys": "K", "explanation": "x"},
    }.get(permission)


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "repair_order_qc": lambda user, w: {"kwargs": {"order_id": _completed(w).pk}},
    "repair_order_qc_record": _order_body,
    "visit_delivery": lambda user, w: {"kwargs": {"visit_id": _inspected(w).visit_id}},
    "visit_wash": lambda user, w: _visit_step(user, w, "quality.wash", lambda: _inspected(w), lambda o: _wash(w)),
    "visit_handover": lambda user, w: _visit_step(
        user, w, "quality.handover", lambda: _washed(w), lambda o: {"keys": "K-01", "explanation": "保养"}
    ),
    "visit_ready_check": lambda user, w: (
        {"kwargs": {"visit_id": (order := _handed_over(w)).visit_id}, "json": _check(order)}
        if can(user, "quality.deliver", store_id=w.sh.pk)
        else {"kwargs": {"visit_id": MISSING}, "json": {"lines": [], "car_checked": True, "pickup_spot": "P"}}
    ),
    "visit_pickup_arrival": lambda user, w: _visit_step(
        user, w, "quality.deliver", lambda: _ready(w, arrived=False), lambda o: None
    ),
    "visit_deliver": lambda user, w: (
        {
            "kwargs": {"visit_id": (order := _ready(w)).visit_id},
            "json": _delivery(w, Visit.all_objects.get(pk=order.visit_id)),
        }
        if can(user, "quality.deliver", store_id=w.sh.pk)
        else {"kwargs": {"visit_id": MISSING}, "json": {**_delivery(w, Visit(mileage_in=0)), "signature": ""}}
    ),
    "comeback_list": lambda user, w: {"query": {"store": "SH01"}},
    "comeback_create": lambda user, w: (
        {"json": _flag(w)}
        if can(user, "visits.qc_confirm", store_id=w.sh.pk)
        else {"json": {"order": MISSING, "original_order": MISSING, "lines": [[MISSING, MISSING]]}}
    ),
    "comeback_decision": lambda user, w: (
        {"kwargs": {"comeback_id": _flagged(w)}, "json": {"confirm": False, "note": "非返修"}}
        if can(user, "visits.qc_confirm", store_id=w.sh.pk)
        else {"kwargs": {"comeback_id": MISSING}, "json": {"confirm": False, "note": "x"}}
    ),
    "comeback_detail": lambda user, w: _if(
        user,
        w,
        "quality.view",
        lambda: {"kwargs": {"comeback_id": _flagged(w)}},
        {"kwargs": {"comeback_id": MISSING}},
    ),
    "comeback_rate_report": lambda user, w: {"query": {"store": "SH01"}},
    "vehicle_guarantees": lambda user, w: _if(
        user,
        w,
        "quality.view",
        lambda: {"kwargs": {"vehicle_id": _delivered(w).vehicle_id}},
        {"kwargs": {"vehicle_id": MISSING}},
    ),
    "quality_settings_get": lambda user, w: {"query": {"store": "SH01"}},
    "quality_settings_put": lambda user, w: {
        "json": {
            "store": "SH01",
            "final_checks": ["灯光正常"],
            "wash_checks": ["车身"],
            "delivery_checks": [f"检查 {n}" for n in range(1, 25)],
            "comeback_days": 30,
        },
    },
}


# --- the 三包 watch -----------------------------------------------------------------------------------------


def _sanbao_vehicle(world: World) -> int:
    return int(VehicleFactory.create(use_type="household").pk)


def _fault_line(world: World) -> dict[str, Any]:
    """A line of a finished order that repairs a recorded fault (its causal part), to be read for 三包."""
    order = _completed(world)
    part = PartFactory.create(group=world.sh.group, brand=world.sh.brands.get())
    line = Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR).order_by("position").first()
    assert line is not None
    Line.all_objects.filter(pk=line.pk).update(fault_code="C1234", fault_symptom="异响", causal_part=part)
    return {"kwargs": {"vehicle_id": order.vehicle_id, "line_id": line.pk}, "json": {"cause": "quality"}}


def _sanbao_alert(world: World) -> int:
    alert = SanbaoAlert.all_objects.create(
        store=world.sh,
        group_id=world.sh.group_id,
        vehicle_id=_sanbao_vehicle(world),
        rule="same_problem",
        level="warning",
        key="part:1",
        subject="前制动片：4 次修理",
        value=4,
        threshold=4,
    )
    return int(alert.pk)


def _sanbao_part(world: World, *, listed: bool) -> Any:
    part = PartFactory.create(group=world.sh.group, brand=world.sh.brands.get())
    if listed:
        SanbaoPart.objects.create(group=world.sh.group, part=part, system="engine", created_by=world.user("admin"))
    return part


SAMPLES.update(
    {
        "warranty_watch": lambda user, w: _if(
            user,
            w,
            "quality.view",
            lambda: {"kwargs": {"vehicle_id": _sanbao_vehicle(w)}},
            {"kwargs": {"vehicle_id": MISSING}},
        ),
        "warranty_watch_line": lambda user, w: _if(
            user,
            w,
            "quality.sanbao",
            lambda: _fault_line(w),
            {"kwargs": {"vehicle_id": MISSING, "line_id": MISSING}, "json": {"cause": "quality"}},
        ),
        "warranty_alerts": lambda user, w: {"query": {"store": "SH01"}},
        "warranty_alert_action": lambda user, w: _if(
            user,
            w,
            "quality.sanbao",
            lambda: {"kwargs": {"alert_id": _sanbao_alert(w)}, "json": {"action": "customer_informed"}},
            {"kwargs": {"alert_id": MISSING}, "json": {"action": "customer_informed"}},
        ),
        "sanbao_parts": lambda user, w: {"query": {"store": "SH01"}},
        "sanbao_part_put": lambda user, w: _if(
            user,
            w,
            "quality.sanbao",
            lambda: {"json": {"store": "SH01", "number": _sanbao_part(w, listed=False).number, "system": "brake"}},
            {"json": {"store": "SH01", "number": "X1", "system": "brake"}},
        ),
        "sanbao_part_delete": lambda user, w: _if(
            user,
            w,
            "quality.sanbao",
            lambda: {"kwargs": {"part_id": _sanbao_part(w, listed=True).pk}},
            {"kwargs": {"part_id": MISSING}},
        ),
    }
)


# --- quality evaluations ------------------------------------------------------------------------------------


def _audit_day(world: World) -> str:
    """Today in the world's store, when its one delivered order for the evaluations was delivered."""
    key = "_quality_audit_delivered"
    if key not in world.__dict__:
        _delivered(world)
        world.__dict__[key] = timezone.now().astimezone(world.sh.zone).date()
    return str(world.__dict__[key].isoformat())


def _audit_body(world: World | None = None) -> dict[str, Any]:
    day = _audit_day(world) if world is not None else "2026-01-01"
    return {
        "store": "SH01",
        "kind": "internal",
        "auditor": "质量部",
        "standard": "售后服务流程标准",
        "period_from": day,
        "period_to": day,
        "sample_size": 1,
    }


def _audit(world: World, *, shared: bool = True) -> int:
    """An open evaluation of the world's delivered order (one per world unless ``shared`` is False)."""
    if shared and "_quality_audit" in world.__dict__:
        return int(world.__dict__["_quality_audit"])
    body = _audit_body(world)
    audit = services.audit_open(
        actor=world.user("qc"),
        store_id=world.sh.pk,
        data=services.AuditIn(
            kind="internal",
            auditor=body["auditor"],
            standard=body["standard"],
            period_from=date.fromisoformat(body["period_from"]),
            period_to=date.fromisoformat(body["period_to"]),
            sample_size=1,
        ),
    )
    if shared:
        world.__dict__["_quality_audit"] = audit.pk
    return int(audit.pk)


def _audit_sample(world: World) -> dict[str, int]:
    audit_id = _audit(world)
    return {
        "audit_id": audit_id,
        "sample_id": AuditSample.objects.filter(audit_id=audit_id).values_list("pk", flat=True)[0],
    }


def _finding_body(world: World, owner: User | None = None) -> dict[str, Any]:
    return {
        "severity": "minor",
        "description": "接待未递送名片",
        "corrective_action": "接待话术培训",
        "owner": (owner or world.user("qc")).pk,
        "due_on": timezone.now().astimezone(world.sh.zone).date().isoformat(),
    }


def _finding(user: User, world: World, *, actioned: bool = False) -> dict[str, int]:
    """A fresh finding of the world's evaluation, owned by ``user`` where they may own one (else the QC
    inspector's), its action recorded when asked."""
    audit_id = _audit(world)
    owner = user if staff_of(world.sh.pk, user.pk) and can(user, "quality.view", store_id=world.sh.pk) else None
    body = _finding_body(world, owner)
    finding = services.finding_add(
        actor=world.user("qc"),
        audit_id=audit_id,
        data=services.AuditFindingIn(
            severity=body["severity"],
            description=body["description"],
            corrective_action=body["corrective_action"],
            owner_id=body["owner"],
            due_on=date.fromisoformat(body["due_on"]),
        ),
    )
    if actioned:
        services.finding_action(actor=world.user("qc"), finding_id=finding.pk, action_taken="已培训")
    return {"audit_id": audit_id, "finding_id": finding.pk}


def _reviewed_audit(world: World) -> int:
    """A fresh evaluation whose one sampled order is reviewed: ready to close."""
    audit_id = _audit(world, shared=False)
    for sample_id in AuditSample.objects.filter(audit_id=audit_id).values_list("pk", flat=True):
        services.sample_review(actor=world.user("qc"), sample_id=sample_id, result="pass")
    return audit_id


AUDIT_MISSING = {"audit_id": MISSING}
SAMPLES.update(
    {
        "quality_audit_list": lambda user, w: {"query": {"store": "SH01"}},
        "quality_audit_open": lambda user, w: _if(
            user, w, "quality.audit", lambda: {"json": _audit_body(w)}, {"json": _audit_body()}
        ),
        "quality_audit_detail": lambda user, w: _if(
            user, w, "quality.view", lambda: {"kwargs": {"audit_id": _audit(w)}}, {"kwargs": AUDIT_MISSING}
        ),
        "quality_audit_sample_review": lambda user, w: _if(
            user,
            w,
            "quality.audit",
            lambda: {"kwargs": _audit_sample(w), "json": {"result": "pass", "score": 4}},
            {"kwargs": {**AUDIT_MISSING, "sample_id": MISSING}, "json": {"result": "pass"}},
        ),
        "quality_audit_finding_add": lambda user, w: _if(
            user,
            w,
            "quality.audit",
            lambda: {"kwargs": {"audit_id": _audit(w)}, "json": _finding_body(w)},
            {"kwargs": AUDIT_MISSING, "json": {**_finding_body(w), "owner": MISSING}},
        ),
        "quality_audit_finding_action": lambda user, w: _if(
            user,
            w,
            "quality.view",
            lambda: {"kwargs": _finding(user, w), "json": {"action_taken": "已培训"}},
            {"kwargs": {**AUDIT_MISSING, "finding_id": MISSING}, "json": {"action_taken": "x"}},
        ),
        "quality_audit_finding_close": lambda user, w: _if(
            user,
            w,
            "quality.audit",
            lambda: {"kwargs": _finding(user, w, actioned=True), "json": {"verification": "抽查确认"}},
            {"kwargs": {**AUDIT_MISSING, "finding_id": MISSING}, "json": {"verification": "x"}},
        ),
        "quality_audit_close": lambda user, w: _if(
            user,
            w,
            "quality.audit",
            lambda: {"kwargs": {"audit_id": _reviewed_audit(w)}, "json": {"summary": "整体符合标准"}},
            {"kwargs": AUDIT_MISSING, "json": {"summary": "x"}},
        ),
    }
)
