"""Purchasing's API: suppliers and approval limits, purchase orders; one module per feature."""

from ninja import Router

from aftersales.purchasing.api import backorders, orders, replenishment, suppliers

router = Router()
for feature in (suppliers, orders, backorders, replenishment):
    router.add_router("", feature.router)
