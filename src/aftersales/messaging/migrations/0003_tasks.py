import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0014_store_quiet_hours'),
        ('messaging', '0002_grant_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Task',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject', models.CharField(max_length=200, verbose_name='subject')),
                ('about_type', models.CharField(blank=True, max_length=60, verbose_name='about')),
                ('about_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='about record')),
                ('about_label', models.CharField(blank=True, max_length=100, verbose_name='about (as shown)')),
                ('assignee_role', models.CharField(blank=True, max_length=30, verbose_name='assigned to role')),
                ('due_at', models.DateTimeField(blank=True, null=True, verbose_name='due')),
                ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done'), ('cancelled', 'Cancelled')], default='open', max_length=10, verbose_name='status')),
                ('outcome', models.TextField(blank=True, verbose_name='outcome')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed')),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assigned to')),
                ('closed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='closed by')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.store', verbose_name='store')),
            ],
            options={
                'verbose_name': 'task',
                'verbose_name_plural': 'tasks',
                'indexes': [models.Index(fields=['assignee', 'status', 'due_at'], name='task_assignee_open'), models.Index(fields=['store', 'assignee_role', 'status', 'due_at'], name='task_role_open')],
            },
        ),
    ]
