"""Pages of the Excel import (wizard, job progress, downloads) and the export of the customer list."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core import selectors as core_selectors
from aftersales.core.access import can
from aftersales.core.errors import ApplicationError
from aftersales.core.routing import acting_store, active_store_id, page, request_user
from aftersales.customers import excel, selectors, services
from aftersales.customers.forms import ExportFilterForm, ImportForm
from aftersales.customers.models import ExportJob, ImportJob


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    """A job of a store the user sees (else 404) and may import in (else 403)."""
    return selectors.import_job_access(actor=request.user, job_id=job_id)


def _download(file: object, filename: str) -> FileResponse:
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=excel.XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@page("customers.import")
def import_start(request: HttpRequest) -> HttpResponse:
    store_id = active_store_id(request)
    if store_id is None:
        raise Http404(_("Not found."))
    store = core_selectors.store_get(store_id=store_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = services.import_job_create(
                    actor=request_user(request),
                    store=store,
                    upload=form.cleaned_data["file"],
                    mode=form.cleaned_data["mode"],
                    on_match=form.cleaned_data["on_match"] or ImportJob.OnMatch.SKIP,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                return redirect("customer_imports:job", job_id=job.pk)
        status = 400
    context = {
        "form": form,
        "store": store,
        "jobs": selectors.import_jobs_recent(store_id=store.pk),
        "max_mb": services.MAX_UPLOAD_BYTES >> 20,
        "queue_alive": core_selectors.queue_alive(),
    }
    return render(request, "customer_imports/start.html", context, status=status)


@require_http_methods(["GET"])
@page("customers.import")
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    queued = job.status == ImportJob.Status.QUEUED
    context = {
        "job": job,
        # Asked only while the job waits: the page polls every second.
        "queue_alive": core_selectors.queue_alive() if queued else True,
        "progress": selectors.job_progress(job),
        "active": job.status in {ImportJob.Status.QUEUED, ImportJob.Status.RUNNING},
        "saving": job.status == ImportJob.Status.RUNNING and job.total_rows and job.processed_rows >= job.total_rows,
    }
    template = "customer_imports/job.html#job-status" if request.htmx else "customer_imports/job.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET"])
@page("customers.import")
def import_errors(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job(request, job_id)
    return _download(selectors.import_error_path(job).open("rb"), f"import-{job.pk}-errors.xlsx")


@require_http_methods(["GET"])
@page("customers.import")
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(excel.template_workbook(), content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="customer-import-template.xlsx"'
    return response


@require_http_methods(["GET"])
@page("customers.export")
def customer_export(request: HttpRequest) -> HttpResponse | FileResponse:
    """The customer list as filtered on the list page (q, customer_class, home_store), as .xlsx."""
    form = ExportFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "errors/error.html", {"status": 400, "message": form.error_summary()}, status=400)
    data = form.cleaned_data
    filters = {
        "q": data["q"] or None,
        "customer_class": data["customer_class"] or None,
        "home_store": data["home_store"],
    }
    personal = can(request.user, "customers.view_personal", store_id=active_store_id(request))
    if excel.export_rows(
        q=filters["q"], customer_class=filters["customer_class"], home_store_id=filters["home_store"]
    ) > (excel.EXPORT_DIRECT_MAX):
        store = acting_store(request, permission="customers.export")
        services.export_job_create(actor=request_user(request), store=store, personal=personal, filters=filters)
        messages.info(request, _("The list is long: it is written in the background. Follow it here."))
        return redirect("core:jobs")
    file, _rows = excel.customers_export(
        actor=request_user(request),
        store_id=active_store_id(request),
        personal=personal,
        q=filters["q"],
        customer_class=filters["customer_class"],
        home_store_id=filters["home_store"],
    )
    return _download(file, f"customers-{timezone.localdate():%Y%m%d}.xlsx")


@require_http_methods(["GET"])
@page("customers.export")
def export_job(request: HttpRequest, job_id: int) -> HttpResponse | FileResponse:
    """A background export: its file once written (only to who started it), else back to "my jobs"."""
    job = ExportJob.objects.filter(pk=job_id, created_by=request_user(request)).first()
    if job is None:
        raise Http404(_("Not found."))
    if job.status != ExportJob.Status.DONE:
        return redirect("core:jobs")
    _job, path = selectors.export_job_file(actor=request_user(request), job_id=job_id)
    return _download(path.open("rb"), f"customers-{timezone.localtime(job.created_at):%Y%m%d}.xlsx")
