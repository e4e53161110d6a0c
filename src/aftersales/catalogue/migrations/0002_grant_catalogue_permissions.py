"""Grant the service catalogue's permissions to the built-in roles (admins may change them later)."""

from django.db import migrations

# As aftersales.catalogue.permissions had them when this migration was written (admin: every one).
VIEW = ("catalogue.view",)
GRANTS = {
    "admin": ("catalogue.view", "catalogue.manage"),
    "manager": VIEW,
    "service_manager": ("catalogue.view", "catalogue.manage", "prices.manage"),
    "advisor": VIEW,
    "crm": VIEW,
    "foreman": VIEW,
    "technician": VIEW,
    "qc": VIEW,
    "parts": VIEW,
    "purchaser": VIEW,
    "finance": VIEW,
    "cashier": VIEW,
    "warranty": VIEW,
    "insurance": VIEW,
    "expert": VIEW,
    "auditor": VIEW,
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
        ("catalogue", "0001_service_catalogue_and_labour_rates"),
        ("parts", "0002_grant_parts_permissions"),
        ("core", "0012_install_service_department_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
