"""Who sees the campaign registry and its outreach, and who keeps it (enters, imports, opens, closes)."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "campaigns.view": _("See recalls and service campaigns, their affected vehicles and outreach"),
    "campaigns.manage": _("Keep recalls and service campaigns: enter, import VIN lists, open and close"),
}

GRANTS = {
    "manager": ("campaigns.view",),
    # The warranty clerk (索赔员) receives the manufacturer's recall notices and keeps the registry.
    "service_manager": ("campaigns.view", "campaigns.manage"),
    "warranty": ("campaigns.view", "campaigns.manage"),
    "advisor": ("campaigns.view",),
    "crm": ("campaigns.view",),
    "frontdesk": ("campaigns.view",),
    "foreman": ("campaigns.view",),
    "parts": ("campaigns.view",),
    "auditor": ("campaigns.view",),
}
