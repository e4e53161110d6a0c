from django.db import migrations, models


class Migration(migrations.Migration):
    """The messages about one record (``about_type``, ``about_id``) are looked up by the areas' follow-up
    jobs, e.g. a recall's outreach: one index lookup instead of a scan of the outbox."""

    dependencies = [
        ("messaging", "0009_verification_code_template"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["about_type", "about_id"], name="message_about"),
        ),
    ]
