"""What the workshop tells people: the technician their new job (in-app, at once) and its coming deadline;
the customer the progress of their car (approved, work started, waiting for parts with the new time) with
a link to the progress page; the foreman, advisor and manager an order late against its service level.

Every message goes through ``message_try``: a template an administrator switched off never refuses the
work it reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from aftersales.core.calendar import store_calendar
from aftersales.core.models import StaffMembership, Store, User
from aftersales.customers.services.messages import customer_recipient
from aftersales.messaging.models import Message, MessageTemplate
from aftersales.messaging.services import Recipient, link_create, message_send, message_try
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.workshop.models import Job, JobEvent, SlaAlert, Team
from aftersales.workshop.services.common import workshop_settings

DISPATCHED_EVENT = "workshop_job_dispatched"
REMINDER_EVENT = "workshop_job_reminder"
OVERDUE_EVENT = "workshop_sla_overdue"
PROGRESS_EVENT = "repair_progress"
PROGRESS_PURPOSE = "repair_progress"
PROGRESS_LINK_DAYS = 14
# Who an overdue order escalates to, level by level (seed 002 §三.2): the foreman, the order's advisor,
# the after-sales manager. A level is reached when its share of the allowed time has passed again.
ESCALATION = {1: 0, 2: 50, 3: 100}  # percent of the allowance past the deadline
FOREMAN_ROLE = "foreman"
MANAGER_ROLES = ("service_manager", "manager")


def _wall(store: Store, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return store_calendar(store).local(moment).strftime("%m-%d %H:%M")


def _staff(user: User) -> Recipient:
    return Recipient(type=Message.RecipientType.STAFF, name=str(user), user=user, language=user.preferred_language)


def _active(event: str) -> bool:
    return MessageTemplate.objects.filter(event=event, is_active=True).exists()


def _plate(order: RepairOrder) -> str:
    return order.vehicle.plate or order.vehicle.vin[-6:]


def job_workers(job: Job) -> list[User]:
    """Who works ``job``: its technician, or its team's leader and members."""
    if job.technician_id is not None:
        return [User.objects.get(pk=job.technician_id)]
    team = Team.objects.select_related("leader").get(pk=job.team_id)
    members = {user.pk: user for user in team.members.all()}
    members.setdefault(team.leader.pk, team.leader)
    return [user for user in members.values() if user.is_active]


def _job_variables(job: Job, order: RepairOrder, line: Line) -> dict[str, str]:
    return {
        "order": order.number,
        "plate": _plate(order),
        "job": line.description,
        "deadline": _wall(order.store, job.deadline),
    }


def job_dispatched_tell(job_id: int) -> list[Message]:
    """Tell the job's technician (or its team) at once, in-app, that it is theirs to accept."""
    if not _active(DISPATCHED_EVENT):
        return []
    job = Job.all_objects.select_related("line", "order__vehicle", "order__store").get(pk=job_id)
    sent: list[Message] = []
    for user in job_workers(job):
        sent += message_try(
            f"dispatch notice of job {job.pk}",
            lambda user=user: message_send(  # type: ignore[misc]
                store=job.order.store,
                event=DISPATCHED_EVENT,
                recipient=_staff(user),
                variables=_job_variables(job, job.order, job.line),
                about=("workshop.job", job.pk),
                channels=("inapp",),
            ),
        )
    return sent


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind each technician of a job not done whose reminder time has come (once per job)."""
    now = now or timezone.now()
    due = Job.all_objects.filter(remind_at__lte=now, reminded_at__isnull=True).exclude(state=Job.State.DONE)
    count = 0
    for job_id in due.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            job = Job.all_objects.select_for_update().filter(pk=job_id, reminded_at__isnull=True).first()
            if job is None or job.state == Job.State.DONE:
                continue
            job.reminded_at = now
            job.save(update_fields=["reminded_at"])
            job_event_write(job, "remind")
            if _active(REMINDER_EVENT):
                count += _remind(job)
    return count


def job_event_write(job: Job, action: str) -> None:
    JobEvent.objects.create(job=job, action=action, from_state=job.state, to_state=job.state)


def _remind(job: Job) -> int:
    order = RepairOrder.all_objects.select_related("vehicle", "store").get(pk=job.order_id)
    variables = _job_variables(job, order, Line.all_objects.get(pk=job.line_id))

    def send(user: User) -> list[Message]:
        return message_send(
            store=order.store,
            event=REMINDER_EVENT,
            recipient=_staff(user),
            variables=variables,
            about=("workshop.job", job.pk),
            channels=("inapp",),
        )

    return sum(
        len(message_try(f"deadline reminder of job {job.pk}", lambda user=user: send(user)))  # type: ignore[misc]
        for user in job_workers(job)
    )


# --- progress to the customer -------------------------------------------------------------------------


def progress_snapshot(visit_id: int) -> dict[str, object]:
    """What a progress link is bound to: the visit (its page shows the progress as it is when opened)."""
    visit = Visit.all_objects.filter(pk=visit_id).values("pk", "number").first()
    return {"visit": visit["pk"], "number": visit["number"]} if visit else {}


def progress_url(visit: Visit, *, actor: User | None = None) -> str:
    """A new link to the visit's progress page (it replaces the one sent before)."""
    _link, token = link_create(
        store=visit.store,
        purpose=PROGRESS_PURPOSE,
        object_id=visit.pk,
        actor=actor,
        expires_in=timedelta(days=PROGRESS_LINK_DAYS),
    )
    return settings.PUBLIC_URL.rstrip("/") + reverse("messaging:link", kwargs={"token": token})


