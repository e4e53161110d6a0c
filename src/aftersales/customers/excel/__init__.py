"""Excel import and export of the archive: the template, the upload, the import job, the export.

One row of the sheet 客户及车辆 is one customer with at most one vehicle. Rows are read as a stream
(``aftersales.core.xlsx``), validated with the rules of ``services.customer_clean`` and the
identifier cleaners (``checking``; the checks that need the database, VIN and credit-code clashes,
run once per batch of rows instead of once per row), and the valid rows are written in bulk in one
transaction (``saving``) by the import job (``importing``).

An upload is checked by its content and by opening it with the reader (package, workbook, first
sheet, header row) before its job is queued (``services.import_job_create``); a sheet damaged
further down fails the job with a message. The template (styles, notes, drop-down lists) is written with openpyxl
(``template``); error reports and exports (``exporting``), which can be large, with the streaming
``XlsxWriter``.
"""

from aftersales.core.xlsx import XLSX_CONTENT_TYPE, WorkbookError, XlsxReader, XlsxWriter
from aftersales.customers.excel.columns import COLUMN_BY_KEY, COLUMNS, SHEET_TITLE, Column
from aftersales.customers.excel.exporting import (
    EXPORT_DIRECT_MAX,
    EXPORT_HEADERS,
    customers_export,
    export_job_run,
    export_rows,
    exports_dir,
)
from aftersales.customers.excel.importing import ImportResult, import_run
from aftersales.customers.excel.template import template_workbook

__all__ = [
    "COLUMNS",
    "COLUMN_BY_KEY",
    "EXPORT_DIRECT_MAX",
    "EXPORT_HEADERS",
    "SHEET_TITLE",
    "XLSX_CONTENT_TYPE",
    "Column",
    "ImportResult",
    "WorkbookError",
    "XlsxReader",
    "XlsxWriter",
    "customers_export",
    "export_job_run",
    "export_rows",
    "exports_dir",
    "import_run",
    "template_workbook",
]
