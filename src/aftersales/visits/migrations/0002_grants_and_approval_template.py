"""Grant the visits area's permissions to the built-in roles, and install the message that carries a
customer approval link (service class: it performs the repair contract, PIPL Art. 13(1)(2)). The e-mail
is active; the SMS is installed inactive until an administrator enters the signature and template code
the SMS provider approved for it."""

from django.db import migrations

# As aftersales.visits.permissions had them when this migration was written (admin: every one).
ALL = (
    "visits.view",
    "visits.receive",
    "visits.diagnose",
    "visits.insurance",
    "visits.warranty",
    "visits.manager_approval",
    "visits.qc_confirm",
    "visits.price",
    "visits.settings",
    "repair_orders.workshop",
    "repair_orders.cancel",
    "repair_orders.close",
)
VIEW = ("visits.view",)
GRANTS = {
    "admin": ALL,
    "manager": (
        "visits.view",
        "visits.receive",
        "visits.manager_approval",
        "visits.price",
        "visits.settings",
        "repair_orders.cancel",
        "repair_orders.close",
    ),
    "service_manager": ALL,
    "advisor": ("visits.view", "visits.receive", "visits.diagnose", "repair_orders.cancel"),
    "frontdesk": VIEW,
    "crm": VIEW,
    "foreman": ("visits.view", "visits.diagnose", "repair_orders.workshop"),
    "expert": ("visits.view", "visits.diagnose"),
    "technician": ("visits.view", "visits.diagnose", "repair_orders.workshop"),
    "qc": ("visits.view", "visits.qc_confirm"),
    "parts": VIEW,
    "insurance": ("visits.view", "visits.receive", "visits.insurance"),
    "warranty": ("visits.view", "visits.warranty"),
    "cashier": ("visits.view", "repair_orders.close"),
    "finance": ("visits.view", "repair_orders.close"),
    "auditor": VIEW,
}
EVENT = "repair_approval_request"
VARIABLES = ["name", "order", "plate", "amount", "url", "store"]
TEXTS = (
    "请确认维修项目：{order}",
    "Please decide on the work proposed: {order}",
    "{name}您好，{store}为您的车辆（{plate}）建议以下维修项目，合计 {amount} 元。请查看照片并逐项确认或拒绝：{url}",
    "Dear {name}, {store} proposes work on your vehicle ({plate}), {amount} yuan in all. "
    "See the photos and approve or decline each item: {url}",
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
        ("visits", "0001_visits_and_repair_orders"),
        ("campaigns", "0002_grants_and_notice_template"),
    ]

    operations = [migrations.RunPython(install, remove)]
