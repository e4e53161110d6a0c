"""What the workshop API's modules share: the ids and times it takes, and a job (with its clock, notes,
inspection record, parts requests and history) and a parts request as its answers show them. Times are
written in the store's zone with its offset; hours as decimal strings."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Prefetch, QuerySet
from ninja import Field, Schema
from pydantic import AfterValidator

from aftersales.appointments.days import day_problem
from aftersales.core.api import ERRORS
from aftersales.core.apikit import ErrorOut, StateEventOut
from aftersales.core.models import Bay, Store, User
from aftersales.workshop.models import ClockEvent, Job, JobEvent, JobNote, PartsRequest, Team
from aftersales.workshop.services import effective_events

# A record's id as sent: a positive 63-bit integer (a larger one is refused on its field, never a 500).
RecordId = Annotated[int, Field(ge=1, le=2**62)]


def _in_range(value: datetime) -> datetime:
    problem = day_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# A time with its offset, on a day from 2000-01-01 to 2099-12-31.
Moment = Annotated[datetime, AfterValidator(_in_range)]

JobState = Literal["assigned", "accepted", "in_progress", "paused", "done"]
PauseReason = Literal["parts", "approval", "break", "shift_end", "other_job", "equipment", "other"]
ClockKind = Literal["on", "pause", "off"]
RequestState = Literal["requested", "issued", "received", "cancelled"]

# Refusals of a state (a line dispatched already, a job on the clock elsewhere) are 409.
STATE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}


def local(moment: datetime | None, store: Store) -> datetime | None:
    return moment.astimezone(store.zone) if moment is not None else None


def hours(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


# --- jobs ---------------------------------------------------------------------------------------------


class WorkshopJobOut(Schema):
    id: int
    store: str = Field(description="Store code.")
    order: int = Field(description="The repair order.")
    order_number: str
    plate: str
    line: int = Field(description="The labour line the job works.")
    position: int = Field(description="The line's position on the order.")
    description: str
    state: JobState
    technician: int | None = Field(description="The technician's user id; null: the job is a team's.")
    technician_name: str | None
    team: int | None
    team_name: str | None
    bay: int | None
    bay_code: str | None
    standard_hours: Decimal
    actual_hours: Decimal = Field(description="On the clock so far (the entries as corrected).")
    deadline: datetime | None = Field(description="The promised time less inspection, wash and handover.")
    remind_at: datetime | None
    dispatched_by: str = Field(description="The foreman's username.")
    dispatched_at: datetime
    accepted_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    clocked_by: str | None = Field(description="Who has it on the clock now (username); null: nobody.")
    fault_verified: bool = Field(description="The fault was verified fixed (验证故障排除).")
    report: str = Field(description="The service report written when clocking off.")


class ClockEntryOut(Schema):
    id: int
    kind: ClockKind
    at: datetime
    technician: str = Field(description="Whose clock (username).")
    reason: PauseReason | Literal[""] = Field(description="A pause's reason; empty otherwise.")
    note: str = Field(description="A pause's note; of a correction: why it was corrected.")
    replaces: int | None = Field(description="The entry this one corrects; null: as first recorded.")
    recorded_by: str
    recorded_at: datetime


class ClockCorrectionOut(Schema):
    id: int
    replaces: int = Field(description="The entry corrected (it stays, replaced).")
    kind: ClockKind
    before: datetime = Field(description="The time of the entry corrected.")
    at: datetime = Field(description="The time as corrected.")
    reason: str
    by: str = Field(description="The foreman who corrected it (username).")
    recorded_at: datetime


class JobNoteOut(Schema):
    id: int
    text: str
    photo: int | None = Field(description="The photo (``/media/<id>``), if taken.")
    author: str
    at: datetime


class InspectionItemOut(Schema):
    item: str
    ok: bool
    note: str


class InspectionOut(Schema):
    items: list[InspectionItemOut]
    passed: bool = Field(description="Every item in order.")
    note: str
    inspector: str
    at: datetime


class PartsRequestOut(Schema):
    id: int
    store: str
    order: int
    order_number: str
    line: int = Field(description="The part line asked for.")
    position: int
    part: int | None
    part_number: str | None
    description: str
    job: int | None
    quantity: Decimal
    state: RequestState
    note: str
    requested_by: str
    requested_at: datetime
    issued_by: str | None
    issued_at: datetime | None
    received_at: datetime | None


class WorkshopJobDetailOut(WorkshopJobOut):
    clock: list[ClockEntryOut] = Field(description="The clock as it stands: each entry in its newest version, by time.")
    corrections: list[ClockCorrectionOut] = Field(description="Every correction, with what it changed and why.")
    notes: list[JobNoteOut]
    inspection: InspectionOut | None = Field(description="The in-process inspection record; null: none yet.")
    parts_requests: list[PartsRequestOut]
    events: list[StateEventOut]


def job_rows() -> QuerySet[Job]:
    """Jobs with their store, order, car and line; their people, team and bay come from ``with_people``."""
    return Job.all_objects.select_related("store", "order__vehicle", "line")


def with_people(jobs: Iterable[Job]) -> list[Job]:
    """``jobs`` with their technicians, dispatchers and clockers (one query), teams and bays (one query each,
    none when no job has one). Joined to the jobs' own query they made eleven tables, whose plan cost
    PostgreSQL more than reading the rows."""
    jobs = list(jobs)
    users = User.objects.in_bulk(
        {pk for job in jobs for pk in (job.technician_id, job.dispatched_by_id, job.clocked_by_id) if pk}
    )
    team_ids = {job.team_id for job in jobs if job.team_id}
    teams = Team.all_objects.in_bulk(team_ids) if team_ids else {}
    bay_ids = {job.bay_id for job in jobs if job.bay_id}
    bays = Bay.all_objects.in_bulk(bay_ids) if bay_ids else {}
    for job in jobs:
        job.technician = users.get(job.technician_id) if job.technician_id else None
        job.dispatched_by = users[job.dispatched_by_id]
        job.clocked_by = users.get(job.clocked_by_id) if job.clocked_by_id else None
        job.team = teams.get(job.team_id) if job.team_id else None
        job.bay = bays.get(job.bay_id) if job.bay_id else None
    return jobs


def job_out(job: Job) -> dict[str, Any]:
    store = job.store
    order = job.order
    return {
        "id": job.pk,
        "store": store.code,
        "order": order.pk,
        "order_number": order.number,
        "plate": order.vehicle.plate,
        "line": job.line_id,
        "position": job.line.position,
        "description": job.line.description,
        "state": job.state,
        "technician": job.technician_id,
        "technician_name": str(job.technician) if job.technician else None,
        "team": job.team_id,
        "team_name": job.team.name if job.team else None,
        "bay": job.bay_id,
        "bay_code": job.bay.code if job.bay else None,
        "standard_hours": hours(job.standard_hours),
        "actual_hours": job.actual_hours,
        "deadline": local(job.deadline, store),
        "remind_at": local(job.remind_at, store),
        "dispatched_by": job.dispatched_by.username,
        "dispatched_at": local(job.dispatched_at, store),
        "accepted_at": local(job.accepted_at, store),
        "started_at": local(job.started_at, store),
        "finished_at": local(job.finished_at, store),
        "clocked_by": job.clocked_by.username if job.clocked_by else None,
        "fault_verified": job.fault_verified,
        "report": job.report,
    }


def request_rows() -> QuerySet[PartsRequest]:
    return PartsRequest.all_objects.select_related("store", "order", "line__part", "requested_by", "issued_by")


def request_out(row: PartsRequest) -> dict[str, Any]:
    store = row.store
    line = row.line
    return {
        "id": row.pk,
        "store": store.code,
        "order": row.order_id,
        "order_number": row.order.number,
        "line": line.pk,
        "position": line.position,
        "part": line.part_id,
        "part_number": line.part.number_display if line.part else None,
        "description": line.description,
        "job": row.job_id,
        "quantity": Decimal(row.quantity).quantize(Decimal("0.001")),
        "state": row.state,
        "note": row.note,
        "requested_by": row.requested_by.username,
        "requested_at": local(row.requested_at, store),
        "issued_by": row.issued_by.username if row.issued_by else None,
        "issued_at": local(row.issued_at, store),
        "received_at": local(row.received_at, store),
    }


def request_answer(request_id: int) -> dict[str, Any]:
    """One parts request (its access checked by its service)."""
    return request_out(request_rows().get(pk=request_id))


def job_answer(job_id: int) -> dict[str, Any]:
    """One job (its access checked by the caller)."""
    [job] = with_people([job_rows().get(pk=job_id)])
    return job_out(job)


def _clock_out(entry: ClockEvent, store: Store) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "at": local(entry.at, store),
        "technician": entry.technician.username,
        "reason": entry.reason,
        "note": entry.note,
        "replaces": entry.replaces_id,
        "recorded_by": entry.recorded_by.username,
        "recorded_at": local(entry.recorded_at, store),
    }


def job_detail_out(job_id: int) -> dict[str, Any]:
    """A job (its access checked by the caller) with its clock, the corrections, notes, inspection record,
    parts requests and history: the same few queries however long its clock."""
    job = (
        job_rows()
        .select_related("inspection__inspector")
        .prefetch_related(
            Prefetch("clock", queryset=ClockEvent.objects.select_related("technician", "recorded_by")),
            Prefetch("notes", queryset=JobNote.objects.select_related("author").order_by("at", "pk")),
            Prefetch("events", queryset=JobEvent.objects.select_related("actor").order_by("at", "pk")),
            Prefetch("parts_requests", queryset=request_rows().order_by("requested_at", "pk")),
        )
        .get(pk=job_id)
    )
    with_people([job])
    store = job.store
    entries = list(job.clock.all())
    by_id = {entry.pk: entry for entry in entries}
    corrections = sorted((e for e in entries if e.replaces_id is not None), key=lambda e: (e.recorded_at, e.pk))
    inspection = getattr(job, "inspection", None)
    return {
        **job_out(job),
        "clock": [_clock_out(entry, store) for entry in effective_events(entries)],
        "corrections": [
            {
                "id": entry.pk,
                "replaces": entry.replaces_id,
                "kind": entry.kind,
                "before": local(by_id[entry.replaces_id].at, store) if entry.replaces_id in by_id else None,
                "at": local(entry.at, store),
                "reason": entry.note,
                "by": entry.recorded_by.username,
                "recorded_at": local(entry.recorded_at, store),
            }
            for entry in corrections
        ],
        "notes": [
            {"id": n.pk, "text": n.text, "photo": n.photo_id, "author": n.author.username, "at": local(n.at, store)}
            for n in job.notes.all()
        ],
        "inspection": {
            "items": inspection.items,
            "passed": inspection.passed,
            "note": inspection.note,
            "inspector": inspection.inspector.username,
            "at": local(inspection.at, store),
        }
        if inspection is not None
        else None,
        "parts_requests": [request_out(row) for row in job.parts_requests.all()],
        "events": [
            {
                "at": local(event.at, store),
                "by": event.actor.username if event.actor else None,
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "note": event.note,
            }
            for event in job.events.all()
        ],
    }
