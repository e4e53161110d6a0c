"""Uploads as bytes: what a file is (from its first bytes, never its name or the type the browser sent), a
safe name to show, its bytes counted and kept in a ``Storage`` as they arrive; photos made safe to keep
and show (pixel limit, upright, without EXIF, with a thumbnail)."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

from aftersales.core.errors import ApplicationError
from aftersales.core.media.storage import Storage

_CHUNK_BYTES = 64 * 1024


_HEAD_BYTES = 16


# (leading bytes, content type, the extensions a file of that type may keep)
ACCEPTED: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
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
    for signature, content_type, _extensions in ACCEPTED:
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
    allowed = next(extensions for _sig, kind, extensions in ACCEPTED if kind == content_type)
    # A name ending in another type's extension gets the right one: the content decides.
    suffix = f".{extension.lower()}" if f".{extension.lower()}" in allowed else allowed[0]
    stem = stem.strip(" .") or "document"
    return stem[: 150 - len(suffix)] + suffix


def megabytes(size: int) -> str:
    """A size in MB as refusals show it (one decimal)."""
    return f"{size / (1024 * 1024):.1f}"


@dataclass(frozen=True)
class Stored:
    storage_name: str
    content_type: str
    size: int
    sha256: str


def store_upload(
    uploaded_file: UploadedFile,
    *,
    storage: Storage,
    max_bytes: int,
    too_large: Callable[[int], Exception],
    checked_type: Callable[[bytes], str],
) -> Stored:
    """Keep an upload in ``storage``, read in chunks: refused (``too_large``) as soon as more than
    ``max_bytes`` arrived, whatever size it declared, and by ``checked_type`` (the content type of its
    first bytes, or an exception) before anything is kept. Nothing stays of a refused upload."""
    digest = hashlib.sha256()
    size = 0
    content_type = ""

    def chunks() -> Iterator[bytes]:
        nonlocal size, content_type
        head = b""
        for chunk in uploaded_file.chunks(_CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max(size, uploaded_file.size or 0))
            if not content_type and len(head) < _HEAD_BYTES:
                head += chunk[: _HEAD_BYTES - len(head)]
                if len(head) == _HEAD_BYTES:
                    content_type = checked_type(head)
            digest.update(chunk)
            yield chunk
        if not content_type:
            content_type = checked_type(head)

    storage_name = storage.write(chunks())
    return Stored(storage_name, content_type, size, digest.hexdigest())


# --- photos -------------------------------------------------------------------------------------

PHOTO_MAX_BYTES = 20 * 1024 * 1024
# A phone's largest photos are about 100 megapixels; a file that claims far more is a decompression
# bomb (a few kilobytes that unpack to gigabytes) and is refused from its header, before decoding.
PHOTO_MAX_PIXELS = 120_000_000
THUMBNAIL_EDGE = 320
# Every image the app decodes gets that limit (Pillow refuses beyond twice it when it opens one).
Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS
_PHOTO_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass(frozen=True)
class Photo:
    image: Stored  # the photo as kept: upright, without EXIF or other metadata
    width: int
    height: int
    thumbnail: Stored  # a JPEG at most THUMBNAIL_EDGE pixels on its longer side


def _encoded(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=90, optimize=True)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def photo_clean(raw: Stored, *, storage: Storage, max_pixels: int = PHOTO_MAX_PIXELS) -> Photo:
    """Make a photo from a phone or tablet camera safe to keep: the JPEG or PNG kept as ``raw`` (its type and
    size already checked) refused beyond PHOTO_MAX_PIXELS from its header, before decoding, turned upright by
    its EXIF orientation and written again without EXIF (which holds where it was taken) or other metadata,
    with a thumbnail. ``raw`` itself is removed, whether or not the photo could be read."""
    try:
        with storage.open(raw.storage_name) as handle:
            try:
                image = Image.open(handle)  # reads the header only; beyond twice the limit it refuses
                if image.width * image.height > max_pixels:
                    raise Image.DecompressionBombError(f"{image.width} x {image.height}")
                image.load()
            except Image.DecompressionBombError as error:
                raise ApplicationError(
                    _("The photo has more than %(limit)d megapixels; take it at a lower resolution.")
                    % {"limit": max_pixels // 1_000_000},
                    code="too_many_pixels",
                    field="file",
                    status=422,
                ) from error
            except (OSError, SyntaxError, ValueError) as error:
                raise ApplicationError(
                    _("This photo cannot be read: the file is damaged or incomplete."),
                    code="file_damaged",
                    field="file",
                    status=422,
                ) from error
            upright = ImageOps.exif_transpose(image)
            cleaned = _encoded(upright, _PHOTO_TYPES[raw.content_type])
            thumbnail = upright.copy()
            thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
            small = _encoded(thumbnail, "JPEG")
    finally:
        storage.delete(raw.storage_name)
    kept = Stored(storage.write([cleaned]), raw.content_type, len(cleaned), hashlib.sha256(cleaned).hexdigest())
    thumb = Stored(storage.write([small]), "image/jpeg", len(small), hashlib.sha256(small).hexdigest())
    return Photo(kept, upright.width, upright.height, thumb)
