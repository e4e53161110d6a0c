"""Pages of a customer's ID copies (identity and vehicle papers kept with consent).

The list with its upload form, opening one copy, deleting one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.access import can
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import acting_store, active_store_id, page, request_user
from aftersales.customers import selectors, services
from aftersales.customers.forms import DocumentUploadForm
from aftersales.customers.models import Customer


def _documents_context(request: HttpRequest, customer: Customer, form: DocumentUploadForm) -> dict[str, Any]:
    user = request_user(request)
    copies = selectors.id_copies_of(customer)
    # Every store sees that a copy exists; only the stores it belongs to open (or delete) it.
    rows = [
        (
            document,
            selectors.document_allowed(user, document, "open"),
            selectors.document_allowed(user, document, "delete"),
        )
        for document in copies
    ]
    return {
        "customer": customer,
        "rows": rows,
        "form": form,
        "can_edit": can(user, "customers.edit", store_id=active_store_id(request)),
        "can_privacy": selectors.customer_privacy_allowed(user, customer),
        "max_mb": services.MAX_DOCUMENT_BYTES // (1024 * 1024),
    }


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
                document = services.document_upload(
                    actor=request_user(request),
                    store=store,
                    customer=customer,
                    kind=form.cleaned_data["kind"],
                    uploaded_file=form.cleaned_data["file"],
                    vehicle=next((link.vehicle for link in links if link.vehicle_id == vehicle_id), None),
                )
            except ApplicationError as error:
                form.add_service_errors(error)
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
    document = selectors.document_access(
        actor=request_user(request), customer_id=customer_id, document_id=document_id, purpose="open"
    )
    return services.document_response(document, actor=request_user(request))  # its file may be gone


@require_http_methods(["POST"])
@page("customers.edit")
def document_delete(request: HttpRequest, customer_id: int, document_id: int) -> HttpResponse:
    document = services.document_delete(actor=request_user(request), customer_id=customer_id, document_id=document_id)
    messages.success(request, _("%(document)s was deleted.") % {"document": document})
    return redirect("customer_privacy:documents", customer_id=customer_id)
