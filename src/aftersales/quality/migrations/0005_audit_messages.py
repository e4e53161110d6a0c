"""Install the in-app message that tells a member of staff a quality evaluation's finding is theirs to
correct, and by when."""

from django.db import migrations

TEMPLATES = [
    {
        "event": "quality_finding",
        "channel": "inapp",
        "message_class": "service",
        "is_active": True,
        "variables": ["audit", "severity", "finding", "action", "due"],
        "subject_zh": "质量评估整改：{audit}（{severity}）",
        "subject_en": "Quality evaluation finding for you: {audit} ({severity})",
        "body_zh": "质量评估 {audit} 发现问题：{finding}。整改要求：{action}。请于 {due} 前完成整改并记录整改措施。",
        "body_en": (
            "Quality evaluation {audit} found: {finding}. Corrective action: {action}. "
            "Please correct it by {due} and record the action taken."
        ),
    }
]


def install(apps, schema_editor):
    template = apps.get_model("messaging", "MessageTemplate")
    for data in TEMPLATES:
        template.objects.get_or_create(event=data["event"], channel=data["channel"], defaults=data)


def remove(apps, schema_editor):
    template = apps.get_model("messaging", "MessageTemplate")
    template.objects.filter(event__in={data["event"] for data in TEMPLATES}, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0004_sanbao_grants_and_messages"),
    ]

    operations = [migrations.RunPython(install, remove)]
