from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "aftersales.customers"
    label = "customers"
    verbose_name = _("Customer archive")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.media import MediaOwner, media_owner_register
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.numbering import document_type_register
        from aftersales.core.permissions import register
        from aftersales.core.selectors import JOB_SOURCES, TODAY_EXTENSIONS
        from aftersales.customers.demo import archive_demo_install
        from aftersales.customers.landing import archive_cards
        from aftersales.customers.models import CustomerDocument, CustomerManager
        from aftersales.customers.permissions import GRANTS, PERMISSIONS
        from aftersales.customers.selectors.id_copies import document_media_authorize
        from aftersales.customers.selectors.imports import export_jobs_of, import_jobs_of
        from aftersales.customers.services.corrections import PURPOSE, archive_review_snapshot
        from aftersales.customers.services.id_copies import document_opened
        from aftersales.customers.services.messages import UNSUBSCRIBE, customers_opt_out, unsubscribe_snapshot
        from aftersales.customers.visibility import current_rule
        from aftersales.messaging.services import OPT_OUT_HANDLERS, LinkPurpose, link_purpose_register

        register(PERMISSIONS, GRANTS)
        OPT_OUT_HANDLERS.append(customers_opt_out)
        # The page of the link declares its permissions: imported once they are registered.
        from aftersales.customers.views.links import archive_review_view, unsubscribe_view

        link_purpose_register(
            PURPOSE,
            LinkPurpose(object_type="customers.customer", snapshot=archive_review_snapshot, view=archive_review_view),
        )
        link_purpose_register(
            UNSUBSCRIBE,
            LinkPurpose(
                object_type="customers.customer", snapshot=unsubscribe_snapshot, view=unsubscribe_view, supersede=False
            ),
        )
        CustomerManager.rule = staticmethod(current_rule)  # PIPL Art. 23: see customers.visibility
        media_owner_register(
            CustomerDocument.OWNER_TYPE, MediaOwner(authorize=document_media_authorize, opened=document_opened)
        )
        # Customer numbers need no gap-freeness: an import reserves a block of them at once.
        document_type_register("CUS", label=_("customer"), gap_free=False)
        DEMO_EXTENSIONS.append(archive_demo_install)
        TODAY_EXTENSIONS.append(archive_cards)
        JOB_SOURCES.extend([import_jobs_of, export_jobs_of])
        MENU[1:1] = [
            MenuItem("customers:list", _("Customers"), "bi-person-vcard", "customers.view"),
            MenuItem("customer_imports:start", _("Import"), "bi-file-earmark-arrow-up", "customers.import"),
            MenuItem("customer_quality:review_queue", _("Archive review"), "bi-clipboard-check", "customers.review"),
            MenuItem("customers:warranty_policies", _("Warranty policies"), "bi-shield-check", "customers.warranty"),
        ]
