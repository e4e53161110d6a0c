"""The 三包 watch (LAW-4): a vehicle's counters, repairs, rules and alerts
(``/vehicles/{id}/warranty-watch``), reading a repair line for 三包 (its cause and any serious safety fault),
the store's alerts and what was done about each (``/warranty-alerts``), and the group's list of major
assemblies and main parts as the brands' 三包凭证 name them (``/sanbao-parts``).

Refusals: a vehicle or line not found (or not the caller's to see) is 404; a line that repairs no recorded
fault, an unknown cause or safety fault, an action not among the choices, "other" without a note are 422 on
their fields; an alert dealt with already is 409. Nothing is written."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from aftersales.core.apikit import InputSchema
from aftersales.core.routing import operation, request_user
from aftersales.parts.api.common import StoreCode, store_of
from aftersales.parts.services import part_for_store
from aftersales.quality.api.common import STATE_ERRORS, local, person
from aftersales.quality.models import SanbaoAlert, SanbaoPart, SanbaoSystem
from aftersales.quality.services import sanbao

router = Router(tags=["quality"])

Level = Literal["ok", "warning", "alert"]
AlertLevel = Literal["warning", "alert"]
AlertState = Literal["open", "done"]
Cause = Literal["quality", "accident", "misuse"]
Safety = Literal["", "steering_failure", "brake_failure", "body_crack", "fuel_leak", "battery_fire", "other"]
System = Literal[
    "engine",
    "gearbox",
    "traction_battery",
    "drive_motor",
    "steering",
    "brake",
    "suspension",
    "drivetrain",
    "emission",
    "body",
]
Action = Literal[
    "courtesy_car",
    "travel_compensation",
    "customer_informed",
    "assembly_replaced",
    "vehicle_replaced",
    "refunded",
    "manufacturer",
    "customer_declined",
    "other",
]


class SanbaoPeriodOut(Schema):
    use_type: str = Field(description="household, commercial, or empty when not recorded.")
    purchase_date: date | None
    delivery_date: date | None
    start: date | None = Field(description="Where the periods run from (the delivery date where it differs).")
    warranty_end: date | None = Field(description="Last day of the warranty (包修期).")
    warranty_km: int | None
    sanbao_end: date | None = Field(description="Last day of the 三包 period.")
    sanbao_km: int | None


class SanbaoLineOut(Schema):
    line: int
    order_number: str
    kind: str
    state: str
    description: str
    pay_type: str
    causal_part: int | None
    part: int | None
    fault_code: str
    fault_symptom: str
    cause: Cause
    safety: Safety
    note: str
    counted: bool
    excluded: str = Field(
        description="Why it does not count: maintenance, accident, misuse, campaign, no_fault (no causal part and "
        "fault), not_agreed (proposed), not_covered (the vehicle is not evaluated); empty when counted or a part."
    )


class SanbaoOffSiteOut(Schema):
    left_at: datetime
    back_at: datetime | None
    reason: str
    owner_agreed_pause: bool
    excluded_hours: float = Field(description="Hours left out of the repair time (only with the owner's agreement).")


class SanbaoVisitOut(Schema):
    visit: int
    number: str
    arrived_on: date
    day: int | None = Field(description="Day of the periods the car came in (day 1 = their start).")
    mileage: int
    orders: list[str]
    started_at: datetime | None = Field(description="The visit's first signed order: the repair time starts.")
    notified_at: datetime | None = Field(description="The pickup notice: the repair time ends.")
    ended_by: Literal["notice", "left", "now"] = Field(
        description="notice; left (delivered before notices were recorded: its leaving); now (still running)."
    )
    running: bool
    hours: float
    repair_days: int = Field(description="ceil(hours / 24), at least 1 (第二十四条第二款).")
    in_warranty: bool
    in_sanbao: bool
    counted: bool = Field(description="A repair of a quality problem the law counts.")
    off_site: list[SanbaoOffSiteOut]
    lines: list[SanbaoLineOut]


class SanbaoCounterOut(Schema):
    key: str
    label: str
    system: str
    main_part: bool
    repairs: int
    replacements: int
    repair_days: int
    repair_orders: list[str] = Field(description="The orders of the visits counted as repairs.")
    replacement_orders: list[str]


class SanbaoRuleOut(Schema):
    rule: str
    article: str = Field(description="The article of 家用汽车产品修理、更换、退货责任规定 (2021).")
    label: str
    remedy: str
    level: Level
    key: str
    subject: str
    value: int
    threshold: int
    orders: list[str]


class SanbaoAlertOut(Schema):
    id: int
    store: str
    vehicle: int
    plate: str
    rule: str
    article: str
    level: AlertLevel
    key: str
    subject: str
    value: int
    threshold: int
    orders: list[str]
    raised_at: datetime
    state: AlertState
    action: str
    action_note: str
    action_by: int | None
    action_by_name: str | None
    action_at: datetime | None


class WarrantyWatchOut(Schema):
    vehicle: int
    plate: str
    vin: str
    evaluated: bool = Field(description="False: the rules cannot be evaluated (see ``cannot``); no zero is implied.")
    cannot: list[str]
    period: SanbaoPeriodOut
    repair_days: int | None = Field(description="Cumulative repair days in the 三包 period (null: not evaluated).")
    problems: list[SanbaoCounterOut] = Field(description="Per same quality problem (causal part and its chain).")
    assemblies: list[SanbaoCounterOut] = Field(description="Per major assembly.")
    rules: list[SanbaoRuleOut] = Field(description="Every rule reached, nearly reached or counted for this car.")
    visits: list[SanbaoVisitOut]
    alerts: list[SanbaoAlertOut]


def alert_out(row: SanbaoAlert) -> dict[str, Any]:
    rule = sanbao.RULES[row.rule]
    return {
        "id": row.pk,
        "store": row.store.code,
        "vehicle": row.vehicle_id,
        "plate": row.vehicle.plate,
        "rule": row.rule,
        "article": rule.article,
        "level": row.level,
        "key": row.key,
        "subject": row.subject,
        "value": row.value,
        "threshold": row.threshold,
        "orders": row.orders,
        "raised_at": local(row.raised_at, row.store),
        "state": row.state,
        "action": row.action,
        "action_note": row.action_note,
        "action_by": row.action_by_id,
        "action_by_name": person(row.action_by),
        "action_at": local(row.action_at, row.store),
    }


def _counter(counter: sanbao.Counter) -> dict[str, Any]:
    return {
        "key": counter.key,
        "label": counter.label,
        "system": counter.system,
        "main_part": counter.is_main,
        "repairs": len(counter.repairs),
        "replacements": len(counter.replacements),
        "repair_days": counter.days,
        "repair_orders": [number for visit in counter.repairs for number in visit.orders],
        "replacement_orders": [number for visit in counter.replacements for number in visit.orders],
    }


def _visit(visit: sanbao.WatchVisit) -> dict[str, Any]:
    counted = {line.pk for line in visit.counted}
    return {
        "visit": visit.pk,
        "number": visit.number,
        "arrived_on": visit.arrived_on,
        "day": visit.day,
        "mileage": visit.mileage,
        "orders": visit.orders,
        "started_at": visit.started_at,
        "notified_at": visit.notified_at,
        "ended_by": visit.ended_by,
        "running": visit.running,
        "hours": round(visit.seconds / 3600, 2),
        "repair_days": visit.days,
        "in_warranty": visit.in_warranty,
        "in_sanbao": visit.in_sanbao,
        "counted": bool(visit.counted),
        "off_site": [
            {
                "left_at": interval.left_at,
                "back_at": interval.back_at,
                "reason": interval.reason,
                "owner_agreed_pause": interval.agreed,
                "excluded_hours": round(interval.excluded_seconds / 3600, 2),
            }
            for interval in visit.off_site
        ],
        "lines": [
            {
                "line": line.pk,
                "order_number": line.order_number,
                "kind": line.kind,
                "state": line.state,
                "description": line.description,
                "pay_type": line.pay_type,
                "causal_part": line.causal_part_id,
                "part": line.part_id,
                "fault_code": line.fault_code,
                "fault_symptom": line.fault_symptom,
                "cause": line.cause,
                "safety": line.safety,
                "note": line.note,
                "counted": line.pk in counted,
                "excluded": line.excluded,
            }
            for line in visit.lines
        ],
    }


def watch_out(watch: sanbao.Watch) -> dict[str, Any]:
    vehicle = watch.vehicle
    return {
        "vehicle": vehicle.pk,
        "plate": vehicle.plate,
        "vin": vehicle.vin,
        "evaluated": watch.covered,
        "cannot": watch.cannot,
        "period": {
            "use_type": vehicle.use_type,
            "purchase_date": vehicle.purchase_date,
            "delivery_date": vehicle.delivery_date,
            "start": watch.start,
            "warranty_end": vehicle.warranty_end,
            "warranty_km": vehicle.warranty_km_limit,
            "sanbao_end": vehicle.sanbao_end,
            "sanbao_km": vehicle.sanbao_km_limit,
        },
        "repair_days": watch.repair_days if watch.covered else None,
        "problems": [_counter(counter) for counter in watch.problems],
        "assemblies": [_counter(counter) for counter in watch.assemblies],
        "rules": [
            {
                "rule": result.rule.code,
                "article": result.rule.article,
                "label": str(result.rule.label),
                "remedy": str(result.rule.remedy),
                "level": result.level,
                "key": result.key,
                "subject": result.subject,
                "value": result.value,
                "threshold": result.threshold,
                "orders": result.orders,
            }
            for result in watch.results
        ],
        "visits": [_visit(visit) for visit in watch.visits],
        "alerts": [alert_out(row) for row in watch.alerts],
    }


@router.get("/vehicles/{id:vehicle_id}/warranty-watch", response={200: WarrantyWatchOut, **STATE_ERRORS})
@operation("quality.view")
def warranty_watch(request: HttpRequest, vehicle_id: int) -> dict[str, Any]:
    """The vehicle's 三包 watch over its visits to the caller's dealer group: the periods, every visit with its
    repair time and lines (counted or why not), the counters per same quality problem and per major assembly,
    every rule with its article and level, and the alerts raised with what was done."""
    return watch_out(sanbao.watch_for(request_user(request), vehicle_id))


class SanbaoLineIn(InputSchema):
    cause: Cause = Field(description="quality (counts), accident or misuse (do not count).")
    safety: Safety = Field(default="", description="The serious safety fault (严重安全性能故障), if any.")
    note: str = Field(default="", max_length=200)


@router.put(
    "/vehicles/{id:vehicle_id}/warranty-watch/lines/{id:line_id}", response={200: WarrantyWatchOut, **STATE_ERRORS}
)
@operation("quality.sanbao")
def warranty_watch_line(request: HttpRequest, vehicle_id: int, line_id: int, payload: SanbaoLineIn) -> dict[str, Any]:
    """Read a repair line of the vehicle for 三包: a quality problem or not, and which serious safety fault; the
    car is evaluated again (alerts raised after the answer is written) and its watch answered."""
    user = request_user(request)
    sanbao.sanbao_line_set(
        actor=user,
        vehicle_id=vehicle_id,
        line_id=line_id,
        cause=payload.cause,
        safety=payload.safety,
        note=payload.note,
    )
    return watch_out(sanbao.watch_for(user, vehicle_id))


class SanbaoAlertQuery(InputSchema):
    store: StoreCode
    state: AlertState | None = Field(default="open", description="Null: every state.")
    level: AlertLevel | None = None


@router.get("/warranty-alerts", response={200: list[SanbaoAlertOut], **STATE_ERRORS})
@operation("quality.view")
def warranty_alerts(request: HttpRequest, query: Query[SanbaoAlertQuery]) -> list[dict[str, Any]]:
    """The store's 三包 alerts and early warnings, newest first (at most 200)."""
    store = store_of(request, query.store, "quality.view")
    rows = SanbaoAlert.all_objects.filter(store=store).select_related("store", "vehicle", "action_by")
    if query.state:
        rows = rows.filter(state=query.state)
    if query.level:
        rows = rows.filter(level=query.level)
    return [alert_out(row) for row in rows.order_by("-raised_at", "-pk")[:200]]


