"""The workshop's part of ``aftersales demo``: a working day in progress in both stores, made through the
workshop's services over reception's orders of today, deterministic and idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count
from django.test import TestCase

from aftersales.appointments.tests.factories import NOW, Clock
from aftersales.core import demo as core_demo
from aftersales.core.demo import demo_install
from aftersales.core.models import Store
from aftersales.visits.models import Line, RepairOrder
from aftersales.visits.selectors import visits_on_site
from aftersales.workshop.demo import workshop_demo_install
from aftersales.workshop.models import ClockEvent, Job, Team


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo as the workshop needs it (reception's day and what it needs first, then the workshop's), at
    NOW, installed once for the module in a transaction rolled back after its last test."""
    needed = ("customers", "parts", "catalogue", "appointments", "campaigns", "visits")
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as monkeypatch, transaction.atomic():
        Clock(monkeypatch, NOW)
        extensions = [ext for ext in core_demo.DEMO_EXTENSIONS if ext.__module__.split(".")[1] in needed]
        monkeypatch.setattr(core_demo, "DEMO_EXTENSIONS", [*extensions, workshop_demo_install])
        monkeypatch.setattr(core_demo, "DEMO_FINISHERS", [])
        with TestCase.captureOnCommitCallbacks(execute=True):
            demo_install()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_at_now(demo: None, db: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def _jobs(store: Store) -> dict[str, int]:
    rows = Job.all_objects.filter(store=store).values_list("state").annotate(n=Count("pk"))
    return dict(rows.order_by("state"))


@pytest.mark.parametrize("code", ["SH01", "SZ01"])
def test_each_store_has_jobs_in_every_state(demo_at_now: Clock, code: str) -> None:
    store = Store.all_objects.get(code=code)
    assert _jobs(store) == {"accepted": 1, "assigned": 1, "done": 1, "in_progress": 1, "paused": 1}
    rows = [
        (needs, code.split("-")[1], state, bay, minutes)
        for needs, code, state, bay, minutes in Job.all_objects.filter(store=store)
        .order_by("dispatched_at")
        .values_list("order__visit__needs", "line__operation__code", "state", "bay__code", "actual_minutes")
    ]
    done_minutes = {"SH01": 43, "SZ01": 41}[code]
    assert rows == [
        ("1万公里保养", "M01", "done", "Q01", done_minutes),
        ("刹车有异响，更换前刹车片", "B01", "paused", "A02", 38),
        ("更换前刹车片", "B01", "in_progress", "A01", 0),
        ("换季换轮胎，做四轮定位和动平衡", "C03", "accepted", "L01", 0),
        ("换季换轮胎，做四轮定位和动平衡", "C04", "assigned", "Q02", 0),
    ]


@pytest.mark.parametrize("code", ["SH01", "SZ01"])
def test_the_workers_the_team_and_the_clock(demo_at_now: Clock, code: str) -> None:
    store = Store.all_objects.get(code=code)
    foreman, technician = f"foreman_{code.lower()}", f"technician_{code.lower()}"
    team = Team.all_objects.get(store=store)
    assert (team.name, team.leader.username) == ("机修一组", foreman)
    assert sorted(team.members.values_list("username", flat=True)) == [foreman, technician]
    jobs = Job.all_objects.filter(store=store).select_related("technician", "team", "clocked_by", "dispatched_by")
    assert {job.dispatched_by.username for job in jobs} == {foreman}
    workers = jobs.values_list("state", "technician__username", "team__name")
    assert {state: user or team_name for state, user, team_name in workers} == {
        "done": technician,
        "paused": foreman,
        "in_progress": technician,
        "accepted": "机修一组",
        "assigned": technician,
    }
    assert [(job.state, job.clocked_by.username) for job in jobs if job.clocked_by] == [("in_progress", technician)]
    pause = ClockEvent.objects.get(job__store=store, kind="pause")
    assert (pause.reason, pause.note, pause.technician.username) == ("parts", "前刹车片型号不符，等配件部调货", foreman)
    done = Job.all_objects.get(store=store, state="done")
    assert (done.report, done.finished_at is not None and done.finished_at < NOW) == (
        "更换机油机滤，检查油位正常，复位保养提示。",
        True,
    )


@pytest.mark.parametrize("code", ["SH01", "SZ01"])
def test_one_order_complete_and_one_line_left_to_dispatch(demo_at_now: Clock, code: str) -> None:
    store = Store.all_objects.get(code=code)
    orders = {
        order.visit.needs: order.state for order in RepairOrder.all_objects.filter(store=store).select_related("visit")
    }
    assert orders == {
        "1万公里保养": "completed",
        "保养；刹车有异响；前保险杠刮擦走保险": "open",
        "更换前刹车片": "in_work",
        "发动机故障灯亮": "open",
        "刹车有异响，更换前刹车片": "in_work",
        "换季换轮胎，做四轮定位和动平衡": "in_work",
    }
    waiting = Line.all_objects.filter(order__store=store, kind="labour", state="approved", job__isnull=True)
    left = sorted(
        (needs, op.split("-")[1]) for needs, op in waiting.values_list("order__visit__needs", "operation__code")
    )
    # At NOW the car SH01's reception sent to the workshop is under a recall: its campaign's work waits too.
    recall = [("更换前刹车片", "R01")] if code == "SH01" else []
    assert left == sorted([("保养；刹车有异响；前保险杠刮擦走保险", "M01"), *recall])
    stages = ["arrived", "walked_around", "diagnosed", "finished", "awaiting_approval", "in_workshop", "signed"]
    assert [row.stage.code for row in visits_on_site(store)] == [*stages, "in_workshop", "in_workshop"]


def test_the_demo_run_again_changes_nothing(demo_at_now: Clock) -> None:
    jobs, events = Job.all_objects.count(), ClockEvent.objects.count()
    assert workshop_demo_install() == 0
    assert (Job.all_objects.count(), ClockEvent.objects.count()) == (jobs, events) == (10, 10)
