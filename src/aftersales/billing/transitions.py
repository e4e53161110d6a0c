"""The guard settlement registers on the repair order's ``deliver`` (DESIGN-visit "States, transitions and
guards"; seed 000 §6: the customer's share is paid at once): the car is released only when the customer's share
of a confirmed settlement list is paid, or credit for it is approved by a role with ``billing.finance``."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from aftersales.billing.models import Settlement, SettlementList
from aftersales.catalogue.paytypes import Payer
from aftersales.visits.models import RepairOrder
from aftersales.visits.transitions import REPAIR_ORDER


@REPAIR_ORDER.guard("deliver")
def customer_share_settled(order: RepairOrder) -> str | None:
    live = SettlementList.all_objects.filter(order=order).exclude(state=SettlementList.State.REVERSED).first()
    if live is None:
        return _("The order has no settlement list.")
    owed = [row for row in Settlement.all_objects.filter(settlement_list=live, payer=Payer.CUSTOMER) if row.amount]
    if not owed:
        return None
    if live.state != SettlementList.State.CONFIRMED:
        return _("The settlement list is not confirmed.")
    unpaid = [row for row in owed if row.received < row.amount and row.credit_at is None]
    if unpaid:
        return _("The customer has %(open)s to pay (or credit to be approved).") % {
            "open": sum((row.open_amount for row in unpaid), Decimal("0.00"))
        }
    return None
