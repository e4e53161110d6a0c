from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Settlement and payments: the charges of a repair order split between its payers, the settlement list,
    payments at the counter and the cash desk (BIL-1..4, LAW-3)."""

    name = "aftersales.billing"
    label = "billing"
    verbose_name = _("Settlement and payments")
    default_auto_field = "django.db.models.BigAutoField"
