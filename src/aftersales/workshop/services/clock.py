"""The technician's clock (RO-5): clock on, pause with a reason, clock off when the job is done; one job
on the clock at a time unless the store allows overlap; the foreman's corrections kept beside what they
correct. The clock is an append-only ledger (DESIGN-visit "Numbering, audit and lock order"): the job's
``actual_minutes`` is recomputed from it after every entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.campaigns.models import Outreach
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.visits.models import Line, RepairOrder
from aftersales.visits.services.orders import line_event, order_event
from aftersales.visits.transitions import LABOUR_LINE, RECORD_CATEGORIES, REPAIR_ORDER
from aftersales.workshop.models import ClockEvent, InProcessInspection, Job, PauseReason
from aftersales.workshop.services.common import by, job_access, job_event, workshop_settings
from aftersales.workshop.services.dispatch import worker_check
from aftersales.workshop.services.notices import progress_tell
from aftersales.workshop.transitions import JOB

J = Job.State
L = Line.State
K = ClockEvent.Kind
REPORT_MAX = 2000


@dataclass
class ClockIn:
    action: str  # "on", "pause" or "off"
    reason: str = ""  # a pause's PauseReason
    note: str = ""
    fault_verified: bool = False  # clocking off: the fault was verified fixed (验证故障排除)
    report: str = ""  # clocking off: the short service report


def effective_events(events: list[ClockEvent]) -> list[ClockEvent]:
    """The clock as it stands: each entry in its newest version (a correction stands in for the entry it
    replaces), by time."""
    replaced = {event.replaces_id for event in events if event.replaces_id is not None}
    return sorted((event for event in events if event.pk not in replaced), key=lambda event: (event.at, event.pk))


def seconds_on_clock(events: list[ClockEvent], *, now: datetime | None = None) -> int:
    """Whole seconds of each segment between a clock-on and the pause or clock-off after it, added up (an
    open segment runs to ``now`` when given, else it is not counted yet)."""
    total = 0
    started: datetime | None = None
    for event in effective_events(events):
        if event.kind == K.ON:
            started = started or event.at
        elif started is not None:
            total += int((event.at - started).total_seconds())
            started = None
    if started is not None and now is not None:
        total += int((now - started).total_seconds())
    return total


def minutes_on_clock(events: list[ClockEvent], *, now: datetime | None = None) -> int:
    return seconds_on_clock(events, now=now) // 60


def _recount(job: Job) -> None:
    """The job's time on the clock read again from its whole ledger (after a correction)."""
    job.clock_seconds = seconds_on_clock(list(ClockEvent.objects.filter(job=job)))
    job.actual_minutes = job.clock_seconds // 60


def _segment_close(job: Job, now: datetime) -> None:
    """Add the running segment to the job's time (the ledger holds it too: a recount gives the same)."""
    if job.clocked_since is None:
        _recount(job)
        return
    job.clock_seconds += int((now - job.clocked_since).total_seconds())
    job.actual_minutes = job.clock_seconds // 60


def _technician_lock(actor: User) -> None:
    # One clock per technician: their user row serialises their clock actions on the jobs of every store.
    User.objects.select_for_update().filter(pk=actor.pk).first()


def _line_and_order(job: Job) -> tuple[Line, RepairOrder]:
    order = RepairOrder.all_objects.select_for_update().get(pk=job.order_id)
    line = Line.all_objects.select_for_update(of=("self",)).select_related("operation", "campaign").get(pk=job.line_id)
    return line, order


def clock(*, actor: User, job_id: int, data: ClockIn, now: datetime | None = None) -> Job:
    """Take a clock action on a job the actor works (their own, or their team's). Refused with nothing
    written: someone not assigned, a job already on the clock elsewhere for the actor (unless the store
    allows overlap), a pause without a reason, clocking off without the in-process inspection record the
    repair category needs or without verifying a fault the line repairs."""
    now = now or timezone.now()
    if data.action not in ("on", "pause", "off"):
        raise ApplicationError(_("Choose clock on, pause or clock off."), code="invalid", field="action")
    with transaction.atomic():
        job = job_access(actor=actor, job_id=job_id, permission="workshop.work")
        _technician_lock(actor)
        line, order = _line_and_order(job)
        job = Job.all_objects.select_for_update().get(pk=job.pk)  # locked as it stands (access checked above)
        worker_check(actor, job)
        if order.state != RepairOrder.State.IN_WORK:
            raise ConflictError(
                _("This cannot be done while the order is “%(state)s”.") % {"state": order.get_state_display()},
                code="not_allowed",
            )
        if data.action != "on" and job.clocked_by_id not in (None, actor.pk):
            raise ConflictError(
                _("%(name)s has this job on the clock: they pause it or clock it off.") % {"name": job.clocked_by},
                code="clocked_by_other",
            )
        if data.action == "on":
            _clock_on(actor, job, line, order, now)
        elif data.action == "pause":
            _pause(actor, job, data, now)
        else:
            _clock_off(actor, job, line, order, data, now)
    return job


