"""Grant settlement's permissions to the built-in roles."""

from django.db import migrations

# As aftersales.billing.permissions had them when this migration was written (admin: every one).
EVERY = ("billing.view", "billing.settle", "billing.collect", "billing.finance", "billing.settings")
GRANTS = {
    "admin": EVERY,
    "manager": EVERY,
    "service_manager": ("billing.view", "billing.settle", "billing.collect", "billing.settings"),
    "advisor": ("billing.view", "billing.settle"),
    "cashier": ("billing.view", "billing.collect"),
    "finance": ("billing.view", "billing.collect", "billing.finance"),
    "warranty": ("billing.view",),
    "insurance": ("billing.view",),
    "auditor": ("billing.view",),
}


def grant(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        added = [code for code in GRANTS[role.code] if code not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        role.permissions = [code for code in role.permissions if code not in GRANTS[role.code]]
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_discount_limits"),
        ("core", "0016_stock_audit_actions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
