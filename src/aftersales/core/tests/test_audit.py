import json
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from aftersales.conftest import World
from aftersales.core.audit import (
    ERASED,
    audit_append,
    audit_personal_erase,
    audit_personal_fill,
    audit_verify,
)
from aftersales.core.models import AuditEntry, AuditPersonalData, Bay, Store, User
from aftersales.core.scope import scope_of
from aftersales.core.services import token_create
from aftersales.customers.models import ImportJob


def test_create_update_delete_write_entries_with_changes(world: World) -> None:
    manager = world.user("manager")
    with scope_of(manager, client_ip="10.1.2.3"):
        bay = Bay(store=world.sh, code="Z09", kind="alignment")
        bay.save(actor=manager)
        bay.kind = "body"
        bay.is_active = False
        bay.save(actor=manager)
        bay.save(actor=manager)  # nothing changed: no entry
        bay.delete(actor=manager)
    entries = list(AuditEntry.objects.filter(object_type="core.bay", object_id=str(bay.pk)).order_by("id"))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[1].changes == {"kind": ["alignment", "body"], "is_active": [True, False]}
    assert entries[0].changes["code"] == [None, "Z09"]
    assert entries[2].changes["code"] == ["Z09", None]
    assert {(e.actor_id, e.store_id, e.client_ip) for e in entries} == {(manager.pk, world.sh.pk, "10.1.2.3")}


def test_the_actor_is_the_one_given_never_the_user_of_the_request_context(world: World) -> None:
    """A change saved in a request's scope without an actor is the system's: the trail does not guess."""
    with scope_of(world.user("manager"), client_ip="10.1.2.3"):
        Bay(store=world.sh, code="Z08", kind="wash").save()
        Bay(store=world.sh, code="Z07", kind="wash").save(actor=world.user("foreman"))
    entries = AuditEntry.objects.filter(object_type="core.bay", action="create", client_ip="10.1.2.3").order_by("id")
    assert [(e.changes["code"][1], e.actor_id, e.actor_username, e.client_ip) for e in entries] == [
        ("Z08", None, "", "10.1.2.3"),
        ("Z07", world.user("foreman").pk, "foreman_sh", "10.1.2.3"),
    ]


def test_entries_cannot_be_changed_or_deleted_through_the_orm(world: World) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="login")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_verify_passes_then_finds_a_tampered_row(world: World) -> None:
    checked, broken = audit_verify()
    assert broken is None and checked == AuditEntry.objects.count()
    call_command("audit", "verify")
    victim = AuditEntry.objects.filter(store=world.sh).order_by("chain_seq")[3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET object_repr = %s WHERE id = %s", ["forged", victim.pk])
    _checked, broken = audit_verify()
    assert broken is not None
    assert (broken.entry_id, broken.chain_seq, broken.reason) == (victim.pk, 4, "entry content changed")
    with pytest.raises(CommandError, match=f"entry id {victim.pk}"):
        call_command("audit", "verify")


def test_verify_finds_a_removed_row(world: World) -> None:
    victim = AuditEntry.objects.filter(store=world.sz).order_by("chain_seq")[1]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [victim.pk])
    _checked, broken = audit_verify()
    assert broken is not None
    assert (broken.chain, broken.chain_seq, broken.reason) == (world.sz.pk, 2, "entry missing before this one")


def test_audit_page_searches_by_actor_store_and_date(world: World, client_for: Callable[[User], Client]) -> None:
    Bay(store=world.sh, code="Z01", kind="wash").save(actor=world.user("manager"))
    client = client_for(world.user("auditor"))
    page = client.get("/audit/", {"actor": "manager_sh", "store": world.sh.pk})
    assert page.status_code == 200
    assert page.context["page_obj"].paginator.count == 1
    assert "Z01" in page.content.decode()
    partial = client.get("/audit/", {"actor": "nobody"}, headers={"HX-Request": "true", "accept-language": "en"})
    html = partial.content.decode()
    assert "0 entries" in html and "No entries match." in html
    assert "<html" not in html and html.strip().startswith('<div id="audit-results">')
    bad = client.get("/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"}, headers={"accept-language": "en"})
    assert bad.context["form"].errors == {"date_to": ["The end date must not be before the start date."]}


def test_store_manager_sees_only_own_store_entries(world: World, client_for: Callable[[User], Client]) -> None:
    page = client_for(world.user("manager")).get("/audit/")
    stores = {entry.store_id for entry in page.context["page_obj"].object_list}
    assert stores == {world.sh.pk}


def test_export_is_audited(world: World, client_for: Callable[[User], Client]) -> None:
    response = client_for(world.user("auditor")).get("/audit/export/", {"actor": "manager_sh"})
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert body.startswith("\ufeff")
    export = AuditEntry.objects.get(action="export")
    assert export.actor_username == "auditor_sh"
    assert export.changes == {"filters": {"actor": "manager_sh"}, "rows": 0}


def test_permission_denial_is_audited(world: World, client_for: Callable[[User], Client]) -> None:
    assert client_for(world.user("technician")).get("/audit/").status_code == 403
    denial = AuditEntry.objects.get(action="permission_denied")
    assert (denial.actor_username, denial.changes) == ("technician_sh", {"permission": "audit.view"})


