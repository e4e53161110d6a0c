"""A recall's outreach: the affected vehicles of the archive chased by one store each, their owners sent
the notice (service class, also without marketing consent), the unreached given a call task; the
follow-up job records who was reached and calls those the notice missed; the rates per store."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation

from aftersales import schedule
from aftersales.appointments.models import Appointment, AppointmentService
from aftersales.campaigns import services, tasks
from aftersales.campaigns.models import Campaign, CampaignModelRange, CampaignVin, CampaignVinRange, Outreach
from aftersales.campaigns.selectors import outreach_progress, range_key
from aftersales.campaigns.services import outreach
from aftersales.campaigns.tests.conftest import Registry
from aftersales.campaigns.tests.factories import CampaignFactory
from aftersales.customers.models import Vehicle
from aftersales.customers.tests.factories import CustomerFactory, VehicleFactory, valid_vin
from aftersales.messaging.models import Message, Task


def _recall(registry: Registry) -> Campaign:
    """A recall of serials 100000-100099 (the registry's car, serial 100050) and of a second listed VIN."""
    campaign = CampaignFactory.create(operation=registry.operation, code="RC-OUT", title="燃油泵召回")
    CampaignVinRange.objects.create(
        campaign=campaign, prefix=range_key(valid_vin(100000)), serial_from="100000", serial_to="100099"
    )
    return campaign


def _open(registry: Registry, campaign: Campaign) -> None:
    """Open the campaign and run the outreach job's service (what the job queued by the opening does)."""
    services.campaign_open(actor=registry.keeper, campaign_id=campaign.pk)
    services.outreach_run(actor=registry.keeper, campaign_id=campaign.pk)


def test_opening_a_recall_notifies_the_owners_and_calls_the_unreachable(
    registry: Registry, django_capture_on_commit_callbacks: Any
) -> None:
    world = registry.world
    campaign = _recall(registry)
    # Sold by SZ01 but last booked at SH01: SH01 chases it. No mobile, no e-mail: a call task at once.
    silent = VehicleFactory.create(
        owner=CustomerFactory.create(name="李四", mobiles=[], store=world.sz),
        vin=valid_vin(100051),
        selling_store_id=world.sz.pk,
    )
    Appointment.all_objects.create(
        store=world.sh,
        number="AP-1",
        channel="phone",
        vehicle=silent,
        contact_name="李四",
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=1),
        hours=1,
    )
    # Listed; its owner registered at SZ01; no marketing consent: the notice goes all the same.
    listed = VehicleFactory.create(owner=CustomerFactory.create(name="王五", store=world.sz), vin=valid_vin(300))
    CampaignVin.objects.create(campaign=campaign, vin=listed.vin)
    VehicleFactory.create(vin=valid_vin(100100))  # just outside the range
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True) as queued:
        opened = services.campaign_open(actor=registry.keeper, campaign_id=campaign.pk)
        # Nothing is chased inside the opening: the job waits for the commit.
        assert (opened.state, Outreach.all_objects.count(), Message.objects.count()) == ("open", 0, 0)
    # The opening queued the job, which (immediate mode) ran after the commit and queued the three
    # notices' sends, which ran in turn.
    assert [callback.__qualname__.split(".")[0] for callback in queued] == [
        "campaign_open",
        "_deliver_later",
        "_deliver_later",
        "_deliver_later",
    ]
    rows = {
        row.vehicle_id: (row.store_id, row.notified_at is not None, row.task_id is not None)
        for row in Outreach.all_objects.filter(campaign=campaign)
    }
    assert rows == {
        registry.vehicle.pk: (world.sh.pk, True, False),
        silent.pk: (world.sh.pk, False, True),
        listed.pk: (world.sz.pk, True, False),
    }
    notices = Message.objects.filter(event="campaign_notice").order_by("about_id", "channel")
    assert [(m.channel, m.message_class) for m in notices] == [
        ("email", "service"),
        ("sms", "service"),
        ("sms", "service"),
    ]
    # Sent at once (here: no SMTP server or SMS provider configured, so each fails saying so), or held in
    # the store's quiet hours, by the time of day the test runs; never cancelled.
    unconfigured = {
        "email": "No SMTP server is configured (EMAIL_HOST).",
        "sms": "No SMS provider is configured (AFTERSALES_SMS_PROVIDER).",
    }
    assert all((m.status, m.error) in {("held", ""), ("failed", unconfigured[m.channel])} for m in notices), [
        (m.status, m.error) for m in notices
    ]
    sms = notices.get(channel="sms", recipient_name="张三")
    assert sms.body == (
        "张三您好，您的车辆（沪A12345）在燃油泵召回（编号 RC-OUT）范围内，检修免费。"
        f"请致电 {world.sh.phone or '-'} 预约到{world.sh.name}办理。"
    )
    task = Task.objects.get()
    assert (task.store_id, task.assignee_role, task.about_type) == (world.sh.pk, "crm", "campaigns.outreach")
    assert task.subject == f"Call the owner of {silent.vin} about RC-OUT 燃油泵召回"


