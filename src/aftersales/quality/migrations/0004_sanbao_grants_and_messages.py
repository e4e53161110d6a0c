"""Grant the 三包 watch's and the quality evaluations' permissions to the built-in roles, and install the
in-app message that tells the advisor and the after-sales manager of a 三包 alert or early warning."""

from django.db import migrations

# As aftersales.quality.permissions had them when this migration was written (admin: every one).
GRANTS = {
    "admin": ("quality.sanbao", "quality.audit"),
    "manager": ("quality.sanbao", "quality.audit"),
    "service_manager": ("quality.sanbao", "quality.audit"),
    "advisor": ("quality.sanbao",),
    "qc": ("quality.sanbao", "quality.audit"),
    "warranty": ("quality.sanbao",),
}
TEMPLATES = [
    {
        "event": "sanbao_alert",
        "channel": "inapp",
        "message_class": "service",
        "is_active": True,
        "variables": ["plate", "level", "rule", "subject", "article"],
        "subject_zh": "三包{level}：{plate} {rule}",
        "subject_en": "三包 {level}: {plate} {rule}",
        "body_zh": "车辆 {plate}：{subject}（{article}）。请及时处理并记录处理结果。",
        "body_en": "Vehicle {plate}: {subject} ({article}). Please act on it and record what was done.",
    }
]


def install(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role.objects.filter(code__in=GRANTS):
        added = [code for code in GRANTS[role.code] if code not in role.permissions]
        if added:
            role.permissions = [*role.permissions, *added]
            role.save(update_fields=["permissions"])
    template = apps.get_model("messaging", "MessageTemplate")
    for data in TEMPLATES:
        template.objects.get_or_create(event=data["event"], channel=data["channel"], defaults=data)


def remove(apps, schema_editor):
    template = apps.get_model("messaging", "MessageTemplate")
    template.objects.filter(event__in={data["event"] for data in TEMPLATES}, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0003_sanbao_and_audits"),
    ]

    operations = [migrations.RunPython(install, remove)]
