"""Permissions of the customer archive and the built-in roles that hold them."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "customers.view": _("View the customer and vehicle archive"),
    "customers.edit": _("Create and change customers and vehicles"),
    "customers.view_personal": _("See personal data unmasked (mobile, ID number, address, credit code)"),
    "customers.review": _("Review archives and see the archive KPIs"),
    "customers.merge": _("Merge duplicate customers"),
    "customers.import": _("Import customers and vehicles from Excel"),
    "customers.export": _("Export the customer list to Excel"),
    "customers.privacy": _("Handle personal-information requests (export, anonymise)"),
    "customers.warranty": _("Set the brands' warranty policies"),
}

GRANTS: dict[str, tuple[str, ...]] = {
    "manager": (
        "customers.view",
        "customers.edit",
        "customers.view_personal",
        "customers.review",
        "customers.merge",
        "customers.import",
        "customers.export",
        "customers.privacy",
        "customers.warranty",
    ),
    "advisor": ("customers.view", "customers.edit", "customers.view_personal"),
    "crm": (
        "customers.view",
        "customers.edit",
        "customers.view_personal",
        "customers.review",
        "customers.merge",
        "customers.import",
        "customers.export",
    ),
    "frontdesk": ("customers.view", "customers.edit"),
    "foreman": ("customers.view",),
    "technician": ("customers.view",),
    "qc": ("customers.view",),
    "parts": ("customers.view",),
    "finance": ("customers.view", "customers.view_personal"),
    "auditor": ("customers.view", "customers.review", "customers.export"),
    "service_manager": (
        "customers.view",
        "customers.edit",
        "customers.view_personal",
        "customers.review",
        "customers.merge",
        "customers.export",
        "customers.warranty",
    ),
    "cashier": ("customers.view", "customers.view_personal"),
    "warranty": ("customers.view", "customers.view_personal"),
    "insurance": ("customers.view", "customers.edit", "customers.view_personal"),
    "expert": ("customers.view",),
    "washer": ("customers.view",),
    "rescue": ("customers.view", "customers.view_personal"),
    # Reads the archive with personal data masked (seed 003 §5: sales sees what it sold, not the file).
    "sales": ("customers.view",),
}
