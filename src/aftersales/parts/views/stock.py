"""Pages of a store's stock: the moves ledger, stock as of a date, warehouses and bins with their labels,
receiving, the parts desk (issues), reservations and month closing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.errors import ApplicationError
from aftersales.core.forms import form_run
from aftersales.core.models import StaffMembership, Store
from aftersales.core.routing import acting_store, can_here, page, page_store, request_user
from aftersales.parts import documents, services
from aftersales.parts.forms import (
    AsOfForm,
    BinsForm,
    CloseMonthForm,
    CycleForm,
    IssueForm,
    MovesFilterForm,
    ReceiptForm,
    WarehouseForm,
)
from aftersales.parts.models import Bin, Part, Warehouse, part_number_normalise
from aftersales.parts.selectors import stock as selectors
from aftersales.parts.services import ReceiptLine


def _warehouse_choices(store: Store) -> list[tuple[str, str]]:
    return [(str(w.pk), str(w)) for w in Warehouse.objects.filter(store=store).order_by("code")]


@require_http_methods(["GET"])
@page("parts.view")
def move_list(request: HttpRequest) -> HttpResponse:
    """The active store's moves ledger, newest first, with filters."""
    store = page_store(request)
    form = MovesFilterForm(request.GET or None, warehouses=_warehouse_choices(store))
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        if data["part"]:
            part = Part.objects.filter(group_id=store.group_id, number=part_number_normalise(data["part"])).first()
            filters["part_id"] = part.pk if part else -1
        filters.update(
            kind=data["kind"] or None,
            warehouse_id=int(data["warehouse"]) if data["warehouse"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            document_no=data["document_no"] or None,
        )
    rows = selectors.moves(store_ids=[store.pk], **filters)
    page_obj = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "parts/moves.html",
        {"form": form, "page_obj": page_obj, "store": store, "query": query.urlencode()},
        status=400 if request.GET and not form.is_valid() else 200,
    )


@require_http_methods(["GET"])
@page("parts.view")
def stock_as_of(request: HttpRequest) -> HttpResponse:
    """The store's stock at the end of a day: the last closed month's snapshot plus the moves after it."""
    store = page_store(request)
    form = AsOfForm(request.GET or None, initial={"date": timezone.localdate()})
    day = form.cleaned_data["date"] if form.is_valid() else timezone.localdate()
    rows = selectors.stock_as_of(store_id=store.pk, on=day)
    keys = sorted(rows)
    page_obj = Paginator(keys, 100).get_page(request.GET.get("page"))
    parts = Part.objects.in_bulk({part for part, _bin in page_obj})
    bins = Bin.all_objects.select_related("warehouse").in_bulk({bin_id for _part, bin_id in page_obj})
    closing = selectors.last_closing(store.pk, on_or_before=day)
    return render(
        request,
        "parts/as_of.html",
        {
            "form": form,
            "store": store,
            "day": day,
            "closing": closing,
            "lines": len(rows),
            "value": Decimal(sum(value for _q, value in rows.values())) / 100,
            "page_obj": page_obj,
            "rows": [
                (parts[part], bins[bin_id], rows[(part, bin_id)][0], Decimal(rows[(part, bin_id)][1]) / 100)
                for part, bin_id in page_obj
            ],
            "date_query": f"date={day.isoformat()}",
        },
        status=400 if request.GET and not form.is_valid() else 200,
    )


@require_http_methods(["GET", "POST"])
@page("parts.view")
def warehouses(request: HttpRequest) -> HttpResponse:
    """The store's warehouses with their bins; a new warehouse or bins (with ``warehouses.manage``)."""
    store = page_store(request)
    form = WarehouseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        acting_store(request, permission="warehouses.manage")
        if form.is_valid():
            actor = request_user(request)
            saved, warehouse = form_run(
                form,
                lambda: services.warehouse_save(
                    actor=actor, store_id=store.pk, code=form.cleaned_data["code"], name=form.cleaned_data["name"]
                ),
            )
            if saved:
                messages.success(request, _("Warehouse %(code)s is open.") % {"code": warehouse.code})
                return redirect("parts:warehouses")
        status = 400
    return _warehouses_page(request, store, form=form, status=status)


