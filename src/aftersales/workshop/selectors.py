"""The workshop's reading side: the foreman's job board, the technicians' load of a day, the advisor's open
orders with their next action, the lounge board and the customer's progress page. Each reads a fixed
number of queries whatever the number of orders (the ``board`` bench pins it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.appointments.models import Technician
from aftersales.core.access import authorize_for
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Bay, MediaFile, Store, User
from aftersales.purchasing.services import DemandOwner
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop.models import ClockEvent, Job, JobNote, OffSite, PauseReason, Team
from aftersales.workshop.services.dispatch import booked_hours, shift_hours
from aftersales.workshop.services.parts import shortages

J = Job.State
L = Line.State
WORKING = (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK)
COLUMNS = (
    ("dispatch", _("To dispatch")),
    (J.ASSIGNED, _("Assigned")),
    (J.ACCEPTED, pgettext_lazy("job state", "Accepted")),
    (J.IN_PROGRESS, _("In progress")),
    (J.PAUSED, pgettext_lazy("job state", "Paused")),
    (J.DONE, _("Done today")),
)


@dataclass
class Card:
    """A labour line on the board: its job when dispatched."""

    line_id: int
    order_id: int
    order_number: str
    plate: str
    description: str
    hours: Decimal
    advisor_id: int
    advisor: str
    promised_at: datetime | None
    column: str
    job_id: int | None = None
    technician_id: int | None = None
    worker: str = ""
    team_id: int | None = None
    bay_id: int | None = None
    bay: str = ""
    deadline: datetime | None = None
    late: bool = False
    waiting_parts: bool = False


@dataclass
class Board:
    columns: list[tuple[str, str, list[Card]]]
    technicians: list[tuple[int, str]]
    advisors: list[tuple[int, str]]
    bays: list[tuple[int, str]]
    updated: datetime
    total: int = 0


@dataclass
class BoardFilter:
    advisor: int | None = None
    technician: int | None = None
    bay: int | None = None


def _name(user: User) -> str:
    return user.full_name or user.username


def job_board(
    store: Store,
    filters: BoardFilter | None = None,
    *,
    now: datetime | None = None,
    technicians: list[tuple[int, str]] | None = None,
    bays: list[tuple[int, str]] | None = None,
) -> Board:
    """The foreman's board (kanban by state): approved labour lines not dispatched yet, then the jobs by
    state, the done ones of today; late against the promised time highlighted; filtered by advisor,
    technician and bay. Eight queries whatever the number of orders (six when the store's active
    ``technicians`` and ``bays``, by name and code, are given: the filter form has read them)."""
    filters = filters or BoardFilter()
    now = now or timezone.now()
    calendar = store_calendar(store)
    day_start = calendar.day_start(calendar.local_date(now))
    lines = (
        Line.all_objects.filter(store=store, kind=Line.Kind.LABOUR)
        .filter(
            Q(order__state__in=WORKING, state=L.APPROVED)
            | Q(job__state__in=(J.ASSIGNED, J.ACCEPTED, J.IN_PROGRESS, J.PAUSED))
            | Q(job__state=J.DONE, job__finished_at__gte=day_start)
        )
        .order_by("order__visit__promised_at", "order_id", "position")
    )
    if filters.advisor:
        lines = lines.filter(order__advisor_id=filters.advisor)
    if filters.technician:
        lines = lines.filter(job__technician_id=filters.technician)
    if filters.bay:
        lines = lines.filter(job__bay_id=filters.bay)
    # Plain values, not model instances: a board of 200 orders has some 600 cards.
    rows = list(
        lines.values_list(
            "pk",
            "order_id",
            "order__number",
            "order__vehicle__plate",
            "order__vehicle__vin",
            "description",
            "quantity",
            "order__advisor_id",
            "order__advisor__full_name",
            "order__advisor__username",
            "order__visit__promised_at",
            "job__id",
            "job__state",
            "job__technician_id",
            "job__technician__full_name",
            "job__technician__username",
            "job__team_id",
            "job__team__name",
            "job__bay_id",
            "job__bay__code",
            "job__deadline",
        )
    )
    order_ids = sorted({row[1] for row in rows})
    short = set(shortages(order_ids)) | parts_paused(order_ids)
    cards: dict[str, list[Card]] = defaultdict(list)
    cent = Decimal("0.01")
    for (
        line_id,
        order_id,
        number,
        plate,
        vin,
        description,
        quantity,
        advisor_id,
        advisor_name,
        advisor_username,
        promised,
        job_id,
        job_state,
        technician_id,
        technician_name,
        technician_username,
        team_id,
        team_name,
        bay_id,
        bay_code,
        deadline,
    ) in rows:
        column = job_state or "dispatch"
        due = deadline or promised
        cards[column].append(
            Card(
                line_id=line_id,
                order_id=order_id,
                order_number=number,
                plate=plate or vin[-6:],
                description=description,
                hours=quantity.quantize(cent),
                advisor_id=advisor_id,
                advisor=advisor_name or advisor_username,
                promised_at=promised,
                column=column,
                job_id=job_id,
                technician_id=technician_id,
                worker=(technician_name or technician_username) if technician_id else (team_name or ""),
                team_id=team_id,
                bay_id=bay_id,
                bay=bay_code or "",
                deadline=deadline,
                late=column != J.DONE and due is not None and due < now,
                waiting_parts=order_id in short,
            )
        )
    if technicians is None:
        technicians = [
            (technician.user_id, _name(technician.user))
            for technician in Technician.objects.filter(store=store, is_active=True)
            .select_related("user")
            .order_by("user__full_name")
        ]
    advisors = sorted(
        {(card.advisor_id, card.advisor) for column in cards.values() for card in column}, key=lambda a: a[1]
    )
    if bays is None:
        bays = list(Bay.objects.filter(store=store, is_active=True).order_by("code").values_list("pk", "code"))
    return Board(
        columns=[(code, str(label), cards.get(code, [])) for code, label in COLUMNS],
        technicians=technicians,
        advisors=advisors,
        bays=bays,
        updated=now,
        total=len(rows),
    )


@dataclass(frozen=True)
class Load:
    user_id: int
    name: str
    booked: Decimal
    shift: Decimal
    worked: Decimal  # hours on the clock today (finished jobs and the pauses of open ones)


def technicians_load(store: Store, day: date) -> list[Load]:
    """Each active technician's standard hours booked on ``day`` against their shift hours."""
    technicians = list(
        Technician.objects.filter(store=store, is_active=True).select_related("user").order_by("user__full_name")
    )
    ids = [technician.user_id for technician in technicians]
    booked = booked_hours(store, ids, day)
    shifts = shift_hours(store, technicians, day)
    start, end = store_calendar(store).day_bounds(day)
    worked: dict[int, int] = defaultdict(int)
    for technician_id, minutes in (
        Job.all_objects.filter(store=store, technician_id__in=ids, started_at__lt=end)
        .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=start))
        .values_list("technician_id", "actual_minutes")
    ):
        worked[technician_id] += minutes
    return [
        Load(
            user_id=technician.user_id,
            name=_name(technician.user),
            booked=booked[technician.user_id],
            shift=shifts[technician.user_id],
            worked=(Decimal(worked[technician.user_id]) / 60).quantize(Decimal("0.01")),
        )
        for technician in technicians
    ]


