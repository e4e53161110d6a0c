"""The customer's own page behind an ``archive_review`` link, and the staff's side: sending the link
and reviewing the contact details customers corrected."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core.errors import ApplicationError
from aftersales.core.forms import InputForm, form_run
from aftersales.core.routing import acting_store, active_store_id, page, request_user
from aftersales.core.services import client_ip_of
from aftersales.customers import selectors, services
from aftersales.customers.models import ContactCorrection, Customer
from aftersales.customers.services.corrections import LINK_DAYS
from aftersales.messaging.models import CustomerLink
from aftersales.messaging.services.signatures import SIGNATURE_MAX_BYTES

# A pad's PNG as a data URL: at most SIGNATURE_MAX_BYTES of image, base64 (4/3) and its prefix.
SIGNATURE_FIELD_MAX = SIGNATURE_MAX_BYTES * 4 // 3 + 100


class CorrectionForm(InputForm):
    """What the customer sends: the product's input rules first (control characters, line breaks), then
    the service checks the mobile and the e-mail."""

    shown = forms.CharField(max_length=64, widget=forms.HiddenInput)
    mobile = forms.CharField(max_length=20, required=False)
    email = forms.CharField(max_length=254, required=False)
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea)
    signature = forms.CharField(max_length=SIGNATURE_FIELD_MAX, required=False, widget=forms.HiddenInput)


def archive_review_view(request: HttpRequest, link: CustomerLink, snapshot: dict[str, Any]) -> HttpResponse:
    """The customer's archive card (masked) and a form to correct their mobile and e-mail."""
    form = CorrectionForm(request.POST or None, initial={"shown": link.snapshot_hash})
    context: dict[str, Any] = {"card": snapshot, "store": link.store, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "customers/links/archive_review.html", context, status=422)
        data = {name: form.cleaned_data[name] for name in ("mobile", "email", "note")}
        try:
            services.correction_submit(
                link=link,
                data=data,
                shown_hash=form.cleaned_data["shown"],
                client_ip=client_ip_of(request) or "",
                signature=form.cleaned_data["signature"],
            )
        except ApplicationError as error:
            if error.status != 422:
                return render(
                    request,
                    "messaging/link_error.html",
                    {"message": str(error), "store": link.store},
                    status=error.status,
                )
            form.add_service_errors(error)
            return render(request, "customers/links/archive_review.html", context, status=422)
        return render(request, "customers/links/archive_review_done.html", {"store": link.store})
    return render(request, "customers/links/archive_review.html", context)


@require_POST
@page("customers.edit")
def review_link_send(request: HttpRequest, customer_id: int) -> HttpResponse:
    store = acting_store(request, permission="customers.edit")
    try:
        _link, url = services.review_link_send(
            actor=request_user(request), store=store, customer_id=customer_id, base_url=request.build_absolute_uri("/")
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The review link was made (valid %(days)s days): %(url)s") % {"days": LINK_DAYS, "url": url}
        )
    return redirect("customers:detail", customer_id=customer_id)


@require_http_methods(["GET"])
@page("customers.edit")
def corrections(request: HttpRequest) -> HttpResponse:
    rows = selectors.corrections_pending(store_id=active_store_id(request))
    return render(request, "customers/corrections.html", {"rows": rows})


@require_POST
@page("customers.edit")
def correction_decide(request: HttpRequest, correction_id: int) -> HttpResponse:
    decision = request.POST.get("decision")
    if decision not in {"approve", "reject"}:
        messages.error(request, _("Choose approve or reject."))
        return redirect("customers:corrections")
    try:
        correction = services.correction_decide(
            actor=request_user(request),
            correction_id=correction_id,
            approve=decision == "approve",
            note=request.POST.get("note", "")[:500],
        )
    except ApplicationError as error:
        if error.status == 404:
            raise
        messages.error(request, str(error))
    else:
        messages.success(request, _("The correction is %(status)s.") % {"status": correction.get_status_display()})
    return redirect("customers:corrections")


__all__ = ["ContactCorrection", "archive_review_view", "correction_decide", "corrections", "review_link_send"]


class ConsentSignForm(InputForm):
    marketing = forms.BooleanField(required=False)
    sharing = forms.BooleanField(required=False)
    signature = forms.CharField(max_length=SIGNATURE_FIELD_MAX, required=False, widget=forms.HiddenInput)


@require_http_methods(["GET", "POST"])
@page("customers.edit")
def consent_sign(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The consent form the customer signs on the staff tablet (data processing; marketing and sharing
    within the group as they tick)."""
    customer = selectors.customer_get(customer_id)
    form = ConsentSignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            store = acting_store(request, permission="customers.edit")
            actor, data = request_user(request), form.cleaned_data
            saved, _result = form_run(
                form,
                lambda: services.consent_sign(
                    actor=actor,
                    store=store,
                    customer_id=customer.pk,
                    signature=data["signature"],
                    marketing=data["marketing"],
                    sharing=data["sharing"],
                ),
            )
            if saved:
                messages.success(request, _("The signed consent is recorded."))
                return redirect("customers:detail", customer_id=customer.pk)
        status = 400
    return render(request, "customers/consent_sign.html", {"customer": customer, "form": form}, status=status)


class UnsubscribeForm(InputForm):
    shown = forms.CharField(max_length=64, widget=forms.HiddenInput)


def unsubscribe_view(request: HttpRequest, link: CustomerLink, snapshot: dict[str, Any]) -> HttpResponse:
    """The page a marketing e-mail's link opens: one button, and the marketing consent goes at once."""
    form = UnsubscribeForm(request.POST or None, initial={"shown": link.snapshot_hash})
    name = Customer.all_objects.filter(pk=link.object_id).values_list("name", flat=True).first() or ""
    context: dict[str, Any] = {"card": {**snapshot, "name": name}, "store": link.store, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "customers/links/unsubscribe.html", context, status=422)
        try:
            services.unsubscribe_confirm(link=link, shown_hash=form.cleaned_data["shown"])
        except ApplicationError as error:
            refusal = {"message": str(error), "store": link.store}
            return render(request, "messaging/link_error.html", refusal, status=error.status)
        return render(request, "customers/links/unsubscribe_done.html", {"store": link.store})
    return render(request, "customers/links/unsubscribe.html", context)
