"""Search keys are read per kind: one (kind, key) index instead of (key, kind) and duplicates.

On PostgreSQL the key column takes the "C" collation: comparisons and order are then by code point,
as on SQLite, so a prefix is a plain range of the b-tree index (the text_pattern_ops index of 0002 is
no longer needed) and both databases rank hits in the same order.
"""

from django.db import migrations, models


def key_collation_c(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_key_prefix")
        schema_editor.execute('ALTER TABLE customers_searchkey ALTER COLUMN "key" TYPE varchar(100) COLLATE "C"')


def key_collation_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE customers_searchkey ALTER COLUMN "key" TYPE varchar(100) COLLATE "default"')
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_key_prefix ON customers_searchkey (key text_pattern_ops, kind)"
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_grant_permissions_and_search_index")]

    operations = [
        migrations.RemoveIndex(model_name="searchkey", name="search_key"),
        migrations.RemoveIndex(model_name="searchkey", name="search_customer"),
        migrations.RemoveIndex(model_name="searchkey", name="search_vehicle"),
        migrations.RunPython(key_collation_c, key_collation_default),
        migrations.AddIndex(model_name="searchkey", index=models.Index(fields=["kind", "key"], name="search_kind_key")),
    ]