# --- the advisor's open orders -------------------------------------------------------------------------------


@dataclass
class OpenOrder:
    order_id: int
    number: str
    plate: str
    customer: str
    state: str
    state_label: str
    promised_at: datetime | None
    next_action: str
    late: bool
    waiting_parts: bool
    waiting_approval: bool
    off_site: bool


def advisor_orders(store: Store, advisor_id: int | None, *, now: datetime | None = None) -> list[OpenOrder]:
    """The open orders (not yet delivered) of an advisor, or of everyone, each with what should happen next."""
    now = now or timezone.now()
    orders = list(
        RepairOrder.all_objects.filter(
            store=store,
            state__in=(
                RepairOrder.State.OPEN,
                RepairOrder.State.IN_WORK,
                RepairOrder.State.COMPLETED,
                RepairOrder.State.READY,
            ),
        )
        .filter(Q(advisor_id=advisor_id) if advisor_id else Q())
        .select_related("vehicle", "customer", "visit")
        .order_by("visit__promised_at", "pk")
    )
    ids = [order.pk for order in orders]
    lines: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    for order_id, kind, state, dispatched in Line.all_objects.filter(order_id__in=ids).values_list(
        "order_id", "kind", "state", "job__id"
    ):
        lines[order_id].append((kind, state, dispatched is not None))
    short = set(shortages(ids)) | parts_paused(ids)
    away = set(
        OffSite.objects.filter(visit__orders__in=ids, back_at__isnull=True).values_list("visit__orders", flat=True)
    )
    found = []
    for order in orders:
        rows = lines.get(order.pk, [])
        proposed = any(state == L.PROPOSED for _kind, state, _d in rows)
        undispatched = any(kind == Line.Kind.LABOUR and state == L.APPROVED and not d for kind, state, d in rows)
        if proposed:
            step = _("Get the customer's decision on the proposed work")
        elif order.pk in short:
            step = _("Chase the parts and tell the customer the new time")
        elif undispatched:
            step = _("Ask the foreman to dispatch the work")
        elif order.state == RepairOrder.State.IN_WORK:
            step = _("Work in progress: keep the customer informed")
        elif order.state == RepairOrder.State.COMPLETED:
            step = _("Final inspection, wash and handover")
        elif order.state == RepairOrder.State.READY:
            step = _("Tell the customer the car is ready and deliver it")
        else:
            step = _("Wait for the workshop")
        promised = order.visit.promised_at
        found.append(
            OpenOrder(
                order_id=order.pk,
                number=order.number,
                plate=order.vehicle.plate or order.vehicle.vin[-6:],
                customer=order.customer.name,
                state=order.state,
                state_label=order.get_state_display(),
                promised_at=promised,
                next_action=str(step),
                late=promised is not None and promised < now and order.state != RepairOrder.State.READY,
                waiting_parts=order.pk in short,
                waiting_approval=proposed,
                off_site=order.pk in away,
            )
        )
    return found


