"""Campaigns' API under ``/campaigns``: the registry and its imports, and ``/campaigns/match``, the open
campaigns of a VIN. The match's literal path comes first; a campaign's id only matches digits anyway."""

from ninja import Router

from aftersales.campaigns.api import match, registry

router = Router()
for feature in (match, registry):
    router.add_router("", feature.router)
