from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Settlement and payments: the charges of a repair order split between its payers, the settlement list,
    payments at the counter and the cash desk (BIL-1..4, LAW-3)."""

    name = "aftersales.billing"
    label = "billing"
    verbose_name = _("Settlement and payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.billing.permissions import GRANTS, PERMISSIONS
        from aftersales.billing.services import ready_listener
        from aftersales.core.numbering import document_type_register
        from aftersales.core.permissions import register
        from aftersales.quality.services import READY_LISTENERS

        register(PERMISSIONS, GRANTS)
        # The settlement list (结算清单, JT/T 1133) is part of the repair archive: no number goes missing.
        document_type_register("JS", label=_("Settlement list"), gap_free=True)

        # After quality (earlier in INSTALLED_APPS): its ready orders are settled.
        READY_LISTENERS.append(ready_listener)
