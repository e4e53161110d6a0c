"""What the workshop's services share: the store's rules, reading a job for an actor, the job's event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.visits.models import RepairOrder, Visit
from aftersales.workshop.models import Job, JobEvent, ServiceLevel, ServiceType, WorkshopSettings

# Seed 002 §三.2 and the defaults: quick service dispatched within 15 minutes and done within 2
# hours; a repair dispatched within 1 hour; a major repair within 24 hours of the customer's approval.
SERVICE_LEVEL_DEFAULTS: dict[str, tuple[int, int | None]] = {
    ServiceType.QUICK: (15, 120),
    ServiceType.REPAIR: (60, None),
    ServiceType.MAJOR: (24 * 60, None),
}


def workshop_settings(store: Store | int) -> WorkshopSettings:
    """The store's workshop rules (the defaults until someone keeps them)."""
    store_id = store if isinstance(store, int) else store.pk
    found = WorkshopSettings.all_objects.filter(store_id=store_id).first()
    return found or WorkshopSettings(store_id=store_id)


def service_levels(store_id: int) -> dict[str, tuple[int, int | None]]:
    """Per service type: (dispatch within, done within) in minutes of open time, the store's or the default."""
    levels = dict(SERVICE_LEVEL_DEFAULTS)
    for row in ServiceLevel.objects.filter(store_id=store_id):
        levels[row.service_type] = (row.dispatch_minutes, row.complete_minutes)
    return levels


def job_access(*, actor: User | None, job_id: int, permission: str, for_update: bool = False) -> Job:
    """The job ``actor`` may act on with ``permission`` (locked until commit when asked); 404 otherwise."""
    rows = Job.all_objects.filter(pk=job_id)
    if for_update:
        rows = rows.select_for_update()
    job = rows.first()
    if job is None or (actor is not None and not can(actor, permission, store_id=job.store_id)):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return job


def job_event(job: Job):  # type: ignore[no-untyped-def]
    return lambda **kwargs: JobEvent.objects.create(job=job, **kwargs)


def job_deadline(store: Store, visit: Visit, *, now: datetime) -> tuple[datetime | None, datetime | None]:
    """A job's deadline (the visit's promised time less inspection, wash and handover) and when its
    technician is reminded (the store's minutes before it, not before now)."""
    if visit.promised_at is None:
        return None, None
    rules = workshop_settings(store)
    deadline = visit.promised_at - timedelta(minutes=rules.handover_minutes)
    remind = max(deadline - timedelta(minutes=rules.reminder_minutes), now)
    return deadline, remind


def order_of(job: Job) -> RepairOrder:
    return RepairOrder.all_objects.select_related("visit", "vehicle").get(pk=job.order_id)


def by(event: Callable[..., Any], actor: User | None) -> Callable[..., Any]:
    """``event`` written as ``actor``'s, for a transition applied without the actor's permission check (the
    workshop's own steps: the foreman's dispatch starts the line, the technician's clock moves it)."""
    return lambda **kwargs: event(**{**kwargs, "actor": actor})
