"""Kept files as records: one ``MediaFile`` row per file, tied to the record that owns it and its store,
served only through the one authorised view (``media_access`` + ``media_response``), with the access
rule its owner registered.

An area keeps a file for one of its records with::

    with media_upload(uploaded_file, accept=PHOTOS, owner_type="workshop.inspectionitem", area="workshop",
                      store=store, actor=actor) as media:
        item = InspectionItem.objects.create(...)
        media_attach(media, item.pk)

and registers, once, who may see the files of its records (``media_owner_register``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.media.storage import Storage, local_storage
from aftersales.core.media.uploads import (
    PHOTO_MAX_BYTES,
    PHOTO_MAX_PIXELS,
    Photo,
    Stored,
    describe_content,
    detect_content_type,
    megabytes,
    photo_clean,
    sanitize_file_name,
    store_upload,
)
from aftersales.core.models import MediaFile, Store, User

_IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


@dataclass(frozen=True)
class Accept:
    """What an owner takes: the content types (by first bytes), the size limit, and how refusals read."""

    content_types: frozenset[str]
    max_bytes: int
    too_large: Callable[[int], ApplicationError]
    wrong_type: Callable[[bytes], ApplicationError]
    max_pixels: int = PHOTO_MAX_PIXELS  # an image beyond this is refused from its header, before decoding

    def checked_type(self, head: bytes) -> str:
        content_type = detect_content_type(head)
        if content_type is None or content_type not in self.content_types:
            raise self.wrong_type(head)
        return content_type


def _refusal(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, field="file", status=422)


def _what(head: bytes) -> str:
    content_type = detect_content_type(head)
    return _("a PDF document") if content_type == "application/pdf" else describe_content(head)


# Photos from a phone or tablet camera (a damage, a part, a dashboard): JPEG or PNG.
PHOTOS = Accept(
    content_types=_IMAGE_TYPES,
    max_bytes=PHOTO_MAX_BYTES,
    too_large=lambda size: _refusal(
        _("The photo is %(size)s MB; a photo may be at most %(limit)d MB.")
        % {"size": megabytes(size), "limit": PHOTO_MAX_BYTES // (1024 * 1024)},
        "too_large",
    ),
    wrong_type=lambda head: _refusal(
        _("This is not a JPEG or PNG photo: its content is %(found)s.") % {"found": _what(head)}, "file_type"
    ),
)

PAPER_MAX_BYTES = 10 * 1024 * 1024

# Copies of papers (an ID card, a licence, a signed form): a photo or a scanned PDF.
PAPERS = Accept(
    content_types=_IMAGE_TYPES | {"application/pdf"},
    max_bytes=PAPER_MAX_BYTES,
    too_large=lambda size: _refusal(
        _("The file is %(size)s MB; a document may be at most %(limit)d MB.")
        % {"size": megabytes(size), "limit": PAPER_MAX_BYTES // (1024 * 1024)},
        "too_large",
    ),
    wrong_type=lambda head: _refusal(
        _("This is not a JPEG, PNG or PDF file: its content is %(found)s.") % {"found": describe_content(head)},
        "file_type",
    ),
)


def photo_store(uploaded_file: UploadedFile, *, storage: Storage) -> Photo:
    """Keep a photo (``PHOTOS``) made safe by ``photo_clean``; the upload as sent is not kept."""
    raw = store_upload(
        uploaded_file,
        storage=storage,
        max_bytes=PHOTOS.max_bytes,
        too_large=PHOTOS.too_large,
        checked_type=PHOTOS.checked_type,
    )
    return photo_clean(raw, storage=storage)


def media_storage(area: str) -> Storage:
    """Where an area's files are kept: the local disk (``DATA_DIR/<area>``, outside the web root)."""
    return local_storage(area)


