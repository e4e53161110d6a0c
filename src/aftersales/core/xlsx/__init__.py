"""Reading and writing .xlsx workbooks as streams, for imports and exports of any business area:
``reading`` (``XlsxReader``) and ``writing`` (``XlsxWriter``)."""

from aftersales.core.xlsx.reading import (
    MAX_UNPACKED_BYTES,
    XLSX_CONTENT_TYPE,
    WorkbookError,
    XlsxReader,
    column_index,
    column_letter,
)
from aftersales.core.xlsx.writing import XlsxWriter

__all__ = [
    "MAX_UNPACKED_BYTES",
    "XLSX_CONTENT_TYPE",
    "WorkbookError",
    "XlsxReader",
    "XlsxWriter",
    "column_index",
    "column_letter",
]
