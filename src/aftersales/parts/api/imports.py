"""The go-live import: templates, uploads (run as background jobs), job progress, error reports."""

from datetime import date
from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.imports import error_report_path
from aftersales.core.imports.api import ImportJobBaseOut, import_job_base_out
from aftersales.core.money import from_fen
from aftersales.core.routing import acting_store, operation, request_user
from aftersales.core.xlsx import XLSX_CONTENT_TYPE
from aftersales.parts.imports.layouts import LAYOUTS, TEMPLATE_NAMES
from aftersales.parts.models import StockImportJob
from aftersales.parts.selectors.imports import stock_import_access
from aftersales.parts.services import stock_import_create

router = Router(tags=["go-live import"])
Kind = Literal["parts", "opening_stock", "prices"]


def _xlsx(description: str) -> dict[str, Any]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": description, "content": {XLSX_CONTENT_TYPE: binary}}}}


class StockImportOut(ImportJobBaseOut):
    kind: Kind
    go_live: date | None
    created_rows: int = Field(description="Parts created, stock lines received or prices set (a dry run: would be).")
    matched_rows: int = Field(description="Parts already in the master (their empty fields filled).")
    created_bins: int = Field(description="Bins the opening stock added to their warehouses.")
    value: str = Field(description="The opening stock's value received, in yuan.")
    document_no: str = Field(description="The opening stock's receipt number.")


def job_out(job: StockImportJob) -> dict[str, Any]:
    return {
        **import_job_base_out(job, errors_url=reverse("api:stock_import_errors", kwargs={"job_id": job.pk})),
        "kind": job.kind,
        "go_live": job.go_live,
        "created_rows": job.created_rows,
        "matched_rows": job.matched_rows,
        "created_bins": job.created_bins,
        "value": str(from_fen(job.value_fen)),
        "document_no": job.document_no,
    }


class TemplateQuery(InputSchema):
    kind: Kind


@router.get(
    "/stock/imports/template",
    response={200: None, **ERRORS},
    openapi_extra=_xlsx("The template of one kind of go-live file: one row per part, stock line or price."),
)
@operation("stock.import")
def stock_import_template(request: HttpRequest, query: Query[TemplateQuery]) -> HttpResponse:
    response = HttpResponse(LAYOUTS[query.kind].template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAMES[query.kind]}"'
    return response


class StockImportIn(InputSchema):
    kind: Kind = Field(description="What the file holds: the part master, opening stock, or prices.")
    mode: Literal["valid_rows", "all_or_nothing"] = "valid_rows"
    dry_run: bool = False
    go_live: date | None = Field(
        default=None,
        description="Opening stock is received on this date (not in the future or a closed month), and "
        "prices without a date of their own start on it; empty: today.",
    )


@router.post("/stock/imports", response={202: StockImportOut, **ERRORS})
@operation("stock.import")
def stock_import_upload(
    request: HttpRequest, file: File[UploadedFile], payload: Form[StockImportIn]
) -> Status[dict[str, Any]]:
    """Upload a filled template (.xlsx, at most 20 MB) into your active store; the import runs in the
    background: poll the job for its progress. A price list's rows also need the right to set those
    prices (a store's: ``prices.manage`` there; the group's: ``prices.guide``)."""
    job = stock_import_create(
        actor=request_user(request),
        store=acting_store(request, permission="stock.import"),
        kind=payload.kind,
        upload=file,
        mode=payload.mode,
        dry_run=payload.dry_run,
        go_live=payload.go_live,
    )
    return Status(202, job_out(job))


@router.get("/stock/imports/{id:job_id}", response={200: StockImportOut, **ERRORS})
@operation("stock.import")
def stock_import_job(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return job_out(stock_import_access(actor=request.user, job_id=job_id))


@router.get(
    "/stock/imports/{id:job_id}/errors",
    response={200: None, **ERRORS},
    openapi_extra=_xlsx("The rows with errors as uploaded, each with its errors by column; fix and upload again."),
)
@operation("stock.import")
def stock_import_errors(request: HttpRequest, job_id: int) -> FileResponse:
    job = stock_import_access(actor=request.user, job_id=job_id)
    response = FileResponse(
        error_report_path(job).open("rb"),
        as_attachment=True,
        filename=f"stock-import-{job.pk}-errors.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response
