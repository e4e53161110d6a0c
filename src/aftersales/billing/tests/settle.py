"""Settling a ready order as the counter does, for the tests of other areas that deliver cars (the guard on
``deliver``): its list confirmed by the advisor, the customer's share paid in cash by the cashier."""

from __future__ import annotations

from aftersales.billing.models import Settlement, SettlementList
from aftersales.billing.payments import PaymentIn, payment_take
from aftersales.billing.services import ConfirmIn, settlement_confirm
from aftersales.core.models import User
from aftersales.visits.models import RepairOrder


def paid(order: RepairOrder, *, advisor: User, cashier: User) -> None:
    """Every ready order of the order's visit settled and its customer's share paid in cash."""
    for ready in RepairOrder.all_objects.filter(visit_id=order.visit_id, state=RepairOrder.State.READY):
        found = SettlementList.all_objects.exclude(state=SettlementList.State.REVERSED).get(order=ready)
        if found.state == SettlementList.State.PREPARED:
            settlement_confirm(actor=advisor, list_id=found.pk, data=ConfirmIn())
        owed = Settlement.all_objects.filter(settlement_list=found, payer="customer", state="open")
        for settlement in owed:
            payment_take(
                actor=cashier, settlement_id=settlement.pk, data=PaymentIn(method="cash", amount=settlement.open_amount)
            )
