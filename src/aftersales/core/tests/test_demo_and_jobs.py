from io import StringIO

from django.core.management import call_command
from django.test import Client, override_settings

from aftersales.core.demo import demo_install
from aftersales.core.models import AuditEntry, Bay, JobHeartbeat, Role, StaffMembership, Store, User
from aftersales.core.permissions import ROLE_DEFAULTS
from aftersales.schedule import queue_heartbeat

DEMO_PASSWORD = "Demo-Password-2026"


@override_settings(DEMO_PASSWORD=DEMO_PASSWORD)
def test_demo_builds_the_group_and_is_idempotent(db: None) -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert "advisor_sh01" in text and f"Password for every demo user: {DEMO_PASSWORD}" in text
    counts = (Store.objects.count(), Bay.objects.count(), User.objects.count(), StaffMembership.objects.count())
    assert counts == (2, 22, 25, 25)
    audit_rows = AuditEntry.objects.count()
    second = demo_install()
    assert second.created == 0
    assert (Store.objects.count(), Bay.objects.count(), User.objects.count(), StaffMembership.objects.count()) == counts
    assert AuditEntry.objects.count() == audit_rows
    expected = {"admin"} | {f"{d.code}_{s}" for d in ROLE_DEFAULTS for s in ("sh01", "sz01")}
    assert set(User.objects.values_list("username", flat=True)) == expected


@override_settings(DEMO_PASSWORD=DEMO_PASSWORD)
def test_every_demo_user_can_sign_in(db: None) -> None:
    summary = demo_install()
    for username in summary.usernames:
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200, username


@override_settings(DEMO_PASSWORD=DEMO_PASSWORD)
def test_demo_admin_edits_to_roles_survive_a_rerun(db: None) -> None:
    demo_install()
    Role.objects.filter(code="advisor").update(permissions=["today.view"])
    demo_install()
    assert Role.objects.get(code="advisor").permissions == ["today.view"]


def test_heartbeat_job_feeds_health(db: None) -> None:
    assert not JobHeartbeat.objects.exists()
    queue_heartbeat.call_local()
    beat = JobHeartbeat.objects.get(name="queue")
    queue_heartbeat.call_local()
    assert JobHeartbeat.objects.count() == 1
    assert JobHeartbeat.objects.get(name="queue").beat_at >= beat.beat_at
    assert Client().get("/api/v1/health").json()["queue_heartbeat_age_seconds"] < 5


def test_periodic_jobs_are_registered_with_the_queue(db: None) -> None:
    from huey.contrib.djhuey import HUEY

    names = {task.__name__ for task in HUEY._registry._periodic_tasks}
    assert "queue_heartbeat" in names


def test_a_starting_worker_beats_at_once(db: None) -> None:
    from huey.contrib.djhuey import HUEY

    assert list(HUEY._startup) == ["queue_heartbeat_on_start"]
    HUEY._startup["queue_heartbeat_on_start"]()
    assert Client().get("/api/v1/health").json()["status"] == "ok"
