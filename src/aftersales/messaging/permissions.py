"""Who may see the outbox and who manages templates and messages whose fate is unknown."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "messages.view": _("See the store's outbox"),
    "messages.manage": _("Edit message templates; decide on messages whose delivery is unknown"),
    "messages.send": _("Send a message to a customer"),
}

GRANTS = {
    "admin": ("messages.view", "messages.manage", "messages.send"),
    "manager": ("messages.view", "messages.manage", "messages.send"),
    "service_manager": ("messages.view", "messages.manage", "messages.send"),
    "crm": ("messages.view", "messages.send"),
    "advisor": ("messages.view", "messages.send"),
    "auditor": ("messages.view",),
}
