"""What the visits pages share: the visit or order a page shows (of the page's store, else 404), times on
the store's wall clock, a form field's label and a free-text field, and a service's refusal on a form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.text import capfirst

from aftersales.appointments.views.base import WallClock
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.routing import can_here, page_store
from aftersales.visits.models import RepairOrder, Visit

__all__ = [
    "WallClock",
    "field_label",
    "is_htmx",
    "order_of",
    "refusal_status",
    "require_here",
    "text_field",
    "visit_of",
]

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def visit_of(request: HttpRequest, visit_id: int) -> Visit:
    """A visit of the page's store, with its customer, vehicle and advisor; 404 for any other."""
    visit = (
        Visit.all_objects.select_related("store", "customer", "vehicle__model__brand", "advisor", "appointment")
        .filter(pk=visit_id, store=page_store(request))
        .first()
    )
    if visit is None:
        raise Http404
    return visit


def order_of(request: HttpRequest, order_id: int) -> RepairOrder:
    """A repair order of the page's store; 404 for any other."""
    order = (
        RepairOrder.all_objects.select_related("store", "visit", "customer", "vehicle__model", "advisor", "signature")
        .filter(pk=order_id, store=page_store(request))
        .first()
    )
    if order is None:
        raise Http404
    return order


def field_label(model: type[Any], name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


def text_field(label: StrOrPromise, max_length: int, *, rows: int = 0, **attrs: str) -> forms.CharField:
    widget: forms.Widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, max_length=max_length, required=False, widget=widget)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def require_here(request: HttpRequest, permission: str) -> None:
    """A change the page's own permission does not cover (seeing a page is not changing it)."""
    if not can_here(request, permission):
        raise PermissionDenied


def refusal_status(form: StyledForm, error: ApplicationError) -> int:
    """Put a service's refusal on the form; its status for the page (a missing record is the page's 404)."""
    if error.status == 404:
        raise Http404(error.detail)
    form.add_service_errors(error)
    return error.status if error.status in {409, 422} else 422
