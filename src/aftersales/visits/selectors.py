"""Every read of the visits area: the reception desk, a visit, an order with its lines, approvals and
history, declined work of a vehicle, and who may see the photos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.appointments.models import Appointment
from aftersales.core.access import authorize_for
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import MediaFile, Store, User
from aftersales.visits.models import CheckResult, DamageMark, Line, ReceptionSettings, RepairOrder, Visit


def photo_authorize(actor: User, media: MediaFile) -> None:
    """A walk-around photo: seen by whoever sees the visits of its store."""
    model = DamageMark if media.owner_type == DamageMark.OWNER_TYPE else CheckResult
    if media.owner_id is None or not model.objects.filter(pk=media.owner_id).exists():
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    authorize_for(actor, "visits.view", store_ids=[media.store_id])


# --- the reception desk and a visit ----------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    code: str
    label: str
    step: int  # 1-6, for the progress shown


STAGES = {
    "arrived": (1, gettext_lazy("Arrived")),
    "walked_around": (2, gettext_lazy("Walked around")),
    "diagnosed": (3, gettext_lazy("Diagnosed")),
    "signed": (4, gettext_lazy("Order signed")),
    "awaiting_approval": (4, gettext_lazy("Awaiting approval")),
    "in_workshop": (5, gettext_lazy("In the workshop")),
    "finished": (6, gettext_lazy("Work finished")),
    "left": (6, gettext_lazy("Left")),
}


def visit_stage(visit: Visit, orders: list[RepairOrder], *, walked: bool, diagnosed: bool, waiting: bool) -> Stage:
    """How far reception has got with a car, read from what is recorded (not a state of its own)."""
    states = {order.state for order in orders if order.state != RepairOrder.State.CANCELLED}
    if visit.state != Visit.State.ON_SITE:
        code = "left"
    elif states & {RepairOrder.State.COMPLETED, RepairOrder.State.READY, RepairOrder.State.DELIVERED}:
        code = "finished"
    elif RepairOrder.State.IN_WORK in states:
        code = "in_workshop"
    elif states:
        code = "awaiting_approval" if waiting else "signed"
    elif diagnosed:
        code = "diagnosed"
    elif walked:
        code = "walked_around"
    else:
        code = "arrived"
    step, label = STAGES[code]
    return Stage(code, str(label), step)


@dataclass(frozen=True)
class DeskRow:
    visit: Visit
    stage: Stage
    orders: list[RepairOrder]


def visits_on_site(store: Store) -> list[DeskRow]:
    """The cars on site at a store, oldest arrival first, with the stage each has reached (4 queries)."""
    visits = list(
        Visit.all_objects.filter(store=store, state=Visit.State.ON_SITE)
        .select_related("customer", "vehicle__model", "advisor", "walk_around", "diagnosis")
        .prefetch_related(Prefetch("orders", queryset=RepairOrder.all_objects.order_by("pk")))
        .order_by("arrived_at", "pk")
    )
    waiting = set(
        Line.all_objects.filter(order__visit__in=visits, state=Line.State.PROPOSED).values_list(
            "order__visit_id", flat=True
        )
    )
    rows = []
    for visit in visits:
        walk = getattr(visit, "walk_around", None)
        diagnosis = getattr(visit, "diagnosis", None)
        orders = list(visit.orders.all())
        stage = visit_stage(
            visit,
            orders,
            walked=walk is not None and walk.completed_at is not None,
            diagnosed=diagnosis is not None and diagnosis.diagnosed_at is not None,
            waiting=visit.pk in waiting,
        )
        rows.append(DeskRow(visit, stage, orders))
    return rows


def arrivals_to_receive(store: Store, day: date) -> QuerySet[Appointment]:
    """Today's bookings not received yet (booked, late or checked in without a visit), by arrival time."""
    first, last = store_calendar(store).day_bounds(day)
    return (
        Appointment.all_objects.filter(
            store=store,
            starts_at__gte=first,
            starts_at__lt=last,
            state__in=(Appointment.State.BOOKED, Appointment.State.NO_SHOW, Appointment.State.ARRIVED),
            visit__isnull=True,
        )
        .select_related("customer", "vehicle", "advisor")
        .prefetch_related("services")
        .order_by("starts_at", "pk")
    )


def vehicle_history(vehicle_id: int, *, exclude_visit: int | None = None, limit: int = 5) -> list[RepairOrder]:
    """The vehicle's last repair orders (any store of the group), newest first."""
    rows = RepairOrder.all_objects.filter(vehicle_id=vehicle_id).select_related("store").order_by("-signed_at", "-pk")
    if exclude_visit is not None:
        rows = rows.exclude(visit_id=exclude_visit)
    return list(
        rows.annotate(
            total=Sum("lines__amount", filter=Q(lines__state__in=DONE_OR_APPROVED)),
            line_count=Count("lines", filter=Q(lines__state__in=DONE_OR_APPROVED)),
        )[:limit]
    )


DONE_OR_APPROVED = (Line.State.APPROVED, Line.State.DISPATCHED, Line.State.IN_PROGRESS, Line.State.DONE)


def declined_work(vehicle_id: int) -> list[Line]:
    """Work declined on earlier visits of the vehicle and not taken up since (for follow-up)."""
    return list(
        Line.all_objects.filter(vehicle_id=vehicle_id, state=Line.State.DECLINED, followed_up_by=None)
        .exclude(source=Line.Source.DIAGNOSIS_FEE)
        .select_related("order", "operation", "part")
        .order_by("-order__signed_at", "position")[:20]
    )


def reception_settings(store: Store) -> ReceptionSettings:
    return ReceptionSettings.objects.filter(store=store).first() or ReceptionSettings(store=store)
