"""Who sees and keeps the part master, moves and reserves stock, and closes a stock month."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "parts.view": _("See parts, stock balances and the moves ledger"),
    "parts.manage": _("Keep the part master: parts, supersessions, fitment"),
    "stock.move": _("Post stock movements: receipts, issues, returns, transfers, returns to suppliers"),
    "stock.adjust": _("Adjust or scrap stock"),
    "stock.reserve": _("Reserve stock for a demand and release it"),
    "stock.close": _("Close a stock month"),
    "warehouses.manage": _("Keep the store's warehouses and bins"),
    "prices.manage": _("Set a store's part prices and labour rates"),
    "prices.guide": _("Set the group's guide prices and labour rates and import the manufacturer's price files"),
    "prices.deviate": _("Set a price off the manufacturer's guide price (with a reason)"),
    # The go-live import (part master, opening stock, prices) is the system admin's unless given.
    "stock.import": _("Import the part master, opening stock and price lists at go-live"),
}

_ALL = tuple(PERMISSIONS)
GRANTS = {
    "manager": ("parts.view", "stock.adjust", "stock.close", "warehouses.manage", "prices.deviate"),
    "service_manager": ("parts.view", "stock.adjust", "stock.reserve", "warehouses.manage", "prices.deviate"),
    "parts": (
        "parts.view",
        "parts.manage",
        "stock.move",
        "stock.reserve",
        "warehouses.manage",
        "prices.manage",
    ),
    "purchaser": ("parts.view", "parts.manage", "stock.move", "prices.manage"),
    "advisor": ("parts.view", "stock.reserve"),
    "foreman": ("parts.view", "stock.reserve"),
    "technician": ("parts.view",),
    "warranty": ("parts.view",),
    "insurance": ("parts.view",),
    "finance": ("parts.view", "stock.close"),
    "auditor": ("parts.view",),
}
