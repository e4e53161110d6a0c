"""Every permission of the product and the default permission set of every role.

A permission is a menu or an operation. Roles are rows (editable by an admin); this module only
declares which permissions exist and what each role starts with when it is first installed.
Business areas add theirs with ``register`` from their AppConfig.ready(); the data migration that
ships a new permission also grants it to the existing roles named in ``grants``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, Promise] = {
    "today.view": _("See the today page"),
    "stores.view": _("View stores, departments and bays"),
    "staff.view": _("View the staff of a store"),
    "audit.view": _("Search the audit trail"),
    "tokens.manage": _("Create and revoke one's own API tokens for integrations (the API tokens page)"),
    "tokens.no_expiry": _("Create API tokens that never expire"),
    "admin.access": _("Use system administration (users, roles, stores)"),
    "companies.manage": _("Record the group's companies (legal entities) and which stores belong to each"),
    "companies.bank": _("See companies' bank accounts in full"),
    "calendar.manage": _("Edit the yearly holiday calendar (public holidays and make-up working days)"),
}


@dataclass(frozen=True)
class RoleDefault:
    code: str
    name: str
    name_en: str
    scope: str
    landing: str
    permissions: tuple[str, ...]


_EVERYONE = ("today.view", "stores.view")
# Integrations (a DMS, the group's BI or audit tools, an OEM portal) are set up by the roles that work
# for the whole group: the system admin and the HQ auditor hold "tokens.manage" (the API tokens page);
# everyone else calls the API with an expiring token from POST /api/v1/auth/token. A token that never
# expires ("tokens.no_expiry") is the system admin's alone.

ROLE_DEFAULTS: list[RoleDefault] = [
    RoleDefault("admin", "系统管理员", "System admin", "group", "manager", tuple(PERMISSIONS)),
    RoleDefault("manager", "店长", "Store manager", "store", "manager", (*_EVERYONE, "staff.view", "audit.view")),
    RoleDefault("advisor", "服务顾问", "Service advisor", "store", "advisor", _EVERYONE),
    RoleDefault("crm", "客服专员", "CRM agent", "store", "crm", _EVERYONE),
    RoleDefault("frontdesk", "前台", "Front desk", "store", "frontdesk", _EVERYONE),
    RoleDefault("foreman", "车间主管", "Workshop foreman", "store", "foreman", (*_EVERYONE, "staff.view")),
    RoleDefault("technician", "维修技师", "Technician", "store", "technician", _EVERYONE),
    RoleDefault("qc", "质检员", "QC inspector", "store", "qc", _EVERYONE),
    RoleDefault("parts", "配件员", "Parts clerk", "store", "parts", _EVERYONE),
    RoleDefault("purchaser", "采购员", "Purchaser", "store", "parts", _EVERYONE),
    RoleDefault("finance", "财务", "Finance", "store", "finance", (*_EVERYONE, "companies.bank")),
    RoleDefault(
        "auditor",
        "总部审计",
        "HQ auditor",
        "group",
        "auditor",
        (*_EVERYONE, "staff.view", "audit.view", "tokens.manage"),
    ),
    # The service department's other roles (SPEC PLT-9; seeds 001 §2.1, 003 §5). The after-sales manager
    # (售后经理) is the department's usual approver; later areas give each its operations.
    RoleDefault(
        "service_manager",
        "售后经理",
        "After-sales manager",
        "store",
        "manager",
        (*_EVERYONE, "staff.view", "audit.view"),
    ),
    RoleDefault("cashier", "收银员", "Cashier", "store", "finance", _EVERYONE),
    RoleDefault("warranty", "索赔员", "Warranty clerk", "store", "advisor", _EVERYONE),
    RoleDefault("insurance", "保险专员", "Insurance specialist", "store", "advisor", _EVERYONE),
    RoleDefault("expert", "技术专家", "Technical expert", "store", "foreman", (*_EVERYONE, "staff.view")),
    RoleDefault("washer", "洗车工", "Washer", "store", "technician", _EVERYONE),
    RoleDefault("rescue", "救援司机", "Rescue driver", "store", "technician", _EVERYONE),
    RoleDefault("sales", "销售顾问", "Sales consultant", "store", "frontdesk", _EVERYONE),
]


def register(permissions: Mapping[str, Promise], grants: dict[str, tuple[str, ...]]) -> None:
    """Add an area's permissions; extend the built-in roles' defaults by ``grants`` (admin gets all)."""
    PERMISSIONS.update(permissions)
    unknown = {code for codes in grants.values() for code in codes} - set(PERMISSIONS)
    if unknown:
        raise ValueError(f"Unknown permissions granted: {sorted(unknown)}")

    def extended(role: RoleDefault) -> RoleDefault:
        extra = tuple(permissions) if role.code == "admin" else grants.get(role.code, ())
        codes = (*role.permissions, *(code for code in extra if code not in role.permissions))
        return RoleDefault(role.code, role.name, role.name_en, role.scope, role.landing, codes)

    ROLE_DEFAULTS[:] = [extended(role) for role in ROLE_DEFAULTS]
