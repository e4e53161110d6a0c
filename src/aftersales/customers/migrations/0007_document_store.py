"""A document copy records the store that took it; copies taken before are counted as their
customer's home store's (the only store that could open them until now)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def home_store_for_existing(apps, schema_editor):
    CustomerDocument = apps.get_model("customers", "CustomerDocument")
    Customer = apps.get_model("customers", "Customer")
    home = Customer.objects.filter(pk=OuterRef("customer_id")).values("home_store_id")[:1]
    CustomerDocument.objects.filter(store__isnull=True).update(store_id=Subquery(home))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_personal_data"),
        ("customers", "0006_history_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerdocument",
            name="store",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.store",
                verbose_name="uploaded at store",
            ),
        ),
        migrations.RunPython(home_store_for_existing, migrations.RunPython.noop),
    ]