def _clock_on(actor: User, job: Job, line: Line, order: RepairOrder, now: datetime) -> None:
    if line.state not in (L.DISPATCHED, L.IN_PROGRESS):
        raise ConflictError(
            _("Only approved work is done: this line is “%(state)s”.") % {"state": line.get_state_display()},
            code="not_approved",
        )
    if job.state in (J.IN_PROGRESS, J.DONE):
        raise ConflictError(
            _("This cannot be done while it is “%(state)s”.") % {"state": job.get_state_display()}, code="not_allowed"
        )
    if not workshop_settings(job.store_id).clock_overlap:
        other = (
            Job.all_objects.filter(clocked_by=actor, state=J.IN_PROGRESS)
            .exclude(pk=job.pk)
            .select_related("order")
            .first()
        )
        if other is not None:
            raise ConflictError(
                _("You are on the clock on %(order)s line %(line)s: pause it first.")
                % {"order": other.order.number, "line": other.line.position},
                code="clocked_elsewhere",
            )
    if job.state == J.ASSIGNED:  # clocking on accepts the job it was given
        job.accepted_at = now
        JOB.apply(job, "accept", actor=actor, event=job_event(job), save_fields=["accepted_at"])
    first = job.started_at is None
    if first:
        job.started_at = now
    job.clocked_by, job.clocked_since = actor, now
    action = "start" if job.state == J.ACCEPTED else "resume"
    JOB.apply(job, action, actor=actor, event=job_event(job), save_fields=["started_at", "clocked_by", "clocked_since"])
    ClockEvent.objects.create(store_id=job.store_id, job=job, technician=actor, kind=K.ON, at=now, recorded_by=actor)
    if line.state == L.DISPATCHED:
        LABOUR_LINE.apply(line, "start", actor=None, event=by(line_event(line), actor))
        if (
            not Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR, state__in=(L.IN_PROGRESS, L.DONE))
            .exclude(pk=line.pk)
            .exists()
        ):
            transaction.on_commit(lambda: progress_tell(order.pk, "started"))


def _pause(actor: User, job: Job, data: ClockIn, now: datetime) -> None:
    if data.reason not in PauseReason.values:
        raise ApplicationError(_("Say why the job is paused."), code="required", field="reason")
    if data.reason == PauseReason.OTHER and not data.note.strip():
        raise ApplicationError(_("Say why the job is paused."), code="required", field="note")
    note = data.note.strip()[:300]
    ClockEvent.objects.create(
        store_id=job.store_id,
        job=job,
        technician=actor,
        kind=K.PAUSE,
        at=now,
        reason=data.reason,
        note=note,
        recorded_by=actor,
    )
    _segment_close(job, now)
    job.clocked_by = job.clocked_since = None
    JOB.apply(
        job,
        "pause",
        actor=actor,
        event=job_event(job),
        note=note,
        save_fields=["clocked_by", "clocked_since", "actual_minutes", "clock_seconds"],
    )


def finish_problems(job: Job, line: Line, data: ClockIn) -> dict[str, list[str]]:
    """What keeps a job from being clocked off as done, per field."""
    problems: dict[str, list[str]] = {}
    # 机动车维修管理规定 (交通运输部令 2023 修正): second-level maintenance, assembly and whole-vehicle
    # repairs keep an in-process inspection record (过程检验记录) in the repair archive.
    if line.repair_category in RECORD_CATEGORIES:
        inspection = InProcessInspection.objects.filter(job=job).first()
        if inspection is None:
            problems["inspection"] = [_("Record the in-process inspection first: this repair category needs it.")]
        elif not inspection.passed:
            problems["inspection"] = [_("The in-process inspection found a fault: put it right and record it again.")]
    if line.fault_code or line.fault_symptom:
        if not data.fault_verified:
            problems["fault_verified"] = [_("Verify that the fault is gone before the job is done.")]
        if not data.report.strip():
            problems["report"] = [_("Write a short service report: what was found and what was done.")]
    if len(data.report) > REPORT_MAX:
        problems["report"] = [_("At most %(n)d characters.") % {"n": REPORT_MAX}]
    return problems


