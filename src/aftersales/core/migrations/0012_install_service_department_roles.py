"""Install the service department's further built-in roles (admins may edit them later)."""

from django.db import migrations

# As aftersales.core.permissions.ROLE_DEFAULTS (with the archive's grants) had them when this migration
# was written.
ROLES = [
    (
        "service_manager",
        "售后经理",
        "After-sales manager",
        "store",
        "manager",
        [
            "today.view",
            "stores.view",
            "staff.view",
            "audit.view",
            "customers.view",
            "customers.edit",
            "customers.view_personal",
            "customers.review",
            "customers.merge",
            "customers.export",
            "customers.warranty",
        ],
    ),  # noqa: E501
    (
        "cashier",
        "收银员",
        "Cashier",
        "store",
        "finance",
        ["today.view", "stores.view", "customers.view", "customers.view_personal"],
    ),  # noqa: E501
    (
        "warranty",
        "索赔员",
        "Warranty clerk",
        "store",
        "advisor",
        ["today.view", "stores.view", "customers.view", "customers.view_personal"],
    ),  # noqa: E501
    (
        "insurance",
        "保险专员",
        "Insurance specialist",
        "store",
        "advisor",
        ["today.view", "stores.view", "customers.view", "customers.edit", "customers.view_personal"],
    ),  # noqa: E501
    (
        "expert",
        "技术专家",
        "Technical expert",
        "store",
        "foreman",
        ["today.view", "stores.view", "staff.view", "customers.view"],
    ),  # noqa: E501
    ("washer", "洗车工", "Washer", "store", "technician", ["today.view", "stores.view", "customers.view"]),
    (
        "rescue",
        "救援司机",
        "Rescue driver",
        "store",
        "technician",
        ["today.view", "stores.view", "customers.view", "customers.view_personal"],
    ),  # noqa: E501
    ("sales", "销售顾问", "Sales consultant", "store", "frontdesk", ["today.view", "stores.view", "customers.view"]),
]


def install_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    Role = apps.get_model("core", "Role")
    for code, name, name_en, scope, landing, permissions in ROLES:
        Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "scope": scope, "landing": landing, "permissions": permissions},
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0011_grant_company_permissions_and_seed_2026_holidays")]

    operations = [migrations.RunPython(install_roles, migrations.RunPython.noop)]
