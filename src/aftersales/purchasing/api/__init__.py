"""Purchasing's API: suppliers and approval limits, purchase orders; one module per feature."""

from ninja import Router

from aftersales.purchasing.api import backorders, delivery_notes, orders, replenishment, suppliers

router = Router()
for feature in (suppliers, delivery_notes, orders, backorders, replenishment):
    router.add_router("", feature.router)
