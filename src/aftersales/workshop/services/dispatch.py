"""Dispatch (派单): an approved labour line to a qualified technician or team and a bay of the type its
operation needs, with a suggestion by load, efficiency and idle time (seed 001 §3.2), a deadline from
the promised time and a reminder before it; the technician is told at once and accepts the job (接单).

The suggestion, among the technicians qualified for the operation who work today:
1. lowest load: hours booked today (their open jobs' standard hours and those done today; a team's job
   shared by its members) ÷ their shift hours today (their weekly shift less leave);
2. then highest efficiency for the operation's category (standard hours done ÷ hours on the clock over
   their jobs of the last 90 days in that category; the technician's recorded efficiency without any);
3. then longest idle (since their last pause or clock-off; never clocked on today counts from the start
   of the day).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.appointments.models import Leave, Shift, Technician
from aftersales.catalogue.models import LabourOperation
from aftersales.core.access import can
from aftersales.core.audit import audit_append
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Bay, Certificate, StaffProfile, Store, User
from aftersales.visits.models import Diagnosis, Line, RepairOrder
from aftersales.visits.services.orders import line_event, order_event, repair_order_access
from aftersales.visits.transitions import LABOUR_LINE, RECORD_CATEGORIES, REPAIR_ORDER
from aftersales.workshop.models import ClockEvent, Job, Team
from aftersales.workshop.services.common import by, job_access, job_deadline, job_event
from aftersales.workshop.services.notices import job_dispatched_tell
from aftersales.workshop.transitions import JOB

L = Line.State
J = Job.State
SKILL_RANK: dict[str, int] = {
    StaffProfile.SkillLevel.JUNIOR: 1,
    StaffProfile.SkillLevel.INTERMEDIATE: 2,
    StaffProfile.SkillLevel.SENIOR: 3,
}
EFFICIENCY_DAYS = 90
OPEN_JOB_STATES = (J.ASSIGNED, J.ACCEPTED, J.IN_PROGRESS, J.PAUSED)


@dataclass
class Candidate:
    """A technician as the dispatch page shows them for one line."""

    user_id: int
    name: str
    booked_hours: Decimal
    shift_hours: Decimal
    efficiency: Decimal
    idle_since: datetime | None
    problems: list[str] = field(default_factory=list)  # why they may not take it (empty: qualified)

    @property
    def qualified(self) -> bool:
        return not self.problems

    @property
    def load(self) -> Decimal | None:
        """Booked ÷ shift hours (None: not on shift today)."""
        if not self.shift_hours:
            return None
        return (self.booked_hours / self.shift_hours).quantize(Decimal("0.01"))


# --- qualification ------------------------------------------------------------------------------------


def _brand_id(order: RepairOrder) -> int | None:
    vehicle = order.vehicle
    return vehicle.model.brand_id if vehicle.model is not None else None


def qualification_problems(
    user: User, operation: LabourOperation | None, *, brand_id: int | None, day: date, profile: StaffProfile | None
) -> list[str]:
    """Why ``user`` may not do ``operation`` (empty: qualified): the skill level the operation needs and
    the certificate it asks for (a brand certificate of the vehicle's brand), valid on ``day``."""
    if operation is None:
        return []
    problems: list[str] = []
    needed = SKILL_RANK.get(operation.skill_level, 0)
    held = SKILL_RANK.get(profile.skill_level, 0) if profile else 0
    if held < needed:
        problems.append(
            _("%(name)s is not %(level)s or above.")
            % {"name": user, "level": StaffProfile.SkillLevel(operation.skill_level).label}
        )
    if operation.certificate:
        certificates = profile.certificates.all() if profile else []
        valid = [
            cert
            for cert in certificates
            if cert.kind == operation.certificate
            and (cert.valid_from is None or cert.valid_from <= day)
            and (cert.valid_until is None or cert.valid_until >= day)
            and (operation.certificate != Certificate.Kind.BRAND or cert.brand_id == brand_id)
        ]
        if not valid:
            problems.append(
                _("%(name)s holds no valid %(certificate)s certificate.")
                % {"name": user, "certificate": Certificate.Kind(operation.certificate).label}
            )
    return problems


def bay_problem(bay: Bay | None, operation: LabourOperation | None) -> str | None:
    if operation is None or not operation.bay_kind:
        return None
    needed = Bay.Kind(operation.bay_kind).label
    if bay is None:
        return _("This operation needs a bay of the type “%(kind)s”.") % {"kind": needed}
    if bay.kind != operation.bay_kind:
        return _("Bay %(bay)s is a “%(has)s” bay: this operation needs “%(kind)s”.") % {
            "bay": bay.code,
            "has": bay.get_kind_display(),
            "kind": needed,
        }
    return None


# --- load -------------------------------------------------------------------------------------------


def shift_hours(store: Store, technicians: list[Technician], day: date) -> dict[int, Decimal]:
    """Each technician's working hours on ``day``: their weekly shift less their leave that day."""
    calendar = store_calendar(store)
    start, end = calendar.day_bounds(day)
    shifts = {row.technician_id: row for row in Shift.objects.filter(technician__in=technicians, weekday=day.weekday())}
    leaves: dict[int, list[Leave]] = {}
    for leave in Leave.objects.filter(technician__in=technicians, starts_at__lt=end, ends_at__gt=start):
        leaves.setdefault(leave.technician_id, []).append(leave)
    hours: dict[int, Decimal] = {}
    for technician in technicians:
        shift = shifts.get(technician.pk)
        if shift is None or calendar.hours(day) is None:  # no shift, or the store is closed that day
            hours[technician.user_id] = Decimal(0)
            continue
        opened = datetime.combine(day, shift.starts, tzinfo=calendar.zone)
        closed = datetime.combine(day, shift.ends, tzinfo=calendar.zone)
        worked = closed - opened
        for leave in leaves.get(technician.pk, []):
            overlap = min(closed, leave.ends_at) - max(opened, leave.starts_at)
            if overlap > timedelta():
                worked -= overlap
        hours[technician.user_id] = (Decimal(max(worked, timedelta()).total_seconds()) / 3600).quantize(Decimal("0.01"))
    return hours


def booked_hours(store: Store, user_ids: list[int], day: date) -> dict[int, Decimal]:
    """Standard hours booked on each technician for ``day``: their open jobs and those done that day; a
    team's job shared equally by its members."""
    start, end = store_calendar(store).day_bounds(day)
    today = Q(state__in=OPEN_JOB_STATES) | Q(state=J.DONE, finished_at__gte=start, finished_at__lt=end)
    booked = dict.fromkeys(user_ids, Decimal(0))
    rows = (
        Job.all_objects.filter(today, store=store, technician_id__in=user_ids)
        .values("technician_id")
        .annotate(hours=Sum("standard_hours"))
    )
    for row in rows:
        booked[row["technician_id"]] += row["hours"]
    team_jobs = Job.all_objects.filter(today, store=store, team__isnull=False, technician__isnull=True)
    teams = {
        team.pk: [member.pk for member in team.members.all()]
        for team in Team.objects.filter(store=store).prefetch_related("members")
    }
    for team_id, hours in team_jobs.values_list("team_id", "standard_hours"):
        members = teams.get(team_id) or []
        for member in members:
            if member in booked:
                booked[member] += (hours / len(members)).quantize(Decimal("0.01"))
    return booked


def _efficiencies(
    store: Store, technicians: list[Technician], category: str | None, now: datetime
) -> dict[int, Decimal]:
    recorded = {technician.user_id: technician.efficiency for technician in technicians}
    if category is None:
        return recorded
    rows = (
        Job.all_objects.filter(
            store=store,
            state=J.DONE,
            technician_id__in=list(recorded),
            finished_at__gte=now - timedelta(days=EFFICIENCY_DAYS),
            line__operation__category=category,
            actual_minutes__gt=0,
        )
        .values("technician_id")
        .annotate(standard=Sum("standard_hours"), minutes=Sum("actual_minutes"))
    )
    found = dict(recorded)
    for row in rows:
        found[row["technician_id"]] = (row["standard"] * 60 / row["minutes"]).quantize(Decimal("0.01"))
    return found


def _idle_since(user_ids: list[int], day_start: datetime) -> dict[int, datetime | None]:
    """Since when each technician is idle (None: on the clock now)."""
    idle: dict[int, datetime | None] = dict.fromkeys(user_ids, day_start)
    clocked = set(
        Job.all_objects.filter(clocked_by_id__in=user_ids, state=J.IN_PROGRESS).values_list("clocked_by_id", flat=True)
    )
    last = (
        ClockEvent.objects.filter(technician_id__in=user_ids, at__gte=day_start, kind__in=("pause", "off"))
        .values("technician_id")
        .annotate(last=Max("at"))
    )
    for row in last:
        idle[row["technician_id"]] = row["last"]
    for user_id in clocked:
        idle[user_id] = None
    return idle


def candidates(*, store: Store, line: Line, order: RepairOrder, now: datetime | None = None) -> list[Candidate]:
    """The store's active technicians for ``line``, the qualified first in the order the suggestion ranks
    them (the first is the suggestion), then the others with why they may not take it."""
    now = now or timezone.now()
    calendar = store_calendar(store)
    day = calendar.local_date(now)
    technicians = list(
        Technician.objects.filter(store=store, is_active=True, user__is_active=True).select_related("user")
    )
    user_ids = [technician.user_id for technician in technicians]
    profiles = {
        profile.user_id: profile
        for profile in StaffProfile.objects.filter(user_id__in=user_ids).prefetch_related("certificates")
    }
    operation = line.operation
    brand_id = _brand_id(order)
    shifts = shift_hours(store, technicians, day)
    booked = booked_hours(store, user_ids, day)
    efficiency = _efficiencies(store, technicians, operation.category if operation else None, now)
    idle = _idle_since(user_ids, calendar.day_start(day))
    rows = [
        Candidate(
            user_id=technician.user_id,
            name=str(technician.user),
            booked_hours=booked[technician.user_id],
            shift_hours=shifts[technician.user_id],
            efficiency=efficiency[technician.user_id],
            idle_since=idle[technician.user_id],
            problems=qualification_problems(
                technician.user, operation, brand_id=brand_id, day=day, profile=profiles.get(technician.user_id)
            ),
        )
        for technician in technicians
    ]
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def rank(row: Candidate) -> tuple[int, int, Decimal, Decimal, datetime]:
        working = row.load is not None
        return (
            0 if row.qualified else 1,
            0 if working else 1,
            row.load if row.load is not None else Decimal(0),
            -row.efficiency,
            row.idle_since or far,
        )

    return sorted(rows, key=rank)


def suggestion(rows: list[Candidate]) -> Candidate | None:
    """The technician the suggestion picks: the first qualified one on shift today."""
    return next((row for row in rows if row.qualified and row.load is not None), None)


# --- dispatch -----------------------------------------------------------------------------------------


@dataclass
class DispatchIn:
    line_id: int
    technician_id: int | None = None
    team_id: int | None = None
    bay_id: int | None = None


def _worker(store: Store, data: DispatchIn) -> tuple[User | None, Team | None]:
    if (data.technician_id is None) == (data.team_id is None):
        raise ApplicationError(_("Choose a technician or a team."), code="required", field="technician")
    if data.team_id is not None:
        team = Team.objects.filter(store=store, pk=data.team_id, is_active=True).select_related("leader").first()
        if team is None:
            raise ApplicationError(_("Choose an active team of this store."), field="team")
        return None, team
    technician = (
        Technician.objects.filter(store=store, user_id=data.technician_id, is_active=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    if technician is None or not can(technician.user, "workshop.work", store_id=store.pk):
        raise ApplicationError(_("Choose one of this store's technicians."), field="technician")
    return technician.user, None


def _bay(store: Store, bay_id: int | None) -> Bay | None:
    if bay_id is None:
        return None
    bay = Bay.objects.filter(store=store, pk=bay_id, is_active=True).first()
    if bay is None:
        raise ApplicationError(_("Choose an active bay of this store."), field="bay")
    return bay


def _team_people(team: Team | None) -> list[User]:
    if team is None:
        return []
    people = {user.pk: user for user in team.members.filter(is_active=True)}
    people.setdefault(team.leader_id, team.leader)
    return list(people.values())


def _checked(
    store: Store, order: RepairOrder, line: Line, data: DispatchIn, now: datetime
) -> tuple[User | None, Team | None, Bay | None]:
    """The worker and bay of ``data`` once every check passed (refused with each field's problem)."""
    worker, team = _worker(store, data)
    bay = _bay(store, data.bay_id)
    errors: dict[str, list[str]] = {}
    # A team's job is worked by any of its people: each of them must be qualified for the operation.
    people = [worker] if worker is not None else _team_people(team)
    profiles = {
        profile.user_id: profile
        for profile in StaffProfile.objects.filter(user__in=people).prefetch_related("certificates")
    }
    day = store_calendar(store).local_date(now)
    problems = [
        problem
        for person in people
        for problem in qualification_problems(
            person, line.operation, brand_id=_brand_id(order), day=day, profile=profiles.get(person.pk)
        )
    ]
    if problems:
        errors["team" if team else "technician"] = problems
    # 机动车维修管理规定: the repair archive of these categories keeps the pre-repair diagnosis record;
    # their work is not handed to the workshop without it.
    if line.repair_category in RECORD_CATEGORIES and not (
        Diagnosis.objects.filter(visit_id=order.visit_id).exclude(pre_repair_record="").exists()
    ):
        errors["line"] = [
            _("Record the pre-repair diagnosis first: the repair archive needs it for this repair category.")
        ]
    problem = bay_problem(bay, line.operation)
    if problem:
        errors["bay"] = [problem]
    if errors:
        raise ApplicationError(
            " ".join(m for messages in errors.values() for m in messages), code="not_qualified", fields=errors
        )
    return worker, team, bay


def _line_locked(order: RepairOrder, line_id: int) -> Line:
    line = (
        Line.all_objects.select_for_update(of=("self",))
        .filter(pk=line_id, order=order)
        .select_related("operation")
        .first()
    )
    if line is None:
        raise ApplicationError(_("Choose a line of this order."), field="line")
    if line.kind != Line.Kind.LABOUR:
        raise ApplicationError(_("Only labour lines are dispatched."), field="line")
    return line


def dispatch(*, actor: User, order_id: int, data: DispatchIn, now: datetime | None = None) -> Job:
    """Dispatch an approved labour line: the worker and bay checked, the job written with its deadline
    and reminder, the line ``dispatched`` (the order ``in_work`` with its first job), the technician (or
    the team's members) told in-app at once. Refused, with nothing written: a line not approved (a
    proposed one needs the customer's approval first), a line already dispatched (two foremen at once:
    the second is refused), an unqualified worker, a bay of the wrong type."""
    now = now or timezone.now()
    with transaction.atomic():
        order = repair_order_access(actor=actor, order_id=order_id, permission="workshop.dispatch", for_update=True)
        if order.state not in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK):
            raise ConflictError(
                _("This cannot be done while the order is “%(state)s”.") % {"state": order.get_state_display()},
                code="not_allowed",
            )
        order = RepairOrder.all_objects.select_related("vehicle__model", "visit", "store").get(pk=order.pk)
        line = _line_locked(order, data.line_id)
        if Job.all_objects.filter(line=line).exists():
            raise ConflictError(
                _("This line is already dispatched: re-dispatch its job instead."), code="dispatched", field="line"
            )
        if line.state != L.APPROVED:
            raise ConflictError(
                _("Only approved work is dispatched: this line is “%(state)s”.") % {"state": line.get_state_display()},
                code="not_approved",
                field="line",
            )
        worker, team, bay = _checked(order.store, order, line, data, now)
        deadline, remind = job_deadline(order.store, order.visit, now=now)
        try:
            with transaction.atomic():
                job = Job.all_objects.create(
                    store=order.store,
                    order=order,
                    line=line,
                    state=J.ASSIGNED,
                    technician=worker,
                    team=team,
                    bay=bay,
                    standard_hours=line.quantity,
                    deadline=deadline,
                    remind_at=remind,
                    dispatched_by=actor,
                    dispatched_at=now,
                )
        except IntegrityError as error:  # the other foreman's dispatch committed first
            raise ConflictError(
                _("This line is already dispatched: re-dispatch its job instead."), code="dispatched", field="line"
            ) from error
        job_event(job)(
            actor=actor, action="dispatch", from_state="", to_state=J.ASSIGNED, note=_worker_text(worker, team, bay)
        )
        LABOUR_LINE.apply(
            line, "dispatch", actor=None, event=by(line_event(line), actor), note=_worker_text(worker, team, bay)
        )
        if order.state == RepairOrder.State.OPEN:
            REPAIR_ORDER.apply(order, "start_work", actor=None, event=by(order_event(order), actor))
        _audit(order, actor, "dispatch", job)
        transaction.on_commit(lambda: job_dispatched_tell(job.pk))
    return job


def _worker_text(worker: User | None, team: Team | None, bay: Bay | None) -> str:
    who = str(worker) if worker else (team.name if team else "")
    return f"{who} · {bay.code}" if bay else who


def _audit(order: RepairOrder, actor: User | None, action: str, job: Job) -> None:
    audit_append(
        action=f"job_{action}",
        actor=actor,
        store_id=order.store_id,
        object_type="visits.repairorder",
        object_id=str(order.pk),
        object_repr=order.number,
        changes={
            "line": job.line_id,
            "technician": job.technician_id,
            "team": job.team_id,
            "bay": job.bay_id,
            "deadline": job.deadline.isoformat() if job.deadline else None,
        },
    )


def redispatch(*, actor: User, job_id: int, data: DispatchIn, now: datetime | None = None) -> Job:
    """Give a job another technician, team or bay (the foreman's board drags it), with the same checks;
    not while it is on the clock or done. It is assigned again: the new technician accepts it."""
    now = now or timezone.now()
    with transaction.atomic():
        job = job_access(actor=actor, job_id=job_id, permission="workshop.dispatch")
        # Business rows first, as dispatch locks them: the order, then the job.
        RepairOrder.all_objects.select_for_update().filter(pk=job.order_id).first()
        job = job_access(actor=actor, job_id=job_id, permission="workshop.dispatch", for_update=True)
        if job.state in (J.IN_PROGRESS, J.DONE):
            raise ConflictError(
                _("A job that is “%(state)s” is not re-dispatched.") % {"state": job.get_state_display()},
                code="not_allowed",
            )
        order = RepairOrder.all_objects.select_related("vehicle__model", "store", "visit").get(pk=job.order_id)
        if order.state not in (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK):
            raise ConflictError(
                _("This cannot be done while the order is “%(state)s”.") % {"state": order.get_state_display()},
                code="not_allowed",
            )
        line = Line.all_objects.select_related("operation").get(pk=job.line_id)
        data.line_id = line.pk
        worker, team, bay = _checked(order.store, order, line, data, now)
        before = job.state
        job.technician, job.team, job.bay = worker, team, bay
        job.state, job.accepted_at = J.ASSIGNED, None
        # The new technician is reminded of the deadline in turn.
        job.deadline, job.remind_at = job_deadline(order.store, order.visit, now=now)
        job.reminded_at = None
        job.save(
            update_fields=["technician", "team", "bay", "state", "accepted_at", "deadline", "remind_at", "reminded_at"]
        )
        job_event(job)(
            actor=actor,
            action="redispatch",
            from_state=before,
            to_state=J.ASSIGNED,
            note=_worker_text(worker, team, bay),
        )
        _audit(order, actor, "redispatch", job)
        transaction.on_commit(lambda: job_dispatched_tell(job.pk))
    return job


def works(actor: User, job: Job) -> bool:
    """Whether ``actor`` works ``job``: its technician, or its team's leader or a member."""
    return _may_work(actor, job)


def _may_work(actor: User, job: Job) -> bool:
    if job.technician_id is not None:
        return job.technician_id == actor.pk
    team = Team.objects.filter(pk=job.team_id).first()
    return team is not None and (team.leader_id == actor.pk or team.members.filter(pk=actor.pk).exists())


def worker_check(actor: User, job: Job) -> None:
    if not _may_work(actor, job):
        raise ApplicationError(
            _("This job is not yours: it is dispatched to someone else."), code="not_assigned", status=403
        )


def job_accept(*, actor: User, job_id: int, now: datetime | None = None) -> Job:
    """The technician (or a member of the team) accepts the job (接单)."""
    now = now or timezone.now()
    with transaction.atomic():
        job = job_access(actor=actor, job_id=job_id, permission="workshop.work", for_update=True)
        worker_check(actor, job)
        job.accepted_at = now
        JOB.apply(job, "accept", actor=actor, event=job_event(job), save_fields=["accepted_at"])
    return job
