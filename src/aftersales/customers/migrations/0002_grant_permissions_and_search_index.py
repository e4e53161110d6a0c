"""Grant the archive permissions to the built-in roles; add PostgreSQL's prefix index for search."""

from django.db import migrations

GRANTS = {
    'admin': ('customers.view', 'customers.edit', 'customers.view_personal', 'customers.review', 'customers.merge', 'customers.import', 'customers.export', 'customers.privacy'),
    'manager': ('customers.view', 'customers.edit', 'customers.view_personal', 'customers.review', 'customers.merge', 'customers.import', 'customers.export', 'customers.privacy'),
    'advisor': ('customers.view', 'customers.edit', 'customers.view_personal'),
    'crm': ('customers.view', 'customers.edit', 'customers.view_personal', 'customers.review', 'customers.merge', 'customers.import', 'customers.export'),
    'frontdesk': ('customers.view', 'customers.edit'),
    'foreman': ('customers.view',),
    'technician': ('customers.view',),
    'qc': ('customers.view',),
    'parts': ('customers.view',),
    'finance': ('customers.view', 'customers.view_personal'),
    'auditor': ('customers.view', 'customers.review', 'customers.export'),
}


def grant(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        added = [code for code in GRANTS[role.code] if code not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])


def prefix_index(apps, schema_editor):
    # LIKE 'x%' uses a b-tree index in any collation only with text_pattern_ops (PostgreSQL).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_key_prefix ON customers_searchkey (key text_pattern_ops, kind)"
        )


def drop_prefix_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_key_prefix")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_archive"), ("core", "0003_audit_actions_for_personal_data")]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(prefix_index, drop_prefix_index),
    ]
