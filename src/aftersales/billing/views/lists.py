"""Settlement lists: the store's lists by state, period and a number or plate; one list with each payer's charges,
its confirming (``billing.settle``, the discounts within the reader's limits), its reversal with a reason (a new
list is prepared in its place) and its PDF (JT/T 1133)."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.billing import documents
from aftersales.billing.forms import COUNTER, LIST, ConfirmForm, ListFilterForm, ReverseForm
from aftersales.billing.models import Settlement, SettlementList
from aftersales.billing.payments import settlement_reverse
from aftersales.billing.services import SETTLED_FROM, settlement_confirm
from aftersales.billing.views.base import (
    SETTLE,
    VIEW,
    WallClock,
    confirm_form,
    limits_of,
    list_of,
    nav_of,
    order_of,
    refusal_status,
    sheet_of,
)
from aftersales.billing.views.counter import order_page
from aftersales.catalogue.paytypes import Payer
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.models import Store
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.visits.documents import pdf_response

LISTS_MAX = 200


# --- reads the selectors do not offer -------------------------------------------------------------------


def _lists(store: Store, data: dict[str, Any]) -> list[SettlementList]:
    """The store's lists of a state, dated (confirmed, else prepared) within the period on the store's calendar,
    whose number, order's number or car's plate holds what was typed; newest first, with the customer's
    settlement (two queries)."""
    rows = SettlementList.all_objects.filter(store=store).annotate(dated=Coalesce("confirmed_at", "prepared_at"))
    state = data.get("state") or ListFilterForm.ALL
    if state != ListFilterForm.ALL:
        rows = rows.filter(state=state)
    calendar = store_calendar(store)
    start: date | None = data.get("start")
    end: date | None = data.get("end")
    if start is not None:
        rows = rows.filter(dated__gte=calendar.day_start(start))
    if end is not None:
        rows = rows.filter(dated__lt=calendar.day_start(end + timedelta(days=1)))
    typed = unicodedata.normalize("NFKC", data.get("q") or "").strip().upper()
    if typed:
        rows = rows.filter(
            Q(number__icontains=typed) | Q(order__number__icontains=typed) | Q(order__vehicle__plate__icontains=typed)
        )
    customers = Settlement.all_objects.filter(payer=Payer.CUSTOMER)
    return list(
        rows.select_related("order__vehicle", "order__customer")
        .prefetch_related(Prefetch("settlements", queryset=customers, to_attr="customer_settlements"))
        .order_by("-dated", "-pk")[: LISTS_MAX + 1]
    )


# --- the lists -------------------------------------------------------------------------------------------


@require_GET
@page(VIEW)
def lists(request: HttpRequest) -> HttpResponse:
    """The store's settlement lists, newest first, at most 200."""
    store = page_store(request)
    filters = ListFilterForm(request.GET or None)
    status = 200
    data: dict[str, Any] = {}
    if filters.is_bound:
        if filters.is_valid():
            data = filters.cleaned_data
        else:
            status = 400
    rows = _lists(store, data) if status == 200 else []
    clock = WallClock(store)
    context = {
        "store": store,
        "filters": filters,
        "rows": [
            {
                "found": row,
                "dated": clock(row.dated),  # type: ignore[attr-defined]
                "customer": row.customer_settlements[0] if row.customer_settlements else None,  # type: ignore[attr-defined]
            }
            for row in rows[:LISTS_MAX]
        ],
        "more": len(rows) > LISTS_MAX,
        "limit": LISTS_MAX,
        "nav": nav_of(request),
    }
    return render(request, "billing/lists.html", context, status=status)


# --- one list --------------------------------------------------------------------------------------------


def _list_page(
    request: HttpRequest, found: SettlementList, *, bound: StyledForm | None = None, status: int = 200
) -> HttpResponse:
    """A settlement list; ``bound``: a refused confirming or reversal shown with its errors."""
    sheet = sheet_of(found)
    order = found.order
    may_settle = can_here(request, SETTLE)
    clock = WallClock(found.store)
    context: dict[str, Any] = {
        "found": found,
        "order": order,
        "sheet": sheet,
        "corrected_by": SettlementList.all_objects.filter(corrects=found).first(),
        "prepared_at": clock(found.prepared_at),
        "confirmed_at": clock.maybe(found.confirmed_at),
        "reversed_at": clock.maybe(found.reversed_at),
        "bound": bound,
        "nav": nav_of(request),
    }
    if may_settle and found.state == SettlementList.State.PREPARED:
        context["confirm_form"] = bound if isinstance(bound, ConfirmForm) else confirm_form(sheet, back=LIST)
        context["limits"] = limits_of(request_user(request), sheet)
    if may_settle and found.state == SettlementList.State.CONFIRMED and order.state in SETTLED_FROM:
        context["reverse_form"] = bound if isinstance(bound, ReverseForm) else ReverseForm(auto_id="id_reverse_%s")
    shown = (context.get("confirm_form"), context.get("reverse_form"))
    context["bound_top"] = bound if bound is not None and all(bound is not form for form in shown) else None
    return render(request, "billing/list.html", context, status=status)


@require_GET
@page(VIEW)
def list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    """One settlement list: each payer's charges, totals and what has come in."""
    return _list_page(request, list_of(request, list_id))


@require_POST
@page(SETTLE)
def confirm(request: HttpRequest, list_id: int) -> HttpResponse:
    """Confirm a prepared list with the discounts and invoice type given; it takes its number. Sent from the
    counter or from the list's page, and back there."""
    found = list_of(request, list_id)
    form = confirm_form(sheet_of(found), request.POST)
    status = 400
    if form.is_valid():
        try:
            confirmed = settlement_confirm(actor=request_user(request), list_id=found.pk, data=form.data_in())
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(
                request,
                _("Settlement list %(number)s confirmed: %(amount)s.")
                % {"number": confirmed.number, "amount": confirmed.amount},
            )
            if form.cleaned_data.get("back") == COUNTER:
                return redirect("billing:order", order_id=found.order_id)
            return redirect("billing:list", list_id=found.pk)
    if form.cleaned_data.get("back") == COUNTER:
        return order_page(request, order_of(request, found.order_id), bound=("confirm", found.pk, form), status=status)
    return _list_page(request, list_of(request, found.pk), bound=form, status=status)


@require_POST
@page(SETTLE)
def reverse(request: HttpRequest, list_id: int) -> HttpResponse:
    """Reverse a confirmed list with the reason; a new list is prepared from the order as it is now."""
    found = list_of(request, list_id)
    form = ReverseForm(request.POST, auto_id="id_reverse_%s")
    status = 400
    if form.is_valid():
        try:
            again = settlement_reverse(
                actor=request_user(request), list_id=found.pk, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(
                request,
                _("Settlement list %(number)s reversed; a new list is prepared to be confirmed.")
                % {"number": found.number},
            )
            return redirect("billing:list", list_id=again.pk)
    return _list_page(request, list_of(request, found.pk), bound=form, status=status)


@require_GET
@page(VIEW)
def list_pdf(request: HttpRequest, list_id: int) -> HttpResponse:
    """The settlement list (结算清单, JT/T 1133) as an A4 PDF."""
    found = list_of(request, list_id)
    user = request_user(request)
    content = documents.settlement_list_pdf(settlement_list=found, printed_by=user.full_name or user.username)
    return pdf_response(content, f"{found.number or found.order.number}.pdf")
