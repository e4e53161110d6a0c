from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    """The service catalogue: labour operations, packages, pay types, labour rates and the pricing service."""

    name = "aftersales.catalogue"
    label = "catalogue"
    verbose_name = _("Service catalogue")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.catalogue.demo import catalogue_demo_install
        from aftersales.catalogue.permissions import GRANTS, PERMISSIONS
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.permissions import register

        register(PERMISSIONS, GRANTS)
        DEMO_EXTENSIONS.append(catalogue_demo_install)
        # Before the stores and the administration's pages, after the daily work.
        stores = next(i for i, entry in enumerate(MENU) if entry.url_name == "core:stores")
        MENU.insert(stores, MenuItem("catalogue:operations", _("Service catalogue"), "bi-tools", "catalogue.view"))
