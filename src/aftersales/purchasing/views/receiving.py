"""Pages of receiving: delivery notes imported or scanned, inspected and received; supplier returns with
their return notes; the manufacturer's confirmation file; amending a sent order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.errors import ApplicationError
from aftersales.core.forms import form_run
from aftersales.core.models import Store
from aftersales.core.routing import acting_store, can_here, page, page_store, request_user
from aftersales.parts.models import Bin
from aftersales.parts.services import part_for_store
from aftersales.purchasing import documents, selectors, services
from aftersales.purchasing.forms import (
    AmendForm,
    ConfirmationForm,
    DeliveryImportForm,
    DeliveryScanStartForm,
    InspectionForm,
    ScanForm,
)
from aftersales.purchasing.imports import DELIVERY_NOTE, template_of
from aftersales.purchasing.models import DeliveryNote, PurchaseOrder, SupplierReturn


def _suppliers(store: Store) -> list[tuple[str, str]]:
    return selectors.supplier_choices(store.group_id)


def _deliveries_page(request: HttpRequest, *, status: int = 200, **forms: Any) -> HttpResponse:
    store = page_store(request)
    suppliers = _suppliers(store)
    notes = DeliveryNote.objects.filter(store=store).select_related("supplier").order_by("-created_at", "-pk")
    return render(
        request,
        "purchasing/deliveries.html",
        {
            "page_obj": Paginator(notes, 30).get_page(request.GET.get("page")),
            "import_form": forms.get("import_form") or DeliveryImportForm(suppliers=suppliers),
            "scan_form": forms.get("scan_form") or DeliveryScanStartForm(suppliers=suppliers),
        },
        status=status,
    )


@require_http_methods(["GET"])
@page("stock.move")
def delivery_list(request: HttpRequest) -> HttpResponse:
    return _deliveries_page(request)


@require_http_methods(["POST"])
@page("stock.move")
def delivery_import(request: HttpRequest) -> HttpResponse:
    store = acting_store(request, permission="stock.move")
    form = DeliveryImportForm(request.POST, request.FILES, suppliers=_suppliers(store))
    if form.is_valid():
        saved, note = form_run(
            form,
            lambda: services.delivery_note_import(
                actor=request_user(request), store_id=store.pk, supplier_id=int(form.cleaned_data["supplier"]),
                number=form.cleaned_data["number"], upload=form.cleaned_data["file"],
            ),
        )  # fmt: skip
        if saved:
            messages.success(request, _("Delivery note %(number)s is taken in: check it.") % {"number": note.number})
            return redirect("purchasing:delivery", note_id=note.pk)
    return _deliveries_page(request, status=400, import_form=form)


@require_http_methods(["POST"])
@page("stock.move")
def delivery_start(request: HttpRequest) -> HttpResponse:
    store = acting_store(request, permission="stock.move")
    form = DeliveryScanStartForm(request.POST, suppliers=_suppliers(store))
    if form.is_valid():
        saved, note = form_run(
            form,
            lambda: services.delivery_note_start(
                actor=request_user(request), store_id=store.pk, supplier_id=int(form.cleaned_data["supplier"]),
                number=form.cleaned_data["number"],
            ),
        )  # fmt: skip
        if saved:
            return redirect("purchasing:delivery", note_id=note.pk)
    return _deliveries_page(request, status=400, scan_form=form)


@require_http_methods(["GET"])
@page("stock.move")
def delivery_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        template_of(DELIVERY_NOTE), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="delivery-note.xlsx"'
    return response


def _note(request: HttpRequest, note_id: int) -> DeliveryNote:
    note = (
        DeliveryNote.objects.select_related("supplier", "store").filter(pk=note_id, store=page_store(request)).first()
    )
    if note is None:
        raise Http404
    return note


def _inspection(note: DeliveryNote, data: Any = None) -> InspectionForm:
    lines = list(note.lines.select_related("part", "order_line__order", "bin__warehouse").order_by("pk"))
    bins = {
        f"{warehouse}/{code}".upper(): pk
        for pk, warehouse, code in Bin.objects.filter(store=note.store, is_active=True).values_list(
            "pk", "warehouse__code", "code"
        )
    }
    form = InspectionForm(data, lines=lines, bins=bins)
    form.service_aliases = {
        f"lines.{index}.{field}": f"{name}_{line.pk}"
        for index, line in enumerate(lines)
        for field, name in (
            ("checked", "checked"), ("delivered", "checked"), ("rejected", "rejected"),
            ("reject_reason", "reason"), ("bin", "bin"),
        )
    }  # fmt: skip
    return form


def _delivery_page(
    request: HttpRequest, note: DeliveryNote, *, status: int = 200, form: InspectionForm | None = None,
    scan_form: ScanForm | None = None,
) -> HttpResponse:  # fmt: skip
    inspection = form or _inspection(note)
    lines = inspection.note_lines
    return render(
        request,
        "purchasing/delivery.html",
        {
            "note": note,
            "form": inspection,
            "scan_form": scan_form or ScanForm(),
            "open": note.status == DeliveryNote.Status.OPEN,
            "totals": {
                "quantity": sum((line.quantity for line in lines), start=Decimal(0)),
                "delivered": sum((line.delivered for line in lines), start=Decimal(0)),
                "rejected": sum((line.rejected for line in lines), start=Decimal(0)),
            },
        },
        status=status,
    )


@require_http_methods(["GET"])
@page("stock.move")
def delivery_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    return _delivery_page(request, _note(request, note_id))


@require_http_methods(["POST"])
@page("stock.move")
def delivery_scan(request: HttpRequest, note_id: int) -> HttpResponse:
    """One scan: the page comes back with the part field focused for the next."""
    note = _note(request, note_id)
    acting_store(request, permission="stock.move")
    form = ScanForm(request.POST)
    if form.is_valid():
        saved, line = form_run(
            form,
            lambda: services.delivery_note_scan(
                actor=request_user(request), note_id=note.pk, code=form.cleaned_data["code"],
                quantity=Decimal(1) if form.cleaned_data["quantity"] is None else form.cleaned_data["quantity"],
                case_no=form.cleaned_data["case_no"],
            ),
        )  # fmt: skip
        if saved:
            messages.success(
                request,
                _("%(part)s counted: %(n)s.")
                % {"part": line.part.number_display, "n": f"{line.delivered.normalize():f}"},
            )
            return redirect("purchasing:delivery", note_id=note.pk)
    return _delivery_page(request, note, status=400, scan_form=form)


def _checks(form: InspectionForm) -> list[services.LineCheck]:
    data = form.cleaned_data
    checks = []
    for line in form.note_lines:
        bin_id = data[f"bin_{line.pk}"]  # the bin's id, as the form found it
        checks.append(
            services.LineCheck(
                line.pk, data[f"checked_{line.pk}"], data[f"rejected_{line.pk}"] or Decimal(0),
                data[f"reason_{line.pk}"], int(bin_id) if bin_id else None, seen=form.seen(line), compare=True,
            )
        )  # fmt: skip
    return checks


@require_http_methods(["POST"])
@page("stock.move")
def delivery_check(request: HttpRequest, note_id: int) -> HttpResponse:
    """Save the inspection; with ``receive`` in the form, receive the note after it."""
    note = _note(request, note_id)
    acting_store(request, permission="stock.move")
    form = _inspection(note, request.POST)
    if form.is_valid():
        actor = request_user(request)
        saved, _note_saved = form_run(
            form, lambda: services.delivery_note_check(actor=actor, note_id=note.pk, checks=_checks(form))
        )
        if saved and "receive" in request.POST:
            saved, receipts = form_run(form, lambda: services.delivery_note_receive(actor=actor, note_id=note.pk))
            if saved:
                messages.success(
                    request,
                    _("Received: %(numbers)s.") % {"numbers": ", ".join(r.number or r.order.number for r in receipts)},
                )
                return redirect("purchasing:delivery", note_id=note.pk)
        elif saved:
            messages.success(request, _("The inspection is saved."))
            return redirect("purchasing:delivery", note_id=note.pk)
    return _delivery_page(request, note, status=400, form=form)


@require_http_methods(["POST"])
@page("stock.move")
def delivery_cancel(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _note(request, note_id)
    try:
        services.delivery_note_cancel(actor=request_user(request), note_id=note.pk)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return redirect("purchasing:delivery", note_id=note.pk)
    messages.success(request, _("The delivery note is cancelled."))
    return redirect("purchasing:deliveries")


@require_http_methods(["GET"])
@page("purchasing.view")
def return_list(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    rows = (
        SupplierReturn.objects.filter(store=store)
        .select_related("supplier", "order", "receipt")
        .prefetch_related("lines__part")
        .order_by("status", "-created_at", "-pk")
    )
    return render(
        request,
        "purchasing/returns.html",
        {
            "page_obj": Paginator(rows, 30).get_page(request.GET.get("page")),
            "can_ship": can_here(request, "stock.move"),
        },
    )


def _return(request: HttpRequest, return_id: int) -> SupplierReturn:
    found = SupplierReturn.objects.select_related("supplier", "order", "receipt", "store")
    row = found.filter(pk=return_id, store=page_store(request)).first()
    if row is None:
        raise Http404
    return row


@require_http_methods(["GET"])
@page("purchasing.view")
def return_pdf(request: HttpRequest, return_id: int) -> HttpResponse:
    return documents.return_pdf_response(_return(request, return_id), printed_by=str(request_user(request)))


@require_http_methods(["POST"])
@page("stock.move")
def return_shipped(request: HttpRequest, return_id: int) -> HttpResponse:
    row = _return(request, return_id)
    try:
        services.supplier_return_ship(actor=request_user(request), return_id=row.pk)
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Return %(number)s is recorded as returned.") % {"number": row.number})
    return redirect("purchasing:returns")


@require_http_methods(["GET", "POST"])
@page("purchasing.order")
def confirmation_upload(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    form = ConfirmationForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        acting_store(request, permission="purchasing.order")
        if form.is_valid():
            saved, orders = form_run(
                form,
                lambda: services.order_confirmation_import(
                    actor=request_user(request), store_id=store.pk, upload=form.cleaned_data["file"]
                ),
            )
            if saved:
                messages.success(
                    request,
                    _("Confirmed: %(orders)s.") % {"orders": ", ".join(o.number for o in orders) or "—"},
                )
                return redirect("purchasing:backorders")
        return render(request, "purchasing/confirmation.html", {"form": form}, status=400)
    return render(request, "purchasing/confirmation.html", {"form": form})


def _order(request: HttpRequest, order_id: int) -> PurchaseOrder:
    row = (
        PurchaseOrder.objects.select_related("store", "supplier").filter(pk=order_id, store=page_store(request)).first()
    )
    if row is None:
        raise Http404
    return row


@require_http_methods(["GET", "POST"])
@page("purchasing.order")
def order_amend(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    lines = list(order.lines.select_related("part").order_by("position"))
    form = AmendForm(request.POST or None, lines=lines)
    if request.method == "POST":
        acting_store(request, permission="purchasing.order")
        if form.is_valid():
            data = form.cleaned_data
            wanted: list[services.OrderLineIn] = []
            aliases: dict[str, str] = {}
            for line in lines:
                quantity = data[f"quantity_{line.pk}"]
                if quantity:
                    aliases[f"lines.{len(wanted)}.quantity"] = f"quantity_{line.pk}"
                    aliases[f"lines.{len(wanted)}.unit_price"] = f"unit_price_{line.pk}"
                    wanted.append(services.OrderLineIn(line.part_id, quantity, data[f"unit_price_{line.pk}"]))
            for row in range(5):
                number = data[f"new_part_{row}"].strip()
                if not number:
                    continue
                quantity, price = data[f"new_quantity_{row}"], data[f"new_unit_price_{row}"]
                try:
                    part = part_for_store(order.store, number, field=f"new_part_{row}")
                except ApplicationError as error:
                    form.add_service_errors(error)
                    continue
                if not quantity:
                    form.add_error(f"new_quantity_{row}", _("Enter the quantity."))
                if price is None:
                    form.add_error(f"new_unit_price_{row}", _("Enter the price."))
                if quantity and price is not None:
                    for field in ("part", "quantity", "unit_price"):
                        aliases[f"lines.{len(wanted)}.{field}"] = f"new_{field}_{row}"
                    wanted.append(services.OrderLineIn(part.pk, quantity, price))
            form.service_aliases = aliases
            if not form.errors:
                saved, _amended = form_run(
                    form,
                    lambda: services.order_amend(
                        actor=request_user(request), order_id=order.pk, lines=wanted,
                        reason=form.cleaned_data["reason"],
                    ),
                )  # fmt: skip
                if saved:
                    messages.success(request, _("The order is amended."))
                    return redirect("purchasing:order", order_id=order.pk)
        return render(request, "purchasing/order_amend.html", {"order": order, "form": form}, status=400)
    return render(request, "purchasing/order_amend.html", {"order": order, "form": form})
