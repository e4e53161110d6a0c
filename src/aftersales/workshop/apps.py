from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopConfig(AppConfig):
    """The workshop: dispatch by skill and load, the technician's clock, parts for the job, boards, service
    levels and the customer's view of the progress (RO-4, RO-5, RO-6, RO-9)."""

    name = "aftersales.workshop"
    label = "workshop"
    verbose_name = _("Workshop")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.media import MediaOwner, media_owner_register
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.permissions import register
        from aftersales.messaging.services import LinkPurpose, link_purpose_register
        from aftersales.purchasing.services.notices import DEMAND_OWNERS
        from aftersales.visits.services.approvals import APPROVAL_LISTENERS
        from aftersales.visits.views.orders import ORDER_PANELS
        from aftersales.workshop.demo import workshop_demo_install
        from aftersales.workshop.models import JobNote
        from aftersales.workshop.permissions import GRANTS, PERMISSIONS
        from aftersales.workshop.selectors import note_photo_authorize, order_owner
        from aftersales.workshop.services.notices import PROGRESS_PURPOSE, approved_tell, progress_snapshot
        from aftersales.workshop.views.panel import order_panel
        from aftersales.workshop.views.progress import progress_view

        register(PERMISSIONS, GRANTS)
        # The workshop right after the repair orders it works.
        orders = next(i for i, entry in enumerate(MENU) if entry.url_name == "visits:orders")
        MENU.insert(orders + 1, MenuItem("workshop:board", _("Job board"), "bi-kanban", "workshop.view"))
        MENU.insert(orders + 2, MenuItem("workshop:my_jobs", _("My jobs"), "bi-wrench-adjustable", "workshop.work"))
        MENU.insert(
            orders + 3, MenuItem("workshop:parts_requests", _("Parts requests"), "bi-box-arrow-right", "workshop.parts")
        )
        media_owner_register(JobNote.OWNER_TYPE, MediaOwner(authorize=note_photo_authorize))
        # A part bought for a repair order's line: its advisor is told when it arrives.
        DEMAND_OWNERS["repair_order"] = order_owner
        # Work approved after signing (by phone, link, insurer...): the customer is told it is scheduled.
        APPROVAL_LISTENERS.append(approved_tell)
        # The order's page shows its jobs and the parts it waits for.
        ORDER_PANELS.append(order_panel)
        # After the visits (earlier in INSTALLED_APPS): the workshop works reception's signed orders.
        DEMO_EXTENSIONS.append(workshop_demo_install)
        # The customer's page of their car's progress, behind the link the progress messages carry.
        link_purpose_register(
            PROGRESS_PURPOSE, LinkPurpose(object_type="visits.visit", snapshot=progress_snapshot, view=progress_view)
        )
