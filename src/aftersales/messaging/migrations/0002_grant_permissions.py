"""Grant the outbox's permissions to the built-in roles (admins may change them later)."""

from django.db import migrations

# As aftersales.messaging.permissions.GRANTS had them when this migration was written.
GRANTS = {
    "admin": ("messages.view", "messages.manage", "messages.send"),
    "manager": ("messages.view", "messages.manage", "messages.send"),
    "service_manager": ("messages.view", "messages.manage", "messages.send"),
    "crm": ("messages.view", "messages.send"),
    "advisor": ("messages.view", "messages.send"),
    "auditor": ("messages.view",),
}


def grant(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        added = [code for code in GRANTS[role.code] if code not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_outbox"), ("core", "0012_install_service_department_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