class SanbaoActionIn(InputSchema):
    action: Action
    note: str = Field(default="", max_length=500, description="Required for ``other``.")


@router.post("/warranty-alerts/{id:alert_id}/action", response={200: SanbaoAlertOut, **STATE_ERRORS})
@operation("quality.sanbao")
def warranty_alert_action(request: HttpRequest, alert_id: int, payload: SanbaoActionIn) -> dict[str, Any]:
    """Record what was done about an alert (a courtesy car, compensation, a replacement, the customer informed
    or declining…); it is then dealt with."""
    sanbao.sanbao_alert_act(actor=request_user(request), alert_id=alert_id, action=payload.action, note=payload.note)
    return alert_out(SanbaoAlert.all_objects.select_related("store", "vehicle", "action_by").get(pk=alert_id))


class SanbaoPartOut(Schema):
    part: int
    number: str
    name: str
    brand: str
    system: System
    is_assembly: bool


def part_out(row: SanbaoPart) -> dict[str, Any]:
    return {
        "part": row.part_id,
        "number": row.part.number_display,
        "name": row.part.name,
        "brand": row.part.brand.name,
        "system": row.system,
        "is_assembly": row.is_assembly,
    }


class SanbaoPartQuery(InputSchema):
    store: StoreCode
    system: System | None = None


