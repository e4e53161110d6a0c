from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    """The part master, prices, and each store's stock: warehouses, bins, moves, balances, reservations."""

    name = "aftersales.parts"
    label = "parts"
    verbose_name = _("Parts and stock")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.core.demo import DEMO_EXTENSIONS, DEMO_FINISHERS
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.numbering import document_type_register
        from aftersales.core.permissions import register
        from aftersales.core.selectors import JOB_SOURCES
        from aftersales.parts.demo import parts_demo_install, parts_demo_months_close
        from aftersales.parts.permissions import GRANTS, PERMISSIONS
        from aftersales.parts.selectors.imports import stock_import_jobs_of

        register(PERMISSIONS, GRANTS)
        DEMO_EXTENSIONS.append(parts_demo_install)
        DEMO_FINISHERS.append(parts_demo_months_close)
        JOB_SOURCES.append(stock_import_jobs_of)
        # Before the stores and the administration's pages, after the daily work.
        stores = next(i for i, entry in enumerate(MENU) if entry.url_name == "core:stores")
        MENU.insert(stores, MenuItem("parts:parts", _("Parts"), "bi-box-seam", "parts.view"))
        document_type_register("GR", label=_("Goods receipt"), gap_free=False)
        document_type_register("TR", label=_("Stock transfer"), gap_free=False)
        document_type_register("ADJ", label=_("Stock adjustment"), gap_free=False)
        document_type_register("SCR", label=_("Scrap note"), gap_free=False)
        document_type_register("RTV", label=_("Return to supplier"), gap_free=False)
        document_type_register("ST", label=_("Stocktake"), gap_free=False)
