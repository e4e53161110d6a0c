"""Who sees and keeps the service catalogue (labour operations, packages, pay types and labour rates)."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "catalogue.view": _("See the service catalogue, pay types, labour rates and prices"),
    "catalogue.manage": _("Keep the service catalogue: labour operations, standard hours, packages"),
}

GRANTS = {
    "manager": ("catalogue.view",),
    "service_manager": ("catalogue.view", "catalogue.manage", "prices.manage"),
    "advisor": ("catalogue.view",),
    "crm": ("catalogue.view",),
    "foreman": ("catalogue.view",),
    "technician": ("catalogue.view",),
    "qc": ("catalogue.view",),
    "parts": ("catalogue.view",),
    "purchaser": ("catalogue.view",),
    "finance": ("catalogue.view",),
    "cashier": ("catalogue.view",),
    "warranty": ("catalogue.view",),
    "insurance": ("catalogue.view",),
    "expert": ("catalogue.view",),
    "auditor": ("catalogue.view",),
}
