"""Every write of the campaigns area: the registry, opening and closing, the VIN list import and the
outreach of a recall."""

from aftersales.campaigns.services.imports import VIN_LIST, VinImport, vin_list_import, vin_list_template
from aftersales.campaigns.services.lifecycle import campaign_close, campaign_open, campaign_opened_message
from aftersales.campaigns.services.outreach import OutreachStarted, chases_owners, outreach_follow_up, outreach_run
from aftersales.campaigns.services.registry import (
    PartLine,
    campaign_save,
    definition_remove,
    model_range_add,
    vin_range_add,
    vins_add,
)

__all__ = [
    "VIN_LIST",
    "OutreachStarted",
    "PartLine",
    "VinImport",
    "campaign_close",
    "campaign_open",
    "campaign_opened_message",
    "campaign_save",
    "chases_owners",
    "definition_remove",
    "model_range_add",
    "outreach_follow_up",
    "outreach_run",
    "vin_list_import",
    "vin_list_template",
    "vin_range_add",
    "vins_add",
]
