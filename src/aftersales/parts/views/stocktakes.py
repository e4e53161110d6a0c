"""Pages of stocktakes: plan one, count at the shelf (scanner input), settle double counts, review the
variances, approve and post; the blind count sheet to print."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core import selectors as core_selectors
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import form_run
from aftersales.core.routing import acting_store, can_here, page, page_store, request_user
from aftersales.parts import documents
from aftersales.parts.forms import CountForm, LinesFilterForm, ResolveForm, StocktakeForm
from aftersales.parts.models import Bin, Stocktake, StocktakeLine, Warehouse
from aftersales.parts.services import part_for_store
from aftersales.parts.services import stocktakes as services


def _stocktake(request: HttpRequest, stocktake_id: int) -> Stocktake:
    row = Stocktake.objects.select_related("store").filter(pk=stocktake_id, store=page_store(request)).first()
    if row is None:
        raise Http404
    return row


@require_http_methods(["GET", "POST"])
@page("parts.view")
def stocktake_list(request: HttpRequest) -> HttpResponse:
    """The store's stocktakes; planning a new one (with ``stock.move``)."""
    store = page_store(request)
    warehouses = [(str(w.pk), str(w)) for w in Warehouse.objects.filter(store=store).order_by("code")]
    form = StocktakeForm(request.POST or None, warehouses=warehouses, initial={"blind": True})
    status = 200
    if request.method == "POST":
        acting_store(request, permission="stock.move")
        if form.is_valid():
            actor, data = request_user(request), form.cleaned_data
            saved, row = form_run(
                form,
                lambda: services.stocktake_create(
                    actor=actor,
                    store_id=store.pk,
                    kind=data["kind"],
                    blind=data["blind"],
                    scope=services.Scope(
                        warehouse_id=int(data["warehouse"]) if data["warehouse"] else None,
                        bin_from=data["bin_from"],
                        bin_to=data["bin_to"],
                        abc_class=data["abc_class"],
                        category=data["category"],
                    ),
                ),
            )
            if saved:
                messages.success(request, _("Stocktake %(number)s is planned.") % {"number": row.number})
                return redirect("parts:stocktake", stocktake_id=row.pk)
        status = 400
    rows = Stocktake.objects.filter(store=store).order_by("-created_at")
    page_obj = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "parts/stocktakes.html",
        {"form": form, "page_obj": page_obj, "can_plan": can_here(request, "stock.move")},
        status=status,
    )


LINE_FILTERS = ("all", "open", "variance")
LINES_PER_PAGE = 200


