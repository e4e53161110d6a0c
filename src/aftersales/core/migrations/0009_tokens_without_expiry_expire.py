"""Tokens issued before tokens expired (every POST /api/v1/auth/token, and tokens made on the tokens
page without an expiry) get the default lifetime from now on: only a holder of tokens.no_expiry may
keep a token that never expires, and makes it anew on the tokens page."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def expire_in_token_days(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True, revoked_at__isnull=True).update(
        expires_at=timezone.now() + timedelta(days=settings.TOKEN_DAYS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_login_throttle_per_name_and_audited_refusals"),
    ]

    operations = [
        migrations.RunPython(expire_in_token_days, migrations.RunPython.noop),
    ]
