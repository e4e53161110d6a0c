"""Tasks for staff: created by a service for a person or a role, due on the store calendar, closed with
an outcome, counted by the bell, listed on "my tasks" and in the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry, User
from aftersales.messaging import selectors, services
from aftersales.messaging.models import Task

# Friday 30 January 2026, 10:00 in Shanghai; the Spring Festival holiday runs 15-23 February.
FRIDAY = datetime(2026, 1, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def now(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    monkeypatch.setattr(timezone, "now", lambda: FRIDAY)
    for store in (world.sh, world.sz):
        store.business_hours = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "08:30-18:00")
        store.save()


def test_a_task_is_due_on_the_stores_calendar_and_goes_to_a_person_or_a_role(world: World) -> None:
    crm = world.user("crm")
    call = services.task_create(
        store=world.sh,
        subject="召回通知回访",
        assignee=crm,
        due_in_working_days=1,
        about=("customers.customer", 5, "CUS-5"),
        actor=world.user("manager"),
    )
    # One working day after Friday is Monday 2 February (the weekend is not worked), at closing time.
    assert call.due_at == datetime(2026, 2, 2, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    parts = services.task_create(store=world.sh, subject="配件未到，联系客户改期", role="crm", due_in_working_days=0)
    assert parts.due_at == datetime(2026, 1, 30, 10, 0, tzinfo=UTC)
    assert [task.pk for task in selectors.tasks_of(crm, store_id=world.sh.pk)] == [parts.pk, call.pk]
    assert [task.pk for task in selectors.tasks_of(world.user("crm", "sz"), store_id=None)] == []  # SZ01's crm
    assert AuditEntry.objects.filter(object_type="messaging.task", action="create").count() == 2


def test_a_task_needs_one_assignee_who_works_there(world: World) -> None:
    for kwargs, field in (
        ({}, "assignee"),
        ({"assignee": world.user("crm"), "role": "crm"}, "assignee"),
        ({"role": "astronaut"}, "role"),
        ({"assignee": world.user("crm", "sz")}, "assignee"),
    ):
        with pytest.raises(ApplicationError) as refused:
            services.task_create(store=world.sh, subject="回访", **kwargs)
        assert list(refused.value.fields) == [field]
    assert not Task.objects.exists()


def test_my_tasks_closes_with_an_outcome_and_the_bell_counts_them(
    world: World, client_for: Callable[[User], Client]
) -> None:
    task = services.task_create(store=world.sh, subject="召回通知回访", role="crm", due_in_working_days=0)
    crm = client_for(world.user("crm"))
    assert 'data-testid="bell-count">1</span>' in crm.get("/notifications/bell/").content.decode()
    page = crm.get("/tasks/").content.decode()
    assert f'data-testid="task-{task.pk}"' in page and "召回通知回访" in page and "角色 客服专员 的任务" in page
    crm.post(f"/tasks/{task.pk}/close/", {"action": "done", "outcome": ""})
    task.refresh_from_db()
    assert task.status == "open"  # an outcome is required
    response = crm.post(f"/tasks/{task.pk}/close/", {"action": "done", "outcome": "已电话通知，客户周一到店"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.outcome, task.closed_by, task.closed_at) == (
        "done",
        "已电话通知，客户周一到店",
        world.user("crm"),
        FRIDAY,
    )
    assert "bell-count" not in crm.get("/notifications/bell/").content.decode()
    assert "已电话通知" in crm.get("/tasks/", {"status": "closed"}).content.decode()
    # Someone else's task is not found.
    other = services.task_create(store=world.sh, subject="别人的任务", assignee=world.user("advisor"))
    assert crm.post(f"/tasks/{other.pk}/close/", {"action": "done", "outcome": "x"}).status_code == 404


def test_the_api_gives_lists_and_closes_tasks(world: World, client_for: Callable[[User], Client]) -> None:
    manager = client_for(world.user("manager"))
    created = manager.post(
        "/api/v1/tasks",
        {"store_id": world.sh.pk, "subject": "冬季检测客户回访", "assignee_role": "crm", "due_in_working_days": 2},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["due_at"] == "2026-02-03T10:00:00Z"
    refused = manager.post(
        "/api/v1/tasks",
        {"store_id": world.sz.pk, "subject": "x", "assignee_role": "crm"},
        content_type="application/json",
    )
    assert (refused.status_code, list(refused.json()["fields"])) == (422, ["store_id"])
    crm = client_for(world.user("crm"))
    assert [task["subject"] for task in crm.get("/api/v1/tasks").json()] == ["冬季检测客户回访"]
    closed = crm.post(
        f"/api/v1/tasks/{created.json()['id']}/close",
        {"done": False, "outcome": "客户已换车"},
        content_type="application/json",
    )
    assert (closed.status_code, closed.json()["status"]) == (200, "cancelled")
    again = crm.post(
        f"/api/v1/tasks/{created.json()['id']}/close", {"done": True, "outcome": "x"}, content_type="application/json"
    )
    assert (again.status_code, again.json()["fields"]) == (409, {"outcome": ["该任务已关闭。"]})


def test_a_role_in_one_store_gives_nothing_in_another(world: World) -> None:
    from aftersales.core.models import Role, StaffMembership

    crm_sh = world.user("crm")
    StaffMembership.objects.create(user=crm_sh, store=world.sz, role=Role.objects.get(code="technician"))
    suzhou_crm = services.task_create(store=world.sz, subject="苏州回访", role="crm")
    shanghai_crm = services.task_create(store=world.sh, subject="上海回访", role="crm")
    suzhou_tech = services.task_create(store=world.sz, subject="苏州派工", role="technician")
    assert {task.pk for task in selectors.tasks_of(crm_sh, store_id=None)} == {shanghai_crm.pk, suzhou_tech.pk}
    with pytest.raises(ApplicationError) as refused:
        services.task_close(actor=crm_sh, task_id=suzhou_crm.pk, done=True, outcome="x")
    assert refused.value.status == 404
