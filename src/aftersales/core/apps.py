from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "aftersales.core"
    label = "core"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.core import checks  # noqa: F401  (registers the deploy checks)
        from aftersales.core.inputs import register_url_converters
        from aftersales.core.translations import translations_compile

        register_url_converters()
        # Before any page or message is translated: no separate build step compiles the catalogues.
        translations_compile()
