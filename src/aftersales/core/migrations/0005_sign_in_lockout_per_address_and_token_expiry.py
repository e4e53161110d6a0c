"""Sign-in counters per user name and client address and per address; a forced password change; the
address an API token was last used from; the API tokens page for the roles that set up integrations."""

import django.utils.timezone
from django.db import migrations, models

# "tokens.manage" was every role's; it stays with the roles that set up integrations (admin, auditor).
TOKENS_PAGE_REVOKED = ("manager", "advisor", "crm", "frontdesk", "foreman", "technician", "qc", "parts", "purchaser", "finance")
GRANTS = {"admin": ("tokens.no_expiry",)}


def tokens_page_for_integrators(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.filter(code__in=TOKENS_PAGE_REVOKED):
        if "tokens.manage" in role.permissions:
            role.permissions = [code for code in role.permissions if code != "tokens.manage"]
            role.save(update_fields=["permissions"])
    for role in Role.objects.filter(code__in=GRANTS):
        added = [code for code in GRANTS[role.code] if code not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_audit_personal_data'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='last_used_ip',
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name='last used from'),
        ),
        migrations.AddField(
            model_name='loginthrottle',
            name='client_ip',
            field=models.CharField(blank=True, max_length=45),
        ),
        migrations.AddField(
            model_name='loginthrottle',
            name='window_started_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='user',
            name='must_change_password',
            field=models.BooleanField(default=False, help_text='Every page leads to the password change until the user has chosen a new password.', verbose_name='must change password at next sign-in'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('create', 'Created'), ('update', 'Updated'), ('delete', 'Deleted'), ('login', 'Logged in'), ('logout', 'Logged out'), ('login_failed', 'Failed login'), ('locked_out', 'Locked out'), ('permission_denied', 'Permission denied'), ('export', 'Data export'), ('reveal', 'Personal data revealed'), ('merge', 'Records merged'), ('anonymise', 'Personal data anonymised'), ('token_created', 'API token created'), ('token_revoked', 'API token revoked'), ('password_changed', 'Password changed')], max_length=20, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='loginthrottle',
            name='username',
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddIndex(
            model_name='loginthrottle',
            index=models.Index(fields=['window_started_at'], name='login_throttle_window'),
        ),
        migrations.AddConstraint(
            model_name='loginthrottle',
            constraint=models.UniqueConstraint(fields=('username', 'client_ip'), name='login_throttle_name_address'),
        ),
        migrations.RunPython(tokens_page_for_integrators, migrations.RunPython.noop),
    ]
