"""The campaign's states and actions (DESIGN-visit, "States, transitions and guards").

draft → open (the outreach of a recall starts) · open → closed. A draft is edited freely; an open or
closed campaign keeps what it was opened with (the outreach and the matches rest on it).
"""

from __future__ import annotations

from aftersales.campaigns.models import Campaign
from aftersales.core.transitions import StateTable, Transition

S = Campaign.State

CAMPAIGN = StateTable(
    "campaign",
    [
        Transition("open", (S.DRAFT,), S.OPEN, "campaigns.manage"),
        Transition("close", (S.OPEN,), S.CLOSED, "campaigns.manage"),
    ],
    field="state",
)
