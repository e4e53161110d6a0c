"""Quality and delivery's API: an order's final inspection (``/repair-orders/{id}/qc``), a visit's way to
the customer (``/visits/{id}/wash``, ``/handover``, ``/ready-check``, ``/pickup-arrival``, ``/delivery``),
comebacks and their rates (``/comebacks``), a vehicle's repair guarantees (``/vehicles/{id}/guarantees``)
and the store's rules (``/quality/settings``); one module per feature."""

from ninja import Router

from aftersales.quality.api import comebacks, delivery, inspection, settings

router = Router()
for feature in (inspection, delivery, comebacks, settings):
    router.add_router("", feature.router)
