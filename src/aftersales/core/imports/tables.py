"""A small table uploaded whole (a supplier's delivery note, a manufacturer's confirmation file): an
Excel workbook (.xlsx) or a CSV file as the supplier's system writes it (UTF-8, with or without a BOM, or
the GB18030 that Excel on Chinese Windows saves), read into rows in the request itself."""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.imports.upload import _NOT_A_WORKBOOK, MAX_UPLOAD_BYTES
from aftersales.core.xlsx import WorkbookError, XlsxReader


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_file", field="file", status=422)


def _csv_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refused(_("The file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8 or GB18030."))


def table_rows(upload: UploadedFile, *, max_rows: int) -> list[tuple[int, list[Any]]]:
    """The rows of the uploaded .xlsx (its first sheet) or .csv, with their numbers in the file.

    Refused on ``file`` (422): larger than 20 MB, a program, PDF or old .xls, a damaged workbook, text in
    neither UTF-8 nor GB18030, or more than ``max_rows`` rows."""
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise _refused(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refused(_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
    rows: list[tuple[int, list[Any]]] = []
    if data.startswith(b"PK\x03\x04"):
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as stored:
            stored.write(data)
            stored.flush()
            try:
                with XlsxReader(Path(stored.name)) as book:
                    for number, values in book.rows():
                        rows.append((number, values))
                        if len(rows) > max_rows:
                            break
            except WorkbookError as error:
                raise _refused(str(error)) from None
    else:
        known = next((message for magic, message in _NOT_A_WORKBOOK if data.startswith(magic)), None)
        if known is not None:
            raise _refused(str(known))
        if b"\x00" in data:
            raise _refused(_("The file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8 or GB18030."))
        text = _csv_text(data)
        dialect: type[csv.Dialect] = csv.excel
        with contextlib.suppress(csv.Error):  # one column, or nothing to tell by: commas
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), 1):
            rows.append((number, list(values)))
            if len(rows) > max_rows:
                break
    if len(rows) > max_rows:
        raise _refused(_("The file has more than %(n)s rows.") % {"n": max_rows})
    return rows
