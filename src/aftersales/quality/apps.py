from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Quality and delivery: the final inspection and its release certificate, internal rework, the wash,
    the handover to the advisor, the delivery of the visit, repair guarantees and comebacks, the 三包 watch
    and quality evaluations (QC-1..5, RO-8, LAW-1, LAW-4)."""

    name = "aftersales.quality"
    label = "quality"
    verbose_name = _("Quality and delivery")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.numbering import document_type_register
        from aftersales.core.permissions import register
        from aftersales.customers.selectors import timeline_source_register
        from aftersales.customers.views.vehicles import VEHICLE_PANELS
        from aftersales.quality import transitions  # noqa: F401  (registers the guards on ``ready``)
        from aftersales.quality.demo import quality_demo_install
        from aftersales.quality.permissions import GRANTS, PERMISSIONS
        from aftersales.quality.services import READY_LISTENERS, sanbao
        from aftersales.quality.services.comebacks import order_listener
        from aftersales.quality.timeline import DELIVERIES
        from aftersales.quality.views.panel import order_panel, visit_panel
        from aftersales.visits.services.orders import ORDER_LISTENERS
        from aftersales.visits.transitions import ACTION_LABELS
        from aftersales.visits.views.orders import ORDER_PANELS
        from aftersales.visits.views.visit import VISIT_PANELS

        register(PERMISSIONS, GRANTS)
        # Its pages declare these permissions as they are defined: the 三包 pages' module loads after them.
        from aftersales.quality.views.sanbao_lists import vehicle_panel

        # After the workshop's entries: the car goes from the job board to inspection and delivery.
        after = max(i for i, entry in enumerate(MENU) if entry.url_name.startswith("workshop:"))
        # One entry (the desk links the comeback queue and its rates): the menu bar is full at 1280 px.
        MENU.insert(after + 1, MenuItem("quality:desk", _("Quality and delivery"), "bi-patch-check", "quality.view"))
        # New work on an order is checked for a comeback of earlier work on the car.
        ORDER_LISTENERS.append(order_listener)
        # Work signed or added, and the pickup notice that ends a repair's time, may reach a 三包 rule.
        ORDER_LISTENERS.append(sanbao.order_listener)
        READY_LISTENERS.append(sanbao.ready_listener)
        ACTION_LABELS.update({"inspect": _("Final inspection passed"), "deliver": _("Delivered")})
        # The order's page shows its final inspections, certificate and comebacks.
        ORDER_PANELS.append(order_panel)
        # The visit's page (reception) shows the car's running repair guarantees and its way to delivery.
        VISIT_PANELS.append(visit_panel)
        # The vehicle's page shows its 三包 watch at a glance, with the way to the full watch.
        VEHICLE_PANELS.append(vehicle_panel)
        timeline_source_register(DELIVERIES)
        # The release certificate (机动车维修竣工出厂合格证) is part of the repair archive: no number goes missing.
        document_type_register("QC", label=_("Release certificate"), gap_free=True)
        document_type_register("QA", label=_("Quality evaluation"), gap_free=False)
        # After the workshop (earlier in INSTALLED_APPS): its finished orders are inspected and delivered.
        DEMO_EXTENSIONS.append(quality_demo_install)
