"""Uploaded copies of identity and vehicle documents: upload (with consent), serve (audited), delete.

Files are kept outside the web root under ``DATA_DIR/documents`` with random names; what a file is
comes from its first bytes, never from the name or the content type the browser sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, choose_one_of
from aftersales.core.models import Store, User
from aftersales.customers.models import (
    Customer,
    CustomerDocument,
    Vehicle,
    VehicleLink,
)
from aftersales.customers.selectors.id_copies import document_access, document_path, documents_dir

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


_CHUNK_BYTES = 64 * 1024


_HEAD_BYTES = 16


# (leading bytes, content type, the extensions a file of that type may keep)
_ACCEPTED: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"%PDF-", "application/pdf", (".pdf",)),
)


# What other common files start with, to tell the user what they actually sent.
_KNOWN: tuple[tuple[bytes, Promise], ...] = (
    (b"MZ", gettext_lazy("a Windows program (EXE/DLL)")),
    (b"\x7fELF", gettext_lazy("a Linux program (ELF)")),
    (b"PK\x03\x04", gettext_lazy("a ZIP archive or an Office document")),
    (b"GIF8", gettext_lazy("a GIF image")),
    (b"BM", gettext_lazy("a BMP image")),
    (b"II*\x00", gettext_lazy("a TIFF image")),
    (b"MM\x00*", gettext_lazy("a TIFF image")),
    (b"Rar!", gettext_lazy("a RAR archive")),
    (b"7z\xbc\xaf", gettext_lazy("a 7-Zip archive")),
    (b"\xd0\xcf\x11\xe0", gettext_lazy("an old Office document")),
    (b"<", gettext_lazy("HTML, XML or SVG text")),
)


_UNSAFE_NAME_CHARS = re.compile(r"[^\w\s.()（）\-]", re.UNICODE)


def detect_content_type(head: bytes) -> str | None:
    """The content type of an accepted document from its first bytes, or None."""
    for signature, content_type, _extensions in _ACCEPTED:
        if head.startswith(signature):
            return content_type
    return None


def describe_content(head: bytes) -> str:
    """What a file that is not an accepted document appears to be, for the error message."""
    if not head:
        return _("an empty file")
    if head[4:8] == b"ftyp":
        return _("a HEIC photo or a video (convert it to JPEG)")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return _("a WebP image")
    for signature, description in _KNOWN:
        if head.startswith(signature):
            return str(description)
    return _("unrecognised data starting with %(bytes)s") % {"bytes": head[:8].hex(" ").upper()}


def sanitize_file_name(name: str, *, content_type: str) -> str:
    """A file name fit for display and for Content-Disposition; the extension matches the content."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(char for char in base if unicodedata.category(char)[0] != "C")
    base = _UNSAFE_NAME_CHARS.sub("_", base)
    base = re.sub(r"\s+", " ", base).strip(" .")
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    allowed = next(extensions for _sig, kind, extensions in _ACCEPTED if kind == content_type)
    # A name ending in another type's extension gets the right one: the content decides.
    suffix = f".{extension.lower()}" if f".{extension.lower()}" in allowed else allowed[0]
    stem = stem.strip(" .") or "document"
    return stem[: 150 - len(suffix)] + suffix


@dataclass(frozen=True)
class _Stored:
    storage_name: str
    content_type: str
    size: int
    sha256: str


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _too_large(size: int) -> ApplicationError:
    return ApplicationError(
        _("The file is %(size)s MB; a document may be at most %(limit)d MB.")
        % {"size": _megabytes(size), "limit": MAX_DOCUMENT_BYTES // (1024 * 1024)},
        code="too_large",
        field="file",
        status=422,
    )


def _store(uploaded_file: UploadedFile) -> _Stored:
    """Copy the upload in chunks to a randomly named file, checking size and type on the way."""
    directory = documents_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    content_type: str | None = None
    descriptor, temp_name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as out:
            for chunk in uploaded_file.chunks(_CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_DOCUMENT_BYTES:
                    raise _too_large(max(size, uploaded_file.size or 0))
                if content_type is None and len(head) < _HEAD_BYTES:
                    head += chunk[: _HEAD_BYTES - len(head)]
                    if len(head) == _HEAD_BYTES:
                        content_type = _checked_type(head)
                digest.update(chunk)
                out.write(chunk)
        if content_type is None:
            content_type = _checked_type(head)
        storage_name = secrets.token_hex(20)
        os.replace(temp_name, directory / storage_name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return _Stored(storage_name=storage_name, content_type=content_type, size=size, sha256=digest.hexdigest())


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
    path = documents_dir() / storage_name

    def unlink() -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    transaction.on_commit(unlink)


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
        with contextlib.suppress(FileNotFoundError):
            (documents_dir() / stored.storage_name).unlink()
        raise
    return document


def document_open(document: CustomerDocument, *, actor: User) -> BinaryIO:
    """Open a stored document for reading; every opening is recorded as a reveal of personal data by
    ``actor``."""
    try:
        handle = document_path(document).open("rb")
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