def _warehouses_page(
    request: HttpRequest,
    store: Store,
    *,
    form: WarehouseForm | None = None,
    bins_form: BinsForm | None = None,
    bins_for: int | None = None,
    cycle_form: CycleForm | None = None,
    cycle_for: int | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = Warehouse.objects.filter(store=store).prefetch_related("bins").order_by("code")
    return render(
        request,
        "parts/warehouses.html",
        {
            "form": form or WarehouseForm(),
            "warehouses": rows,
            "bins_form": bins_form or BinsForm(),
            "bins_for": bins_for,
            "cycle_form": cycle_form,
            "cycle_for": cycle_for,
            "can_manage": can_here(request, "warehouses.manage"),
        },
        status=status,
    )


@require_http_methods(["POST"])
@page("warehouses.manage")
def warehouse_cycle(request: HttpRequest, warehouse_id: int) -> HttpResponse:
    store = page_store(request)
    warehouse = Warehouse.objects.filter(pk=warehouse_id, store=store).first()
    if warehouse is None:
        raise Http404
    form = CycleForm(request.POST)
    if form.is_valid():
        actor = request_user(request)
        saved, _row = form_run(
            form,
            lambda: services.warehouse_cycle_set(
                actor=actor, warehouse_id=warehouse.pk, cycle_days=form.cleaned_data["cycle_days"]
            ),
        )
        if saved:
            messages.success(request, _("The cycle counts of %(code)s are set.") % {"code": warehouse.code})
            return redirect("parts:warehouses")
    return _warehouses_page(request, store, cycle_form=form, cycle_for=warehouse.pk, status=400)


@require_http_methods(["POST"])
@page("warehouses.manage")
def warehouse_bins(request: HttpRequest, warehouse_id: int) -> HttpResponse:
    store = page_store(request)
    warehouse = Warehouse.objects.filter(pk=warehouse_id, store=store).first()
    if warehouse is None:
        raise Http404
    form = BinsForm(request.POST)
    if form.is_valid():
        actor = request_user(request)
        saved, bins = form_run(
            form, lambda: services.bins_create(actor=actor, warehouse_id=warehouse.pk, codes=form.code_list())
        )
        if saved:
            messages.success(
                request, _("%(n)s bins added to %(warehouse)s.") % {"n": len(bins), "warehouse": warehouse}
            )
            return redirect("parts:warehouses")
    return _warehouses_page(request, store, bins_form=form, bins_for=warehouse.pk, status=400)


@require_http_methods(["GET"])
@page("parts.view")
def warehouse_labels(request: HttpRequest, warehouse_id: int) -> HttpResponse:
    warehouse = Warehouse.objects.select_related("store").filter(pk=warehouse_id, store=page_store(request)).first()
    if warehouse is None:
        raise Http404
    user = request_user(request)
    pdf = documents.bin_labels_pdf(warehouse, printed_by=user.full_name or user.username)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bins-{warehouse.store.code}-{warehouse.code}.pdf"'
    return response


def _bins(store: Store) -> list[tuple[str, str]]:
    return [
        (str(b.pk), str(b))
        for b in Bin.objects.filter(store=store, is_active=True, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("warehouse__code", "code")
    ]


@require_http_methods(["GET", "POST"])
@page("stock.move")
def receive(request: HttpRequest) -> HttpResponse:
    """Receive a delivery: part numbers as typed or scanned, bins, quantities and net unit costs."""
    store = page_store(request)
    form = ReceiptForm(request.POST or None, bins=_bins(store))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            filled = form.lines()
            form._filled_rows = [row for row, _values in filled]  # type: ignore[attr-defined]
            typed = [values["part"] for _row, values in filled if values["part"]]
            parts: dict[str, Part] = {}
            try:
                parts = services.parts_for_store(store, typed)
            except ApplicationError as error:
                rows_with_part = [row for row, values in filled if values["part"]]
                for key, messages_ in error.fields.items():
                    form.add_error(f"part_{rows_with_part[int(key.split('.')[1])]}", messages_)
            if not form.errors:
                actor = request_user(request)
                lines = [
                    ReceiptLine(
                        parts[values["part"]].pk,
                        int(values["bin"]),
                        values["quantity"],
                        values["unit_cost"],
                    )
                    for _row, values in filled
                ]
                saved, posting = form_run(
                    form,
                    lambda: services.stock_receive(
                        actor=actor,
                        store_id=store.pk,
                        lines=lines,
                        moved_on=form.cleaned_data["moved_on"],
                        document_type="delivery_note" if form.cleaned_data["document_no"] else "",
                        document_no=form.cleaned_data["document_no"],
                    ),
                )
                if saved:
                    messages.success(
                        request,
                        _("%(n)s lines received (%(document)s).")
                        % {"n": len(posting.moves), "document": posting.moves[0].document_no},
                    )
                    return redirect(f"{reverse('parts:moves')}?document_no={posting.moves[0].document_no}")
    return render(request, "parts/receive.html", {"form": form, "store": store}, status=status)


def _receivers(store: Store) -> list[tuple[str, str]]:
    memberships = (
        StaffMembership.objects.filter(store=store, is_active=True, role__code__in=["technician", "foreman", "expert"])
        .select_related("user")
        .order_by("user__username")
    )
    return [(str(m.user_id), m.user.full_name or m.user.username) for m in memberships]


@require_http_methods(["GET", "POST"])
@page("stock.move")
def issue(request: HttpRequest) -> HttpResponse:
    """The parts desk: scan the part for a repair order line; it must be the reserved part, and the
    technician receiving it confirms."""
    store = page_store(request)
    form = IssueForm(request.POST or None, receivers=_receivers(store))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            actor, data = request_user(request), form.cleaned_data
            saved, posting = form_run(
                form,
                lambda: services.stock_issue(
                    actor=actor,
                    store_id=store.pk,
                    demand_type="repair_order",
                    demand_id=data["demand_id"],
                    demand_line_id=data["demand_line_id"],
                    part_number=data["part_number"],
                    quantity=data["quantity"],
                    received_by_id=int(data["received_by"]) if data["received_by"] else None,
                ),
            )
            if saved:
                messages.success(
                    request,
                    _("Issued %(quantity)s × %(part)s to order %(order)s.")
                    % {
                        "quantity": services.qty_text(-sum(move.quantity for move in posting.moves)),
                        "part": data["part_number"],
                        "order": data["demand_id"],
                    },
                )
                return redirect("parts:issue")
    recent = selectors.moves(store_ids=[store.pk], kind="issue")[:10]
    return render(request, "parts/issue.html", {"form": form, "recent": recent}, status=status)


@require_http_methods(["GET"])
@page("parts.view")
def reservations(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    page_obj = Paginator(selectors.reservations(store_ids=[store.pk]), 50).get_page(request.GET.get("page"))
    return render(request, "parts/reservations.html", {"page_obj": page_obj})


@require_http_methods(["GET", "POST"])
@page("parts.view")
def closings(request: HttpRequest) -> HttpResponse:
    """The store's closed stock months; closing the next one (with ``stock.close``)."""
    store = page_store(request)
    last = selectors.last_closing(store.pk)
    suggested = (
        (last.month + timedelta(days=32)).replace(day=1)
        if last
        else (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    )
    form = CloseMonthForm(request.POST or None, initial={"month": f"{suggested:%Y-%m}"})
    status = 200
    if request.method == "POST":
        acting_store(request, permission="stock.close")
        if form.is_valid():
            actor = request_user(request)
            saved, closing = form_run(
                form,
                lambda: services.stock_month_close(actor=actor, store_id=store.pk, month=form.cleaned_data["month"]),
            )
            if saved:
                messages.success(request, _("%(month)s is closed.") % {"month": f"{closing.month:%Y-%m}"})
                return redirect("parts:closings")
        status = 400
    return render(
        request,
        "parts/closings.html",
        {
            "form": form,
            "closings": selectors.closings(store_ids=[store.pk]),
            "can_close": can_here(request, "stock.close"),
        },
        status=status,
    )
