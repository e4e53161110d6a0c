"""Dispatch (派单, RO-4): a repair order's labour lines with their jobs and, for approved work not yet
dispatched, the store's technicians ranked as the suggestion ranks them (the first qualified one on
shift is the suggestion); dispatching a line to a technician or a team and a bay, and re-dispatching a
job, with the same checks. Refusals name their field: ``technician`` (or ``team``) for a worker without
the skill level or certificate, ``bay`` for a bay of the wrong type, ``line`` for work not approved (409)
or dispatched already (409)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from aftersales.core.apikit import InputSchema
from aftersales.core.routing import operation, request_user
from aftersales.visits.models import Line, RepairOrder
from aftersales.visits.services import repair_order_access
from aftersales.workshop import services
from aftersales.workshop.api.common import (
    STATE_ERRORS,
    RecordId,
    WorkshopJobDetailOut,
    WorkshopJobOut,
    job_answer,
    job_detail_out,
    job_out,
    job_rows,
    local,
    with_people,
)

router = Router(tags=["workshop"])


class CandidateOut(Schema):
    technician: int = Field(description="The technician's user id (what ``technician`` takes when dispatching).")
    name: str
    booked_hours: Decimal = Field(description="Standard hours booked on them today.")
    shift_hours: Decimal = Field(description="Their working hours today (their shift less leave).")
    load: Decimal | None = Field(description="Booked ÷ shift hours; null: not on shift today.")
    efficiency: Decimal = Field(description="For the operation's category over 90 days (else as recorded).")
    idle_since: datetime | None = Field(description="Since their last pause or clock-off; null: on the clock now.")
    qualified: bool
    problems: list[str] = Field(description="Why they may not take the line (empty: qualified).")
    suggested: bool = Field(description="The suggestion (at most one, always the first).")


class DispatchLineOut(Schema):
    id: int
    position: int
    state: str = Field(description="The line's state: approved, dispatched, in_progress, done, proposed, ...")
    operation: int | None
    description: str
    repair_category: str
    standard_hours: Decimal
    job: WorkshopJobOut | None = Field(description="Null: not dispatched.")
    candidates: list[CandidateOut] = Field(
        description="Of approved work not dispatched yet: the suggestion first, then the others qualified, then "
        "those who may not take it; empty otherwise."
    )


class DispatchOut(Schema):
    order: int
    order_number: str
    order_state: str
    plate: str
    promised_at: datetime | None
    lines: list[DispatchLineOut] = Field(description="The order's labour lines by position.")


def _candidates_out(order: RepairOrder, line: Line) -> list[dict[str, Any]]:
    rows = services.candidates(store=order.store, line=line, order=order)
    chosen = services.suggestion(rows)
    return [
        {
            "technician": row.user_id,
            "name": row.name,
            "booked_hours": row.booked_hours.quantize(Decimal("0.01")),
            "shift_hours": row.shift_hours.quantize(Decimal("0.01")),
            "load": row.load,
            "efficiency": row.efficiency,
            "idle_since": local(row.idle_since, order.store),
            "qualified": row.qualified,
            "problems": row.problems,
            "suggested": row is chosen,
        }
        for row in rows
    ]


@router.get("/repair-orders/{id:order_id}/dispatch", response={200: DispatchOut, **STATE_ERRORS})
@operation(("workshop.dispatch", "workshop.view"))
def repair_order_dispatch_board(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """The order's labour lines with their jobs; for approved lines not yet dispatched, the technicians
    with their load today, the suggestion first (``workshop.dispatch`` or ``workshop.view``)."""
    repair_order_access(actor=request_user(request), order_id=order_id, permission="workshop.view")
    order = RepairOrder.all_objects.select_related("store", "visit", "vehicle__model").get(pk=order_id)
    lines = Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR).select_related("operation").order_by("position")
    jobs = {job.line_id: job for job in with_people(job_rows().filter(order=order))}
    return {
        "order": order.pk,
        "order_number": order.number,
        "order_state": order.state,
        "plate": order.vehicle.plate,
        "promised_at": local(order.visit.promised_at, order.store),
        "lines": [
            {
                "id": line.pk,
                "position": line.position,
                "state": line.state,
                "operation": line.operation_id,
                "description": line.description,
                "repair_category": line.repair_category,
                "standard_hours": Decimal(line.quantity).quantize(Decimal("0.01")),
                "job": job_out(jobs[line.pk]) if line.pk in jobs else None,
                "candidates": _candidates_out(order, line)
                if line.pk not in jobs and line.state == Line.State.APPROVED
                else [],
            }
            for line in lines
        ],
    }


class WorkerIn(InputSchema):
    technician: RecordId | None = Field(default=None, description="A technician's user id (or a team).")
    team: RecordId | None = Field(default=None, description="A team's id (or a technician).")
    bay: RecordId | None = Field(default=None, description="A bay of the type the operation needs, if any.")


class DispatchIn(WorkerIn):
    line: RecordId = Field(description="An approved labour line of the order, not dispatched yet.")


@router.post("/repair-orders/{id:order_id}/dispatch", response={201: WorkshopJobOut, **STATE_ERRORS})
@operation("workshop.dispatch")
def repair_order_dispatch(request: HttpRequest, order_id: int, payload: DispatchIn) -> Status[dict[str, Any]]:
    """Dispatch an approved labour line to a technician or a team and a bay: the job is ``assigned`` with
    its deadline and reminder, the line ``dispatched`` and the order ``in_work``; the technician is told at
    once. Refused with nothing written: a worker without the skill or certificate (400 on ``technician``
    or ``team``), a bay of the wrong type (400 on ``bay``), work not approved or dispatched already (409 on
    ``line``)."""
    job = services.dispatch(
        actor=request_user(request),
        order_id=order_id,
        data=services.DispatchIn(
            line_id=payload.line, technician_id=payload.technician, team_id=payload.team, bay_id=payload.bay
        ),
    )
    return Status(201, job_answer(job.pk))


@router.post("/jobs/{id:job_id}/redispatch", response={200: WorkshopJobDetailOut, **STATE_ERRORS})
@operation("workshop.dispatch")
def job_redispatch(request: HttpRequest, job_id: int, payload: WorkerIn) -> dict[str, Any]:
    """Give a job another technician, team or bay with the same checks (not while on the clock or done:
    409); it is ``assigned`` again for the new worker to accept."""
    services.redispatch(
        actor=request_user(request),
        job_id=job_id,
        data=services.DispatchIn(line_id=0, technician_id=payload.technician, team_id=payload.team, bay_id=payload.bay),
    )
    return job_detail_out(job_id)
