from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BillingConfig(AppConfig):
    """Settlement and payments: the charges of a repair order split between its payers, the settlement list,
    payments at the counter and the cash desk (BIL-1..4, LAW-3)."""

    name = "aftersales.billing"
    label = "billing"
    verbose_name = _("Settlement and payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.billing import transitions  # noqa: F401  (registers the guard on ``deliver``)
        from aftersales.billing.demo import billing_demo_install, demo_settle_and_pay, visit_rows
        from aftersales.billing.permissions import GRANTS, PERMISSIONS
        from aftersales.billing.services import ready_listener
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.numbering import document_type_register
        from aftersales.core.permissions import register
        from aftersales.quality.demo import BEFORE_DELIVERY, VISIT_ROWS
        from aftersales.quality.services import READY_LISTENERS

        register(PERMISSIONS, GRANTS)
        # The settlement list (结算清单, JT/T 1133) is part of the repair archive: no number goes missing.
        document_type_register("JS", label=_("Settlement list"), gap_free=True)
        # Receipts and refunds: a scanned code's payment that fails keeps its number, so they may have gaps.
        document_type_register("SK", label=pgettext_lazy("document type", "Receipt"), gap_free=False)
        document_type_register("TK", label=_("Refund"), gap_free=False)

        # After quality and delivery, one entry: the cashier's counter, which links the settlement lists, the
        # refunds, the cash desk and the funds flow (the menu bar is full at 1280 px).
        after = next(i for i, entry in enumerate(MENU) if entry.url_name == "quality:desk")
        counter = MenuItem("billing:counter", pgettext_lazy("menu", "Settlement"), "bi-cash-coin", "billing.view")
        MENU.insert(after + 1, counter)
        # After quality (earlier in INSTALLED_APPS): its ready orders are settled.
        READY_LISTENERS.append(ready_listener)
        # The demo's deliveries are settled at the counter first; then, after quality's part, a month of it.
        BEFORE_DELIVERY.append(demo_settle_and_pay)
        VISIT_ROWS.append(visit_rows)
        DEMO_EXTENSIONS.append(billing_demo_install)