def _clock_off(actor: User, job: Job, line: Line, order: RepairOrder, data: ClockIn, now: datetime) -> None:
    if job.state != J.IN_PROGRESS:
        raise ConflictError(
            _("This cannot be done while it is “%(state)s”.") % {"state": job.get_state_display()}, code="not_allowed"
        )
    problems = finish_problems(job, line, data)
    if problems:
        raise ApplicationError(
            " ".join(m for messages in problems.values() for m in messages), code="unfinished", fields=problems
        )
    ClockEvent.objects.create(store_id=job.store_id, job=job, technician=actor, kind=K.OFF, at=now, recorded_by=actor)
    _segment_close(job, now)
    job.clocked_by, job.clocked_since, job.finished_at = None, None, now
    job.fault_verified, job.report = data.fault_verified, data.report.strip()
    JOB.apply(
        job,
        "finish",
        actor=actor,
        event=job_event(job),
        note=data.note.strip()[:300],
        save_fields=[
            "clocked_by",
            "clocked_since",
            "finished_at",
            "fault_verified",
            "report",
            "actual_minutes",
            "clock_seconds",
        ],
    )
    LABOUR_LINE.apply(line, "finish", actor=None, event=by(line_event(line), actor))
    if line.campaign_id is not None:
        _campaign_performed(order, line, now)
    # Work found during the job and still waiting for approval keeps the order in work (it is approved or
    # declined first; a completed order takes no more approvals).
    open_labour = Line.all_objects.filter(
        order=order, kind=Line.Kind.LABOUR, state__in=(L.PROPOSED, L.APPROVED, L.DISPATCHED, L.IN_PROGRESS)
    ).exists()
    if not open_labour:  # every approved labour line done: the order is complete
        REPAIR_ORDER.apply(order, "complete", actor=None, event=by(order_event(order), actor))


def _campaign_performed(order: RepairOrder, line: Line, now: datetime) -> None:
    """Record the campaign as performed for the vehicle (its outreach row, this store's when none)."""
    outreach, _created = Outreach.all_objects.get_or_create(
        campaign_id=line.campaign_id,
        vehicle_id=order.vehicle_id,
        defaults={"store_id": order.store_id, "customer_id": order.customer_id},
    )
    if outreach.completed_at is None:
        outreach.completed_at = now
        outreach.save(update_fields=["completed_at"])


# --- corrections ------------------------------------------------------------------------------------------


def clock_correct(*, actor: User, event_id: int, at: datetime, reason: str, now: datetime | None = None) -> ClockEvent:
    """The foreman corrects the time of a clock entry: a new entry replacing it, with the reason and who
    made it (the old one stays). Refused: no reason, a time in the future, a time that would move the
    entry past its neighbours on the job's clock."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the clock is corrected."), code="required", field="reason")
    if at > now:
        raise ApplicationError(_("A clock entry cannot be in the future."), field="at")
    with transaction.atomic():
        original = ClockEvent.objects.filter(pk=event_id).first()
        if original is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        job = job_access(actor=actor, job_id=original.job_id, permission="workshop.correct", for_update=True)
        events = effective_events(list(ClockEvent.objects.filter(job=job)))
        if original not in events:
            raise ConflictError(
                _("This entry was corrected already: correct its newest version."), code="stale", field="event"
            )
        index = events.index(original)
        before = events[index - 1].at if index > 0 else None
        after = events[index + 1].at if index + 1 < len(events) else None
        if (before is not None and at <= before) or (after is not None and at >= after):
            raise ApplicationError(
                _("The time must stay between the entries before and after it on this job's clock."), field="at"
            )
        correction = ClockEvent.objects.create(
            store_id=job.store_id,
            job=job,
            technician_id=original.technician_id,
            kind=original.kind,
            at=at,
            reason=original.reason,
            note=reason[:300],
            replaces=original,
            recorded_by=actor,
        )
        _recount(job)
        if original.kind == K.ON and job.started_at == original.at:
            job.started_at = at
        if original.kind == K.OFF and job.finished_at == original.at:
            job.finished_at = at
        if original.kind == K.ON and job.clocked_since == original.at:
            job.clocked_since = at
        job.save(update_fields=["actual_minutes", "clock_seconds", "started_at", "finished_at", "clocked_since"])
        job_event(job)(actor=actor, action="correct", from_state=job.state, to_state=job.state, note=reason[:500])
        audit_append(
            action="clock_corrected",
            actor=actor,
            store_id=job.store_id,
            object_type="workshop.job",
            object_id=str(job.pk),
            object_repr=str(job),
            changes={
                "entry": original.pk,
                "kind": original.kind,
                "from": original.at.isoformat(),
                "to": at.isoformat(),
                "reason": reason,
            },
        )
    return correction