def _detail(
    request: HttpRequest,
    row: Stocktake,
    *,
    count_form: CountForm | None = None,
    resolve_form: ResolveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    bins = sorted(
        {(str(bin_id), str(bin_)) for bin_id, bin_ in _bins_of(row)},
        key=lambda item: item[1],
    )
    shown = not row.blind or row.status != Stocktake.Status.COUNTING
    all_lines = row.lines.all()
    totals = all_lines.aggregate(
        lines=Count("pk"),
        counted=Count("pk", filter=Q(counted__isnull=False)),
        conflicts=Count("pk", filter=Q(recount__isnull=False)),
    )
    show = request.GET.get("show", "all")
    lines = all_lines.select_related("part", "bin__warehouse").order_by("bin__code", "part__number")
    if show == "open":  # still to count, or counted twice differently
        lines = lines.filter(Q(counted__isnull=True) | Q(recount__isnull=False))
    elif show == "variance" and shown:
        lines = lines.filter(counted__isnull=False, book__isnull=False).exclude(counted=F("book"))
    page_obj = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    progress = min(99, row.post_done * 100 // row.post_total) if row.post_total else 0
    context = {
        "stocktake": row,
        "page_obj": page_obj,
        "lines": [
            (
                line,
                line.counted - line.book if shown and line.counted is not None and line.book is not None else None,
                services.variance_value_fen(line) if shown else None,
            )
            for line in page_obj
        ],
        "show": show,
        "filters": [(key, label) for key, label in _filter_labels() if key != "variance" or shown],
        "shown": shown,
        "totals": totals,
        "gain_loss": services.variance_totals(row) if shown else None,
        "counted": totals["counted"],
        "posting": row.status == Stocktake.Status.POSTING,
        # Asked only while the job runs: the page polls every second.
        "queue_alive": core_selectors.queue_alive() if row.status == Stocktake.Status.POSTING else True,
        "progress": 100 if row.status == Stocktake.Status.POSTED else progress,
        "saving": row.status == Stocktake.Status.POSTING and row.post_total and row.post_done >= row.post_total,
        "count_form": count_form or CountForm(bins=bins, initial={"bin": request.GET.get("bin", "")}),
        "resolve_form": resolve_form,
        "can_count": row.status == Stocktake.Status.COUNTING and can_here(request, "stock.move"),
        "can_approve": row.status == Stocktake.Status.COUNTING and can_here(request, "stock.adjust"),
        "can_post": row.status == Stocktake.Status.APPROVED and can_here(request, "stock.adjust"),
        "can_cancel": row.status in (Stocktake.Status.COUNTING, Stocktake.Status.APPROVED)
        and can_here(request, "stock.adjust"),
    }
    template = "parts/stocktake_detail.html"
    if request.htmx and request.GET.get("part") == "status":  # type: ignore[attr-defined]
        template += "#stocktake-status"
    return render(request, template, context, status=status)


def _filter_labels() -> list[tuple[str, str]]:
    return [("all", _("All lines")), ("open", _("To count")), ("variance", _("Variances"))]


def _bins_of(row: Stocktake) -> list[tuple[int, str]]:
    """The bins of the stocktake's scope, for the count form (one query, however many lines)."""
    bins = Bin.objects.filter(pk__in=row.lines.values("bin_id")).select_related("warehouse")
    return [(bin_.pk, str(bin_)) for bin_ in bins]


@require_http_methods(["GET"])
@page("parts.view")
def stocktake_detail(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    form = LinesFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "errors/error.html", {"status": 400, "message": form.error_summary()}, status=400)
    return _detail(request, _stocktake(request, stocktake_id))


@require_http_methods(["POST"])
@page("stock.move")
def stocktake_count(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    """One count from the shelf; the page comes back ready for the next scan."""
    row = _stocktake(request, stocktake_id)
    bins = [(str(b.pk), str(b)) for b in Bin.objects.filter(store=row.store).select_related("warehouse")]
    form = CountForm(request.POST, bins=bins)
    if form.is_valid():
        data = form.cleaned_data
        try:
            part = part_for_store(row.store, data["part"], field="part")
        except ApplicationError as error:
            form.add_service_errors(error)
        else:
            actor = request_user(request)
            saved, result = form_run(
                form,
                lambda: services.stocktake_count(
                    actor=actor,
                    stocktake_id=row.pk,
                    entries=[services.CountEntry(part.pk, int(data["bin"]), data["quantity"], data["reason"])],
                ),
            )
            if saved:
                if result.conflicts:
                    messages.warning(
                        request,
                        _("%(part)s was counted before with another quantity: say which is right.")
                        % {"part": part.number_display},
                    )
                else:
                    messages.success(request, _("Counted %(part)s.") % {"part": part.number_display})
                # Back ready for the next scan in the same bin.
                return redirect(f"{reverse('parts:stocktake', args=[row.pk])}?bin={int(data['bin'])}")
    return _detail(request, row, count_form=form, status=400)


@require_http_methods(["POST"])
@page("stock.move")
def stocktake_resolve(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    row = _stocktake(request, stocktake_id)
    form = ResolveForm(request.POST)
    if form.is_valid() and StocktakeLine.objects.filter(pk=form.cleaned_data["line"], stocktake=row).exists():
        actor = request_user(request)
        saved, _line = form_run(
            form,
            lambda: services.stocktake_resolve(
                actor=actor, line_id=form.cleaned_data["line"], quantity=form.cleaned_data["quantity"]
            ),
        )
        if saved:
            return redirect("parts:stocktake", stocktake_id=row.pk)
    elif form.is_valid():
        form.add_error("line", _("Not found."))
    return _detail(request, row, resolve_form=form, status=400)


def _act(request: HttpRequest, stocktake_id: int, action: Any, done: str) -> HttpResponse:
    row = _stocktake(request, stocktake_id)
    try:
        action(actor=request_user(request), stocktake_id=row.pk)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return _detail(request, row, status=error.status)
    messages.success(request, done)
    return redirect("parts:stocktake", stocktake_id=row.pk)


@require_http_methods(["POST"])
@page("stock.adjust")
def stocktake_approve(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    return _act(request, stocktake_id, services.stocktake_approve, _("The stocktake is approved."))


@require_http_methods(["POST"])
@page("stock.adjust")
def stocktake_post(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    return _act(request, stocktake_id, services.stocktake_post, _("Posting: every line is checked first, then posted."))


@require_http_methods(["POST"])
@page("stock.adjust")
def stocktake_reopen(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    return _act(request, stocktake_id, services.stocktake_reopen, _("The stocktake is counting again."))


@require_http_methods(["POST"])
@page("stock.adjust")
def stocktake_cancel(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    return _act(request, stocktake_id, services.stocktake_cancel, _("The stocktake is cancelled."))


@require_http_methods(["GET"])
@page("parts.view")
def stocktake_sheet(request: HttpRequest, stocktake_id: int) -> HttpResponse:
    """The count sheet to print: bins and parts in shelf order, blank count boxes, no book quantities."""
    row = _stocktake(request, stocktake_id)
    user = request_user(request)
    response = HttpResponse(
        documents.count_sheet_pdf(row, printed_by=user.full_name or user.username), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{row.number}.pdf"'
    return response
