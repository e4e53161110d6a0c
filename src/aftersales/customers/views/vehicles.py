"""Pages of a vehicle: its record and form, mileage, transfer, drivers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.forms import form_run
from aftersales.core.history import HistoryNames
from aftersales.core.routing import can_here, page, request_user
from aftersales.customers import selectors, services
from aftersales.customers.forms import (
    DriverEndForm,
    DriverForm,
    MileageForm,
    TransferForm,
    VehicleForm,
    WarrantyPolicyForm,
)
from aftersales.customers.models import Customer, Vehicle, VehicleLink
from aftersales.customers.views.base import edit_submit, timeline_kinds, timeline_part
from aftersales.customers.visibility import customers_hidden

# What later areas show on the vehicle's page (quality: the car's 三包 watch at a glance): each renders a
# piece of the page for the reader, or "" when it has nothing to show them. Areas register into this list
# from their ``ready()``; the vehicle's page never imports them.
VEHICLE_PANELS: list[Callable[[HttpRequest, Vehicle], SafeString | str]] = []


@require_http_methods(["GET", "POST"])
@page("customers.edit")
def vehicle_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(customer_id)
    form = VehicleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            saved, vehicle = form_run(
                form,
                lambda: services.vehicle_create(actor=request_user(request), owner=customer, data=form.service_data()),
            )
            if saved:
                messages.success(request, _("Vehicle %(vin)s added.") % {"vin": vehicle.vin})
                return redirect("customers:vehicle_detail", vehicle_id=vehicle.pk)
        status = 400
    return render(request, "customers/vehicle_form.html", {"form": form, "customer": customer}, status=status)


def _vehicle_page(
    request: HttpRequest,
    vehicle_id: int,
    *,
    mileage_form: MileageForm | None = None,
    transfer_form: TransferForm | None = None,
    driver_form: DriverForm | None = None,
    end_form: DriverEndForm | None = None,
    status: int = 200,
) -> HttpResponse:
    chosen = timeline_kinds(request)
    if chosen is None:
        return HttpResponseBadRequest(_("Unknown timeline filter."))
    kind, kinds = chosen
    vehicle = selectors.vehicle_get(vehicle_id)
    # The vehicle's timeline holds changes of the vehicle and of its owner and driver periods.
    names = HistoryNames()  # the timeline and the change log name the same records: looked up once
    timeline = selectors.vehicle_timeline(vehicle, kinds=kinds, names=names)
    context: dict[str, Any] = {"vehicle": vehicle, **timeline_part(kind, timeline)}
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        return render(request, "customers/vehicle_detail.html#timeline", context)
    can_edit = can_here(request, "customers.edit")
    links = list(vehicle.links.all())

    def end_form_for(link: VehicleLink) -> DriverEndForm | None:
        if not can_edit or link.valid_to is not None:
            return None
        return end_form if end_form is not None and end_form.link_id == link.pk else DriverEndForm(link_id=link.pk)

    context.update(
        owners=[link for link in links if link.role == VehicleLink.Role.OWNER],
        hidden=customers_hidden(link.customer_id for link in links),
        driver_rows=[(link, end_form_for(link)) for link in links if link.role == VehicleLink.Role.DRIVER],
        readings=list(vehicle.mileage_readings.all()),
        plates=list(vehicle.plates.all()),
        changes=selectors.change_log_history(selectors.vehicle_change_log(vehicle), names=names),
        mileage_form=mileage_form or MileageForm(),
        transfer_form=transfer_form or TransferForm(),
        driver_form=driver_form or DriverForm(),
        can_edit=can_edit,
        panels=[panel(request, vehicle) for panel in VEHICLE_PANELS],
    )
    return render(request, "customers/vehicle_detail.html", context, status=status)


@require_http_methods(["GET"])
@page("customers.edit")
def vehicle_model_choice(request: HttpRequest) -> HttpResponse:
    """The series and model lists for the brand and series chosen so far (the form's cascading choice)."""
    form = VehicleForm(initial={key: request.GET.get(key) for key in ("brand", "series", "model")})
    return render(request, "customers/vehicle_form.html#model-choice", {"form": form})


@require_http_methods(["GET"])
@page("customers.view")
def vehicle_detail(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    return _vehicle_page(request, vehicle_id)


@require_http_methods(["GET", "POST"])
@page("customers.edit")
def vehicle_edit(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    vehicle = selectors.vehicle_get(vehicle_id)
    form = VehicleForm(
        request.POST or None,
        initial=VehicleForm.initial_for(vehicle),
        editing=True,
        selling_store_id=vehicle.selling_store_id,
    )
    status, conflict, saved = edit_submit(
        request,
        form,
        lambda version, data: services.vehicle_update(
            actor=request_user(request), vehicle_id=vehicle.pk, version=version, data=data
        ),
    )
    if saved:
        return redirect("customers:vehicle_detail", vehicle_id=vehicle.pk)
    owner = next(
        (link.customer for link in vehicle.links.all() if link.role == VehicleLink.Role.OWNER and not link.valid_to),
        None,
    )
    if owner is not None and customers_hidden([owner.pk]):  # another company's customer: not named here
        owner = None
    context = {"form": form, "vehicle": vehicle, "customer": owner, "conflict": conflict}
    return render(request, "customers/vehicle_form.html", context, status=status)


@require_POST
@page("customers.edit")
def mileage_add(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    form = MileageForm(request.POST)
    if (
        form.is_valid()
        and form_run(
            form,
            lambda: services.mileage_record(
                actor=request_user(request),
                vehicle_id=vehicle_id,
                km=form.cleaned_data["km"],
                read_on=form.cleaned_data["read_on"],
                source=form.cleaned_data["source"],
                reason=form.cleaned_data["reason"],
            ),
        )[0]
    ):
        messages.success(request, _("Mileage recorded."))
        return redirect("customers:vehicle_detail", vehicle_id=vehicle_id)
    return _vehicle_page(request, vehicle_id, mileage_form=form, status=400)


@require_POST
@page("customers.edit")
def vehicle_transfer(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    form = TransferForm(request.POST)
    if form.is_valid():
        new_owner = form.cleaned_data["customer_number"]
        if form_run(
            form,
            lambda: services.vehicle_transfer(
                actor=request_user(request), vehicle_id=vehicle_id, new_owner=new_owner, on=form.cleaned_data["on"]
            ),
        )[0]:
            messages.success(request, _("The vehicle now belongs to %(customer)s.") % {"customer": new_owner})
            return redirect("customers:vehicle_detail", vehicle_id=vehicle_id)
    return _vehicle_page(request, vehicle_id, transfer_form=form, status=400)


@require_POST
@page("customers.edit")
def vehicle_driver_add(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    form = DriverForm(request.POST)
    if form.is_valid():
        driver = form.cleaned_data["customer_number"]
        if form_run(
            form,
            lambda: services.vehicle_driver_add(
                actor=request_user(request),
                vehicle_id=vehicle_id,
                customer_id=driver.pk,
                valid_from=form.cleaned_data["valid_from"],
            ),
        )[0]:
            messages.success(request, _("%(customer)s now drives this vehicle.") % {"customer": driver})
            return redirect("customers:vehicle_detail", vehicle_id=vehicle_id)
    return _vehicle_page(request, vehicle_id, driver_form=form, status=400)


@require_POST
@page("customers.edit")
def vehicle_driver_end(request: HttpRequest, vehicle_id: int, link_id: int) -> HttpResponse:
    selectors.driver_period_get(vehicle_id=vehicle_id, link_id=link_id)
    form = DriverEndForm(request.POST, link_id=link_id)
    if form.is_valid():
        try:
            link = services.vehicle_driver_end(
                actor=request_user(request),
                vehicle_id=vehicle_id,
                link_id=link_id,
                valid_to=form.cleaned_data["valid_to"],
            )
        except ConflictError as error:
            # Someone else ended it first: the page shows the period as it now is.
            messages.error(request, error.detail)
            return _vehicle_page(request, vehicle_id, status=409)
        except ApplicationError as error:
            if error.status == 404:
                raise
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("%(customer)s no longer drives this vehicle (last day %(date)s).")
                % {
                    "customer": Customer.audit_hidden_name if customers_hidden([link.customer_id]) else link.customer,
                    "date": link.valid_to.isoformat(),  # type: ignore[union-attr]
                },
            )
            return redirect("customers:vehicle_detail", vehicle_id=vehicle_id)
    return _vehicle_page(request, vehicle_id, end_form=form, status=400)


@require_http_methods(["GET", "POST"])
@page("customers.view")
def warranty_policies(request: HttpRequest) -> HttpResponse:
    """The brands' warranty policies (包修期 and 三包 period) and, for a manager, a new one."""
    can_set = can_here(request, "customers.warranty")
    form = WarrantyPolicyForm(request.POST or None) if can_set else None
    status = 200
    if request.method == "POST":
        if form is None:
            return HttpResponseBadRequest(_("You may not set warranty policies."))
        if form.is_valid():
            saved, policy = form_run(
                form, lambda: services.warranty_policy_create(actor=request_user(request), data=form.service_data())
            )
            if saved:
                messages.success(
                    request,
                    _("The policy of %(brand)s from %(date)s is saved; the brand's vehicles are worked out again.")
                    % {"brand": policy.brand.name, "date": policy.valid_from.isoformat()},
                )
                return redirect("customers:warranty_policies")
        status = 400
    context = {"policies": list(selectors.warranty_policies()), "form": form}
    return render(request, "customers/warranty_policies.html", context, status=status)