# --- what the customer sees ------------------------------------------------------------------------------------


def mask_plate(plate: str) -> str:
    """沪A12345 → 沪A·**345: enough for the owner to find their car on a public screen."""
    if len(plate) <= 4:
        return plate[:1] + "*" * (len(plate) - 1)
    shown = 3 if len(plate) >= 7 else 2  # at least two characters hidden
    return f"{plate[:2]}·{'*' * (len(plate) - 2 - shown)}{plate[-shown:]}"


CUSTOMER_STAGES = {
    "approval": _("Waiting for your approval"),
    "queue": _("Waiting for a technician"),
    "work": _("Being worked on"),
    "parts": _("Waiting for parts"),
    "checks": _("Final checks"),
    "ready": _("Ready for pick-up"),
    "away": _("Off site"),
}


@dataclass
class Progress:
    visit_id: int
    plate: str
    masked: str
    stage: str
    stage_label: str
    promised_at: datetime | None
    lines: list[dict[str, Any]] = field(default_factory=list)
    step: int = 0  # 1-4 for the progress bar


def _stage(orders: list[RepairOrder], lines: list[Line], short: bool, away: bool) -> tuple[str, int]:
    states = {order.state for order in orders}
    labour = [line for line in lines if line.kind == Line.Kind.LABOUR]
    if away:
        return "away", 2
    if states <= {RepairOrder.State.READY, RepairOrder.State.DELIVERED}:
        return "ready", 4
    if RepairOrder.State.COMPLETED in states and not (states & set(WORKING)):
        return "checks", 3
    if short:
        return "parts", 2
    if any(line.state == L.IN_PROGRESS for line in labour):
        return "work", 2
    if any(line.state == L.PROPOSED for line in lines):
        return "approval", 1
    return "queue", 1