def test_follow_up_records_the_reached_and_calls_the_missed_once(registry: Registry) -> None:
    campaign = _recall(registry)
    other = VehicleFactory.create(
        owner=CustomerFactory.create(name="赵六", mobiles=["13900000001"]), vin=valid_vin(100060)
    )
    Vehicle.objects.filter(pk=other.pk).update(selling_store=registry.world.sh)
    _open(registry, campaign)
    mine = Outreach.all_objects.get(vehicle=registry.vehicle)
    theirs = Outreach.all_objects.get(vehicle=other)
    delivered_at = timezone.now() - timedelta(hours=1)
    Message.objects.filter(about_id=mine.pk, channel="sms").update(status="delivered", delivered_at=delivered_at)
    Message.objects.filter(about_id=theirs.pk).update(status="failed", error="空号")
    first = services.outreach_follow_up()
    assert first == {"reached": 1, "reached_by_call": 0, "tasks": 1}
    assert services.outreach_follow_up() == {"reached": 0, "reached_by_call": 0, "tasks": 0}
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.reached_at == delivered_at
    assert theirs.task is not None and theirs.reached_at is None
    Task.objects.filter(pk=theirs.task_id).update(status="done", closed_at=delivered_at, outcome="已通知")
    assert services.outreach_follow_up() == {"reached": 0, "reached_by_call": 1, "tasks": 0}


def test_a_notice_not_delivered_in_three_days_gets_a_call(registry: Registry) -> None:
    campaign = _recall(registry)
    _open(registry, campaign)
    outreach = Outreach.all_objects.get()
    assert services.outreach_follow_up(now=outreach.notified_at + timedelta(days=2, hours=23)) == {
        "reached": 0,
        "reached_by_call": 0,
        "tasks": 0,
    }
    assert services.outreach_follow_up(now=outreach.notified_at + timedelta(days=3))["tasks"] == 1


