"""The menu: every area adds its entries here, each guarded by the permission that opens it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    url_name: str
    label: Promise
    icon: str
    permission: str


MENU: list[MenuItem] = [
    MenuItem("core:today", _("Today"), "bi-house", "today.view"),
    MenuItem("core:stores", _("Stores"), "bi-shop", "stores.view"),
    MenuItem("core:companies", _("Companies"), "bi-building", "companies.manage"),
    MenuItem("core:calendar", _("Holiday calendar"), "bi-calendar3", "calendar.manage"),
    MenuItem("core:staff", _("Staff"), "bi-people", "staff.view"),
    MenuItem("core:audit", _("Audit trail"), "bi-journal-check", "audit.view"),
    MenuItem("core:tokens", _("API tokens"), "bi-key", "tokens.manage"),
]
