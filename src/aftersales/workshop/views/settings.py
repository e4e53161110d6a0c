"""The workshop's rules page: the service levels per service type (dispatched within, done within), the
store's workshop settings, and the on-time rate of a month."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Field
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.models import Store
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.workshop.models import ServiceLevel, ServiceType, WorkshopSettings
from aftersales.workshop.services.common import SERVICE_LEVEL_DEFAULTS, service_levels, workshop_settings
from aftersales.workshop.services.settings import (
    COMPLETE_RANGE,
    DISPATCH_RANGE,
    SETTINGS_FIELDS,
    service_levels_save,
    workshop_settings_save,
)
from aftersales.workshop.services.sla import on_time_rate

FIRST_MONTH, LAST_MONTH = date(2000, 1, 1), date(2099, 12, 1)


def _minutes(label: Any, bounds: tuple[int, int]) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=bounds[0], max_value=bounds[1], required=False)


class ServiceLevelsForm(StyledForm):
    """Per service type ``<type>_dispatch`` and ``<type>_complete``, in minutes (blank: see the service)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in ServiceType.choices:
            dispatch = _minutes(gettext_lazy("Dispatched within (minutes)"), DISPATCH_RANGE)
            complete = _minutes(gettext_lazy("Done within (minutes)"), COMPLETE_RANGE)
            for field in (dispatch, complete):
                field.widget.attrs |= {"class": "form-control", "aria-description": str(label)}
            self.fields[f"{kind}_dispatch"] = dispatch
            self.fields[f"{kind}_complete"] = complete

    def rows(self) -> list[tuple[str, str, Any, Any]]:
        return [
            (kind, str(label), self[f"{kind}_dispatch"], self[f"{kind}_complete"])
            for kind, label in ServiceType.choices
        ]

    def levels(self) -> dict[str, tuple[int | None, int | None]]:
        data = self.cleaned_data
        return {kind: (data[f"{kind}_dispatch"], data[f"{kind}_complete"]) for kind in ServiceType.values}


def _model_label(name: str) -> Any:
    field = cast("Field[Any, Any]", WorkshopSettings._meta.get_field(name))
    return capfirst(field.verbose_name)


class WorkshopSettingsForm(StyledForm):
    clock_overlap = forms.BooleanField(label=_model_label("clock_overlap"), required=False)
    reminder_minutes = forms.IntegerField(label=_model_label("reminder_minutes"), min_value=5, max_value=480)
    handover_minutes = forms.IntegerField(label=_model_label("handover_minutes"), min_value=0, max_value=480)
    notify_approved = forms.BooleanField(label=_model_label("notify_approved"), required=False)
    notify_started = forms.BooleanField(label=_model_label("notify_started"), required=False)
    notify_waiting = forms.BooleanField(label=_model_label("notify_waiting"), required=False)


class MonthForm(StyledForm):
    """The month of the on-time rate (``YYYY-MM``)."""

    month = forms.DateField(
        label=gettext_lazy("Month"),
        input_formats=["%Y-%m"],
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def clean_month(self) -> date | None:
        value: date | None = self.cleaned_data.get("month")
        if value is not None and not FIRST_MONTH <= value <= LAST_MONTH:
            raise forms.ValidationError(_("Choose a month from 2000 to 2099."))
        return value


def _month_bounds(store: Store, month: date) -> tuple[Any, Any]:
    calendar = store_calendar(store)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return calendar.day_start(month), calendar.day_start(following)


def _page(request: HttpRequest, *, status: int = 200, **forms_given: StyledForm) -> HttpResponse:
    store = page_store(request)
    calendar = store_calendar(store)
    this_month = calendar.local_date(timezone.now()).replace(day=1)
    month_form = forms_given.get("month_form") or MonthForm(request.GET or None, initial={"month": this_month})
    month = this_month
    if month_form.is_bound:
        if month_form.is_valid():
            month = month_form.cleaned_data["month"] or this_month
        else:
            status = 400
    levels = service_levels(store.pk)
    kept = set(ServiceLevel.objects.filter(store=store).values_list("service_type", flat=True))
    initial: dict[str, int | None] = {f"{kind}_dispatch": levels[kind][0] for kind in ServiceType.values}
    initial |= {f"{kind}_complete": levels[kind][1] for kind in ServiceType.values}
    rules = workshop_settings(store)
    refused = month_form.is_bound and not month_form.is_valid()
    rate = None if refused else on_time_rate(store, *_month_bounds(store, month))
    context = {
        "store": store,
        "rows": [
            {
                "kind": kind,
                "label": label,
                "dispatch": levels[kind][0],
                "complete": levels[kind][1],
                "default": SERVICE_LEVEL_DEFAULTS[kind],
                "kept": kind in kept,
            }
            for kind, label in ServiceType.choices
        ],
        "may_edit": can_here(request, "workshop.settings"),
        "levels_form": forms_given.get("levels_form") or ServiceLevelsForm(initial=initial, auto_id="id_level_%s"),
        "settings_form": forms_given.get("settings_form")
        or WorkshopSettingsForm(initial={name: getattr(rules, name) for name in SETTINGS_FIELDS}, auto_id="id_rule_%s"),
        "month_form": month_form,
        "month": month,
        "rate": rate,
    }
    return render(request, "workshop/desk/service_levels.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page("workshop.view")
def service_levels_page(request: HttpRequest) -> HttpResponse:
    """The service levels, the settings and the on-time rate; a POST keeps the levels (``workshop.settings``)."""
    if request.method == "GET":
        return _page(request)
    if not can_here(request, "workshop.settings"):
        raise PermissionDenied
    store = page_store(request)
    form = ServiceLevelsForm(request.POST, auto_id="id_level_%s")
    if form.is_valid():
        try:
            service_levels_save(actor=request_user(request), store_id=store.pk, levels=form.levels())
        except ApplicationError as error:
            form.add_service_errors(error)
            return _page(request, status=error.status if error.status in {403, 409} else 400, levels_form=form)
        messages.success(request, _("The service levels are saved."))
        return redirect("workshop:service_levels")
    return _page(request, status=400, levels_form=form)


@require_POST
@page("workshop.settings")
def settings_save(request: HttpRequest) -> HttpResponse:
    """The store's workshop settings."""
    store = page_store(request)
    form = WorkshopSettingsForm(request.POST, auto_id="id_rule_%s")
    if form.is_valid():
        try:
            workshop_settings_save(actor=request_user(request), store_id=store.pk, data=dict(form.cleaned_data))
        except ApplicationError as error:
            form.add_service_errors(error)
            return _page(request, status=error.status if error.status in {403, 409} else 400, settings_form=form)
        messages.success(request, _("The workshop settings are saved."))
        return redirect("workshop:service_levels")
    return _page(request, status=400, settings_form=form)
