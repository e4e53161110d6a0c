"""Install the built-in roles with their first permission sets (admins may edit them later)."""

from django.db import migrations

ROLES = [
    ('admin', '系统管理员', 'System admin', 'group', 'manager', ['today.view', 'stores.view', 'staff.view', 'audit.view', 'tokens.manage', 'admin.access']),
    ('manager', '店长', 'Store manager', 'store', 'manager', ['today.view', 'stores.view', 'tokens.manage', 'staff.view', 'audit.view']),
    ('advisor', '服务顾问', 'Service advisor', 'store', 'advisor', ['today.view', 'stores.view', 'tokens.manage']),
    ('crm', '客服专员', 'CRM agent', 'store', 'crm', ['today.view', 'stores.view', 'tokens.manage']),
    ('frontdesk', '前台', 'Front desk', 'store', 'frontdesk', ['today.view', 'stores.view', 'tokens.manage']),
    ('foreman', '车间主管', 'Workshop foreman', 'store', 'foreman', ['today.view', 'stores.view', 'tokens.manage', 'staff.view']),
    ('technician', '维修技师', 'Technician', 'store', 'technician', ['today.view', 'stores.view', 'tokens.manage']),
    ('qc', '质检员', 'QC inspector', 'store', 'qc', ['today.view', 'stores.view', 'tokens.manage']),
    ('parts', '配件员', 'Parts clerk', 'store', 'parts', ['today.view', 'stores.view', 'tokens.manage']),
    ('purchaser', '采购员', 'Purchaser', 'store', 'parts', ['today.view', 'stores.view', 'tokens.manage']),
    ('finance', '财务', 'Finance', 'store', 'finance', ['today.view', 'stores.view', 'tokens.manage']),
    ('auditor', '总部审计', 'HQ auditor', 'group', 'auditor', ['today.view', 'stores.view', 'tokens.manage', 'staff.view', 'audit.view']),
]


def install_roles(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for code, name, name_en, scope, landing, permissions in ROLES:
        Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "scope": scope, "landing": landing, "permissions": permissions},
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(install_roles, migrations.RunPython.noop)]
