"""Grant the campaigns' permissions to the built-in roles, and install the recall notice (service class:
the law obliges the dealer to tell the owner, PIPL Art. 13(2) and 缺陷汽车产品召回管理条例 Art. 19; an
administrator may edit it). The e-mail is active; the SMS is installed inactive until an administrator
enters the signature and template code the SMS provider approved for it."""

from django.db import migrations

# As aftersales.campaigns.permissions had them when this migration was written (admin: every one).
ALL = ("campaigns.view", "campaigns.manage")
VIEW = ("campaigns.view",)
GRANTS = {
    "admin": ALL,
    "manager": VIEW,
    "service_manager": ALL,
    "warranty": ALL,
    "advisor": VIEW,
    "crm": VIEW,
    "frontdesk": VIEW,
    "foreman": VIEW,
    "parts": VIEW,
    "auditor": VIEW,
}
EVENT = "campaign_notice"
VARIABLES = ["name", "plate", "code", "title", "store", "phone"]
TEXTS = (
    "召回通知：{title}",
    "Recall notice: {title}",
    "{name}您好，您的车辆（{plate}）在{title}（编号 {code}）范围内，检修免费。请致电 {phone} 预约到{store}办理。",
    "Dear {name}, your vehicle ({plate}) is affected by {title} (number {code}); the work is free of charge. "
    "Please call {phone} to book it at {store}.",
)
TEMPLATES = [
    {
        "event": EVENT,
        "channel": channel,
        "message_class": "service",
        "variables": VARIABLES,
        "subject_zh": TEXTS[0],
        "subject_en": TEXTS[1],
        "body_zh": TEXTS[2],
        "body_en": TEXTS[3],
        "is_active": channel != "sms",
    }
    for channel in ("sms", "email")
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
    template.objects.filter(event=EVENT, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_campaign_registry_and_outreach"),
        ("appointments", "0002_grants_and_message_templates"),
    ]

    operations = [migrations.RunPython(install, remove)]
