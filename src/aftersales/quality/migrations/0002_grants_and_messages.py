"""Grant quality's permissions to the built-in roles, and install its messages: in-app to the technician
(work sent back by the final inspection) and to the advisor (the car is washed and where it stands), and
the customer's pickup notice (service class: it performs the repair contract, PIPL Art. 13(1)(2)); its
SMS is installed inactive until an administrator enters the signature and template code the SMS provider
approved for it."""

from django.db import migrations

# As aftersales.quality.permissions had them when this migration was written (admin: every one).
ALL = (
    "quality.view",
    "quality.inspect",
    "quality.wash",
    "quality.handover",
    "quality.deliver",
    "quality.settings",
)
GRANTS = {
    "admin": ALL,
    "manager": ("quality.view", "quality.deliver", "quality.settings"),
    "service_manager": ALL,
    "advisor": ("quality.view", "quality.deliver"),
    "frontdesk": ("quality.view",),
    "foreman": ("quality.view", "quality.wash", "quality.handover"),
    "expert": ("quality.view",),
    "technician": ("quality.view",),
    "qc": ("quality.view", "quality.inspect", "quality.wash", "quality.handover"),
    "washer": ("quality.view", "quality.wash"),
    "warranty": ("quality.view",),
    "crm": ("quality.view",),
    "auditor": ("quality.view",),
}
STAFF = [
    {
        "event": "quality_rework",
        "variables": ["order", "plate", "job", "reason"],
        "subject_zh": "总检退回：{plate} {job}",
        "subject_en": "Sent back by the final inspection: {plate} {job}",
        "body_zh": "委托书 {order}（{plate}）的“{job}”总检未通过，已退回返工：{reason}",
        "body_en": "“{job}” of repair order {order} ({plate}) failed the final inspection and is back with you: {reason}",
    },
    {
        "event": "quality_car_washed",
        "variables": ["visit", "plate", "spot"],
        "subject_zh": "车辆已完工待交接：{plate}",
        "subject_en": "Car finished, waiting for handover: {plate}",
        "body_zh": "接待单 {visit}（{plate}）已总检、清洗完毕，停放于竣工车位 {spot}。",
        "body_en": "Visit {visit} ({plate}) is inspected and washed, parked in the finished area at {spot}.",
    },
]
PICKUP = {
    "event": "pickup_notice",
    "message_class": "service",
    "urgent": True,
    "variables": ["name", "plate", "store"],
    "subject_zh": "您的爱车已可取车：{plate}",
    "subject_en": "Your car is ready: {plate}",
    "body_zh": "{name}您好，您的爱车{plate}已完工并通过检验，可以取车了。【{store}】",
    "body_en": "Dear {name}, your car {plate} is finished and inspected: you may collect it. ({store})",
}
TEMPLATES = [{**data, "channel": "inapp", "message_class": "service", "is_active": True} for data in STAFF] + [
    {**PICKUP, "channel": channel, "is_active": channel != "sms"} for channel in ("sms", "email")
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
        ("quality", "0001_quality"),
    ]

    operations = [migrations.RunPython(install, remove)]
