"""Who prepares and confirms settlement lists, takes payments at the counter, keeps the books of the cash desk
and keeps the store's surcharges and discount limits."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "billing.view": _("See settlement lists, settlements and payments"),
    "billing.settle": _("Prepare and confirm settlement lists, with discounts within the role's limits"),
    "billing.collect": _("Take payments and give refunds at the counter"),
    "billing.finance": _("Confirm bank transfers, approve refunds and credit, see the cash desk and funds flow"),
    "billing.settings": _("Keep the store's surcharges and discount limits"),
}

GRANTS = {
    "manager": tuple(PERMISSIONS),
    "service_manager": ("billing.view", "billing.settle", "billing.collect", "billing.settings"),
    "advisor": ("billing.view", "billing.settle"),
    "cashier": ("billing.view", "billing.collect"),
    "finance": ("billing.view", "billing.collect", "billing.finance"),
    "warranty": ("billing.view",),
    "insurance": ("billing.view",),
    "auditor": ("billing.view",),
}
