"""The show rate of bookings over a date range, per store, channel or advisor (APT-4)."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from aftersales.appointments import selectors
from aftersales.appointments.forms import ShowRateForm
from aftersales.core.access import stores_with
from aftersales.core.calendar import store_today
from aftersales.core.models import Store
from aftersales.core.routing import page, page_store, request_user

DEFAULT_DAYS = 30


@require_http_methods(["GET"])
@page("appointments.view")
def show_rate(request: HttpRequest) -> HttpResponse:
    """Arrived ÷ (arrived + no-show) of the bookings due in the range: per store over every store the
    reader may see, per channel or advisor in the page's store."""
    store = page_store(request)
    last = store_today(store)
    first = last - timedelta(days=DEFAULT_DAYS - 1)
    form = ShowRateForm(request.GET or None, initial={"first": first, "last": last, "by": "store"})
    by, status = "store", 200
    if form.is_bound:
        if form.is_valid():
            first, last = form.cleaned_data["first"] or first, form.cleaned_data["last"] or last
            by = form.cleaned_data["by"] or by
        else:
            status = 400
    if by == "store":
        visible = stores_with(request_user(request), "appointments.view")
        stores = Store.objects.filter(group_id=store.group_id, is_active=True)
        store_ids = sorted(stores.values_list("pk", flat=True) if visible is None else visible)
    else:
        store_ids = [store.pk]
    rows = selectors.show_rates(store_ids, first, last, by=by) if status == 200 else []
    total = selectors.ShowRate(
        key="",
        label="",
        booked=sum(row.booked for row in rows),
        arrived=sum(row.arrived for row in rows),
        no_show=sum(row.no_show for row in rows),
        cancelled=sum(row.cancelled for row in rows),
    )
    return render(
        request,
        "appointments/show_rate.html",
        {"form": form, "rows": rows, "total": total, "first": first, "last": last, "by": by, "store": store},
        status=status,
    )
