"""What the workshop pages share: the order or job a page shows (of the page's store, else 404), whether
the reader works the job, and a service's refusal put on a form."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from aftersales.appointments.views.base import WallClock
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.models import User
from aftersales.core.routing import page_store
from aftersales.visits.models import RepairOrder
from aftersales.workshop.models import Job
from aftersales.workshop.services.dispatch import worker_check

__all__ = ["WallClock", "is_htmx", "job_of", "order_of", "refusal_status", "works_on"]


def order_of(request: HttpRequest, order_id: int) -> RepairOrder:
    """A repair order of the page's store; 404 for any other."""
    order = (
        RepairOrder.all_objects.select_related("store", "visit", "vehicle__model", "customer")
        .filter(pk=order_id, store=page_store(request))
        .first()
    )
    if order is None:
        raise Http404
    return order


def job_of(request: HttpRequest, job_id: int) -> Job:
    """A job of the page's store, with its order, vehicle, line, worker and bay; 404 for any other."""
    job = (
        Job.all_objects.select_related(
            "store", "order__vehicle", "order__visit", "line__operation", "technician", "team", "bay"
        )
        .filter(pk=job_id, store=page_store(request))
        .first()
    )
    if job is None:
        raise Http404
    return job


def works_on(user: User, job: Job) -> bool:
    """Whether ``user`` works ``job``: its technician, or a member or the leader of its team."""
    try:
        worker_check(user, job)
    except ApplicationError:
        return False
    return True


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def refusal_status(form: StyledForm, error: ApplicationError) -> int:
    """Put a service's refusal on the form; its status for the page: 409 for a conflict, 403 for a job
    that is not the reader's, else 400 (a missing record is the page's 404)."""
    if error.status == 404:
        raise Http404(error.detail)
    form.add_service_errors(error)
    return error.status if error.status in {403, 409} else 400
