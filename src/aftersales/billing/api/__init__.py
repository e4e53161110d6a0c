"""Settlement and payments' API: settlement lists (``/settlements``: the list, one list with its settlements per
payer and charges, preparing, confirming, reversing, credit, the printed list), payments at the counter and their
refunds (``/payments``, ``/payments/refunds``) and the cash desk (``/payments/cash-days``,
``/payments/daily-report``, ``/payments/funds-flow``); one module per feature."""

from ninja import Router

from aftersales.billing.api import cash, payments, settlements

router = Router()
for feature in (settlements, cash, payments):
    router.add_router("", feature.router)
