"""Who sees purchasing, orders, approves, keeps suppliers and sees their bank details."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "purchasing.view": _("See suppliers and purchase orders"),
    "purchasing.order": _("Write, submit, send and cancel purchase orders"),
    "purchasing.approve": _("Approve purchase orders (up to one's approval limit)"),
    "purchasing.limits": _("Set people's purchase approval limits"),
    "suppliers.manage": _("Keep the suppliers"),
    "suppliers.bank": _("See suppliers' bank details in full"),
}

GRANTS = {
    "manager": ("purchasing.view", "purchasing.approve", "purchasing.limits", "suppliers.bank"),
    "service_manager": ("purchasing.view", "purchasing.approve"),
    "parts": ("purchasing.view", "purchasing.order"),
    "purchaser": ("purchasing.view", "purchasing.order", "purchasing.approve", "suppliers.manage"),
    "finance": ("purchasing.view", "suppliers.bank"),
    "auditor": ("purchasing.view",),
}
