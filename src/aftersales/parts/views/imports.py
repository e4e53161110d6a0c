"""Pages of the go-live import: the templates, the upload, the job's progress and its error report."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from aftersales.core import selectors as core_selectors
from aftersales.core.errors import ApplicationError
from aftersales.core.imports import error_report_path, job_progress, job_saving
from aftersales.core.routing import page, page_store, request_user
from aftersales.core.xlsx import XLSX_CONTENT_TYPE
from aftersales.parts.forms import StockImportForm
from aftersales.parts.imports.layouts import LAYOUTS, TEMPLATE_NAMES
from aftersales.parts.models import StockImportJob
from aftersales.parts.selectors.imports import stock_import_access, stock_imports_recent
from aftersales.parts.services import stock_import_create


def _download(file: object, filename: str) -> FileResponse:
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@page("stock.import")
def import_start(request: HttpRequest) -> HttpResponse:
    """Upload a go-live file (part master, opening stock, prices); the kinds the person may import."""
    store = page_store(request)
    kinds = StockImportJob.Kind.choices
    form = StockImportForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = stock_import_create(
                    actor=request_user(request),
                    store=store,
                    kind=data["kind"],
                    upload=data["file"],
                    mode=data["mode"],
                    dry_run=data["dry_run"],
                    go_live=data["go_live"],
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                return redirect("parts:import_job", job_id=job.pk)
        status = 400
    context = {
        "form": form,
        "store": store,
        "kinds": kinds,
        "jobs": stock_imports_recent(store_id=store.pk),
        "queue_alive": core_selectors.queue_alive(),
    }
    return render(request, "parts/imports.html", context, status=status)


@require_http_methods(["GET"])
@page("stock.import")
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = stock_import_access(actor=request.user, job_id=job_id)
    active = job.status in {StockImportJob.Status.QUEUED, StockImportJob.Status.RUNNING}
    context = {
        "job": job,
        "queue_alive": core_selectors.queue_alive() if job.status == StockImportJob.Status.QUEUED else True,
        "progress": job_progress(job),
        "active": active,
        "saving": job_saving(job),
    }
    template = "parts/import_job.html#job-status" if request.htmx else "parts/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET"])
@page("stock.import")
def import_errors(request: HttpRequest, job_id: int) -> FileResponse:
    job = stock_import_access(actor=request.user, job_id=job_id)
    return _download(error_report_path(job).open("rb"), f"stock-import-{job.pk}-errors.xlsx")


@require_http_methods(["GET"])
@page("stock.import")
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in LAYOUTS:
        raise Http404
    response = HttpResponse(LAYOUTS[kind].template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAMES[kind]}"'
    return response
