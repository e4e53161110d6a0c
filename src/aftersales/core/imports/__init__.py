"""The import pattern every area's Excel import follows: a template per sheet layout (``layout``), the
upload checked and stored before its job is queued (``upload``), each row's cells read and checked with
every problem of the row reported at once (``cells``), the bad rows written to an error report with
their source row and what is wrong per column (``report``), and the job claimed once, run in the
uploader's language and followed by its progress (``jobs``). A job is a dry run or real, and imports
the valid rows or, all or nothing, refuses the file if any row is wrong. The customer archive's import
and the go-live import of parts and stock are built on it."""

from aftersales.core.imports.cells import Cells, Row, cell_text, number_text
from aftersales.core.imports.jobs import Spill, error_report_path, job_fail, job_progress, job_run, job_saving
from aftersales.core.imports.layout import ERRORS_HEADER, ROW_HEADER, Column, Layout, Sheet, first_row, header_key
from aftersales.core.imports.report import ErrorReport
from aftersales.core.imports.tables import table_rows
from aftersales.core.imports.upload import MAX_UPLOAD_BYTES, imports_dir, safe_name, upload_store

__all__ = [
    "ERRORS_HEADER",
    "MAX_UPLOAD_BYTES",
    "ROW_HEADER",
    "Cells",
    "Column",
    "ErrorReport",
    "Layout",
    "Row",
    "Sheet",
    "Spill",
    "cell_text",
    "error_report_path",
    "first_row",
    "header_key",
    "imports_dir",
    "job_fail",
    "job_progress",
    "job_run",
    "job_saving",
    "number_text",
    "safe_name",
    "table_rows",
    "upload_store",
]
