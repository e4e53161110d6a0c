from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    """The service visit from the car at the door to approved work: reception, the walk-around, diagnosis,
    and the repair order with its lines and their approvals (DESIGN-visit)."""

    name = "aftersales.visits"
    label = "visits"
    verbose_name = _("Service visits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.media import MediaOwner, media_owner_register
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.numbering import document_type_register
        from aftersales.core.permissions import register
        from aftersales.customers.selectors import timeline_source_register
        from aftersales.messaging.services import LinkPurpose, link_purpose_register
        from aftersales.visits.demo import visits_demo_install
        from aftersales.visits.models import CheckResult, DamageMark
        from aftersales.visits.permissions import GRANTS, PERMISSIONS
        from aftersales.visits.selectors import photo_authorize
        from aftersales.visits.services.approvals import approval_snapshot
        from aftersales.visits.services.links import PURPOSE
        from aftersales.visits.timeline import ORDERS, VISITS

        register(PERMISSIONS, GRANTS)
        # The front of the house: reception right after the appointments.
        bookings = next(i for i, entry in enumerate(MENU) if entry.url_name == "appointments:list")
        MENU.insert(bookings + 1, MenuItem("visits:desk", _("Reception"), "bi-person-workspace", "visits.view"))
        MENU.insert(bookings + 2, MenuItem("visits:orders", _("Repair orders"), "bi-clipboard-check", "visits.view"))
        # After the appointments and campaigns (earlier in INSTALLED_APPS): reception receives their cars.
        DEMO_EXTENSIONS.append(visits_demo_install)
        for owner_type in (DamageMark.OWNER_TYPE, CheckResult.OWNER_TYPE):
            media_owner_register(owner_type, MediaOwner(authorize=photo_authorize))
        # The customer's page imports the services: after the permissions are registered.
        from aftersales.visits.views.links import approval_view

        link_purpose_register(
            PURPOSE, LinkPurpose(object_type="visits.repairorder", snapshot=approval_snapshot, view=approval_view)
        )
        timeline_source_register(VISITS)
        timeline_source_register(ORDERS)
        document_type_register("VS", label=_("Visit"), gap_free=False)
        # The repair order is part of the law's repair archive (机动车维修管理规定): no number may go missing.
        document_type_register("RO", label=_("Repair order"), gap_free=True)
