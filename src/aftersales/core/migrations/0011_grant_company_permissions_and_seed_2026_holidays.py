"""The permissions of companies and the calendar for the built-in roles, and the 2026 holidays."""

from datetime import date, timedelta

from django.db import migrations

# 国务院办公厅关于2026年部分节假日安排的通知 (4 November 2025, published by 新华社):
# (name, first holiday, last holiday, make-up working days). Copied from
# aftersales.core.calendar.HOLIDAYS_2026 as it stood when this migration was written.
HOLIDAYS_2026 = (
    ("元旦", date(2026, 1, 1), date(2026, 1, 3), (date(2026, 1, 4),)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23), (date(2026, 2, 14), date(2026, 2, 28))),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6), ()),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5), (date(2026, 5, 9),)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21), ()),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27), ()),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7), (date(2026, 9, 20), date(2026, 10, 10))),
)

GRANTS = {"admin": ("companies.manage", "companies.bank", "calendar.manage"), "finance": ("companies.bank",)}


def grant(apps, schema_editor):  # type: ignore[no-untyped-def]
    Role = apps.get_model("core", "Role")
    for code, permissions in GRANTS.items():
        for role in Role.objects.filter(code=code):
            missing = [permission for permission in permissions if permission not in role.permissions]
            if missing:
                role.permissions = [*role.permissions, *missing]
                role.save(update_fields=["permissions"])


def seed_2026(apps, schema_editor):  # type: ignore[no-untyped-def]
    CalendarDay = apps.get_model("core", "CalendarDay")
    if CalendarDay.objects.filter(day__year=2026).exists():
        return
    rows = []
    for name, first, last, workdays in HOLIDAYS_2026:
        day = first
        while day <= last:
            rows.append(CalendarDay(day=day, kind="holiday", name=name))
            day += timedelta(days=1)
        rows += [CalendarDay(day=workday, kind="workday", name=name) for workday in workdays]
    CalendarDay.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("core", "0010_legal_entities_and_holiday_calendar")]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(seed_2026, migrations.RunPython.noop),
    ]
