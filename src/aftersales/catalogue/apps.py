from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    """The service catalogue: labour operations, packages, pay types, labour rates and the pricing service."""

    name = "aftersales.catalogue"
    label = "catalogue"
    verbose_name = _("Service catalogue")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.catalogue.permissions import GRANTS, PERMISSIONS
        from aftersales.core.permissions import register

        register(PERMISSIONS, GRANTS)
