"""The audit trail as people read it: labels, values, names of people and records, one query per model."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable

from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.functional import Promise

from aftersales.conftest import World
from aftersales.core.audit import audit_append
from aftersales.core.history import audit_history
from aftersales.core.models import AuditedModel, AuditEntry, Bay, StaffMembership, User

EN = {"accept-language": "en"}


def audit_rows(page: str) -> list[tuple[str, str, str, list[str]]]:
    """Each row of the audit page as text: (user, action, object, change lines)."""

    def text(fragment: str, joiner: str = "") -> str:
        return " ".join(html.unescape(re.sub(r"<[^>]+>", joiner, fragment)).split())

    rows = []
    for row in re.findall(r'<tr data-testid="audit-row">(.*?)</tr>', page, re.DOTALL):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        lines = re.findall(r'<div data-testid="audit-line">(.*?)</div>', row, re.DOTALL)
        rows.append((text(cells[1], " "), text(cells[3]), text(cells[4]), [text(line) for line in lines]))
    return rows


def test_a_bay_change_reads_with_labels_choices_yes_no_and_the_store_by_name(
    world: World, client_for: Callable[[User], Client]
) -> None:
    bay = Bay(store=world.sh, code="Z01", kind="wash")
    bay.save(actor=world.user("manager"))
    bay.kind, bay.is_active = "body", False
    bay.save(actor=world.user("manager"))
    auditor = client_for(world.user("auditor"))

    chinese = audit_rows(auditor.get("/audit/", {"object_type": "core.bay", "object_id": bay.pk}).content.decode())
    english = audit_rows(
        auditor.get("/audit/", {"object_type": "core.bay", "object_id": bay.pk}, headers=EN).content.decode()
    )

    assert chinese == [
        ("店长 manager_sh", "修改", f"工位 #{bay.pk} Z01 钣金", ["类型：洗车 → 钣金", "启用：是 → 否"]),
        (
            "店长 manager_sh",
            "创建",
            f"工位 #{bay.pk} Z01 洗车",
            ["门店：SH01 上海店", "编码：Z01", "类型：洗车", "启用：是"],
        ),
    ]
    assert english == [
        ("店长 manager_sh", "Updated", f"Bay #{bay.pk} Z01 钣金", ["Type: Wash → Body shop", "Active: yes → no"]),
        (
            "店长 manager_sh",
            "Created",
            f"Bay #{bay.pk} Z01 洗车",
            ["Store: SH01 上海店", "Code: Z01", "Type: Wash", "Active: yes"],
        ),
    ]


def test_people_are_named_and_the_page_still_filters_by_user_name(
    world: World, client_for: Callable[[User], Client]
) -> None:
    audit_append(action="login", actor=world.users["outsider"])  # no full name: the user name stands in
    audit_append(action="login_failed", actor_username="no-such-user")  # no user at all
    audit_append(action="login", actor=world.user("advisor"))
    auditor = client_for(world.user("auditor"))

    everyone = audit_rows(auditor.get("/audit/", {"action": "login"}).content.decode())
    failed = audit_rows(auditor.get("/audit/", {"action": "login_failed"}).content.decode())
    by_user_name = auditor.get("/audit/", {"actor": "advisor_sh"})

    assert [(user, action) for user, action, _object, _lines in everyone] == [
        ("服务顾问 advisor_sh", "登录"),
        ("outsider", "登录"),
    ]
    assert [user for user, _action, _object, _lines in failed] == ["no-such-user"]
    assert [row[0] for row in audit_rows(by_user_name.content.decode())] == ["服务顾问 advisor_sh"]


def test_a_refused_permission_and_the_trails_export_read_with_labels(
    world: World, client_for: Callable[[User], Client]
) -> None:
    assert client_for(world.user("technician")).get("/audit/").status_code == 403
    auditor = client_for(world.user("auditor"))
    export = auditor.get("/audit/export/", {"actor": "manager_sh", "store": world.sh.pk, "action": "update"})
    b"".join(export.streaming_content)  # type: ignore[attr-defined]

    denied = audit_rows(auditor.get("/audit/", {"action": "permission_denied"}).content.decode())
    exported = audit_rows(auditor.get("/audit/", {"action": "export"}, headers=EN).content.decode())

    assert denied == [("维修技师 technician_sh", "权限拒绝", "", ["权限：查询审计日志"])]
    assert exported == [
        (
            "总部审计 auditor_sh",
            "Data export",
            "Audit entry",
            ["Filters: User name: manager_sh, Store: SH01 上海店, Action: Updated", "Rows: 0"],
        )
    ]


def test_the_csv_export_keeps_the_recorded_values(world: World, client_for: Callable[[User], Client]) -> None:
    Bay(store=world.sh, code="Z01", kind="wash").save(actor=world.user("manager"))
    response = client_for(world.user("auditor")).get(
        "/audit/export/", {"object_type": "core.bay", "actor": "manager_sh"}
    )

    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]

    [_header, row] = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    entry = AuditEntry.objects.get(object_type="core.bay", action="create", actor_username="manager_sh")
    assert row[7] == json.dumps(entry.changes, ensure_ascii=False, sort_keys=True)
    assert json.loads(row[7])["kind"] == [None, "wash"]


def test_the_audit_page_looks_names_up_with_one_query_per_model(
    world: World, client_for: Callable[[User], Client]
) -> None:
    auditor = client_for(world.user("auditor"))

    def queries(bays: int) -> int:
        for number in range(bays):
            Bay(store=world.sh, code=f"Q{number:02d}{bays}", kind="wash").save(actor=world.user("manager"))
        with CaptureQueriesContext(connection) as captured:
            assert auditor.get("/audit/", {"object_type": "core.bay"}).status_code == 200
        return len(captured)

    auditor.get("/audit/")  # the first page of a session picks the active store
    # Session, user, access, menu and filter form (6), the count and the page of entries (2), the
    # stores named in the entries and the users who acted (2, however many entries), the session (3).
    assert queries(1) == queries(12) == 13


def test_memberships_name_the_user_role_and_store(world: World) -> None:
    membership = StaffMembership.all_objects.get(user=world.user("advisor"), store=world.sh)
    membership.role_id = StaffMembership.all_objects.get(user=world.user("crm"), store=world.sh).role_id
    membership.save(actor=world.user("admin"))
    entry = AuditEntry.objects.get(object_type="core.staffmembership", object_id=str(membership.pk))

    [history] = audit_history([entry])

    assert (history.actor, history.subject, history.action) == ("系统管理员", "门店任职", "修改")
    assert [(line.label, line.previous, line.value) for line in history.lines] == [("角色", "服务顾问", "客服专员")]


def test_every_field_of_an_audited_record_has_a_translatable_label() -> None:
    """A field's verbose name labels its changes in the history; one Django derives from the field's
    name cannot be translated (a foreign key reads as the model it refers to)."""
    unlabelled = [
        f"{model._meta.label}.{model_field.name}"
        for model in apps.get_models()
        if issubclass(model, AuditedModel)
        for model_field in model._meta.concrete_fields
        if not model_field.primary_key
        and model_field.name not in model.audit_exclude
        and model_field.attname not in model.audit_exclude
        and not isinstance(model_field.verbose_name, Promise)
        and not (model_field.related_model and isinstance(model_field.related_model._meta.verbose_name, Promise))
    ]
    assert unlabelled == []