@contextmanager
def media_upload(
    uploaded_file: UploadedFile,
    *,
    accept: Accept,
    owner_type: str,
    area: str,
    store: Store,
    actor: User | None,
) -> Iterator[MediaFile]:
    """Keep an upload as a ``MediaFile`` of ``owner_type`` at ``store``: refused (422 on ``file``, nothing
    kept) when it is not one of ``accept``'s types by its first bytes or exceeds its size, whatever the
    upload declares; a photo is made safe (``photo_clean``: pixel limit, upright, no EXIF, thumbnail).
    Create the owning row inside the ``with`` block and ``media_attach`` it; if the block raises, the
    row and the files are gone."""
    if owner_type not in _OWNERS:
        raise LookupError(f"No media owner registered as {owner_type!r}")
    declared = uploaded_file.size or 0
    if declared > accept.max_bytes:
        raise accept.too_large(declared)
    storage = media_storage(area)
    raw = store_upload(
        uploaded_file,
        storage=storage,
        max_bytes=accept.max_bytes,
        too_large=accept.too_large,
        checked_type=accept.checked_type,
    )
    kept: Stored = raw
    thumbnail: Stored | None = None
    width = height = None
    if raw.content_type in _IMAGE_TYPES:
        photo = photo_clean(raw, storage=storage, max_pixels=accept.max_pixels)
        kept, thumbnail, width, height = photo.image, photo.thumbnail, photo.width, photo.height
    names = [kept.storage_name] + ([thumbnail.storage_name] if thumbnail else [])
    try:
        with transaction.atomic():
            media = MediaFile.objects.create(
                store=store,
                owner_type=owner_type,
                area=area,
                file_name=sanitize_file_name(uploaded_file.name or "", content_type=kept.content_type),
                content_type=kept.content_type,
                size=kept.size,
                sha256=kept.sha256,
                storage_name=kept.storage_name,
                width=width,
                height=height,
                thumbnail_name=thumbnail.storage_name if thumbnail else None,
                thumbnail_size=thumbnail.size if thumbnail else None,
                uploaded_by=actor,
            )
            yield media
    except BaseException:
        for name in names:
            storage.delete(name)
        raise


def media_attach(media: MediaFile, owner_id: int) -> None:
    """Tie a file kept by ``media_upload`` to its owning row, once that row exists."""
    media.owner_id = owner_id
    MediaFile.objects.filter(pk=media.pk).update(owner_id=owner_id)


def media_delete(media: MediaFile) -> None:
    """Delete the row now and its files once the surrounding transaction commits (a rollback keeps both).
    The owner deletes its own row first, and records the deletion."""
    storage = media_storage(media.area)
    names = [name for name in (media.storage_name, media.thumbnail_name) if name]
    media.delete()

    def remove_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)


# --- who may see a file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaOwner:
    """An owning record type's rule for its files: ``authorize`` raises (an ApplicationError with status 404
    when the actor may not know the file exists; PermissionDenied, e.g. from ``authorize_for``, when they may
    not open it) or returns; ``opened`` records a viewing where the owner
    needs one (for example, a reveal of personal data)."""

    authorize: Callable[[User, MediaFile], None]
    opened: Callable[[User, MediaFile], None] = lambda actor, media: None


_OWNERS: dict[str, MediaOwner] = {}


def media_owner_register(owner_type: str, owner: MediaOwner) -> None:
    """Declare who may see the files of ``owner_type`` records; called from the owning app's ``ready()``."""
    _OWNERS[owner_type] = owner


def media_access(*, actor: User, media_id: int) -> MediaFile:
    """The file ``actor`` asked for, if its owner's rule lets them open it (else 404 or 403)."""
    media = MediaFile.objects.filter(pk=media_id).exclude(owner_id=None).first()
    owner = _OWNERS.get(media.owner_type) if media is not None else None
    if media is None or owner is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    owner.authorize(actor, media)
    return media


def media_response(media: MediaFile, *, actor: User, thumbnail: bool = False) -> FileResponse:
    """The file (or its thumbnail) shown inline, recorded by its owner's rule, never sniffed or cached by
    browsers and proxies. Call after ``media_access`` (or the owner's own access check)."""
    name = media.thumbnail_name if thumbnail else media.storage_name
    if not name:
        raise ApplicationError(_("This file has no thumbnail."), code="not_found", status=404)
    try:
        handle = media_storage(media.area).open(name)
    except FileNotFoundError:
        raise ApplicationError(_("The stored file is missing."), code="not_found", status=404) from None
    _OWNERS[media.owner_type].opened(actor, media)
    stem = media.file_name.rsplit(".", 1)[0]
    response = FileResponse(
        handle,
        as_attachment=False,
        filename=f"{stem}-thumbnail.jpg" if thumbnail else media.file_name,
        content_type="image/jpeg" if thumbnail else media.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
