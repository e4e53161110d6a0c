"""Who may see the outbox and who manages templates and messages whose fate is unknown."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "messages.view": _("See the store's outbox"),
    "messages.manage": _("Edit message templates; decide on messages whose delivery is unknown"),
}

GRANTS = {
    "admin": ("messages.view", "messages.manage"),
    "manager": ("messages.view", "messages.manage"),
    "service_manager": ("messages.view", "messages.manage"),
    "crm": ("messages.view",),
    "advisor": ("messages.view",),
    "auditor": ("messages.view",),
}
