import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0015_customer_link_actions'),
        ('messaging', '0004_customer_links'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Signature',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('signer_type', models.CharField(choices=[('customer', 'Customer'), ('staff', 'Staff')], max_length=10, verbose_name='signed by')),
                ('signer_name', models.CharField(max_length=100, verbose_name='signer')),
                ('object_type', models.CharField(max_length=60, verbose_name='record type')),
                ('object_id', models.PositiveBigIntegerField(verbose_name='record')),
                ('what', models.CharField(max_length=60, verbose_name='what was signed')),
                ('snapshot_hash', models.CharField(max_length=64, verbose_name='snapshot hash')),
                ('client_ip', models.CharField(blank=True, max_length=45, verbose_name='client address')),
                ('signed_at', models.DateTimeField(auto_now_add=True, verbose_name='signed')),
                ('link', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='messaging.customerlink')),
                ('media', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.mediafile', verbose_name='image')),
                ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.store', verbose_name='store')),
                ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'signature',
                'verbose_name_plural': 'signatures',
                'indexes': [models.Index(fields=['object_type', 'object_id'], name='signature_object')],
            },
        ),
    ]
