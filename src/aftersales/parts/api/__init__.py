"""The parts area's API: the part master (``/parts``) and stock (``/stock``), one module per feature."""

from ninja import Router

from aftersales.parts.api import closings, imports, ledger, movements, parts, reservations, stocktakes, warehouses

router = Router()
for feature in (parts, warehouses, ledger, movements, reservations, closings, stocktakes, imports):
    router.add_router("", feature.router)
