"""Install the SMS that carries a one-time code (service class, urgent: the person is waiting for it,
so quiet hours do not hold it). Installed inactive until an administrator enters the signature and
template code the SMS provider approved for it (a verification-code template, 验证码类)."""

from django.db import migrations

TEMPLATE = {
    "event": "verification_code",
    "channel": "sms",
    "message_class": "service",
    "urgent": True,
    "variables": ["code", "minutes"],
    "subject_zh": "验证码",
    "subject_en": "Verification code",
    "body_zh": "您的验证码为 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。",
    "body_en": "Your verification code is {code}, valid for {minutes} minutes. If you did not ask for it, ignore this SMS.",
    "is_active": False,
}


def install(apps, schema_editor):
    template = apps.get_model("messaging", "MessageTemplate")
    template.objects.get_or_create(event=TEMPLATE["event"], channel=TEMPLATE["channel"], defaults=TEMPLATE)


def remove(apps, schema_editor):
    template = apps.get_model("messaging", "MessageTemplate")
    template.objects.filter(event=TEMPLATE["event"], channel=TEMPLATE["channel"], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0008_one_time_codes")]

    operations = [migrations.RunPython(install, remove)]