def test_rates_per_store_count_live_bookings_of_the_operation_since_opening(registry: Registry) -> None:
    world = registry.world
    campaign = CampaignFactory.create(operation=registry.operation, code="RC-M")
    CampaignModelRange.objects.create(campaign=campaign, model=registry.model, produced_from=date(2024, 1, 1))
    second = VehicleFactory.create(vin=valid_vin(5), model_id=registry.model.pk, production_date=date(2024, 5, 1))
    Vehicle.objects.filter(pk=second.pk).update(selling_store=world.sh)
    _open(registry, campaign)
    campaign.refresh_from_db()
    Outreach.all_objects.filter(vehicle=registry.vehicle).update(reached_at=timezone.now())

    def book(vehicle: Vehicle, state: str, operation_id: int) -> None:
        start = timezone.now() + timedelta(days=10)
        appointment = Appointment.all_objects.create(
            store=world.sh,
            number=f"AP-{vehicle.pk}-{state}-{operation_id}",
            channel="phone",
            state=state,
            vehicle=vehicle,
            contact_name="张三",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            hours=1,
        )
        AppointmentService.objects.create(
            appointment=appointment,
            position=1,
            operation_id=operation_id,
            name="x",
            hours=1,
            skill_level="junior",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )

    book(registry.vehicle, "booked", registry.operation.pk)
    book(second, "cancelled", registry.operation.pk)
    [progress] = outreach_progress(campaign)
    assert (progress.store_code, progress.vehicles, progress.notified, progress.reached, progress.booked) == (
        "SH01",
        2,
        2,
        1,
        1,
    )
    assert (progress.reached_rate, progress.booked_rate, progress.completed_rate) == (50, 50, 0)
    assert outreach_progress(campaign, store_ids=[world.sz.pk]) == []


def test_the_follow_up_runs_hourly_from_the_schedule(registry: Registry) -> None:
    def runs(task: object, moment: datetime) -> bool:
        return bool(task.task_class().validate_datetime(moment))  # type: ignore[attr-defined]

    job = schedule.campaign_outreach_follow_up
    assert (runs(job, datetime(2026, 11, 26, 10, 20)), runs(job, datetime(2026, 11, 26, 10, 21))) == (True, False)
    campaign = _recall(registry)
    _open(registry, campaign)
    Message.objects.filter(channel="sms").update(status="delivered", delivered_at=timezone.now())
    assert job.call_local() == {"reached": 1, "reached_by_call": 0, "tasks": 0}
    assert job.call_local() == {"reached": 0, "reached_by_call": 0, "tasks": 0}


def test_the_outreach_job_works_in_batches_and_a_second_run_adds_nothing(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = _recall(registry)
    for serial, name in ((100061, "赵七"), (100062, "钱八")):
        VehicleFactory.create(
            owner=CustomerFactory.create(name=name, mobiles=[f"139{serial:08d}"]),
            vin=valid_vin(serial),
            selling_store_id=registry.world.sh.pk,
        )
    monkeypatch.setattr(outreach, "BATCH", 2)  # three vehicles: two batches, one transaction each
    services.campaign_open(actor=registry.keeper, campaign_id=campaign.pk)
    first = tasks.campaign_outreach_run(campaign.pk, registry.keeper.pk)
    assert first.get() == {"vehicles": 3, "notified": 3, "tasks": 0, "skipped": 0}
    counts = (Outreach.all_objects.count(), Message.objects.count(), Task.objects.count())
    assert counts == (3, 4, 0)  # the registry's owner has a mobile and an e-mail: two notices
    again = tasks.campaign_outreach_run(campaign.pk, registry.keeper.pk)
    assert again.get() == {"vehicles": 0, "notified": 0, "tasks": 0, "skipped": 0}
    assert (Outreach.all_objects.count(), Message.objects.count(), Task.objects.count()) == counts


def test_the_outreach_job_leaves_a_closed_campaign_alone(registry: Registry) -> None:
    campaign = _recall(registry)
    services.campaign_open(actor=registry.keeper, campaign_id=campaign.pk)
    services.campaign_close(actor=registry.keeper, campaign_id=campaign.pk, note="撤回")
    assert services.outreach_run(actor=None, campaign_id=campaign.pk) == services.OutreachStarted(
        vehicles=0, notified=0, tasks=0, skipped=0
    )
    assert (Outreach.all_objects.count(), Message.objects.count(), Task.objects.count()) == (0, 0, 0)


def test_the_outbox_is_indexed_by_what_a_message_is_about(db: None) -> None:
    # The follow-up looks a recall's notices up by (about_type, about_id) for every pending outreach row.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Message._meta.db_table)
    assert (constraints["message_about"]["index"], constraints["message_about"]["columns"]) == (
        True,
        ["about_type", "about_id"],
    )
