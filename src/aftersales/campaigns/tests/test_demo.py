"""The campaigns' part of ``aftersales demo``: an open recall hitting demo vehicles, chased with notices
and call tasks, half of its owners reached; an open service campaign; idempotent."""

from __future__ import annotations

import pytest
from django.test import TestCase

from aftersales.campaigns.demo import LISTED, RECALL, SERVICE, campaigns_demo_install
from aftersales.campaigns.models import Campaign, CampaignVin, Outreach
from aftersales.campaigns.selectors import outreach_progress, vehicle_open_campaigns
from aftersales.core import demo as core_demo
from aftersales.core.demo import demo_install
from aftersales.customers.models import Vehicle
from aftersales.messaging.models import Message, Task


def test_the_demo_opens_a_recall_that_hits_demo_vehicles(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    needed = ("customers", "catalogue", "campaigns")
    monkeypatch.setattr(
        core_demo,
        "DEMO_EXTENSIONS",
        [extension for extension in core_demo.DEMO_EXTENSIONS if extension.__module__.split(".")[1] in needed],
    )
    monkeypatch.setattr(core_demo, "DEMO_FINISHERS", [])
    with TestCase.captureOnCommitCallbacks(execute=True):
        demo_install()
    recall = Campaign.objects.get(code=RECALL)
    service = Campaign.objects.get(code=SERVICE)
    assert (recall.kind, recall.state, service.kind, service.state) == ("recall", "open", "service", "open")
    assert (recall.brand.code, recall.operation.code, recall.operation.name) == (
        "TOYOTA",
        "TOYOTA-R01",
        "更换燃油泵总成（召回）",
    )
    assert (service.title, service.operation.code) == ("冬季空调暖风免费检测", "TOYOTA-A01")
    assert CampaignVin.objects.filter(campaign=recall).count() == LISTED == 12
    # The 12 listed cars and the one built in the recalled period, all chased by SH01; every owner has a
    # mobile (one SMS notice each, no call task); every other one (7 of 13) reached. The job the opening
    # queued ran after the commit and found nothing left to do.
    chased = Outreach.all_objects.filter(campaign=recall)
    assert (
        chased.count(),
        chased.filter(notified_at__isnull=False).count(),
        chased.filter(task__isnull=False).count(),
        chased.filter(reached_at__isnull=False).count(),
    ) == (13, 13, 0, 7)
    notices = Message.objects.filter(event="campaign_notice", about_type="campaigns.outreach")
    assert (notices.count(), notices.filter(channel="sms").count()) == (13, 13)
    assert Task.objects.filter(about_type="campaigns.outreach").count() == 0
    assert [
        (row.store_code, row.vehicles, row.notified, row.reached, row.tasks) for row in outreach_progress(recall)
    ] == [("SH01", 13, 13, 7, 0)]
    listed = Vehicle.objects.get(vin=CampaignVin.objects.filter(campaign=recall).order_by("pk").first().vin)
    group = recall.group_id
    assert [c.code for c in vehicle_open_campaigns(group_id=group, vehicle=listed, day=recall.valid_from)] == [RECALL]
    assert campaigns_demo_install() == 0
    assert (Campaign.objects.count(), chased.count(), notices.count()) == (2, 13, 13)
