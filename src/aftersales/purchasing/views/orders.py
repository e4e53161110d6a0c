"""Pages of purchase orders: the list, a new order, an order with what may be done to it now."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import form_run
from aftersales.core.routing import acting_store, can_here, page, page_store, request_user
from aftersales.messaging.models import Message
from aftersales.parts.models import Bin, StockBalance
from aftersales.parts.services import part_for_store
from aftersales.purchasing import documents, selectors, services
from aftersales.purchasing.forms import NoteForm, OrderFilterForm, OrderForm, ReasonForm, ReceiveForm
from aftersales.purchasing.models import DeliveryNote, PurchaseOrder, PurchaseOrderLine
from aftersales.purchasing.services.notices import ORDER_ABOUT
from aftersales.purchasing.services.replenishment import suggestion_groups
from aftersales.purchasing.transitions import ACTION_LABELS, ORDER

STATES = dict(PurchaseOrder.Status.choices)
SHOWN_PER_SUPPLIER = 200


def _order(request: HttpRequest, order_id: int) -> PurchaseOrder:
    row = (
        PurchaseOrder.objects.select_related("store", "supplier", "created_by", "approved_by")
        .filter(pk=order_id, store=page_store(request))
        .first()
    )
    if row is None:
        raise Http404
    return row


@require_http_methods(["GET"])
@page("purchasing.view")
def order_list(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    form = OrderFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "errors/error.html", {"status": 400, "message": form.error_summary()}, status=400)
    rows = PurchaseOrder.objects.filter(store=store).select_related("supplier").prefetch_related("lines")
    if form.cleaned_data["status"]:
        rows = rows.filter(status=form.cleaned_data["status"])
    page_obj = Paginator(rows.order_by("-created_at", "-pk"), 30).get_page(form.cleaned_data["page"])
    return render(
        request,
        "purchasing/orders.html",
        {
            "form": form,
            "page_obj": page_obj,
            "orders": [(order, services.order_total(order)) for order in page_obj],
            "can_order": can_here(request, "purchasing.order"),
        },
    )


@require_http_methods(["GET", "POST"])
@page("purchasing.order")
def order_new(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    suppliers = selectors.supplier_choices(store.group_id)
    form = OrderForm(request.POST or None, suppliers=suppliers)
    status = 200
    if request.method == "POST":
        acting_store(request, permission="purchasing.order")
        if form.is_valid():
            lines: list[services.OrderLineIn] = []
            for row, number, quantity, price in form.rows():
                part = None
                try:
                    part = part_for_store(store, number, field=f"part_{row}")
                except ApplicationError as error:
                    form.add_service_errors(error)
                if quantity is None:
                    form.add_error(f"quantity_{row}", _("Enter the quantity."))
                if price is None:
                    form.add_error(f"unit_price_{row}", _("Enter the price."))
                if part is not None and quantity is not None and price is not None:
                    lines.append(services.OrderLineIn(part.pk, quantity, price))
            if not form.errors:
                saved, order = form_run(
                    form,
                    lambda: services.order_create(
                        actor=request_user(request),
                        store_id=store.pk,
                        supplier_id=int(form.cleaned_data["supplier"]),
                        order_type=form.cleaned_data["order_type"],
                        lines=lines,
                        note=form.cleaned_data["note"],
                    ),
                )
                if saved:
                    messages.success(request, _("Order %(number)s is written.") % {"number": order.number})
                    return redirect("purchasing:order", order_id=order.pk)
        status = 400
    return render(request, "purchasing/order_new.html", {"form": form}, status=status)


def _receive_form(order: PurchaseOrder, data: Any = None) -> ReceiveForm:
    lines = [line for line in order.lines.select_related("part").order_by("position") if line.open_quantity > 0]
    kept = dict(
        StockBalance.all_objects.filter(store_id=order.store_id, part__in=[line.part_id for line in lines])
        .order_by("bin_id")
        .values_list("part_id", "bin_id")
    )
    bins = [
        (str(bin_.pk), str(bin_))
        for bin_ in Bin.objects.filter(store_id=order.store_id, is_active=True).select_related("warehouse")
    ]
    initial = {f"bin_{line.position}": str(kept.get(line.part_id, "")) for line in lines}
    return ReceiveForm(data, lines=lines, bins=sorted(bins, key=lambda item: item[1]), initial=initial)


def _detail(request: HttpRequest, order: PurchaseOrder, *, status: int = 200, **forms: Any) -> HttpResponse:
    lines = list(order.lines.select_related("part").order_by("position"))
    receivable = order.status in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTLY_RECEIVED)
    return render(
        request,
        "purchasing/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "total": services.order_total(order),
            "events": [
                (event, ACTION_LABELS.get(event.action, event.action), STATES.get(event.to_state, event.to_state))
                for event in order.events.select_related("actor")
            ],
            "actions": ORDER.actions(order, request_user(request)),
            "reason_form": forms.get("reason_form") or ReasonForm(),
            "note_form": forms.get("note_form") or NoteForm(),
            "is_manufacturer": order.supplier.kind == "manufacturer",
            "receive_form": (forms.get("receive_form") or _receive_form(order))
            if receivable and can_here(request, "stock.move")
            else None,
            "receipts": order.receipts.prefetch_related("lines__part").order_by("pk"),
            "emails": Message.objects.filter(about_type=ORDER_ABOUT, about_id=order.pk).order_by("pk"),
            "notes": DeliveryNote.objects.filter(status="open", lines__order_line__order=order).distinct(),
        },
        status=status,
    )


@require_http_methods(["GET"])
@page("purchasing.view")
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    return _detail(request, _order(request, order_id))


def _act(request: HttpRequest, order_id: int, service: Callable[..., PurchaseOrder], field: str = "") -> HttpResponse:
    """Do one of the order's actions (its state table says which are allowed, and for whom); a reason
    or note is read from ``field`` when the action takes one."""
    order = _order(request, order_id)
    kwargs: dict[str, Any] = {}
    forms: dict[str, Any] = {}
    if field:
        form: ReasonForm | NoteForm = ReasonForm(request.POST) if field == "reason" else NoteForm(request.POST)
        forms[f"{field}_form"] = form
        if not form.is_valid():
            return _detail(request, order, status=400, **forms)
        kwargs[field] = form.cleaned_data[field]
    try:
        service(actor=request_user(request), order_id=order.pk, **kwargs)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return _detail(request, _order(request, order_id), status=error.status, **forms)
    messages.success(request, _("Done."))
    return redirect("purchasing:order", order_id=order.pk)


@require_http_methods(["POST"])
@page("purchasing.order")
def order_submit(request: HttpRequest, order_id: int) -> HttpResponse:
    return _act(request, order_id, services.order_submit)


@require_http_methods(["POST"])
@page("purchasing.approve")
def order_approve(request: HttpRequest, order_id: int) -> HttpResponse:
    return _act(request, order_id, services.order_approve)


@require_http_methods(["POST"])
@page("purchasing.approve")
def order_send_back(request: HttpRequest, order_id: int) -> HttpResponse:
    return _act(request, order_id, services.order_send_back, "note")


@require_http_methods(["POST"])
@page("purchasing.order")
def order_send(request: HttpRequest, order_id: int) -> HttpResponse:
    return _act(request, order_id, services.order_send)


@require_http_methods(["POST"])
@page("purchasing.order")
def order_close(request: HttpRequest, order_id: int) -> HttpResponse:
    return _act(request, order_id, services.order_close, "note")


@require_http_methods(["POST"])
@page("purchasing.order")
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    return _act(request, order_id, services.order_cancel, "reason")


@require_http_methods(["POST"])
@page("stock.move")
def order_receive(request: HttpRequest, order_id: int) -> HttpResponse:
    """Receive a delivery against the order from its page (one row per open line)."""
    order = _order(request, order_id)
    form = _receive_form(order, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        delivered = [
            services.DeliveredLine(
                part_id=line.part_id,
                bin_id=int(data[f"bin_{line.position}"] or 0),
                delivered=data[f"delivered_{line.position}"],
                rejected=data[f"rejected_{line.position}"] or Decimal(0),
                reject_reason=data[f"reason_{line.position}"],
            )
            for line in form.order_lines
            if data[f"delivered_{line.position}"]
        ]
        if not delivered:
            form.add_error(None, _("Enter what was delivered."))
        else:
            positions = [line.position for line in form.order_lines if data[f"delivered_{line.position}"]]
            fields = {"bin": "bin", "delivered": "delivered", "rejected": "rejected", "reject_reason": "reason"}
            try:
                receipt = services.order_receive(
                    actor=request_user(request),
                    order_id=order.pk,
                    lines=delivered,
                    delivery_note=data["delivery_note"],
                )
            except ApplicationError as error:
                for name, problems in error.fields.items():
                    _lines, index, field = [*name.split("."), "", ""][:3]
                    target = f"{fields.get(field, 'delivered')}_{positions[int(index)]}" if index.isdigit() else None
                    for problem in problems:
                        form.add_error(target, problem)
                if not error.fields:
                    form.add_error(None, error.detail)
            else:
                messages.success(
                    request, _("Received: %(number)s.") % {"number": receipt.number or receipt.delivery_note or "—"}
                )
                return redirect("purchasing:order", order_id=order.pk)
    return _detail(request, order, status=400, receive_form=form)


@require_http_methods(["GET"])
@page("purchasing.view")
def order_file(request: HttpRequest, order_id: int) -> HttpResponse:
    return documents.order_file_response(_order(request, order_id))


@require_http_methods(["GET"])
@page("purchasing.view")
def order_pdf(request: HttpRequest, order_id: int) -> HttpResponse:
    user = request_user(request)
    return documents.order_pdf_response(_order(request, order_id), printed_by=user.full_name or user.username)


def _backorders_page(request: HttpRequest, form: ReasonForm | None = None, status: int = 200) -> HttpResponse:
    store = page_store(request)
    today = store_calendar(store).local_date(timezone.now())
    lines = list(selectors.backorders(store_id=store.pk)[:500])
    return render(
        request,
        "purchasing/backorders.html",
        {
            "lines": [(line, max(0, (today - line.expected_on).days) if line.expected_on else 0) for line in lines],
            "can_cancel": can_here(request, "purchasing.order"),
            "form": form or ReasonForm(),
        },
        status=status,
    )


@require_http_methods(["GET"])
@page("purchasing.view")
def backorder_list(request: HttpRequest) -> HttpResponse:
    return _backorders_page(request)


@require_http_methods(["POST"])
@page("purchasing.order")
def backorder_cancel(request: HttpRequest, line_id: int) -> HttpResponse:
    if not PurchaseOrderLine.objects.filter(pk=line_id, store=page_store(request)).exists():
        raise Http404
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.backorder_cancel(actor=request_user(request), line_id=line_id, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, _("The backorder is cancelled."))
            return redirect("purchasing:backorders")
    else:
        messages.error(request, form.error_summary())
    return _backorders_page(request, form, status=400)


@require_http_methods(["GET"])
@page("purchasing.view")
def suggestion_list(request: HttpRequest) -> HttpResponse:
    """The store's replenishment suggestions by supplier, the nearest next order day first, each group one
    click from a draft."""
    store = page_store(request)
    groups = suggestion_groups(store_id=store.pk)
    return render(
        request,
        "purchasing/suggestions.html",
        {
            # Each group shows its first rows; the draft takes them all.
            "groups": [(group, group.rows[:SHOWN_PER_SUPPLIER], len(group.rows)) for group in groups],
            "can_order": can_here(request, "purchasing.order"),
        },
    )


@require_http_methods(["POST"])
@page("purchasing.order")
def suggestion_order(request: HttpRequest, supplier_id: int) -> HttpResponse:
    store = page_store(request)
    try:
        order = services.suggestions_order(actor=request_user(request), store_id=store.pk, supplier_id=supplier_id)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return redirect("purchasing:suggestions")
    messages.success(request, _("Order %(number)s is written.") % {"number": order.number})
    return redirect("purchasing:order", order_id=order.pk)
