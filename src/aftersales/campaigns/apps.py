from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Recalls and service campaigns: the registry, the matching every booking asks, and the outreach."""

    name = "aftersales.campaigns"
    label = "campaigns"
    verbose_name = _("Recalls and campaigns")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.appointments.offers import OFFER_FINDERS
        from aftersales.campaigns.demo import campaigns_demo_install
        from aftersales.campaigns.offers import campaign_offers
        from aftersales.campaigns.permissions import GRANTS, PERMISSIONS
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.permissions import register

        register(PERMISSIONS, GRANTS)
        # After the appointments: the campaigns a booking offers come from here.
        parts = next(i for i, entry in enumerate(MENU) if entry.url_name.startswith("parts:"))
        MENU.insert(parts, MenuItem("campaigns:list", _("Recalls and campaigns"), "bi-megaphone", "campaigns.view"))
        OFFER_FINDERS.append(campaign_offers)
        # After the appointments (later in INSTALLED_APPS): the demo books some of the recalled cars.
        DEMO_EXTENSIONS.append(campaigns_demo_install)
