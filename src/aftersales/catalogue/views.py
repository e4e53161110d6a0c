"""Pages of the service catalogue: labour operations (with hours per series and what a line costs on
each pay type here), packages, the pay types with labour rates, and prices off the guide price."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.catalogue import pricing, selectors, services
from aftersales.catalogue.forms import DeviationFilterForm, LabourRateForm, OperationFilterForm, OperationForm
from aftersales.catalogue.models import LabourOperation, LabourRate, PackageItem
from aftersales.catalogue.paytypes import PAY_TYPES, ApprovalKind, InvoiceTreatment, Payer, PriceBasis
from aftersales.core.access import stores_with
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import brand_choices, form_run
from aftersales.core.models import DealerGroup, Store
from aftersales.core.routing import acting_group, active_store_id, can_here, page, request_user


def _group(request: HttpRequest) -> DealerGroup:
    return acting_group(request, permission="catalogue.view")


def _store(request: HttpRequest) -> Store | None:
    store_id = active_store_id(request)
    return Store.objects.filter(pk=store_id).first() if store_id else None


@require_http_methods(["GET"])
@page("catalogue.view")
def operation_list(request: HttpRequest) -> HttpResponse:
    form = OperationFilterForm(request.GET or None, brands=brand_choices())
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "query": form.cleaned_data["q"],
            "category": form.cleaned_data["category"],
            "brand_id": int(form.cleaned_data["brand"]) if form.cleaned_data["brand"] else None,
        }
    rows = selectors.operations(group_id=_group(request).pk, **filters)
    page_obj = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalogue/operations.html",
        {
            "form": form,
            "page_obj": page_obj,
            "query": query.urlencode(),
            "can_manage": can_here(request, "catalogue.manage"),
        },
        status=400 if request.GET and not form.is_valid() else 200,
    )


def _operation(request: HttpRequest, operation_id: int) -> LabourOperation:
    row = selectors.operations(group_id=_group(request).pk).filter(pk=operation_id).first()
    if row is None:
        raise Http404
    return row


def _quotes(store: Store | None, quote: Any) -> list[tuple[Any, Any, str]]:
    """What the item costs here on each pay type (or why it has no price)."""
    rows: list[tuple[Any, Any, str]] = []
    if store is None:
        return rows
    for route in PAY_TYPES.values():
        try:
            rows.append((route, quote(route.code), ""))
        except ApplicationError as error:
            rows.append((route, None, error.detail))
    return rows


@require_http_methods(["GET"])
@page("catalogue.view")
def operation_detail(request: HttpRequest, operation_id: int) -> HttpResponse:
    operation = _operation(request, operation_id)
    store = _store(request)
    series = request.GET.get("series", "")[:50]
    quotes = _quotes(
        store,
        lambda pay_type: pricing.labour_quote(store=store, pay_type=pay_type, operation=operation, series=series),  # type: ignore[arg-type]
    )
    return render(
        request,
        "catalogue/operation_detail.html",
        {
            "operation": operation,
            "times": operation.times.all(),
            "series": series,
            "quotes": quotes,
            "store": store,
            "can_manage": can_here(request, "catalogue.manage"),
        },
    )


def _operation_form_page(request: HttpRequest, operation: LabourOperation | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if operation is not None:
        initial = {name: getattr(operation, name) for name in OperationForm.base_fields if hasattr(operation, name)}
        initial["times"] = "\n".join(f"{t.series} = {t.hours}" for t in operation.times.all())
    form = OperationForm(request.POST or None, initial=initial, brands=brand_choices(), editing=operation is not None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actor, group = request_user(request), _group(request)
            saved, result = form_run(
                form,
                lambda: services.operation_save(
                    actor=actor,
                    group_id=group.pk,
                    data=form.service_data(),
                    operation_id=operation.pk if operation else None,
                    code=form.cleaned_data.get("code", ""),
                    brand_id=int(form.cleaned_data["brand"]) if form.cleaned_data.get("brand") else None,
                    times=form.cleaned_data["times"],
                ),
            )
            if saved:
                messages.success(request, _("Operation %(code)s is saved.") % {"code": result.code})
                return redirect("catalogue:operation", operation_id=result.pk)
        status = 400
    return render(request, "catalogue/operation_form.html", {"form": form, "operation": operation}, status=status)


@require_http_methods(["GET", "POST"])
@page("catalogue.manage")
def operation_create(request: HttpRequest) -> HttpResponse:
    return _operation_form_page(request, None)


@require_http_methods(["GET", "POST"])
@page("catalogue.manage")
def operation_edit(request: HttpRequest, operation_id: int) -> HttpResponse:
    return _operation_form_page(request, _operation(request, operation_id))


@require_http_methods(["GET"])
@page("catalogue.view")
def package_list(request: HttpRequest) -> HttpResponse:
    brand = request.GET.get("brand", "")
    brand_id = int(brand) if brand.isdigit() and len(brand) < 12 else None
    rows = selectors.packages(group_id=_group(request).pk, brand_id=brand_id)
    return render(
        request, "catalogue/packages.html", {"packages": rows, "brands": brand_choices(), "brand": str(brand_id or "")}
    )


@require_http_methods(["GET"])
@page("catalogue.view")
def package_detail(request: HttpRequest, package_id: int) -> HttpResponse:
    package = selectors.packages(group_id=_group(request).pk).filter(pk=package_id).first()
    if package is None:
        raise Http404
    store = _store(request)
    lines: list[tuple[PackageItem, Any, str]] = []
    if store is not None:
        for item in package.items.all():
            try:
                if item.operation is not None:
                    quote = pricing.labour_quote(
                        store=store, pay_type="customer", operation=item.operation, series=package.series
                    )
                elif item.part is not None:
                    quote = pricing.part_quote(store=store, pay_type="customer", part=item.part, quantity=item.quantity)
                else:
                    continue
                lines.append((item, quote, ""))
            except ApplicationError as error:
                lines.append((item, None, error.detail))
    priced = [quote for _item, quote, _error in lines if quote is not None]
    total = sum((quote.amount for quote in priced), Decimal(0)) if lines and len(priced) == len(lines) else None
    return render(
        request,
        "catalogue/package_detail.html",
        {"package": package, "lines": lines, "total": total, "store": store},
    )


def _rate_scopes(request: HttpRequest) -> list[tuple[str, str]]:
    scopes = []
    if can_here(request, "prices.guide"):
        scopes.append(("group", _("The group (guide rate)")))
    store = _store(request)
    if store is not None and can_here(request, "prices.manage"):
        scopes.append((str(store.pk), store.name))
    return scopes


@require_http_methods(["GET", "POST"])
@page("catalogue.view")
def pay_types(request: HttpRequest) -> HttpResponse:
    """The pay types' routing table and the labour rates per pay type (the group's and this store's)."""
    group = _group(request)
    scopes = _rate_scopes(request)
    form = LabourRateForm(request.POST or None, scopes=scopes, initial={"valid_from": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if not scopes:
            raise Http404
        if form.is_valid():
            actor, scope = request_user(request), form.cleaned_data["scope"]
            saved, _rate = form_run(
                form,
                lambda: services.labour_rate_set(
                    actor=actor,
                    group_id=group.pk,
                    store_id=None if scope == "group" else int(scope),
                    pay_type=form.cleaned_data["pay_type"],
                    rate=form.cleaned_data["rate"],
                    valid_from=form.cleaned_data["valid_from"],
                    reason=form.cleaned_data["reason"],
                ),
            )
            if saved:
                messages.success(request, _("The labour rate is set."))
                return redirect("catalogue:pay_types")
        status = 400
    store_ids = stores_with(request_user(request), "catalogue.view")
    rates = LabourRate.objects.filter(group=group).select_related("store", "created_by")
    if store_ids is not None:
        rates = rates.filter(store_id__in=store_ids) | rates.filter(store__isnull=True)
    labels = {
        "payer": dict(Payer.choices),
        "basis": dict(PriceBasis.choices),
        "approval": dict(ApprovalKind.choices),
        "invoice": dict(InvoiceTreatment.choices),
    }
    routes = [
        (
            route,
            labels["payer"][route.payer],
            labels["basis"][route.price_basis],
            labels["approval"][route.approval],
            labels["invoice"][route.invoice],
        )
        for route in PAY_TYPES.values()
    ]
    return render(
        request,
        "catalogue/pay_types.html",
        {
            "routes": routes,
            "rates": rates.order_by("pay_type", "store_id", "-valid_from"),
            "form": form,
            "scopes": scopes,
        },
        status=status,
    )


@require_http_methods(["GET"])
@page("catalogue.view")
def deviations(request: HttpRequest) -> HttpResponse:
    """Store prices and labour rates off the group's guide price on a day, with who set them and why."""
    form = DeviationFilterForm(request.GET or None, initial={"on": timezone.localdate()})
    on = (form.cleaned_data.get("on") if form.is_valid() else None) or timezone.localdate()
    rows = selectors.price_deviations(
        group_id=_group(request).pk, store_ids=stores_with(request_user(request), "catalogue.view"), on=on
    )
    return render(
        request,
        "catalogue/deviations.html",
        {"form": form, "rows": rows, "on": on},
        status=400 if request.GET and not form.is_valid() else 200,
    )