STATUS_TEXT = {
    "approved": ("您确认的维修项目已安排", "the work you approved is scheduled"),
    "started": ("您的车辆已开始施工", "work on your car has started"),
    "waiting": ("您的车辆正在等待配件", "your car is waiting for parts"),
    "eta": ("您的车辆预计交车时间有变", "the time your car will be ready has changed"),
}
SETTING_OF = {
    "approved": "notify_approved",
    "started": "notify_started",
    "waiting": "notify_waiting",
    "eta": "notify_waiting",
}


def progress_tell(order_id: int, status: str, *, actor: User | None = None) -> list[Message]:
    """Tell the order's customer of its progress (``status`` of STATUS_TEXT) where the store chose to,
    with the time the car will be ready and a link to the progress page."""
    order = RepairOrder.all_objects.select_related("visit__store", "customer", "vehicle", "store").get(pk=order_id)
    if not getattr(workshop_settings(order.store_id), SETTING_OF[status]) or not _active(PROGRESS_EVENT):
        return []
    visit = order.visit
    text = STATUS_TEXT[status][0]  # customers are written to in Chinese (the archive keeps no language)

    def send() -> list[Message]:
        return message_send(
            store=order.store,
            event=PROGRESS_EVENT,
            recipient=customer_recipient(order.customer),
            variables={
                "name": visit.address_as or order.customer.name,
                "plate": _plate(order),
                "order": order.number,
                "status": text,
                "eta": _wall(order.store, visit.promised_at),
                "url": progress_url(visit, actor=actor),
                "store": order.store.name,
            },
            actor=actor,
            about=("visits.repairorder", order.pk),
        )

    return message_try(f"progress of {order.number}", send)


def approved_tell(order_id: int, _lines: list[int]) -> None:
    """Work approved after signing (by phone, through the link, by the insurer): tell the customer."""
    progress_tell(order_id, "approved")


# --- service levels -----------------------------------------------------------------------------------


def _holders(store_id: int, roles: tuple[str, ...]) -> list[User]:
    rows = (
        StaffMembership.all_objects.filter(
            store_id=store_id, is_active=True, user__is_active=True, role__code__in=roles
        )
        .select_related("user")
        .order_by("pk")
    )
    return [row.user for row in rows]


def escalation_recipients(order: RepairOrder, level: int) -> list[User]:
    if level == 1:
        return _holders(order.store_id, (FOREMAN_ROLE,))
    if level == 2:
        return [order.advisor] if order.advisor.is_active else []
    return _holders(order.store_id, MANAGER_ROLES)


def alert_send(order: RepairOrder, kind: str, level: int, due_at: datetime) -> int:
    """Write the alert of ``level`` once (its unique row) and tell its people in-app."""
    with transaction.atomic():
        created = SlaAlert.objects.get_or_create(
            order=order, kind=kind, level=level, defaults={"store_id": order.store_id, "due_at": due_at}
        )[1]
    if not created or not _active(OVERDUE_EVENT):
        return 0
    what = SlaAlert.Kind(kind)
    sent = 0
    for user in escalation_recipients(order, level):
        with override(user.preferred_language):
            label = str(what.label)
        sent += len(
            message_try(
                f"service level alert of {order.number}",
                lambda user=user, label=label: message_send(  # type: ignore[misc]
                    store=order.store,
                    event=OVERDUE_EVENT,
                    recipient=_staff(user),
                    variables={
                        "order": order.number,
                        "plate": _plate(order),
                        "what": label,
                        "due": _wall(order.store, due_at),
                    },
                    about=("visits.repairorder", order.pk),
                    channels=("inapp",),
                ),
            )
        )
    return sent
