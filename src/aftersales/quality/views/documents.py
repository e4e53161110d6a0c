"""The quality area's printed documents in the browser: the final inspection sheet and the release
certificate of an order, the delivery sheet and the repair guarantee card of a visit; each of a record of
the page's store (404 for any other, and before the document exists)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from aftersales.core.routing import page, request_user
from aftersales.quality import documents
from aftersales.quality.models import FinalInspection
from aftersales.visits.documents import pdf_response
from aftersales.visits.views.base import order_of, visit_of

PERMISSION = "quality.view"


def _printed_by(request: HttpRequest) -> str:
    user = request_user(request)
    return user.full_name or user.username


def _inspection(request: HttpRequest, order_id: int) -> FinalInspection:
    """The order's inspection named by ``?inspection=``, else its latest; 404 when there is none."""
    inspections = FinalInspection.objects.filter(order_id=order_id).select_related("inspector")
    wanted = request.GET.get("inspection")
    if wanted is not None:
        if not (wanted.isascii() and wanted.isdigit()):
            raise Http404
        inspections = inspections.filter(pk=int(wanted))
    inspection = inspections.order_by("-at", "-pk").first()
    if inspection is None:
        raise Http404
    return inspection


@require_GET
@page(PERMISSION)
def qc_sheet(request: HttpRequest, order_id: int) -> HttpResponse:
    """The final inspection sheet (总检单) of an order: the inspection asked for, else the latest."""
    order = order_of(request, order_id)
    inspection = _inspection(request, order.pk)
    return pdf_response(
        documents.qc_sheet_pdf(order, inspection, printed_by=_printed_by(request)), f"{order.number}-qc.pdf"
    )


@require_GET
@page(PERMISSION)
def certificate(request: HttpRequest, order_id: int) -> HttpResponse:
    """The release certificate (机动车维修竣工出厂合格证) of an order; 404 when it has none."""
    order = order_of(request, order_id)
    return pdf_response(
        documents.certificate_pdf(order, printed_by=_printed_by(request)), f"{order.number}-certificate.pdf"
    )


@require_GET
@page(PERMISSION)
def delivery_sheet(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The delivery sheet (交车单) of a visit; 404 before the delivery."""
    visit = visit_of(request, visit_id)
    return pdf_response(
        documents.delivery_sheet_pdf(visit, printed_by=_printed_by(request)), f"{visit.number}-delivery.pdf"
    )


@require_GET
@page(PERMISSION)
def guarantee_card(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The repair guarantee card (质量保证卡) of a visit; 404 before the delivery."""
    visit = visit_of(request, visit_id)
    return pdf_response(
        documents.guarantee_card_pdf(visit, printed_by=_printed_by(request)), f"{visit.number}-guarantee.pdf"
    )
