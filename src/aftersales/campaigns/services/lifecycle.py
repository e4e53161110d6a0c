"""Opening and closing a campaign. Opening checks that it can be matched (it affects vehicles) and is
valid that day; a recall's outreach follows in a job queued by the opening (``outreach``)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.campaigns import tasks
from aftersales.campaigns.models import Campaign, CampaignEvent
from aftersales.campaigns.selectors import campaign_access
from aftersales.campaigns.services.outreach import chases_owners
from aftersales.campaigns.transitions import CAMPAIGN
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User


def _event(campaign: Campaign) -> Callable[..., CampaignEvent]:
    return lambda **fields: CampaignEvent.objects.create(campaign=campaign, **fields)


def campaign_open(*, actor: User, campaign_id: int) -> Campaign:
    """Open a draft: from now on bookings, reception and the match API offer it. Refused (nothing
    written) when it affects no vehicle or today lies outside its validity; a recall's outreach is
    queued as a job that starts after the commit (``tasks.campaign_outreach_run``). Locks the campaign."""
    with transaction.atomic():
        campaign = campaign_access(actor=actor, campaign_id=campaign_id, for_update=True)
        if campaign.state == Campaign.State.DRAFT:
            errors: dict[str, list[str]] = {}
            today = timezone.localdate()
            if campaign.valid_from > today:
                errors["valid_from"] = [
                    _("The campaign starts on %(date)s: it can be opened from that day on.")
                    % {"date": campaign.valid_from.isoformat()}
                ]
            if campaign.valid_until is not None and campaign.valid_until < today:
                errors["valid_until"] = [
                    _("The campaign ended on %(date)s: it can no longer be opened.")
                    % {"date": campaign.valid_until.isoformat()}
                ]
            if not (campaign.vins.exists() or campaign.ranges.exists() or campaign.models.exists()):
                errors["affected"] = [_("Give the vehicles it affects first: a VIN list, a VIN range or a model.")]
            if errors:
                raise ApplicationError(_("The campaign cannot be opened."), fields=errors, status=422)
        campaign.opened_at, campaign.opened_by = timezone.now(), actor
        CAMPAIGN.apply(campaign, "open", actor=actor, event=_event(campaign), save_fields=["opened_at", "opened_by"])
        if chases_owners(campaign):
            transaction.on_commit(lambda: tasks.campaign_outreach_run(campaign.pk, actor.pk))
    return campaign


def campaign_opened_message(campaign: Campaign) -> str:
    """What the page and the API say once the campaign is open."""
    if chases_owners(campaign):
        return _(
            "%(code)s is open: the notices to the owners of the affected vehicles are being sent; the outreach "
            "per store fills in as they go."
        ) % {"code": campaign.code}
    return _("%(code)s is open.") % {"code": campaign.code}


def campaign_close(*, actor: User, campaign_id: int, note: str = "") -> Campaign:
    """Close an open campaign: it is offered no more; its outreach stays as a record. Locks it."""
    with transaction.atomic():
        campaign = campaign_access(actor=actor, campaign_id=campaign_id, for_update=True)
        campaign.closed_at, campaign.closed_by = timezone.now(), actor
        CAMPAIGN.apply(
            campaign, "close", actor=actor, event=_event(campaign), note=note, save_fields=["closed_at", "closed_by"]
        )
    return campaign