def test_personal_values_sit_beside_the_chain_and_can_be_erased(
    world: World, client_for: Callable[[User], Client]
) -> None:
    original = {"name": ["欧阳娜娜", "欧阳娜"], "kind": ["a", "b"], "email": [None, "zs@example.com"]}
    entry = audit_append(
        action="update",
        store_id=world.sh.pk,
        object_type="crm.person",
        object_id="7",
        object_repr="P-7",
        changes=original,
        subject="crm.person:7",
        personal=frozenset({"name", "email", "phone"}),
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.changes["kind"] == ["a", "b"]
    assert stored.changes["email"][0] is None and list(stored.changes["email"][1]) == ["$personal"]
    assert "欧阳娜" not in json.dumps(stored.changes, ensure_ascii=False)
    assert audit_personal_fill([stored])[0].changes == original
    assert audit_verify() == (AuditEntry.objects.count(), None)

    page = client_for(world.user("auditor")).get("/audit/", {"store": world.sh.pk}).content.decode()
    # A type the page does not know shows its keys as they are.
    assert "P-7" in page and "欧阳娜" not in page and "<b>name</b>：（个人信息） → （个人信息）" in page
    assert "<b>kind</b>：a → b" in page and "<b>email</b>：— → （个人信息）" in page

    kept = AuditPersonalData.objects.get(pk=entry.pk)
    AuditPersonalData.objects.filter(pk=entry.pk).update(values={**kept.values, "name": ["李四", "欧阳娜"]})
    _checked, broken = audit_verify()
    assert broken is not None and (broken.entry_id, broken.reason) == (entry.pk, "personal values changed")
    AuditPersonalData.objects.filter(pk=entry.pk).update(values=kept.values)

    assert audit_personal_erase(["crm.person:7"]) == 1
    assert audit_verify() == (AuditEntry.objects.count(), None)
    erased = audit_personal_fill([AuditEntry.objects.get(pk=entry.pk)])[0]
    assert erased.changes == {"name": [ERASED, ERASED], "kind": ["a", "b"], "email": [None, ERASED]}


def test_audit_page_shows_pairs_only_for_record_changes(world: World, client_for: Callable[[User], Client]) -> None:
    audit_append(
        action="anonymise",
        store_id=world.sh.pk,
        object_type="crm.person",
        object_id="8",
        changes={"reason": "申请", "cleared": ["name", "email"], "rows": 2, "filters": {"q": "x"}},
    )
    page = client_for(world.user("auditor")).get("/audit/", {"store": world.sh.pk}).content.decode()
    for line in ("<b>reason</b>：申请", "<b>cleared</b>：name、email", "<b>rows</b>：2", "<b>filters</b>：q：x"):
        assert line in page, line


def _import_job(store: Store) -> ImportJob:
    return ImportJob.objects.create(store=store, file_name="车主名单.xlsx", storage_name="x.xlsx")


def test_a_request_for_another_stores_record_answers_404_and_is_audited(
    world: World, client_for: Callable[[User], Client]
) -> None:
    manager = world.user("manager")  # of SH01 only
    sz_job = _import_job(world.sz)
    page, api = (
        client_for(manager),
        Client(headers={"Authorization": f"Bearer {token_create(user=manager, name='t')[1]}"}),
    )
    last = AuditEntry.objects.order_by("pk").last()

    answers = [
        page.get(f"/stores/{world.sz.pk}/").status_code,
        api.get(f"/api/v1/stores/{world.sz.pk}").status_code,
        page.get(f"/customers/import/{sz_job.pk}/").status_code,
        api.get(f"/api/v1/customers/import/{sz_job.pk}").status_code,
        api.get("/api/v1/customers/kpis", {"store": world.sz.pk}).status_code,
        page.post("/store/switch/", {"store": world.sz.pk}).status_code,
    ]

    assert answers == [404, 404, 404, 404, 404, 404]
    entries = AuditEntry.objects.filter(pk__gt=last.pk if last else 0).order_by("pk")
    assert {(e.action, e.actor_username, e.store_id, e.chain) for e in entries} == {
        ("not_found_in_scope", "manager_sh", world.sz.pk, world.sz.pk)
    }
    store, job = ("core.store", str(world.sz.pk), "SZ01 苏州店"), ("customers.importjob", str(sz_job.pk), "")
    assert [(e.object_type, e.object_id, e.object_repr, e.changes) for e in entries] == [
        (*store, {"permission": "stores.view"}),
        (*store, {"permission": "stores.view"}),
        (*job, {"permission": "customers.import"}),
        (*job, {"permission": "customers.import"}),
        (*store, {}),
        (*store, {}),
    ]
    assert audit_verify() == (AuditEntry.objects.count(), None)

    # The audit page reads the entry: who asked for which record, with what right.
    shown = client_for(world.user("auditor")).get("/audit/", {"store": world.sz.pk}, headers={"accept-language": "en"})
    html = shown.content.decode()
    assert "Record of another store requested" in html
    assert "<b>Permission</b>: Import customers and vehicles from Excel" in html


def test_a_missing_record_or_one_in_scope_writes_no_entry(world: World, client_for: Callable[[User], Client]) -> None:
    manager = world.user("manager")
    sh_job = _import_job(world.sh)
    page, api = (
        client_for(manager),
        Client(headers={"Authorization": f"Bearer {token_create(user=manager, name='t')[1]}"}),
    )
    missing = Store.all_objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    before = list(AuditEntry.objects.values_list("pk", flat=True))

    answers = [
        page.get(f"/stores/{missing}/").status_code,
        api.get(f"/api/v1/stores/{missing}").status_code,
        page.get(f"/customers/import/{sh_job.pk + 1000}/").status_code,
        api.get(f"/api/v1/customers/import/{sh_job.pk + 1000}").status_code,
        page.get(f"/stores/{world.sh.pk}/").status_code,
        api.get(f"/api/v1/customers/import/{sh_job.pk}").status_code,
        page.post("/store/switch/", {"store": missing}).status_code,
    ]

    assert answers == [404, 404, 404, 404, 200, 200, 404]
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == before
