"""Grant purchasing's permissions to the built-in roles (admins may change them later)."""

from django.db import migrations

# As aftersales.purchasing.permissions had them when this migration was written (admin: every one).
ALL = (
    "purchasing.view",
    "purchasing.order",
    "purchasing.approve",
    "purchasing.limits",
    "suppliers.manage",
    "suppliers.bank",
)
GRANTS = {
    "admin": ALL,
    "manager": ("purchasing.view", "purchasing.approve", "purchasing.limits", "suppliers.bank"),
    "service_manager": ("purchasing.view", "purchasing.approve"),
    "parts": ("purchasing.view", "purchasing.order"),
    "purchaser": ("purchasing.view", "purchasing.order", "purchasing.approve", "suppliers.manage"),
    "finance": ("purchasing.view", "suppliers.bank"),
    "auditor": ("purchasing.view",),
}


def grant(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        added = [code for code in GRANTS[role.code] if code not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("purchasing", "0001_suppliers_and_purchase_orders"),
        ("parts", "0006_stocktake_posting_touched"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
