from django.db import migrations, models


class Migration(migrations.Migration):
    """A store's one-time codes of the last hour and day are counted before each code is sent (the
    store's ceiling, ``services.codes``): one index range instead of a scan of the codes."""

    dependencies = [
        ("core", "0016_stock_audit_actions"),
        ("messaging", "0010_message_about_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="onetimecode",
            index=models.Index(fields=["store", "created_at"], name="one_time_code_store"),
        ),
    ]
