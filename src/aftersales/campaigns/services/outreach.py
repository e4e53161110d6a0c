"""Active outreach of a recall: once it is open, a job (``outreach_run``, in batches) gives every
affected vehicle of the archive an outreach row at one store of the group, its owner a notice through
the outbox, and an owner it cannot reach a call task for the store's customer care (role ``crm``).
A periodic job (``outreach_follow_up``) records
who was reached and gives the call task to those the notice did not reach after all.

Which store chases a vehicle: the store where it was last booked (whoever serves the car now), else
the store that sold it, else the store that registered its owner; a vehicle none of whose stores
belongs to the campaign's group is left to the group that has it.

The notice is a service message, not marketing: the dealer is bound by law to tell the owner of a
recalled vehicle (缺陷汽车产品召回管理条例 2019 Art. 19; PIPL Art. 13(2): processing needed to fulfil a
legal duty needs no consent), so it goes without marketing consent and despite an opt-out (退订)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.appointments.models import Appointment
from aftersales.campaigns.models import VIN_PREFIX_LENGTH, Campaign, CampaignModelRange, CampaignVin, Outreach
from aftersales.campaigns.selectors import CHECK_DIGIT_MASK
from aftersales.core.models import Store, User
from aftersales.customers.models import Customer, Vehicle, VehicleLink
from aftersales.customers.services.messages import customer_recipient
from aftersales.messaging.models import Message, Task
from aftersales.messaging.services import message_send, message_try
from aftersales.messaging.services.tasks import task_create

EVENT = "campaign_notice"
ABOUT = "campaigns.outreach"
CALL_ROLE = "crm"
# A notice not delivered after this many days is followed by a call.
REACH_DAYS = 3
CALL_DUE_WORKING_DAYS = 2
BATCH = 1000
# What counts as reaching the owner: an SMS the provider reports delivered, an e-mail handed over.
REACHED = Q(status=Message.Status.DELIVERED) | Q(channel="email", status=Message.Status.SENT)
# A notice that will not reach anyone any more.
LOST = (Message.Status.FAILED, Message.Status.UNKNOWN, Message.Status.CANCELLED)


def affected_vehicle_ids(campaign: Campaign) -> set[int]:
    """The vehicles of the archive the campaign affects: listed, in a VIN range, of a model built in a
    period (a vehicle without a production date only in a period open at both ends)."""
    ids = set(
        Vehicle.objects.filter(vin__in=CampaignVin.objects.filter(campaign=campaign).values("vin")).values_list(
            "pk", flat=True
        )
    )
    for row in campaign.ranges.all():
        head = row.prefix[:8]
        ids.update(
            Vehicle.objects.filter(vin__gte=head, vin__lte=head + "Z" * 9)
            .annotate(
                key=Concat(Substr("vin", 1, 8), Value(CHECK_DIGIT_MASK), Substr("vin", 10, 2)),
                serial=Substr("vin", VIN_PREFIX_LENGTH + 1, 6),
            )
            .filter(key=row.prefix, serial__gte=row.serial_from, serial__lte=row.serial_to)
            .values_list("pk", flat=True)
        )
    period: CampaignModelRange
    for period in campaign.models.all():
        vehicles = Vehicle.objects.filter(model_id=period.model_id)
        if period.produced_from is None and period.produced_until is None:
            pass
        else:
            if period.produced_from is not None:
                vehicles = vehicles.filter(production_date__gte=period.produced_from)
            if period.produced_until is not None:
                vehicles = vehicles.filter(production_date__lte=period.produced_until)
        ids.update(vehicles.values_list("pk", flat=True))
    return ids


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


@dataclass(frozen=True)
class OutreachStarted:
    vehicles: int  # outreach rows written
    notified: int  # owners a notice was put in the outbox for
    tasks: int  # call tasks given at once (no owner, nothing to send to, every notice failed)
    skipped: int  # affected vehicles no store of the group chases


def _stores_of(vehicles: list[Vehicle], owners: dict[int, Customer], group_stores: set[int]) -> dict[int, int]:
    last_booked: dict[int, int] = {}
    booked = (
        Appointment.all_objects.filter(vehicle_id__in=[vehicle.pk for vehicle in vehicles], store_id__in=group_stores)
        .exclude(state=Appointment.State.CANCELLED)
        .order_by("vehicle_id", "starts_at", "pk")
        .values_list("vehicle_id", "store_id")
    )
    for vehicle_id, store_id in booked:
        last_booked[vehicle_id] = store_id  # the latest wins
    chosen: dict[int, int] = {}
    for vehicle in vehicles:
        owner = owners.get(vehicle.pk)
        for store_id in (
            last_booked.get(vehicle.pk),
            vehicle.selling_store_id,
            owner.home_store_id if owner is not None else None,
        ):
            if store_id in group_stores:
                chosen[vehicle.pk] = store_id
                break
    return chosen


def _call_task(outreach: Outreach, campaign: Campaign, vehicle: Vehicle, actor: User | None) -> Task:
    return task_create(
        store=outreach.store,
        subject=_("Call the owner of %(plate)s about %(code)s %(title)s")
        % {"plate": vehicle.plate or vehicle.vin, "code": campaign.code, "title": campaign.title},
        actor=actor,
        role=CALL_ROLE,
        due_in_working_days=CALL_DUE_WORKING_DAYS,
        about=(ABOUT, outreach.pk, f"{campaign.code} {vehicle.plate or vehicle.vin}"),
    )


def notice_variables(campaign: Campaign, vehicle: Vehicle, customer: Customer, store: Store) -> dict[str, str]:
    return {
        "name": customer.name,
        "plate": vehicle.plate or vehicle.vin,
        "code": campaign.code,
        "title": campaign.title,
        "store": store.name,
        "phone": store.phone or "-",
    }


def chases_owners(campaign: Campaign) -> bool:
    """Whether opening the campaign starts an outreach to the affected owners (a recall does)."""
    return campaign.kind == Campaign.Kind.RECALL


def _outreach_batch(
    *, actor: User | None, campaign: Campaign, ids: list[int], stores: dict[int, Store], now: datetime
) -> OutreachStarted:
    """Write the outreach of these affected vehicles (none chased yet) and put the notices in the outbox
    (sent after the commit); the unreachable get their call task."""
    vehicles = list(Vehicle.objects.filter(pk__in=ids).order_by("pk"))
    owners = {
        link.vehicle_id: link.customer
        for link in VehicleLink.objects.filter(
            vehicle_id__in=ids, role=VehicleLink.Role.OWNER, valid_to__isnull=True
        ).select_related("customer")
    }
    chosen = _stores_of(vehicles, owners, set(stores))
    rows = Outreach.all_objects.bulk_create(
        [
            Outreach(campaign=campaign, vehicle=vehicle, customer=owners.get(vehicle.pk), store_id=chosen[vehicle.pk])
            for vehicle in vehicles
            if vehicle.pk in chosen
        ]
    )
    notified = tasks = 0
    by_vehicle = {vehicle.pk: vehicle for vehicle in vehicles}
    for outreach in rows:
        vehicle = by_vehicle[outreach.vehicle_id]
        store = stores[outreach.store_id]
        outreach.store = store
        owner = owners.get(vehicle.pk)
        sent: list[Message] = []
        if owner is not None and owner.anonymised_at is None:
            sent = message_try(
                f"recall notice of {campaign.code} for vehicle {vehicle.pk}",
                functools.partial(
                    message_send,
                    store=store,
                    event=EVENT,
                    recipient=customer_recipient(owner),
                    variables=notice_variables(campaign, vehicle, owner, store),
                    actor=actor,
                    about=(ABOUT, outreach.pk),
                ),
            )
        fields = []
        if sent:
            outreach.notified_at = now
            fields.append("notified_at")
            notified += 1
        if (owner is None or owner.anonymised_at is None) and all(m.status in LOST for m in sent):
            outreach.task = _call_task(outreach, campaign, vehicle, actor)
            fields.append("task")
            tasks += 1
        if fields:
            Outreach.all_objects.filter(pk=outreach.pk).update(**{name: getattr(outreach, name) for name in fields})
    return OutreachStarted(vehicles=len(rows), notified=notified, tasks=tasks, skipped=len(vehicles) - len(chosen))


def outreach_run(*, actor: User | None, campaign_id: int) -> OutreachStarted:
    """Chase the affected vehicles of an open recall that are not chased yet, ``BATCH`` vehicles to a
    transaction: each batch locks the campaign, passes over the vehicles another run chased meanwhile
    (one outreach row per vehicle, ``outreach_once_per_vehicle``), writes the rows and puts the notices
    in the outbox (sent after the batch's commit). Idempotent: run again, it writes nothing more; a
    campaign that is not an open recall (closed meanwhile) is left alone. Run by the job the opening
    queues (``tasks.campaign_outreach_run``)."""
    campaign = Campaign.objects.filter(pk=campaign_id, state=Campaign.State.OPEN).first()
    if campaign is None or not chases_owners(campaign):
        return OutreachStarted(vehicles=0, notified=0, tasks=0, skipped=0)
    stores = Store.all_objects.in_bulk(
        set(Store.all_objects.filter(group_id=campaign.group_id).values_list("pk", flat=True))
    )
    known = set(Outreach.all_objects.filter(campaign=campaign).values_list("vehicle_id", flat=True))
    ids = sorted(affected_vehicle_ids(campaign) - known)
    now = timezone.now()
    written = notified = tasks = skipped = 0
    for batch in _batches(ids):
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().filter(pk=campaign.pk, state=Campaign.State.OPEN)
            if locked.values_list("pk", flat=True).first() is None:
                break  # closed while the outreach went on: the rest is not chased
            chased = set(
                Outreach.all_objects.filter(campaign=campaign, vehicle_id__in=batch).values_list(
                    "vehicle_id", flat=True
                )
            )
            done = _outreach_batch(
                actor=actor, campaign=campaign, ids=[pk for pk in batch if pk not in chased], stores=stores, now=now
            )
        written += done.vehicles
        notified += done.notified
        tasks += done.tasks
        skipped += done.skipped
    return OutreachStarted(vehicles=written, notified=notified, tasks=tasks, skipped=skipped)


def outreach_follow_up(*, now: datetime | None = None) -> dict[str, int]:
    """For the open campaigns' outreach not reached yet: record the owners reached (a notice delivered,
    a call task done), and give a call task to those whose notices all failed or were not delivered
    within ``REACH_DAYS`` days. Idempotent: run again, it finds nothing more to do."""
    now = now or timezone.now()
    pending = Outreach.all_objects.filter(campaign__state=Campaign.State.OPEN, reached_at__isnull=True)
    notices = Message.objects.filter(about_type=ABOUT, about_id=OuterRef("pk"))
    delivered = notices.filter(REACHED).order_by("pk").values(moment=Coalesce("delivered_at", "sent_at"))[:1]
    reached = pending.filter(Exists(notices.filter(REACHED))).update(reached_at=Subquery(delivered))
    called = pending.filter(task__status=Task.Status.DONE).update(
        reached_at=Subquery(Task.objects.filter(pk=OuterRef("task_id")).values("closed_at")[:1])
    )
    due = (
        pending.filter(task__isnull=True, customer__anonymised_at__isnull=True)
        .filter(
            Q(notified_at__lte=now - timedelta(days=REACH_DAYS))
            | (Exists(notices) & ~Exists(notices.exclude(status__in=LOST)))
        )
        .select_related("campaign", "vehicle", "store")
        .order_by("pk")
    )
    given = 0
    for outreach in due.iterator(chunk_size=BATCH):
        with transaction.atomic():
            locked = Outreach.all_objects.select_for_update().filter(pk=outreach.pk, task__isnull=True).first()
            if locked is None:
                continue  # another run gave it its task
            task = _call_task(outreach, outreach.campaign, outreach.vehicle, None)
            Outreach.all_objects.filter(pk=outreach.pk).update(task=task)
            given += 1
    return {"reached": reached, "reached_by_call": called, "tasks": given}
