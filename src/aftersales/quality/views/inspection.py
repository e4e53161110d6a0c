"""The final inspection of a completed order, on a tablet (总检): the checklist as big ✓ / ✗ buttons, the road
test and the fault verified, the advice, and pass (the release certificate signed where the repair
category needs one) or fail (the work sent back, and why); the order's earlier inspections below."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.errors import ApplicationError
from aftersales.core.routing import can_here, page, request_user
from aftersales.quality.forms import InspectionForm
from aftersales.quality.models import FinalInspection
from aftersales.quality.selectors import certificate_of, inspections_of
from aftersales.quality.services import checklist, final_inspection_record, quality_settings
from aftersales.quality.services.common import inspection_passed
from aftersales.quality.services.inspection import done_labour, has_fault, needs_certificate
from aftersales.quality.views.base import WallClock, order_of, refusal_status
from aftersales.visits.models import RepairOrder


def _form(request: HttpRequest, order: RepairOrder, *, bound: bool) -> InspectionForm:
    rules = quality_settings(order.store_id)
    lines = done_labour(order)
    user = request_user(request)
    return InspectionForm(
        request.POST if bound else None,
        checks=checklist(order, rules),
        lines=lines,
        certificate=needs_certificate(lines),
        platform=rules.certificate_from_platform,
        initial={"inspector": user.full_name or user.username},
    )


def _page(request: HttpRequest, order: RepairOrder, form: InspectionForm, *, status: int = 200) -> HttpResponse:
    clock = WallClock(order.store)
    lines = done_labour(order)
    earlier = inspections_of(order)
    passed = inspection_passed(order)
    context = {
        "order": order,
        "visit": order.visit,
        "form": form,
        # The page offers the form while the order waits for its inspection (a refused one shows its errors).
        "open": form.is_bound or (order.state == RepairOrder.State.COMPLETED and not passed),
        "passed": passed,
        "certificate": certificate_of(order),
        "needs_certificate": needs_certificate(lines),
        "has_fault": has_fault(lines),
        "faults": [line for line in lines if line.fault_code or line.fault_symptom],
        "earlier": [(inspection, clock(inspection.at)) for inspection in earlier],
        "promised": clock.maybe(order.visit.promised_at),
    }
    return render(request, "quality/inspect.html", context, status=status)


def _done(request: HttpRequest, order: RepairOrder, inspection: FinalInspection) -> HttpResponse:
    if inspection.passed:
        certificate = certificate_of(order)
        if certificate is not None:
            messages.success(
                request,
                _("The final inspection passed; release certificate %(number)s is issued.")
                % {"number": certificate.number},
            )
        else:
            messages.success(request, _("The final inspection passed."))
    else:
        messages.warning(
            request, _("The final inspection failed: the work is sent back to the workshop with the reason.")
        )
    if can_here(request, "visits.view"):
        return redirect("visits:order", order_id=order.pk)
    return redirect("quality:desk")


@require_http_methods(["GET", "POST"])
@page("quality.inspect")
def inspect(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_of(request, order_id)
    if request.method == "GET":
        return _page(request, order, _form(request, order, bound=False))
    form = _form(request, order, bound=True)
    status = 400
    if form.is_valid():
        try:
            inspection = final_inspection_record(actor=request_user(request), order_id=order.pk, data=form.data_in())
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            return _done(request, order, inspection)
    order = order_of(request, order.pk)  # as it stands after the refusal
    return _page(request, order, form, status=status)
