from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from aftersales.core import demo, identifiers
from aftersales.core.demo import demo_install
from aftersales.core.management.commands.worker import Heartbeat
from aftersales.core.models import AuditEntry, Bay, JobHeartbeat, LegalEntity, Role, StaffMembership, Store, User
from aftersales.core.permissions import ROLE_DEFAULTS

DEMO_PASSWORD = "Demo-Password-2026"


@override_settings(DEMO_PASSWORD=DEMO_PASSWORD)
def test_demo_builds_the_group_and_is_idempotent(db: None) -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert "advisor_sh01" in text and f"Password for every demo user: {DEMO_PASSWORD}" in text
    counts = (Store.objects.count(), Bay.objects.count(), User.objects.count(), StaffMembership.objects.count())
    # The admin, and one user for each of the 20 roles in each store.
    assert counts == (2, 22, 41, 41)
    # The two stores are two companies, each with a valid credit code.
    companies = dict(Store.objects.values_list("code", "legal_entity__name"))
    assert companies == {"SH01": "上海华东浦东汽车销售服务有限公司", "SZ01": "苏州华东园区汽车服务有限公司"}
    for uscc in LegalEntity.objects.values_list("uscc", flat=True):
        assert identifiers.clean_uscc(uscc) == uscc
    audit_rows = AuditEntry.objects.count()
    second = demo_install()
    assert second.created == 0
    assert (Store.objects.count(), Bay.objects.count(), User.objects.count(), StaffMembership.objects.count()) == counts
    assert AuditEntry.objects.count() == audit_rows
    expected = {"admin"} | {f"{d.code}_{s}" for d in ROLE_DEFAULTS for s in ("sh01", "sz01")}
    assert set(User.objects.values_list("username", flat=True)) == expected


@override_settings(DEMO_PASSWORD=DEMO_PASSWORD)
def test_every_demo_user_can_sign_in(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # The users and roles are core's: the areas' demo data (a year of stock, the archive) plays no part.
    monkeypatch.setattr(demo, "DEMO_EXTENSIONS", [])
    summary = demo_install()
    for username in summary.usernames:
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200, username


@override_settings(DEMO_PASSWORD=DEMO_PASSWORD)
def test_demo_admin_edits_to_roles_survive_a_rerun(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "DEMO_EXTENSIONS", [])
    demo_install()
    Role.objects.filter(code="advisor").update(permissions=["today.view"])
    demo_install()
    assert Role.objects.get(code="advisor").permissions == ["today.view"]


def test_the_worker_beats_from_a_thread_of_its_own(transactional_db: None) -> None:
    """The heartbeat is no queued job: busy job threads cannot hold it up."""
    assert Client().get("/api/v1/health").json()["reasons"] == ["queue_never_seen"]
    heartbeat = Heartbeat(interval=3600)
    heartbeat.stopped.set()  # one beat, then the loop ends
    heartbeat.start()
    heartbeat.join(timeout=30)
    assert not heartbeat.is_alive()
    assert JobHeartbeat.objects.count() == 1
    health = Client().get("/api/v1/health").json()
    assert (health["status"], health["reasons"]) == ("ok", [])
    assert health["queue_heartbeat_age_seconds"] < 5
