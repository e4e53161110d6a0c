"""Uploaded files for every area: what a file is (from its first bytes, never its name or the type the
browser sent), a safe name to show, and its bytes counted and kept in a ``Storage`` as they arrive."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.media.storage import LocalStorage, Storage, local_storage

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


__all__ = [
    "ACCEPTED",
    "LocalStorage",
    "Storage",
    "Stored",
    "describe_content",
    "detect_content_type",
    "local_storage",
    "sanitize_file_name",
    "store_upload",
]
