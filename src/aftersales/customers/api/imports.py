"""Excel import / export API: the template, uploads (run as background jobs), job progress, error
reports and the export of the customer list."""

from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from aftersales.core.access import can
from aftersales.core.api import ERRORS
from aftersales.core.apikit import InputSchema
from aftersales.core.imports.api import ImportJobBaseOut, import_job_base_out
from aftersales.core.routing import acting_store, active_store_id, operation, request_user
from aftersales.customers import excel, selectors, services
from aftersales.customers.models import ImportJob

router = Router(tags=["import / export"])
OPENAPI_ID_PREFIX = "aftersales.customers.api_imports"  # operation ids as published before the api/ package


def _xlsx(description: str) -> dict[str, Any]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": description, "content": {excel.XLSX_CONTENT_TYPE: binary}}}}


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    """A job of a store the user sees (else 404) and may import in (else 403)."""
    return selectors.import_job_access(actor=request.user, job_id=job_id)


def _download(file: Any, filename: str) -> FileResponse:
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=excel.XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


class ImportJobOut(ImportJobBaseOut):
    on_match: Literal["skip", "update", "create"]
    created_customers: int = Field(description="Customers imported (a dry run: customers that would be).")
    created_vehicles: int = Field(description="Vehicles imported (a dry run: vehicles that would be).")
    matched_rows: int = Field(description="Rows whose customer was already in the archive.")
    updated_customers: int = Field(description="Customers in the archive whose empty fields rows filled.")


def job_out(job: ImportJob) -> dict[str, Any]:
    return {
        **import_job_base_out(job, errors_url=reverse("api:import_errors", kwargs={"job_id": job.pk})),
        "on_match": job.on_match,
        "created_customers": job.created_customers,
        "created_vehicles": job.created_vehicles,
        "matched_rows": job.matched_rows,
        "updated_customers": job.updated_customers,
    }


@router.get(
    "/customers/import/template",
    response={200: None, **ERRORS},
    openapi_extra=_xlsx("The import template: one sheet, one row per customer with at most one vehicle."),
)
@operation("customers.import")
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(excel.template_workbook(), content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="customer-import-template.xlsx"'
    return response


class ImportUploadIn(InputSchema):
    mode: Literal["valid_rows", "all_or_nothing"] = "valid_rows"
    on_match: Literal["skip", "update", "create"] = Field(
        default="skip",
        description="A row whose customer is already in the archive (same resident ID, credit code, or name "
        "and mobile): skip it (reported), fill that customer's empty fields (a different value is reported), "
        "or create a new customer (not for a resident ID or credit code, which are one person's).",
    )
    dry_run: bool = False


@router.post("/customers/import", response={202: ImportJobOut, **ERRORS})
@operation("customers.import")
def import_upload(
    request: HttpRequest, file: File[UploadedFile], payload: Form[ImportUploadIn]
) -> Status[dict[str, Any]]:
    """Upload a filled template (.xlsx, at most 20 MB) into your active store; the import runs in the
    background: poll the job for its progress."""
    job = services.import_job_create(
        actor=request_user(request),
        store=acting_store(request, permission="customers.import"),
        upload=file,
        mode=payload.mode,
        on_match=payload.on_match,
        dry_run=payload.dry_run,
    )
    return Status(202, job_out(job))


@router.get("/customers/import/{id:job_id}", response={200: ImportJobOut, **ERRORS})
@operation("customers.import")
def import_job(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return job_out(_job(request, job_id))


@router.get(
    "/customers/import/{id:job_id}/errors",
    response={200: None, **ERRORS},
    openapi_extra=_xlsx("The rows with errors as uploaded, each with its errors by column; fix and upload again."),
)
@operation("customers.import")
def import_errors(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job(request, job_id)
    return _download(selectors.import_error_path(job).open("rb"), f"import-{job.pk}-errors.xlsx")


class ExportQuery(InputSchema):
    q: str | None = Field(
        default=None, max_length=50, description="Plate, VIN, mobile, name, pinyin initials or number."
    )
    customer_class: Literal["vip", "regular", "fleet", "lapsed"] | None = None
    home_store: int | None = None


class ExportJobOut(Schema):
    job_id: int
    status: str
    url: str = Field(description="Where the file is downloaded once written (the job: GET /api/v1/me/jobs).")


@router.get(
    "/customers/export",
    response={200: None, 202: ExportJobOut, **ERRORS},
    openapi_extra=_xlsx(
        "The filtered customer list with current vehicles; personal data masked by role. Audited. A list of "
        "more than 20,000 customers is written in the background instead: 202 with the job."
    ),
)
@operation("customers.export")
def customers_export(request: HttpRequest, query: Query[ExportQuery]) -> Any:
    personal = can(request.user, "customers.view_personal", store_id=active_store_id(request))
    if excel.export_rows(q=query.q, customer_class=query.customer_class, home_store_id=query.home_store) > (
        excel.EXPORT_DIRECT_MAX
    ):
        job = services.export_job_create(
            actor=request_user(request),
            store=acting_store(request, permission="customers.export"),
            personal=personal,
            filters={"q": query.q, "customer_class": query.customer_class, "home_store": query.home_store},
        )
        url = reverse("customer_imports:export_job", kwargs={"job_id": job.pk})
        return Status(202, {"job_id": job.pk, "status": job.status, "url": url})
    file, _rows = excel.customers_export(
        actor=request_user(request),
        store_id=active_store_id(request),
        personal=personal,
        q=query.q,
        customer_class=query.customer_class,
        home_store_id=query.home_store,
    )
    return _download(file, f"customers-{timezone.localdate():%Y%m%d}.xlsx")
