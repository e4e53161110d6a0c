"""Pages of suppliers and of people's purchase approval limits."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.calendar import store_calendar
from aftersales.core.forms import form_run
from aftersales.core.models import Brand, StaffMembership
from aftersales.core.routing import acting_store, can_here, page, page_store, request_user
from aftersales.purchasing import services
from aftersales.purchasing.forms import LimitForm, SupplierForm
from aftersales.purchasing.models import PurchaseLimit, Supplier
from aftersales.purchasing.selectors import supplier_ratings


def _brands() -> list[tuple[str, str]]:
    return [(code, f"{code} {name}") for code, name in Brand.objects.order_by("code").values_list("code", "name")]


@require_http_methods(["GET"])
@page("purchasing.view")
def supplier_list(request: HttpRequest) -> HttpResponse:
    store = page_store(request)
    rows = Supplier.objects.filter(group_id=store.group_id).select_related("brand").order_by("-is_active", "code")
    full = can_here(request, "suppliers.bank")
    suppliers = list(rows)
    ratings = supplier_ratings([row.pk for row in suppliers], today=store_calendar(store).local_date(timezone.now()))
    return render(
        request,
        "purchasing/suppliers.html",
        {
            "suppliers": [(row, services.bank_account_shown(row, full=full), ratings.get(row.pk)) for row in suppliers],
            "can_manage": can_here(request, "suppliers.manage"),
        },
    )


@require_http_methods(["GET", "POST"])
@page("suppliers.manage")
def supplier_edit(request: HttpRequest, supplier_id: int | None = None) -> HttpResponse:
    """A new supplier, or one of the group changed."""
    store = page_store(request)
    supplier = (
        services.supplier_access(
            actor=request_user(request), store_id=store.pk, supplier_id=supplier_id, permission="suppliers.manage"
        )
        if supplier_id is not None
        else None
    )
    initial = (
        {name: getattr(supplier, name) for name in services.suppliers.SUPPLIER_FIELDS}
        | {"brand": supplier.brand.code if supplier.brand else ""}
        if supplier
        else {"lead_days_stock": 7, "lead_days_urgent": 3, "lead_days_vor": 1}
    )
    form = SupplierForm(request.POST or None, brands=_brands(), initial=initial)
    status = 200
    if request.method == "POST":
        acting_store(request, permission="suppliers.manage")
        if form.is_valid():
            data = dict(form.cleaned_data)
            brand = data.pop("brand")
            data["over_delivery_percent"] = data["over_delivery_percent"] or 0
            saved, row = form_run(
                form,
                lambda: services.supplier_save(
                    actor=request_user(request),
                    store_id=store.pk,
                    data=data,
                    brand=brand,
                    supplier_id=supplier.pk if supplier else None,
                ),
            )
            if saved:
                messages.success(request, _("Supplier %(code)s is saved.") % {"code": row.code})
                return redirect("purchasing:suppliers")
        status = 400
    return render(request, "purchasing/supplier_form.html", {"form": form, "supplier": supplier}, status=status)


@require_http_methods(["GET", "POST"])
@page("purchasing.limits")
def limits(request: HttpRequest) -> HttpResponse:
    """Up to how much each person approves purchase orders in the store."""
    store = page_store(request)
    people = [
        (str(pk), name or username)
        for pk, name, username in StaffMembership.objects.filter(store=store, is_active=True)
        .order_by("user__username")
        .values_list("user_id", "user__full_name", "user__username")
    ]
    form = LimitForm(request.POST or None, people=people)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            saved, _row = form_run(
                form,
                lambda: services.purchase_limit_set(
                    actor=request_user(request),
                    store_id=store.pk,
                    user_id=int(form.cleaned_data["user"]),
                    limit=form.cleaned_data["limit"],
                ),
            )
            if saved:
                messages.success(request, _("The approval limit is set."))
                return redirect("purchasing:limits")
        status = 400
    rows = PurchaseLimit.objects.filter(store=store).select_related("user").order_by("-limit")
    return render(request, "purchasing/limits.html", {"form": form, "limits": rows}, status=status)
