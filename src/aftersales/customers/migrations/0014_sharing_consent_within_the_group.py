import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0013_media_files'),
        ('customers', '0013_document_file_is_a_media_file'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='customer',
            options={'base_manager_name': 'all_objects', 'verbose_name': 'customer', 'verbose_name_plural': 'customers'},
        ),
        migrations.AlterModelManagers(
            name='customer',
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_objects', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name='customer',
            name='sharing_consent',
            field=models.BooleanField(default=False, verbose_name='consent to sharing within the group'),
        ),
        migrations.AddField(
            model_name='customer',
            name='sharing_consent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='sharing consent time'),
        ),
        migrations.AddField(
            model_name='customer',
            name='sharing_consent_channel',
            field=models.CharField(blank=True, choices=[('paper', 'Signed form'), ('app', 'App / self-service'), ('phone', 'Phone (recorded)'), ('counter', 'At the counter')], max_length=10, verbose_name='sharing consent channel'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('sharing_consent', True)), fields=['id'], name='customer_shared'),
        ),
    ]
