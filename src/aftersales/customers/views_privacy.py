"""Pages for document copies and personal-information requests of one customer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aftersales.core.access import can
from aftersales.core.errors import NON_FIELD, ApplicationError
from aftersales.core.forms import InputForm
from aftersales.core.models import User
from aftersales.core.routing import acting_store, active_store_id, page
from aftersales.customers import documents, pi_requests, selectors
from aftersales.customers.models import Customer, CustomerDocument, VehicleLink

T = TypeVar("T")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _add_errors(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's refusal next to the fields it names (or above the form)."""
    if not error.fields:
        form.add_error(None, error.detail)
    for name, field_messages in error.fields.items():
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target if name != NON_FIELD else None, message)


class DocumentUploadForm(InputForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CustomerDocument.Kind.choices)
    vehicle_id = forms.TypedChoiceField(label=gettext_lazy("Vehicle"), coerce=int, required=False, empty_value=None)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("JPEG, PNG or PDF, at most 10 MB."),
        max_length=200,
    )

    def __init__(self, *args: Any, links: list[VehicleLink], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        vehicle_field = cast(forms.TypedChoiceField, self.fields["vehicle_id"])
        vehicle_field.choices = [("", "—")] + [
            (link.vehicle_id, link.vehicle.plate or link.vehicle.vin) for link in links if link.valid_to is None
        ]


def _documents_context(request: HttpRequest, customer: Customer, form: DocumentUploadForm) -> dict[str, Any]:
    user = _user(request)
    copies = list(
        CustomerDocument.objects.filter(customer=customer)
        .select_related("customer", "uploaded_by", "vehicle", "store")
        .order_by("pk")
    )
    # Every store sees that a copy exists; only the stores it belongs to open (or delete) it.
    rows = [
        (
            document,
            documents.document_allowed(user, document, "open"),
            documents.document_allowed(user, document, "delete"),
        )
        for document in copies
    ]
    return {
        "customer": customer,
        "rows": rows,
        "form": form,
        "can_edit": can(user, "customers.edit", store_id=active_store_id(request)),
        "can_privacy": pi_requests.customer_privacy_allowed(user, customer),
        "max_mb": documents.MAX_DOCUMENT_BYTES // (1024 * 1024),
    }


def _found(call: Callable[[], T]) -> T:
    """A service's answer; its "not found" as the page's 404."""
    try:
        return call()
    except ApplicationError as error:
        if error.status == 404:
            raise Http404(error.detail) from None
        raise


@require_http_methods(["GET", "POST"])
@page("customers.view_personal")
def documents_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(customer_id)
    links = list(customer.vehicle_links.all())
    if request.method == "POST":
        # Seeing the list needs the view-personal right; adding to it also needs the edit right.
        store = acting_store(request, permission="customers.edit")  # the store that takes the copy
        form = DocumentUploadForm(request.POST, request.FILES, links=links)
        if form.is_valid():
            vehicle_id = form.cleaned_data["vehicle_id"]
            try:
                document = documents.document_upload(
                    actor=_user(request),
                    store=store,
                    customer=customer,
                    kind=form.cleaned_data["kind"],
                    uploaded_file=form.cleaned_data["file"],
                    vehicle=next((link.vehicle for link in links if link.vehicle_id == vehicle_id), None),
                )
            except ApplicationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("%(document)s was stored.") % {"document": document})
                return redirect("customer_privacy:documents", customer_id=customer.pk)
        return render(
            request, "customer_privacy/documents.html", _documents_context(request, customer, form), status=400
        )
    form = DocumentUploadForm(links=links)
    return render(request, "customer_privacy/documents.html", _documents_context(request, customer, form))


@require_http_methods(["GET"])
@page("customers.view_personal")
def document_view(request: HttpRequest, customer_id: int, document_id: int) -> FileResponse:
    document = _found(
        lambda: documents.document_access(
            actor=_user(request), customer_id=customer_id, document_id=document_id, purpose="open"
        )
    )
    return _found(lambda: documents.document_response(document, actor=_user(request)))  # its file may be gone


@require_http_methods(["POST"])
@page("customers.edit")
def document_delete(request: HttpRequest, customer_id: int, document_id: int) -> HttpResponse:
    document = _found(
        lambda: documents.document_delete(actor=_user(request), customer_id=customer_id, document_id=document_id)
    )
    messages.success(request, _("%(document)s was deleted.") % {"document": document})
    return redirect("customer_privacy:documents", customer_id=customer_id)


class AnonymiseForm(InputForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=pi_requests.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For example: the customer asked for deletion on 2026-03-01 (request no. …)."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the personal data is removed for good and cannot be restored."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


class PrivacyActionForm(InputForm):
    """Which of the page's two forms was sent."""

    action = forms.ChoiceField(choices=[("anonymise", "anonymise"), ("withdraw", "withdraw")])


class ConsentWithdrawForm(InputForm):
    which = forms.ChoiceField(
        choices=[("marketing", gettext_lazy("Marketing")), ("data", gettext_lazy("Data processing"))]
    )


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
        ],
        "holds": pi_requests.legal_holds(customer) if customer.anonymised_at is None else [],
        "document_count": CustomerDocument.objects.filter(customer=customer).count(),
        "can_view_personal": can(_user(request), "customers.view_personal"),
    }


@require_http_methods(["GET", "POST"])
@page("customers.privacy")
def requests_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    _found(lambda: pi_requests.customer_privacy_access(actor=_user(request), customer_id=customer_id))
    customer = selectors.customer_get(customer_id)
    anonymise_form = AnonymiseForm()
    consent_form = ConsentWithdrawForm()
    if request.method == "POST":
        chosen = PrivacyActionForm(request.POST)
        if not chosen.is_valid():
            return HttpResponseBadRequest(chosen.error_summary())
        action = chosen.cleaned_data["action"]
        bound: forms.Form
        if action == "anonymise":
            bound = anonymise_form = AnonymiseForm(request.POST)
        else:
            bound = consent_form = ConsentWithdrawForm(request.POST)
        if bound.is_valid():
            try:
                if action == "anonymise":
                    pi_requests.customer_anonymise(
                        actor=_user(request), customer_id=customer.pk, reason=bound.cleaned_data["reason"]
                    )
                    messages.success(request, _("The customer's personal data was removed."))
                else:
                    which = bound.cleaned_data["which"]
                    pi_requests.consent_withdraw(actor=_user(request), customer_id=customer.pk, which=which)
                    messages.success(request, _("The withdrawal of consent was recorded."))
            except ApplicationError as error:
                _add_errors(bound, error)
            else:
                return redirect("customer_privacy:requests", customer_id=customer.pk)
        context = _requests_context(request, customer, anonymise_form, consent_form)
        return render(request, "customer_privacy/requests.html", context, status=400)
    context = _requests_context(request, customer, anonymise_form, consent_form)
    return render(request, "customer_privacy/requests.html", context)


@require_http_methods(["GET"])
@page("customers.privacy")
def export(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _found(lambda: pi_requests.customer_privacy_lookup(customer_id))
    file_format = request.GET.get("format", "json")
    if file_format not in pi_requests.EXPORT_FORMATS:
        return HttpResponse(_("Choose the JSON or Excel format."), status=400, content_type="text/plain; charset=utf-8")
    export_file = pi_requests.pi_export_file(actor=_user(request), customer=customer, file_format=file_format)
    response = HttpResponse(export_file.content, content_type=export_file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_file.file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response
