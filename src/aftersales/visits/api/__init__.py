"""The visits area's API: visits at reception with their walk-around and diagnosis (``/visits``), and
repair orders with their lines and approvals (``/repair-orders``); one module per feature. Ids only
match digits (``{id:...}``)."""

from ninja import Router

from aftersales.visits.api import approvals, inspection, orders, visits

router = Router()
for feature in (visits, inspection, orders, approvals):
    router.add_router("", feature.router)
