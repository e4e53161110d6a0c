"""Quality and delivery's API: an order's final inspection (``/repair-orders/{id}/qc``), a visit's way to
the customer (``/visits/{id}/wash``, ``/handover``, ``/ready-check``, ``/pickup-arrival``, ``/delivery``),
comebacks and their rates (``/comebacks``), a vehicle's repair guarantees (``/vehicles/{id}/guarantees``)
the store's rules (``/quality/settings``), the 三包 watch (``/vehicles/{id}/warranty-watch``,
``/warranty-alerts``, ``/sanbao-parts``) and quality evaluations (``/quality-audits``); one module per feature."""

from ninja import Router

from aftersales.quality.api import audits, comebacks, delivery, inspection, sanbao, settings

router = Router()
for feature in (inspection, delivery, comebacks, settings, sanbao, audits):
    router.add_router("", feature.router)
