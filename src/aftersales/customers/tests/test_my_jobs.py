"""My jobs: a person's long jobs (the archive's imports here) with their progress, on a page that follows
them while they run, and in the API."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from aftersales.conftest import World
from aftersales.core.models import User
from aftersales.customers.models import ImportJob


def test_my_jobs_shows_the_progress_of_my_imports_and_follows_a_running_one(
    world: World, client_for: Callable[[User], Client]
) -> None:
    crm = world.user("crm")
    running = ImportJob.objects.create(
        store=world.sh,
        created_by=crm,
        file_name="车主名单.xlsx",
        storage_name="a.xlsx",
        status="running",
        total_rows=200,
        processed_rows=50,
    )
    ImportJob.objects.create(
        store=world.sh,
        created_by=crm,
        file_name="旧名单.xlsx",
        storage_name="b.xlsx",
        status="failed",
        message="文件已损坏",
    )
    ImportJob.objects.create(
        store=world.sh, created_by=world.user("manager"), file_name="别人的.xlsx", storage_name="c"
    )
    client = client_for(crm)

    answer = client.get("/api/v1/jobs").json()
    assert [(job["name"], job["status"], job["percent"], job["message"]) for job in answer] == [
        ("旧名单.xlsx", "failed", 100, "文件已损坏"),
        ("车主名单.xlsx", "running", 25, ""),
    ]
    assert answer[1]["url"] == f"/customers/import/{running.pk}/"
    page = client.get("/jobs/").content.decode()
    assert 'hx-trigger="every 2s"' in page and 'style="width:25%"' in page and "别人的" not in page
    partial = client.get("/jobs/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="jobs"') and "车主名单.xlsx" in partial
    ImportJob.objects.filter(pk=running.pk).update(status="done", processed_rows=200)
    assert 'hx-trigger="every 2s"' not in client.get("/jobs/").content.decode()  # nothing runs: no polling
    assert client_for(world.user("technician")).get("/api/v1/jobs").json() == []
