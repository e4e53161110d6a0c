"""Two foremen dispatching the same line at once: one job is made, the other foreman is told the line is
dispatched already and nothing of theirs is written. Runs on both databases (the order's and the line's row
locks on PostgreSQL, serialised write transactions on SQLite), each foreman in a thread with its own
connection, started together. A transactional test before this one may have emptied the database of the
data migrations' rows: the built-in roles with every area's grants are installed again first (the
workshop's fixture reads them; the notices without their templates are not sent)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Role, StaffMembership, User
from aftersales.core.services import roles_install_defaults
from aftersales.visits.models import Line, RepairOrderEvent
from aftersales.workshop.models import Job, JobEvent
from aftersales.workshop.services import DispatchIn, dispatch
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def roles(transactional_db: None) -> None:
    roles_install_defaults()


def test_two_foremen_dispatching_the_same_line_at_once_make_one_job(roles: None, shop: Shop) -> None:
    order = shop.order()
    oil = shop.line(order, 1)
    second = User.objects.create(username="foreman2_sh", full_name="赵主管")
    StaffMembership.objects.create(user=second, store=shop.store, role=Role.objects.get(code="foreman"))
    foremen = [(shop.foreman, shop.junior), (second, shop.senior)]
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(len(foremen))

    def attempt(foreman: User, technician: User) -> None:
        try:
            barrier.wait()
            dispatch(actor=foreman, order_id=order.pk, data=DispatchIn(oil.pk, technician_id=technician.pk))
            result = "made"
        except ApplicationError as error:
            result = str(error.code)
        except BaseException as error:  # noqa: BLE001 - a deadlock or a database error fails the test below
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        outcomes[foreman.username] = result

    threads = [threading.Thread(target=attempt, args=pair) for pair in foremen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # One made the job; the other was told the line is dispatched already.
    assert sorted(outcomes.values()) == ["dispatched", "made"]
    winner = next(foreman for foreman, _technician in foremen if outcomes[foreman.username] == "made")
    technician = dict(foremen)[winner]
    job = Job.all_objects.get()
    assert (job.line_id, job.technician_id, job.dispatched_by_id, job.state) == (
        oil.pk,
        technician.pk,
        winner.pk,
        "assigned",
    )
    assert list(JobEvent.objects.values_list("job_id", "action", "actor_id")) == [(job.pk, "dispatch", winner.pk)]
    assert Line.all_objects.get(pk=oil.pk).state == "dispatched"
    assert RepairOrderEvent.objects.filter(order=order, line=oil, action="dispatch").count() == 1
