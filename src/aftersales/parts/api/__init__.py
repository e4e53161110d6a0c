"""The parts area's API: the part master (``/parts``) and stock (``/stock``)."""

from ninja import Router

from aftersales.parts.api import parts, stock

router = Router()
router.add_router("", parts.router)
router.add_router("", stock.router)
