"""Pages of a customer's personal-information requests: export, consent withdrawal, anonymisation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.access import can
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import InputForm
from aftersales.core.routing import page, request_user
from aftersales.customers import selectors, services
from aftersales.customers.forms import AnonymiseForm, ConsentWithdrawForm, PrivacyActionForm
from aftersales.customers.models import Customer


def _requests_context(
    request: HttpRequest, customer: Customer, anonymise_form: AnonymiseForm, consent_form: ConsentWithdrawForm
) -> dict[str, Any]:
    return {
        "customer": customer,
        "anonymise_form": anonymise_form,
        "consent_form": consent_form,
        "consents": [
            ("marketing", _("Marketing"), customer.marketing_consent, customer.marketing_consent_at),
            ("data", _("Data processing"), customer.data_consent, customer.data_consent_at),
            ("sharing", _("Sharing within the group"), customer.sharing_consent, customer.sharing_consent_at),
        ],
        "holds": selectors.legal_holds(customer) if customer.anonymised_at is None else [],
        "document_count": selectors.id_copy_count(customer),
        "can_view_personal": can(request_user(request), "customers.view_personal"),
    }


@require_http_methods(["GET", "POST"])
@page("customers.privacy")
def requests_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    selectors.customer_privacy_access(actor=request_user(request), customer_id=customer_id)
    customer = selectors.customer_get(customer_id)
    anonymise_form = AnonymiseForm()
    consent_form = ConsentWithdrawForm()
    if request.method == "POST":
        chosen = PrivacyActionForm(request.POST)
        if not chosen.is_valid():
            return HttpResponseBadRequest(chosen.error_summary())
        action = chosen.cleaned_data["action"]
        bound: InputForm
        if action == "anonymise":
            bound = anonymise_form = AnonymiseForm(request.POST)
        else:
            bound = consent_form = ConsentWithdrawForm(request.POST)
        if bound.is_valid():
            try:
                if action == "anonymise":
                    services.customer_anonymise(
                        actor=request_user(request), customer_id=customer.pk, reason=bound.cleaned_data["reason"]
                    )
                    messages.success(request, _("The customer's personal data was removed."))
                else:
                    which = bound.cleaned_data["which"]
                    services.consent_withdraw(actor=request_user(request), customer_id=customer.pk, which=which)
                    messages.success(request, _("The withdrawal of consent was recorded."))
            except ApplicationError as error:
                bound.add_service_errors(error)
            else:
                return redirect("customer_privacy:requests", customer_id=customer.pk)
        context = _requests_context(request, customer, anonymise_form, consent_form)
        return render(request, "customer_privacy/requests.html", context, status=400)
    context = _requests_context(request, customer, anonymise_form, consent_form)
    return render(request, "customer_privacy/requests.html", context)


@require_http_methods(["GET"])
@page("customers.privacy")
def export(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_privacy_lookup(customer_id)
    file_format = request.GET.get("format", "json")
    if file_format not in selectors.EXPORT_FORMATS:
        return HttpResponse(
            _("Choose the JSON, Excel or PDF format."), status=400, content_type="text/plain; charset=utf-8"
        )
    export_file = services.pi_export_file(actor=request_user(request), customer=customer, file_format=file_format)
    response = HttpResponse(export_file.content, content_type=export_file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_file.file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response
