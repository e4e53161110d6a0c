"""Background jobs of the campaigns: thin, idempotent wrappers around a service."""

from __future__ import annotations

from dataclasses import asdict

from huey.contrib.djhuey import db_task

from aftersales.campaigns.services.outreach import outreach_run
from aftersales.core.models import User


@db_task()
def campaign_outreach_run(campaign_id: int, actor_id: int | None = None) -> dict[str, int]:
    """Chase the owners of an opened recall (queued by ``campaign_open``); a redelivery, or a run after
    the campaign was closed, writes nothing more."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    return asdict(outreach_run(actor=actor, campaign_id=campaign_id))
