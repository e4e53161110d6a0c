"""Tasks for staff: created by any area through ``task_create``, due on the store's calendar, closed by
the person (or a holder of the role) with an outcome."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Role, StaffMembership, Store, User
from aftersales.messaging.models import Task
from aftersales.messaging.selectors import tasks_of


def due_after_working_days(store: Store, days: int, *, now: datetime | None = None) -> datetime:
    """The store's closing time ``days`` working days from now (its calendar: hours, holidays, 调休);
    0: today's closing time (or now, on a day the store is closed)."""
    calendar = store_calendar(store)
    now = now or timezone.now()
    day = calendar.add_working_days(calendar.local_date(now), days) if days else calendar.local_date(now)
    hours = calendar.hours(day)
    return hours[1] if hours else calendar.day_bounds(day)[1]


def task_create(
    *,
    store: Store,
    subject: str,
    actor: User | None = None,
    assignee: User | None = None,
    role: str = "",
    due_at: datetime | None = None,
    due_in_working_days: int | None = None,
    about: tuple[str, int, str] | None = None,
) -> Task:
    """A task for ``assignee``, or for whoever holds ``role`` in ``store``; due at ``due_at`` or at closing
    time ``due_in_working_days`` working days on. Audited."""
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = [_("This field is required.")]
    elif len(subject) > 200:
        errors["subject"] = [_("Enter at most %(n)s characters.") % {"n": 200}]
    if (assignee is None) == (not role):
        errors["assignee"] = [_("Give the task to one person or to one role.")]
    elif role and not Role.objects.filter(code=role).exists():
        errors["role"] = [_("No such role.")]
    elif (
        assignee is not None
        and not StaffMembership.all_objects.filter(user=assignee, store=store, is_active=True).exists()
    ):
        errors["assignee"] = [_("%(name)s does not work at %(store)s.") % {"name": assignee, "store": store.code}]
    if errors:
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    if due_at is None and due_in_working_days is not None:
        due_at = due_after_working_days(store, due_in_working_days)
    if due_at is not None:
        due_at = due_at.astimezone(UTC)  # kept and answered in UTC, as every time is
    task = Task(
        store=store,
        subject=subject,
        assignee=assignee,
        assignee_role=role,
        due_at=due_at,
        about_type=about[0] if about else "",
        about_id=about[1] if about else None,
        about_label=about[2][:100] if about else "",
        created_by=actor,
    )
    task.save(actor=actor)
    return task


def task_close(*, actor: User, task_id: int, done: bool, outcome: str) -> Task:
    """Close a task the actor is to do: done, or cancelled, with the outcome (required). Audited."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ApplicationError(_("Write what came of it."), field="outcome", status=422)
    with transaction.atomic():
        task = Task.objects.select_for_update().filter(pk=task_id).first()
        if task is None or not tasks_of(actor, store_id=None, status=task.status).filter(pk=task_id).exists():
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        if task.status != Task.Status.OPEN:
            raise ApplicationError(_("This task is closed already."), code="conflict", field="outcome", status=409)
        task.status = Task.Status.DONE if done else Task.Status.CANCELLED
        task.outcome = outcome[:2000]
        task.closed_at = timezone.now()
        task.closed_by = actor
        task.save(actor=actor)
    return task