@router.get("/sanbao-parts", response={200: list[SanbaoPartOut], **STATE_ERRORS})
@operation("quality.view")
def sanbao_parts(request: HttpRequest, query: Query[SanbaoPartQuery]) -> list[dict[str, Any]]:
    """The major assemblies and main parts of the store's dealer group, by system."""
    store = store_of(request, query.store, "quality.view")
    rows = SanbaoPart.objects.filter(group_id=store.group_id).select_related("part", "part__brand")
    if query.system:
        rows = rows.filter(system=query.system)
    return [part_out(row) for row in rows.order_by("system", "part__number")]


class SanbaoPartIn(InputSchema):
    store: StoreCode
    number: str = Field(min_length=1, max_length=60, description="The part number as typed or scanned.")
    system: System
    is_assembly: bool = Field(default=False, description="The whole engine, gearbox, traction battery or drive motor.")


@router.put("/sanbao-parts", response={200: SanbaoPartOut, **STATE_ERRORS})
@operation("quality.sanbao")
def sanbao_part_put(request: HttpRequest, payload: SanbaoPartIn) -> Status[dict[str, Any]]:
    """List a part as a major assembly or a main part of a system (again: change its system)."""
    store = store_of(request, payload.store, "quality.sanbao")
    part = part_for_store(store, payload.number, field="number")
    row = sanbao.sanbao_part_set(
        actor=request_user(request),
        group_id=store.group_id,
        part_id=part.pk,
        system=SanbaoSystem(payload.system),
        is_assembly=payload.is_assembly,
    )
    return Status(200, part_out(SanbaoPart.objects.select_related("part", "part__brand").get(pk=row.pk)))


@router.delete("/sanbao-parts/{id:part_id}", response={204: None, **STATE_ERRORS})
@operation("quality.sanbao")
def sanbao_part_delete(request: HttpRequest, part_id: int) -> Status[None]:
    """Take a part off the list of its dealer group."""
    sanbao.sanbao_part_remove(actor=request_user(request), part_id=part_id)
    return Status(204, None)
