"""Purchasing's API: suppliers and approval limits, purchase orders; one module per feature."""

from ninja import Router

from aftersales.purchasing.api import backorders, orders, suppliers

router = Router()
for feature in (suppliers, orders, backorders):
    router.add_router("", feature.router)