def visits_progress(store: Store, visit_ids: list[int]) -> list[Progress]:
    """The progress of visits as a customer sees it (four queries for any number of visits)."""
    visits = {
        visit.pk: visit
        for visit in Visit.all_objects.filter(pk__in=visit_ids, store=store)
        .select_related("vehicle")
        .order_by("promised_at")
    }
    orders: dict[int, list[RepairOrder]] = defaultdict(list)
    for order in RepairOrder.all_objects.filter(visit_id__in=list(visits)).exclude(state=RepairOrder.State.CANCELLED):
        orders[order.visit_id].append(order)
    order_ids = [order.pk for rows in orders.values() for order in rows]
    lines: dict[int, list[Line]] = defaultdict(list)
    for line in (
        Line.all_objects.filter(order_id__in=order_ids)
        .exclude(state__in=(L.CANCELLED, L.DECLINED))
        .order_by("order_id", "position")
    ):
        lines[line.order_id].append(line)
    short = set(shortages(order_ids)) | parts_paused(order_ids)
    away = set(
        OffSite.objects.filter(visit_id__in=list(visits), back_at__isnull=True).values_list("visit_id", flat=True)
    )
    found = []
    for visit in visits.values():
        rows = orders.get(visit.pk, [])
        if not rows:
            continue
        visit_lines = [line for order in rows for line in lines.get(order.pk, [])]
        stage, step = _stage(rows, visit_lines, any(order.pk in short for order in rows), visit.pk in away)
        plate = visit.vehicle.plate or visit.vehicle.vin[-6:]
        found.append(
            Progress(
                visit_id=visit.pk,
                plate=plate,
                masked=mask_plate(plate),
                stage=stage,
                stage_label=str(CUSTOMER_STAGES[stage]),
                promised_at=visit.promised_at,
                lines=[
                    {"description": line.description, "state": line.state, "state_label": line.get_state_display()}
                    for line in visit_lines
                    if line.kind in (Line.Kind.LABOUR, Line.Kind.SUBLET)
                ],
                step=step,
            )
        )
    return found


def parts_paused(order_ids: list[int]) -> set[int]:
    """The orders with a job paused whose last pause was for parts (its technician waits for a part)."""
    latest: dict[int, tuple[datetime, int, int, str]] = {}  # job -> (at, pk, order, reason)
    rows = ClockEvent.objects.filter(
        job__order_id__in=order_ids, job__state=J.PAUSED, kind=ClockEvent.Kind.PAUSE
    ).values_list("job_id", "at", "pk", "job__order_id", "reason")
    for job_id, at, pk, order_id, reason in rows:
        if job_id not in latest or (at, pk) > latest[job_id][:2]:
            latest[job_id] = (at, pk, order_id, reason)
    return {order_id for _at, _pk, order_id, reason in latest.values() if reason == PauseReason.PARTS}


def lounge_board(store: Store) -> list[Progress]:
    """The cars on site with an order today, for the customer lounge's screen (plates masked)."""
    ids = list(Visit.all_objects.filter(store=store, state=Visit.State.ON_SITE).values_list("pk", flat=True))
    return visits_progress(store, ids)


def teams_of(store: Store) -> list[Team]:
    return list(Team.objects.filter(store=store, is_active=True).select_related("leader").prefetch_related("members"))


def note_photo_authorize(actor: User, media: MediaFile) -> None:
    """A job note's photo: seen by whoever sees the workshop of its store."""
    if media.owner_id is None or not JobNote.objects.filter(pk=media.owner_id).exists():
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    authorize_for(actor, "workshop.view", store_ids=[media.store_id])


def order_owner(order_id: int) -> DemandOwner | None:
    """Who waits for the parts bought for a repair order (its advisor), and its number."""
    order = RepairOrder.all_objects.select_related("advisor").filter(pk=order_id).first()
    return DemandOwner(order.advisor, order.number) if order else None
