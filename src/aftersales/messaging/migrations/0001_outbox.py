import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('core', '0014_store_quiet_hours'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MessageTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(max_length=40, verbose_name='event')),
                ('channel', models.CharField(choices=[('sms', 'SMS'), ('email', 'E-mail'), ('inapp', 'In-app')], max_length=10, verbose_name='channel')),
                ('message_class', models.CharField(choices=[('service', 'Service'), ('marketing', 'Marketing')], max_length=10, verbose_name='class')),
                ('urgent', models.BooleanField(default=False, verbose_name='urgent (sent during quiet hours)')),
                ('variables', models.JSONField(blank=True, default=list, verbose_name='variables')),
                ('subject_zh', models.CharField(blank=True, max_length=200, verbose_name='subject (Chinese)')),
                ('subject_en', models.CharField(blank=True, max_length=200, verbose_name='subject (English)')),
                ('body_zh', models.TextField(verbose_name='text (Chinese)')),
                ('body_en', models.TextField(blank=True, verbose_name='text (English)')),
                ('sms_sign_name', models.CharField(blank=True, max_length=40, verbose_name='SMS signature')),
                ('sms_template_code', models.CharField(blank=True, max_length=40, verbose_name='SMS template code')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='version')),
            ],
            options={
                'verbose_name': 'message template',
                'verbose_name_plural': 'message templates',
                'constraints': [models.UniqueConstraint(fields=('event', 'channel'), name='message_template_event_channel')],
            },
        ),
        migrations.CreateModel(
            name='Message',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(max_length=40, verbose_name='event')),
                ('channel', models.CharField(choices=[('sms', 'SMS'), ('email', 'E-mail'), ('inapp', 'In-app')], max_length=10, verbose_name='channel')),
                ('message_class', models.CharField(choices=[('service', 'Service'), ('marketing', 'Marketing')], max_length=10, verbose_name='class')),
                ('urgent', models.BooleanField(default=False, verbose_name='urgent')),
                ('language', models.CharField(default='zh-hans', max_length=10, verbose_name='language')),
                ('recipient_type', models.CharField(choices=[('customer', 'Customer'), ('staff', 'Staff')], max_length=10, verbose_name='recipient')),
                ('recipient_id', models.PositiveBigIntegerField(null=True, verbose_name='recipient id')),
                ('recipient_name', models.CharField(blank=True, max_length=100, verbose_name='recipient name')),
                ('address', models.CharField(blank=True, max_length=254, verbose_name='address')),
                ('variables', models.JSONField(default=dict, verbose_name='variables')),
                ('subject', models.CharField(blank=True, max_length=200, verbose_name='subject')),
                ('body', models.TextField(verbose_name='text')),
                ('about_type', models.CharField(blank=True, max_length=60)),
                ('about_id', models.PositiveBigIntegerField(null=True)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('held', 'Held'), ('sending', 'Sending'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('failed', 'Failed'), ('unknown', 'Unknown'), ('cancelled', 'Cancelled')], default='queued', max_length=10, verbose_name='status')),
                ('hold_reason', models.CharField(blank=True, choices=[('quiet_hours', 'Quiet hours: sent when they end'), ('no_consent', 'No marketing consent'), ('opted_out', 'The recipient opted out (退订)')], max_length=20, verbose_name='held because')),
                ('not_before', models.DateTimeField(blank=True, null=True, verbose_name='not before')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                ('sending_since', models.DateTimeField(blank=True, null=True)),
                ('out_id', models.CharField(default='', editable=False, max_length=32, unique=True)),
                ('provider', models.CharField(blank=True, max_length=20, verbose_name='provider')),
                ('provider_message_id', models.CharField(blank=True, max_length=100, verbose_name='provider message id')),
                ('error', models.CharField(blank=True, max_length=500, verbose_name='error')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered')),
                ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.store', verbose_name='store')),
                ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='staff')),
                ('template', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='messaging.messagetemplate')),
            ],
            options={
                'verbose_name': 'message',
                'verbose_name_plural': 'messages',
                'indexes': [models.Index(fields=['store', 'status', 'created_at'], name='message_store_status'), models.Index(condition=models.Q(('status', 'sending')), fields=['status', 'sending_since'], name='message_sending'), models.Index(condition=models.Q(('status', 'held')), fields=['status', 'not_before'], name='message_held'), models.Index(condition=models.Q(('channel', 'inapp'), ('read_at', None)), fields=['user', 'created_at'], name='message_unread')],
            },
        ),
    ]
