import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0014_store_quiet_hours'),
        ('messaging', '0003_tasks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token_digest', models.CharField(max_length=64, unique=True)),
                ('purpose', models.CharField(max_length=40, verbose_name='purpose')),
                ('object_type', models.CharField(max_length=60, verbose_name='record type')),
                ('object_id', models.PositiveBigIntegerField(verbose_name='record')),
                ('snapshot_hash', models.CharField(max_length=64, verbose_name='snapshot hash')),
                ('expires_at', models.DateTimeField(verbose_name='expires')),
                ('max_uses', models.PositiveSmallIntegerField(default=1, verbose_name='allowed uses')),
                ('uses', models.PositiveSmallIntegerField(default=0, verbose_name='uses')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                ('revoked_reason', models.CharField(blank=True, max_length=40, verbose_name='revoked because')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.store', verbose_name='store')),
            ],
            options={
                'verbose_name': 'customer link',
                'verbose_name_plural': 'customer links',
                'indexes': [models.Index(fields=['object_type', 'object_id', 'purpose'], name='customer_link_object')],
            },
        ),
    ]
