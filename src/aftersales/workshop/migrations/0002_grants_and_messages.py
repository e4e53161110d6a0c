"""Grant the workshop's permissions to the built-in roles, and install its messages: in-app to the
technician (a new job; its deadline coming) and to the foreman, advisor and manager (an order late against
its service level), and the customer's progress message (service class: it performs the repair contract,
PIPL Art. 13(1)(2)); its SMS is installed inactive until an administrator enters the signature and
template code the SMS provider approved for it."""

from django.db import migrations

# As aftersales.workshop.permissions had them when this migration was written (admin: every one).
ALL = (
    "workshop.view",
    "workshop.dispatch",
    "workshop.work",
    "workshop.correct",
    "workshop.parts",
    "workshop.settings",
)
GRANTS = {
    "admin": ALL,
    "manager": ("workshop.view", "workshop.settings"),
    "service_manager": ("workshop.view", "workshop.dispatch", "workshop.work", "workshop.correct", "workshop.settings"),
    "advisor": ("workshop.view",),
    "frontdesk": ("workshop.view",),
    "foreman": ("workshop.view", "workshop.dispatch", "workshop.work", "workshop.correct"),
    "expert": ("workshop.view", "workshop.work"),
    "technician": ("workshop.view", "workshop.work"),
    "qc": ("workshop.view",),
    "parts": ("workshop.view", "workshop.parts"),
    "auditor": ("workshop.view",),
}
STAFF = [
    {
        "event": "workshop_job_dispatched",
        "variables": ["order", "plate", "job", "deadline"],
        "subject_zh": "新派工：{plate} {job}",
        "subject_en": "New job: {plate} {job}",
        "body_zh": "委托书 {order}（{plate}）的“{job}”已派给您，完工期限 {deadline}。请在“我的工作”中接单。",
        "body_en": "“{job}” of repair order {order} ({plate}) is yours, due by {deadline}. "
        "Accept it on My jobs.",
    },
    {
        "event": "workshop_job_reminder",
        "variables": ["order", "plate", "job", "deadline"],
        "subject_zh": "即将到期：{plate} {job}",
        "subject_en": "Due soon: {plate} {job}",
        "body_zh": "委托书 {order}（{plate}）的“{job}”将于 {deadline} 到期。",
        "body_en": "“{job}” of repair order {order} ({plate}) is due at {deadline}.",
    },
    {
        "event": "workshop_sla_overdue",
        "variables": ["order", "plate", "what", "due"],
        "subject_zh": "超时：{order} {what}",
        "subject_en": "Late: {order} {what}",
        "body_zh": "委托书 {order}（{plate}）{what}：应于 {due} 前完成。",
        "body_en": "Repair order {order} ({plate}): {what}; it was due by {due}.",
    },
]
PROGRESS = {
    "event": "repair_progress",
    "message_class": "service",
    "variables": ["name", "plate", "order", "status", "eta", "url", "store"],
    "subject_zh": "维修进度：{plate}",
    "subject_en": "Progress of your car: {plate}",
    "body_zh": "{name}您好，{status}（{plate}，委托书 {order}），预计交车时间 {eta}。查看进度：{url} 【{store}】",
    "body_en": "Dear {name}, {status} ({plate}, repair order {order}); it should be ready at {eta}. "
    "Follow the progress: {url} ({store})",
}
TEMPLATES = [{**data, "channel": "inapp", "message_class": "service", "is_active": True} for data in STAFF] + [
    {**PROGRESS, "channel": channel, "is_active": channel != "sms"} for channel in ("sms", "email")
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
        ("workshop", "0001_workshop"),
        ("visits", "0003_remove_job"),
    ]

    operations = [migrations.RunPython(install, remove)]
