"""Pages for archive quality: duplicates and merge, the review queue, archive KPIs, the archive rule."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.core import selectors as core_selectors
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.routing import active_store_id, page, request_user
from aftersales.core.scope import current_scope
from aftersales.customers import selectors, services
from aftersales.customers.forms import ArchiveRuleForm, MergeForm, ReviewQueueFilterForm
from aftersales.customers.models import Customer


def _visible() -> frozenset[int] | None:
    scope = current_scope()
    return scope.store_ids if scope is not None else None


@require_http_methods(["GET"])
@page("customers.merge")
def duplicates(request: HttpRequest) -> HttpResponse:
    rows = selectors.duplicate_rows(store_ids=_visible())
    return render(request, "customer_quality/duplicates.html", {"rows": rows})


def _shown(customer: Customer, field: str) -> Any:
    display = getattr(customer, f"get_{field}_display", None)
    return display() if display else getattr(customer, field)


def _merge_rows(survivor: Customer, merged: Customer, personal: bool) -> list[dict[str, Any]]:
    left = selectors.customer_personal(survivor, personal=personal)
    right = selectors.customer_personal(merged, personal=personal)
    labels = {field.name: field.verbose_name for field in Customer._meta.fields}
    rows = []
    label: Any
    for field in services.MERGEABLE_FIELDS:
        if field == "resident_id":
            a, b, label = left["resident_id"], right["resident_id"], _("Resident ID")
        elif field == "owner_id":
            a, b, label = survivor.owner or "", merged.owner or "", labels["owner"]
        elif field in {"uscc", "street", "emergency_phone"}:
            a, b, label = left[field], right[field], labels[field]
        else:
            a, b, label = _shown(survivor, field), _shown(merged, field), labels[field]
        rows.append({"field": field, "label": label, "survivor": a, "merged": b, "same": str(a) == str(b)})
    return rows


@require_http_methods(["GET", "POST"])
@page("customers.merge")
def merge(request: HttpRequest, survivor_id: int, merged_id: int) -> HttpResponse:
    survivor = selectors.customer_get(survivor_id)
    merged = selectors.customer_get(merged_id)
    error = None
    status = 200
    if request.method == "POST":
        form = MergeForm(request.POST)
        status = 400
        if not form.is_valid():
            error = form.error_summary()
        else:
            try:
                result = services.customer_merge(
                    actor=request_user(request), survivor_id=survivor.pk, merged_id=merged.pk, choices=form.choices()
                )
            except ApplicationError as problem:
                form.add_service_errors(problem)
                error = form.error_summary()
            else:
                return redirect("customers:detail", customer_id=result.pk)
    context = {
        "survivor": survivor,
        "merged": merged,
        # Masked for everyone, as on the record pages: full values are shown there, one audited reveal each.
        "rows": _merge_rows(survivor, merged, False),
        "error": error,
        "survivor_vehicles": [link.vehicle for link in survivor.vehicle_links.all() if link.valid_to is None],
        "merged_vehicles": [link.vehicle for link in merged.vehicle_links.all() if link.valid_to is None],
    }
    return render(request, "customer_quality/merge.html", context, status=status)


@require_http_methods(["GET"])
@page("customers.review")
def review_queue(request: HttpRequest) -> HttpResponse:
    filters = {key: value for key, value in request.GET.items() if key in {"days", "below"} and value != ""}
    form = ReviewQueueFilterForm(filters or None)
    status = 200
    if filters and not form.is_valid():
        days, below, status = None, 100, 400
    else:
        days = form.cleaned_data.get("days") if filters else None
        below = (form.cleaned_data.get("below") or 100) if filters else 100
    queue = selectors.review_queue(store_ids=_visible(), days=days, below=below if status == 200 else 100)
    page_obj = Paginator(queue, 50).get_page(request.GET.get("page"))
    store_id = active_store_id(request)
    kpis = selectors.archive_kpis(store_ids=frozenset({store_id}) if store_id else _visible(), days=days)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page_obj": page_obj, "kpis": kpis, "form": form, "query": query.urlencode()}
    return render(request, "customer_quality/review_queue.html", context, status=status)


@require_POST
@page("customers.review")
def mark_reviewed(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        services.customer_mark_reviewed(actor=request_user(request), customer_id=customer_id)
    except ConflictError as refused:  # merged into another record
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(format_html('<span class="badge text-bg-warning">{}</span>', refused.detail))
        messages.error(request, refused.detail)
    else:
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(f'<span class="badge text-bg-success">{_("Reviewed")}</span>')
    return redirect("customer_quality:review_queue")


@require_http_methods(["GET", "POST"])
@page("customers.review")
def archive_rule(request: HttpRequest) -> HttpResponse:
    """The active store's required archive items and review interval."""
    store_id = active_store_id(request)
    required, stored_days = selectors.rule_for(store_id) if store_id else (selectors.DEFAULT_REQUIRED, 90)
    days: int | str = stored_days
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST" and store_id:
        form = ArchiveRuleForm(request.POST)
        if form.is_valid():
            try:
                services.archive_rule_save(
                    actor=request_user(request),
                    store_id=store_id,
                    required_fields=form.cleaned_data["required_fields"],
                    review_days=form.cleaned_data["review_days"] or 0,
                )
            except ApplicationError as problem:
                form.add_service_errors(problem)
            else:
                return redirect("customer_quality:archive_rule")
        errors, status = form.errors, 400
        posted = request.POST.getlist("required_fields")
        required = tuple(code for code in posted if code in selectors.REQUIRED_ITEMS)
        days = request.POST.get("review_days", "")
    items = [(code, label, code in required) for code, label in selectors.REQUIRED_ITEMS.items()]
    context = {"items": items, "review_days": days, "errors": errors, "queue_alive": core_selectors.queue_alive()}
    return render(request, "customer_quality/archive_rule.html", context, status=status)
