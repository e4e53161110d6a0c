from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0014_store_quiet_hours'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('create', 'Created'), ('update', 'Updated'), ('delete', 'Deleted'), ('login', 'Logged in'), ('logout', 'Logged out'), ('login_failed', 'Failed login'), ('locked_out', 'Locked out'), ('permission_denied', 'Permission denied'), ('export', 'Data export'), ('reveal', 'Personal data revealed'), ('merge', 'Records merged'), ('anonymise', 'Personal data anonymised'), ('token_created', 'API token created'), ('token_revoked', 'API token revoked'), ('password_changed', 'Password changed'), ('not_found_in_scope', 'Record of another store requested'), ('audit_key_changed', 'Audit signing key changed'), ('link_opened', 'Customer link opened'), ('link_used', 'Customer link used')], max_length=20, verbose_name='action'),
        ),
    ]
