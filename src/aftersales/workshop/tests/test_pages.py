"""The workshop's pages: the dispatch page, the technician's jobs and a job worked through its clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.core.models import User
from aftersales.visits.models import Line
from aftersales.workshop import services
from aftersales.workshop.models import ClockEvent, Job
from aftersales.workshop.services import DispatchIn, dispatch
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def test_the_dispatch_page_suggests_a_technician_and_lists_the_unqualified_disabled(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    order = shop.order()
    page = english(shop.foreman).get(f"/repair-orders/{order.pk}/dispatch/")
    assert page.status_code == 200
    assert [(row["line"].position, row["suggested"].name) for row in page.context["rows"] if "suggested" in row] == [
        (1, "李师傅"),
        (3, "李师傅"),
    ]
    html = page.content.decode()
    brakes = shop.line(order, 3)
    assert (
        f'<option value="{shop.senior.pk}" selected>李师傅 · 0.00 h / 9.00 h · efficiency 1.20 · suggested</option>'
        in html
    )
    assert (
        f'<option value="{shop.junior.pk}" disabled>王师傅 · 0.00 h / 9.00 h · efficiency 0.90 · 王师傅 is not Intermediate or above.</option>'
        in html
    )
    assert f'id="id_technician_{brakes.pk}"' in html


def test_the_dispatch_page_dispatches_a_line(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    oil = shop.line(order, 1)
    response = english(shop.foreman).post(
        f"/repair-orders/{order.pk}/dispatch/",
        {"line": str(oil.pk), "technician": str(shop.junior.pk), "bay": str(shop.quick.pk)},
    )
    assert (response.status_code, response["Location"]) == (302, f"/repair-orders/{order.pk}/dispatch/")
    job = Job.all_objects.get(line=oil)
    assert (job.state, job.technician_id, job.team_id, job.bay_id) == ("assigned", shop.junior.pk, None, shop.quick.pk)
    page = english(shop.foreman).get(f"/repair-orders/{order.pk}/dispatch/")
    assert [row["job"] for row in page.context["rows"]] == [job, None]


def test_an_unqualified_technician_is_refused_on_the_field_and_no_job_is_written(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    order = shop.order()
    brakes = shop.line(order, 3)
    response = english(shop.foreman).post(
        f"/repair-orders/{order.pk}/dispatch/", {"line": str(brakes.pk), "technician": str(shop.junior.pk)}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"technician": ["王师傅 is not Intermediate or above."]}
    assert 'data-testid="error-technician">王师傅 is not Intermediate or above.</div>' in response.content.decode()
    assert Job.all_objects.filter(order=order).count() == 0
    brakes.refresh_from_db()
    assert brakes.state == Line.State.APPROVED


def test_a_technician_works_a_job_through_the_pages(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    oil = shop.line(order, 1)
    job = dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(oil.pk, technician_id=shop.middle.pk))
    client = english(shop.middle)
    mine = client.get("/workshop/my-jobs/")
    assert [row["job"] for row in mine.context["rows"]] == [job]
    assert f'href="/workshop/jobs/{job.pk}/"' in mine.content.decode()
    assert client.get(f"/workshop/jobs/{job.pk}/").status_code == 200
    url = f"/workshop/jobs/{job.pk}/clock/"

    assert client.post(url, {"action": "on"}).status_code == 302
    job.refresh_from_db()
    assert (job.state, job.clocked_by_id) == ("in_progress", shop.middle.pk)

    refused = client.post(url, {"action": "pause", "note": "等件"})
    assert refused.status_code == 400
    with translation.override("en"):
        assert refused.context["pause_form"].errors == {"reason": ["Say why the job is paused."]}
    assert 'data-testid="error-reason">Say why the job is paused.</div>' in refused.content.decode()
    job.refresh_from_db()
    assert (job.state, job.clocked_by_id) == ("in_progress", shop.middle.pk)
    assert list(ClockEvent.objects.filter(job=job).values_list("kind", flat=True)) == ["on"]

    assert client.post(url, {"action": "pause", "reason": "parts"}).status_code == 302
    assert client.post(url, {"action": "on"}).status_code == 302
    assert client.post(url, {"action": "off", "note": "已完成"}).status_code == 302
    job.refresh_from_db()
    oil.refresh_from_db()
    assert (job.state, job.clocked_by_id, oil.state) == ("done", None, "done")
    assert list(ClockEvent.objects.filter(job=job).values_list("kind", "reason")) == [
        ("on", ""),
        ("pause", "parts"),
        ("on", ""),
        ("off", ""),
    ]
    assert client.get("/workshop/my-jobs/").context["rows"] == []


def test_clocking_off_a_fault_repair_needs_the_inspection_the_verification_and_the_report(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    order = shop.order()
    brakes = shop.line(order, 3)
    job = dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(brakes.pk, technician_id=shop.middle.pk))
    client = english(shop.middle)
    assert client.post(f"/workshop/jobs/{job.pk}/clock/", {"action": "on"}).status_code == 302
    page = client.get(f"/workshop/jobs/{job.pk}/").content.decode()
    assert 'name="fault_verified"' in page and 'name="report"' in page and 'name="item_0"' in page

    refused = client.post(f"/workshop/jobs/{job.pk}/clock/", {"action": "off"})
    assert refused.status_code == 400
    assert refused.context["off_form"].errors == {
        "__all__": ["Record the in-process inspection first: this repair category needs it."],
        "fault_verified": ["Verify that the fault is gone before the job is done."],
        "report": ["Write a short service report: what was found and what was done."],
    }
    job.refresh_from_db()
    assert (job.state, list(ClockEvent.objects.filter(job=job).values_list("kind", flat=True))) == (
        "in_progress",
        ["on"],
    )

    recorded = client.post(
        f"/workshop/jobs/{job.pk}/inspection/",
        {"rows": "2", "item_0": "制动片厚度", "ok_0": "on", "item_1": "制动液液位", "ok_1": "on"},
    )
    assert recorded.status_code == 302
    done = client.post(
        f"/workshop/jobs/{job.pk}/clock/",
        {"action": "off", "fault_verified": "on", "report": "更换前制动片，试车无异响"},
    )
    assert done.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.fault_verified, job.report) == ("done", True, "更换前制动片，试车无异响")


def test_a_technician_not_assigned_is_refused_and_nothing_changes(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    order = shop.order()
    oil = shop.line(order, 1)
    job = dispatch(actor=shop.foreman, order_id=order.pk, data=DispatchIn(oil.pk, technician_id=shop.middle.pk))
    client = english(shop.junior)
    assert client.get("/workshop/my-jobs/").context["rows"] == []
    page = client.get(f"/workshop/jobs/{job.pk}/")
    assert (page.status_code, page.context["mine"]) == (200, False)
    assert 'data-testid="clock-on"' not in page.content.decode()

    refused = client.post(f"/workshop/jobs/{job.pk}/clock/", {"action": "on"})
    assert refused.status_code == 403
    assert (
        'data-testid="error-top">This job is not yours: it is dispatched to someone else.</div>'
        in refused.content.decode()
    )
    assert client.post(f"/workshop/jobs/{job.pk}/accept/").status_code == 403
    job.refresh_from_db()
    assert (job.state, job.clocked_by_id, job.accepted_at) == ("assigned", None, None)
    assert ClockEvent.objects.filter(job=job).count() == 0


def test_the_foreman_corrects_a_clock_entry_with_a_reason_kept_beside_it(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    order = shop.order()
    job = dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.junior.pk)
    )
    start = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)  # the form keeps minutes
    services.clock(actor=shop.junior, job_id=job.pk, data=services.ClockIn("on"), now=start)
    services.clock(actor=shop.junior, job_id=job.pk, data=services.ClockIn("off"), now=start + timedelta(minutes=90))
    off = ClockEvent.objects.get(job=job, kind="off")
    wall = (start + timedelta(minutes=60)).astimezone(shop.store.zone).strftime("%Y-%m-%dT%H:%M")
    foreman = english(shop.foreman)
    url = reverse("workshop:clock_correct", args=[job.pk])
    refused = foreman.post(url, {"entry": off.pk, "at": wall, "reason": ""})
    assert refused.status_code == 400
    assert refused.context["correct_form"].errors == {"reason": ["This field is required."]}
    technician = english(shop.junior).post(url, {"entry": off.pk, "at": wall, "reason": "忘记打卡"})
    assert technician.status_code == 403
    assert ClockEvent.objects.filter(job=job).count() == 2
    done = foreman.post(url, {"entry": off.pk, "at": wall, "reason": "下班忘记打卡"})
    assert done.status_code == 302
    job.refresh_from_db()
    assert job.actual_minutes == 60
    page = foreman.get(reverse("workshop:job", args=[job.pk])).content.decode()
    correction = ClockEvent.objects.get(replaces=off)
    shown = page[page.index(f'data-testid="correction-{correction.pk}"') :].split("</div>")[0]
    was = (start + timedelta(minutes=90)).astimezone(shop.store.zone).strftime("%m-%d %H:%M")
    assert shown.endswith(f"by 车间主管, was {was}: 下班忘记打卡")
