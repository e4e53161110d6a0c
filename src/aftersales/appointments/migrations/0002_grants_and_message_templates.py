"""Grant appointments' permissions to the built-in roles, and install the messages a booking sends
(service class; an administrator may edit or deactivate them). The e-mails are active; each SMS is
installed inactive until an administrator enters the signature and template code the SMS provider
approved for it."""

from django.db import migrations

# As aftersales.appointments.permissions had them when this migration was written (admin: every one).
ALL = (
    "appointments.view",
    "appointments.book",
    "appointments.overbook",
    "appointments.capacity",
    "appointments.prepick",
)
GRANTS = {
    "admin": ALL,
    "manager": ALL[:4],  # not the pre-pick: it reserves stock, and a manager holds no stock.reserve
    "service_manager": ALL,
    "advisor": ("appointments.view", "appointments.book"),
    "crm": ("appointments.view", "appointments.book"),
    "frontdesk": ("appointments.view", "appointments.book"),
    "foreman": ("appointments.view", "appointments.capacity"),
    "parts": ("appointments.view", "appointments.prepick"),
    "auditor": ("appointments.view",),
}
VARIABLES = ["name", "number", "time", "store", "address", "route", "bring", "phone"]
TEXTS = {
    "appointment_booked": (
        "预约成功：{store} {time}",
        "Booking confirmed: {store}, {time}",
        "{name}您好，您已预约{time}到{store}（{address}）。路线：{route}。请携带：{bring}。"
        "预约号 {number}，如需改约请致电 {phone}。",
        "Dear {name}, you are booked at {store} ({address}) on {time}. How to get here: {route}. "
        "Please bring: {bring}. Booking {number}; to change it call {phone}.",
    ),
    "appointment_changed": (
        "预约已改期：{store} {time}",
        "Booking moved: {store}, {time}",
        "{name}您好，您的预约 {number} 已改为{time}，地址：{address}。请携带：{bring}。如有疑问请致电 {phone}。",
        "Dear {name}, booking {number} is now on {time} at {address}. Please bring: {bring}. "
        "Questions: call {phone}.",
    ),
    "appointment_cancelled": (
        "预约已取消：{number}",
        "Booking cancelled: {number}",
        "{name}您好，您在{store}的预约 {number}（{time}）已取消。如需重新预约请致电 {phone}。",
        "Dear {name}, your booking {number} at {store} on {time} is cancelled. To book again call {phone}.",
    ),
    "appointment_reminder": (
        "明天见：{store} {time}",
        "See you tomorrow: {store}, {time}",
        "{name}您好，提醒您已预约{time}到{store}（{address}）。路线：{route}。请携带：{bring}。"
        "如需改约请致电 {phone}。",
        "Dear {name}, a reminder of your booking at {store} ({address}) on {time}. How to get here: "
        "{route}. Please bring: {bring}. To change it call {phone}.",
    ),
    "appointment_reminder_today": (
        "今天见：{store} {time}",
        "See you today: {store}, {time}",
        "{name}您好，您今天{time}在{store}有预约，我们已做好准备。地址：{address}。",
        "Dear {name}, we are ready for you today at {time} at {store}, {address}.",
    ),
}
TEMPLATES = [
    {
        "event": event,
        "channel": channel,
        "message_class": "service",
        "variables": VARIABLES,
        "subject_zh": subject_zh,
        "subject_en": subject_en,
        "body_zh": body_zh,
        "body_en": body_en,
        # An SMS goes out once an administrator enters the provider's approved signature and code.
        "is_active": channel != "sms",
    }
    for event, (subject_zh, subject_en, body_zh, body_en) in TEXTS.items()
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
    template.objects.filter(event__in=list(TEXTS), version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_appointments_and_capacity"),
        ("messaging", "0007_supplier_recipients"),
    ]

    operations = [migrations.RunPython(install, remove)]
