from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    """Buying parts: suppliers, purchase orders and their approval, receiving, backorders, replenishment."""

    name = "aftersales.purchasing"
    label = "purchasing"
    verbose_name = _("Purchasing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.numbering import document_type_register
        from aftersales.core.permissions import register
        from aftersales.core.selectors import TODAY_EXTENSIONS
        from aftersales.purchasing.demo import purchasing_demo_install
        from aftersales.purchasing.landing import purchasing_cards
        from aftersales.purchasing.permissions import GRANTS, PERMISSIONS

        register(PERMISSIONS, GRANTS)
        DEMO_EXTENSIONS.append(purchasing_demo_install)
        TODAY_EXTENSIONS.append(purchasing_cards)
        # After the parts, before the stores and the administration's pages.
        stores = next(i for i, entry in enumerate(MENU) if entry.url_name == "core:stores")
        MENU.insert(stores, MenuItem("purchasing:orders", _("Purchasing"), "bi-cart", "purchasing.view"))
        document_type_register("PO", label=_("Purchase order"), gap_free=False)
