import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0015_customer_link_actions'),
        ('customers', '0014_sharing_consent_within_the_group'),
        ('messaging', '0004_customer_links'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ContactCorrection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mobile', models.CharField(blank=True, max_length=11, verbose_name='mobile')),
                ('email', models.CharField(blank=True, max_length=254, verbose_name='e-mail')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name="customer's note")),
                ('snapshot_hash', models.CharField(max_length=64, verbose_name='snapshot hash')),
                ('client_ip', models.CharField(blank=True, max_length=45, verbose_name='client address')),
                ('status', models.CharField(choices=[('pending', 'To review'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='pending', max_length=10, verbose_name='status')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='sent')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='reviewed')),
                ('review_note', models.CharField(blank=True, max_length=500, verbose_name='review note')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='customers.customer')),
                ('link', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='messaging.customerlink')),
                ('reviewed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.store', verbose_name='store')),
            ],
            options={
                'verbose_name': 'contact correction',
                'verbose_name_plural': 'contact corrections',
                'indexes': [models.Index(fields=['store', 'status', 'created_at'], name='correction_store_status')],
            },
        ),
    ]
