"""Uploaded copies of identity and vehicle documents, the reads: where files are, who may see which."""

from __future__ import annotations

from django.utils.translation import gettext as _

from aftersales.core.access import authorize_for, can_for
from aftersales.core.errors import ApplicationError
from aftersales.core.models import MediaFile, User
from aftersales.customers.models import (
    Customer,
    CustomerDocument,
)

# Who may do what with a copy, by the stores it belongs to: its customer's home store always, the
# store that took it for reading. Other stores see that it exists (kind, date, store), not its content.
DOCUMENT_ACCESS: dict[str, tuple[str, bool]] = {
    # purpose: (permission, the store that took it counts too)
    "open": ("customers.view_personal", True),
    "delete": ("customers.edit", False),
}


def document_stores(document: CustomerDocument, purpose: str) -> list[int]:
    """The stores in which the ``purpose`` permission lets a user act on ``document``."""
    _permission, taker_too = DOCUMENT_ACCESS[purpose]
    home = document.customer.home_store_id
    return [home, document.store_id] if taker_too and document.store_id != home else [home]


def document_allowed(user: User, document: CustomerDocument, purpose: str) -> bool:
    permission, _taker_too = DOCUMENT_ACCESS[purpose]
    return can_for(user, permission, store_ids=document_stores(document, purpose))


def document_access(*, actor: User, customer_id: int, document_id: int, purpose: str) -> CustomerDocument:
    """The document of that customer (404 if none) that ``actor`` may ``open`` or ``delete``
    (403, audited, if the permission is not held in one of the stores it belongs to)."""
    document = (
        CustomerDocument.objects.select_related("customer", "uploaded_by", "vehicle", "store", "media")
        .filter(pk=document_id, customer_id=customer_id)
        .first()
    )
    if document is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    permission, _taker_too = DOCUMENT_ACCESS[purpose]
    authorize_for(actor, permission, store_ids=document_stores(document, purpose))
    return document


def document_media_authorize(actor: User, media: MediaFile) -> None:
    """The media service's rule for a copy's file: whoever may open the copy (``DOCUMENT_ACCESS``)."""
    document = CustomerDocument.objects.filter(media=media).values_list("pk", "customer_id").first()
    if document is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    document_access(actor=actor, customer_id=document[1], document_id=document[0], purpose="open")


def id_copies_of(customer: Customer) -> list[CustomerDocument]:
    """The customer's ID copies, oldest first, with what their list shows (uploader, vehicle, store)."""
    return list(
        CustomerDocument.objects.filter(customer=customer)
        .select_related("customer", "uploaded_by", "vehicle", "store", "media")
        .order_by("pk")
    )


def id_copy_count(customer: Customer) -> int:
    return CustomerDocument.objects.filter(customer=customer).count()
