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
from aftersales.messaging.models import Message


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
    assert CampaignVin.objects.filter(campaign=recall).count() == LISTED
    chased = Outreach.all_objects.filter(campaign=recall)
    assert chased.count() >= LISTED
    assert chased.filter(notified_at__isnull=False).count() + chased.filter(task__isnull=False).count() >= LISTED
    assert Message.objects.filter(event="campaign_notice", about_type="campaigns.outreach").exists()
    progress = outreach_progress(recall)
    assert sum(row.vehicles for row in progress) == chased.count()
    assert sum(row.reached for row in progress) == (chased.count() + 1) // 2
    listed = Vehicle.objects.get(vin=CampaignVin.objects.filter(campaign=recall).order_by("pk").first().vin)
    group = recall.group_id
    assert RECALL in [c.code for c in vehicle_open_campaigns(group_id=group, vehicle=listed, day=recall.valid_from)]
    assert campaigns_demo_install() == 0
