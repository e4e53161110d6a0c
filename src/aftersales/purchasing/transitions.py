"""The purchase order's states and actions (DESIGN-visit, "States, transitions and guards").

draft → submitted → approved → sent → partly received → received → closed; cancelled from draft,
submitted, approved, or sent with nothing received; a submitted order sent back to draft.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.transitions import StateTable, Transition
from aftersales.purchasing.models import PurchaseOrder

S = PurchaseOrder.Status

ORDER = StateTable(
    "purchase order",
    [
        Transition("submit", (S.DRAFT,), S.SUBMITTED, "purchasing.order"),
        Transition("send_back", (S.SUBMITTED,), S.DRAFT, "purchasing.approve"),
        Transition("approve", (S.SUBMITTED,), S.APPROVED, "purchasing.approve"),
        Transition("send", (S.APPROVED,), S.SENT, "purchasing.order"),
        Transition("receive_part", (S.SENT, S.PARTLY_RECEIVED), S.PARTLY_RECEIVED, "stock.move"),
        Transition("receive_all", (S.SENT, S.PARTLY_RECEIVED), S.RECEIVED, "stock.move"),
        Transition("close", (S.SENT, S.PARTLY_RECEIVED, S.RECEIVED), S.CLOSED, "purchasing.order"),
        Transition("cancel", (S.DRAFT, S.SUBMITTED, S.APPROVED, S.SENT), S.CANCELLED, "purchasing.order"),
    ],
)


# How the order's history names each action.
ACTION_LABELS = {
    "create": gettext_lazy("Written"),
    "submit": gettext_lazy("Submitted for approval"),
    "send_back": gettext_lazy("Sent back to the writer"),
    "approve": gettext_lazy("Approved"),
    "send": gettext_lazy("Sent to the supplier"),
    "receive_part": gettext_lazy("Received in part"),
    "receive_all": gettext_lazy("Received in full"),
    "close": gettext_lazy("Closed"),
    "cancel": gettext_lazy("Cancelled"),
    "cancel_backorder": gettext_lazy("Backorder cancelled"),
    "amend": gettext_lazy("Amended after sending"),
    "confirm": gettext_lazy("Confirmed by the supplier"),
}


@ORDER.guard("cancel")
def _nothing_received(order: PurchaseOrder) -> str | None:
    if order.lines.filter(received__gt=0).exists():
        return _("Part of the order is received: close it instead (the rest is cancelled).")
    return None
