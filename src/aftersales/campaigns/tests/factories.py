"""Factories of the campaigns' tests."""

from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory

from aftersales.campaigns.models import Campaign, CampaignVin
from aftersales.catalogue.tests.factories import LabourOperationFactory


class CampaignFactory(DjangoModelFactory[Campaign]):
    """A draft recall of the operation's group, valid from 2020 without end."""

    class Meta:
        model = Campaign

    operation = factory.SubFactory(LabourOperationFactory)
    group = factory.LazyAttribute(lambda campaign: campaign.operation.group)
    code = factory.Sequence(lambda n: f"RC-2026-{n:03d}")
    kind = Campaign.Kind.RECALL
    title = factory.Sequence(lambda n: f"燃油泵召回{n}")
    valid_from = date(2020, 1, 1)


class CampaignVinFactory(DjangoModelFactory[CampaignVin]):
    class Meta:
        model = CampaignVin

    campaign = factory.SubFactory(CampaignFactory)
