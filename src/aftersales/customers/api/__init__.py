"""The archive's HTTP API: one router mounting one module per feature."""

from ninja import Router

from aftersales.customers.api import customers, imports, messages, privacy, quality, vehicles

router = Router()
for feature in (customers, vehicles, quality, imports, privacy, messages):
    router.add_router("/", feature.router)
