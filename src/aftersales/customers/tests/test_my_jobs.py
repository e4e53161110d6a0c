"""My jobs: a person's long jobs (the archive's imports here) with their progress, on a page that follows
them while they run, and in the API."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.test import Client
from openpyxl import load_workbook

from aftersales.conftest import World
from aftersales.core.models import AuditEntry, User
from aftersales.customers import excel
from aftersales.customers.models import ExportJob, ImportJob
from aftersales.customers.tests.factories import CustomerFactory


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

    answer = client.get("/api/v1/me/jobs").json()
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
    assert client_for(world.user("technician")).get("/api/v1/me/jobs").json() == []


def test_a_long_export_runs_in_the_background_and_is_downloaded_from_my_jobs(
    world: World, client_for: Callable[[User], Client], monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(excel, "EXPORT_DIRECT_MAX", 2)
    for index in range(3):
        CustomerFactory(name=f"导出{chr(0x4E00 + index)}")
    crm = client_for(world.user("crm"))
    with django_capture_on_commit_callbacks(execute=True):
        response = crm.get("/customers/import/export/")
    assert (response.status_code, response["Location"]) == (302, "/jobs/")
    job = ExportJob.objects.get()
    assert (job.status, job.total_rows, job.processed_rows, job.created_by) == ("done", 3, 3, world.user("crm"))
    [listed] = [item for item in crm.get("/api/v1/me/jobs").json() if item["kind"] == "导出"]
    assert (listed["status"], listed["percent"], listed["url"]) == ("done", 100, f"/customers/import/exports/{job.pk}/")
    download = crm.get(listed["url"])
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active  # type: ignore[attr-defined]
    assert [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["导出一", "导出丁", "导出丂"]
    assert client_for(world.user("manager")).get(listed["url"]).status_code == 404  # only who started it
    assert AuditEntry.objects.filter(action="export", actor_username="crm_sh").count() == 1

    with django_capture_on_commit_callbacks(execute=False):
        answer = crm.get("/api/v1/customers/export")
    assert answer.status_code == 202
    body = answer.json()
    assert (body["status"], body["url"]) == ("queued", f"/customers/import/exports/{body['job_id']}/")
    assert crm.get(body["url"]).status_code == 302  # not written yet: back to my jobs
