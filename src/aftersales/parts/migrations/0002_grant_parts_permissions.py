"""Grant the parts area's permissions to the built-in roles (admins may change them later)."""

from django.db import migrations

# As aftersales.parts.permissions had them when this migration was written (admin: every one).
ALL = (
    "parts.view",
    "parts.manage",
    "stock.move",
    "stock.adjust",
    "stock.reserve",
    "stock.close",
    "warehouses.manage",
    "prices.manage",
    "prices.guide",
    "prices.deviate",
)
GRANTS = {
    "admin": ALL,
    "manager": ("parts.view", "stock.adjust", "stock.close", "warehouses.manage", "prices.deviate"),
    "service_manager": ("parts.view", "stock.adjust", "stock.reserve", "warehouses.manage", "prices.deviate"),
    "parts": ("parts.view", "parts.manage", "stock.move", "stock.reserve", "warehouses.manage", "prices.manage"),
    "purchaser": ("parts.view", "parts.manage", "stock.move", "prices.manage"),
    "advisor": ("parts.view", "stock.reserve"),
    "foreman": ("parts.view", "stock.reserve"),
    "technician": ("parts.view",),
    "warranty": ("parts.view",),
    "insurance": ("parts.view",),
    "finance": ("parts.view", "stock.close"),
    "auditor": ("parts.view",),
}


def grant(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        added = [code for code in GRANTS[role.code] if code not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("parts", "0001_part_master_and_stock_ledger"), ("core", "0012_install_service_department_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
