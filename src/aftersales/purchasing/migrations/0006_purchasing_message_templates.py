"""The messages purchasing sends, installed active (an administrator may edit or deactivate them): the
order to a local supplier by e-mail with its PDF, and the note to whoever waits for parts that arrived."""

from django.db import migrations

TEMPLATES = [
    {
        "event": "purchase_order_sent",
        "channel": "email",
        "message_class": "service",
        "variables": ["supplier", "order", "store", "lines", "total"],
        "subject_zh": "采购订单 {order}（{store}）",
        "subject_en": "Purchase order {order} ({store})",
        "body_zh": "{supplier}：\n\n附件为{store}的采购订单 {order}，共 {lines} 行，含税合计 {total} 元。"
        "请按订单要求的到货日期送货，送货单请注明订单号。\n\n{store}",
        "body_en": "Dear {supplier},\n\nattached is purchase order {order} of {store}: {lines} lines, {total} yuan "
        "tax included. Please deliver by the dates it asks for and name the order on your delivery note.\n\n{store}",
    },
    {
        "event": "parts_arrived",
        "channel": "inapp",
        "message_class": "service",
        "variables": ["part", "quantity", "order", "demand"],
        "subject_zh": "配件到货：{part}",
        "subject_en": "Parts arrived: {part}",
        "body_zh": "{part} × {quantity} 已随采购订单 {order} 到货，已为{demand}预留。",
        "body_en": "{part} × {quantity} arrived with purchase order {order} and is reserved for {demand}.",
    },
]


def install(apps, schema_editor):
    template = apps.get_model("messaging", "MessageTemplate")
    for data in TEMPLATES:
        template.objects.get_or_create(event=data["event"], channel=data["channel"], defaults=data)


def remove(apps, schema_editor):
    template = apps.get_model("messaging", "MessageTemplate")
    template.objects.filter(event__in=[data["event"] for data in TEMPLATES], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("purchasing", "0005_delivery_notes_returns_versions"),
        ("messaging", "0007_supplier_recipients"),
    ]

    operations = [migrations.RunPython(install, remove)]
