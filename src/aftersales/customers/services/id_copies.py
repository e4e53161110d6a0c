"""Uploaded copies of identity and vehicle documents: upload (with consent), serve (audited), delete.

Files are kept by the media service (``core.media``) in the documents' storage, outside the web root
under ``DATA_DIR/documents`` with random names; what a file is comes from its first bytes, never from
the name or the content type the browser sent.
"""

from __future__ import annotations

from typing import BinaryIO

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, choose_one_of
from aftersales.core.media import (
    Stored,
    describe_content,
    detect_content_type,
    megabytes,
    sanitize_file_name,
    store_upload,
)
from aftersales.core.models import Store, User
from aftersales.customers.models import (
    Customer,
    CustomerDocument,
    Vehicle,
    VehicleLink,
)
from aftersales.customers.selectors.id_copies import document_access, documents_storage

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def _too_large(size: int) -> ApplicationError:
    return ApplicationError(
        _("The file is %(size)s MB; a document may be at most %(limit)d MB.")
        % {"size": megabytes(size), "limit": MAX_DOCUMENT_BYTES // (1024 * 1024)},
        code="too_large",
        field="file",
        status=422,
    )


def _store(uploaded_file: UploadedFile) -> Stored:
    """Keep the upload in the documents' storage, checking size and type as it is read."""
    return store_upload(
        uploaded_file,
        storage=documents_storage(),
        max_bytes=MAX_DOCUMENT_BYTES,
        too_large=_too_large,
        checked_type=_checked_type,
    )


def _checked_type(head: bytes) -> str:
    content_type = detect_content_type(head)
    if content_type is None:
        raise ApplicationError(
            _("This is not a JPEG, PNG or PDF file: its content is %(found)s.") % {"found": describe_content(head)},
            code="file_type",
            field="file",
            status=422,
        )
    return content_type


def _unlink_later(storage_name: str) -> None:
    """Remove a stored file once the deletion of its row is committed (a rollback keeps both)."""
    storage = documents_storage()
    transaction.on_commit(lambda: storage.delete(storage_name))


def _document_audit(document: CustomerDocument, *, action: str, actor: User | None, store_id: int | None) -> None:
    # The original file name is left out on purpose: it often holds the person's name, and the
    # audit trail is append-only, so it would outlive an anonymisation.
    values = {
        "customer_id": document.customer_id,
        "vehicle_id": document.vehicle_id,
        "kind": document.kind,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
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
    declared = uploaded_file.size or 0
    if declared > MAX_DOCUMENT_BYTES:
        raise _too_large(declared)
    stored = _store(uploaded_file)
    try:
        document = CustomerDocument.objects.create(
            customer=locked,
            vehicle=vehicle,
            kind=kind,
            file_name=sanitize_file_name(uploaded_file.name or "", content_type=stored.content_type),
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_name=stored.storage_name,
            consent_at=locked.data_consent_at or timezone.now(),
            store=store,
            uploaded_by=actor,
        )
        _document_audit(document, action="create", actor=actor, store_id=locked.home_store_id)
    except BaseException:
        documents_storage().delete(stored.storage_name)
        raise
    return document


def document_open(document: CustomerDocument, *, actor: User) -> BinaryIO:
    """Open a stored document for reading; every opening is recorded as a reveal of personal data by
    ``actor``."""
    try:
        handle = documents_storage().open(document.storage_name)
    except FileNotFoundError:
        raise ApplicationError(
            _("The stored file of this document is missing."), code="not_found", status=404
        ) from None
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
    return handle


def document_response(document: CustomerDocument, *, actor: User) -> FileResponse:
    """The document as an inline download that browsers and proxies neither sniff nor keep."""
    response = FileResponse(
        document_open(document, actor=actor),
        as_attachment=False,
        filename=document.file_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


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
        .select_related("customer")
        .filter(pk=document_id, customer_id=customer_id)
        .first()
    )
    if document is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    documents_purge([document], actor=actor)
    return document


def documents_purge(documents: list[CustomerDocument], *, actor: User | None) -> int:
    """Delete documents (rows now, files on commit), one audit entry each. Call inside a transaction."""
    for document in documents:
        store_id = document.customer.home_store_id
        _unlink_later(document.storage_name)
        pk = document.pk
        document.delete()
        document.pk = pk
        _document_audit(document, action="delete", actor=actor, store_id=store_id)
    return len(documents)
