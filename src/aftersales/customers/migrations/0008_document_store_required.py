"""Every document copy now names its store (0007 filled in the existing ones). A migration of its
own: on PostgreSQL the foreign-key checks of 0007's update must run before the column changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_document_store"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customerdocument",
            name="store",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.store",
                verbose_name="uploaded at store",
            ),
        ),
    ]
