"""Uploaded copies of identity and vehicle documents: upload (with consent), serve (audited), delete.

Each file is kept by the media service (``core.media``) as a ``MediaFile`` of the document, in the
documents' storage area outside the web root under a generated name; what a file is comes from its first
bytes, never from the name or the content type the browser sent, and a photo loses its EXIF (where it was
taken) and gets a thumbnail.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, choose_one_of
from aftersales.core.media import PAPER_MAX_BYTES, PAPERS, media_attach, media_delete, media_response, media_upload
from aftersales.core.models import MediaFile, Store, User
from aftersales.customers.models import (
    Customer,
    CustomerDocument,
    Vehicle,
    VehicleLink,
)
from aftersales.customers.selectors.id_copies import document_access

MAX_DOCUMENT_BYTES = PAPER_MAX_BYTES


def _document_audit(document: CustomerDocument, *, action: str, actor: User | None, store_id: int | None) -> None:
    # The original file name is left out on purpose: it often holds the person's name, and the
    # audit trail is append-only, so it would outlive an anonymisation.
    values = {
        "customer_id": document.customer_id,
        "vehicle_id": document.vehicle_id,
        "kind": document.kind,
        "content_type": document.media.content_type,
        "size": document.media.size,
        "sha256": document.media.sha256,
    }
    audit_append(
        action=action,
        actor=actor,
        store_id=store_id,
        object_type="customers.customerdocument",
        object_id=str(document.pk),
        object_repr=document.audit_repr(),
        changes={
            key: [None, value] if action == "create" else [value, None]
            for key, value in values.items()
            if value is not None
        },
    )


@transaction.atomic
def document_upload(
    *,
    actor: User,
    store: Store,
    customer: Customer,
    kind: str,
    uploaded_file: UploadedFile,
    vehicle: Vehicle | None = None,
) -> CustomerDocument:
    """Store a copy of an identity or vehicle document for ``customer``, taken at ``store``.

    Needs recorded data-processing consent (checked on the locked customer row, so a withdrawal
    running at the same time cannot be overtaken). At most MAX_DOCUMENT_BYTES; JPEG, PNG or PDF by
    content. Refused uploads store nothing.
    """
    locked = Customer.objects.select_for_update().filter(pk=customer.pk, merged_into=None).first()
    if locked is None or locked.anonymised_at is not None:
        raise ApplicationError(_("No such active customer."), code="not_found", status=404)
    if kind not in CustomerDocument.Kind.values:
        raise ApplicationError(
            choose_one_of(CustomerDocument.Kind.values),
            field="kind",
            status=422,
        )
    if not locked.data_consent:
        raise ApplicationError(
            _("Data-processing consent must be recorded before documents can be stored for this customer."),
            code="no_consent",
            field="file",
            status=422,
        )
    if vehicle is not None and not VehicleLink.objects.filter(vehicle=vehicle, customer=locked, valid_to=None).exists():
        raise ApplicationError(
            _("This vehicle is not currently linked to the customer."), field="vehicle_id", status=422
        )
    with media_upload(
        uploaded_file,
        accept=PAPERS,
        owner_type=CustomerDocument.OWNER_TYPE,
        area=CustomerDocument.STORAGE_AREA,
        store=store,
        actor=actor,
    ) as media:
        document = CustomerDocument.objects.create(
            customer=locked,
            vehicle=vehicle,
            kind=kind,
            media=media,
            consent_at=locked.data_consent_at or timezone.now(),
            store=store,
            uploaded_by=actor,
        )
        media_attach(media, document.pk)
        _document_audit(document, action="create", actor=actor, store_id=locked.home_store_id)
    return document


def document_opened(actor: User, media: MediaFile) -> None:
    """Record that ``actor`` saw a copy (its file or thumbnail): a reveal of the customer's personal data.
    The media service calls it for every file of a document it serves."""
    document = CustomerDocument.objects.select_related("customer").get(media=media)
    customer = document.customer
    audit_append(
        action="reveal",
        actor=actor,
        store_id=customer.home_store_id,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=customer.number,
        changes={"document": document.pk},
    )


def document_response(document: CustomerDocument, *, actor: User, thumbnail: bool = False) -> FileResponse:
    """The copy (or its thumbnail) as the media service serves every kept file, recorded as a reveal."""
    return media_response(document.media, actor=actor, thumbnail=thumbnail)


def document_delete(*, actor: User, customer_id: int, document_id: int) -> CustomerDocument:
    """Delete a document and, once committed, its file; return it as it was. Only its customer's home
    store (and group roles) may (DOCUMENT_ACCESS): checked first, outside the transaction, so that a
    refusal's audit entry is kept."""
    document_access(actor=actor, customer_id=customer_id, document_id=document_id, purpose="delete")
    return _document_delete(actor=actor, customer_id=customer_id, document_id=document_id)


@transaction.atomic
def _document_delete(*, actor: User, customer_id: int, document_id: int) -> CustomerDocument:
    document = (
        CustomerDocument.objects.select_for_update()
        .select_related("customer", "media")
        .filter(pk=document_id, customer_id=customer_id)
        .first()
    )
    if document is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    documents_purge([document], actor=actor)
    return document


def documents_purge(documents: list[CustomerDocument], *, actor: User | None) -> int:
    """Delete documents (rows now, files on commit), one audit entry each. Call inside a transaction, with
    ``media`` and ``customer`` selected."""
    for document in documents:
        store_id = document.customer.home_store_id
        pk = document.pk
        document.delete()
        document.pk = pk
        media_delete(document.media)
        _document_audit(document, action="delete", actor=actor, store_id=store_id)
    return len(documents)
