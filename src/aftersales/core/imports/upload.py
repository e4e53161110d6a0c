"""An uploaded workbook, checked and stored before its import job is queued."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.errors import ApplicationError
from aftersales.core.xlsx import WorkbookError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# What the first bytes of common files say, to tell the user what they sent instead of a workbook.
_NOT_A_WORKBOOK: tuple[tuple[bytes, Any], ...] = (
    (
        b"\xd0\xcf\x11\xe0",
        gettext_lazy("This is an old Excel 97-2003 workbook (.xls); save it as .xlsx and upload again."),
    ),
    (b"MZ", gettext_lazy("This is a Windows program, not an Excel workbook (.xlsx).")),
    (b"\x7fELF", gettext_lazy("This is a Linux program, not an Excel workbook (.xlsx).")),
    (b"%PDF-", gettext_lazy("This is a PDF document, not an Excel workbook (.xlsx).")),
)


def imports_dir() -> Path:
    """Where uploads and error reports are kept: under the data directory, outside the web root."""
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _file_error(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_file", field="file", status=422)


def safe_name(name: str) -> str:
    base = unicodedata.normalize("NFC", Path(name or "").name).strip()
    base = re.sub(r"[^\w\s.()（）\-]", "_", base)[:200]
    return base or "import.xlsx"


def upload_store(upload: UploadedFile, folder: Path, check: Callable[[Path], object]) -> tuple[str, str]:
    """Store an upload in ``folder`` and check it; return its stored name and its safe file name.

    Refused (ApplicationError on ``file``, nothing kept) when it is larger than 20 MB, is not an .xlsx
    workbook by its content, or ``check`` (which opens it, e.g. to read the header) raises WorkbookError.
    The caller deletes the stored file if what it does next fails."""
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
    upload.seek(0)
    head = upload.read(8)
    if not head.startswith(b"PK\x03\x04"):
        known = next((message for magic, message in _NOT_A_WORKBOOK if head.startswith(magic)), None)
        raise _file_error(str(known) if known else _("The file is not an Excel workbook (.xlsx)."))
    storage_name = f"{secrets.token_hex(16)}.xlsx"
    path = folder / storage_name
    size = 0
    upload.seek(0)
    with path.open("xb") as target:
        for chunk in upload.chunks():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                break
            target.write(chunk)
    try:
        if size > MAX_UPLOAD_BYTES:
            raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
        try:
            check(path)
        except WorkbookError as error:
            raise _file_error(str(error)) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return storage_name, safe_name(upload.name or "")
