"""The cash desk and the funds flow: a day's report per cashier and method (the whole store's for finance, one's
own otherwise), the day opened with the float in the drawer and handed over at its end with the cash counted;
the funds flow (资金流水) of a period, every movement with the running balance and the totals per method."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.billing.forms import CashOpenForm, DayForm, FlowForm, HandOverForm
from aftersales.billing.models import Method, Payment
from aftersales.billing.payments import cash_day_hand_over, cash_day_open
from aftersales.billing.selectors import cash_report, funds_flow
from aftersales.billing.views.base import COLLECT, FINANCE, WallClock, nav_of, refusal_status
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.models import StaffMembership, Store, User
from aftersales.core.routing import can_here, page, page_store, request_user

FLOW_SHOWN = 2000  # the movements a page lists; the totals count every one


# --- reads the selectors do not offer -------------------------------------------------------------------


def _finance_people(store: Store, actor: User) -> list[tuple[int, str]]:
    """Whom a cashier may hand the cash over to: the store's active staff whose role there holds
    ``billing.finance``, oneself aside (one query)."""
    rows = (
        StaffMembership.all_objects.filter(store=store, is_active=True, user__is_active=True)
        .exclude(user=actor)
        .select_related("user", "role")
    )
    people = [(row.user_id, str(row.user)) for row in rows if FINANCE in (row.role.permissions or [])]
    return sorted(people, key=lambda person: (person[1], person[0]))  # by name, the same on every database


def _today(store: Store) -> date:
    return store_calendar(store).local_date(timezone.now())


# --- the cash desk --------------------------------------------------------------------------------------


def _cash_page(
    request: HttpRequest,
    store: Store,
    day: date,
    *,
    picker: DayForm | None = None,
    bound: StyledForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The day's report; ``bound``: a refused opening or hand-over shown with its errors."""
    user = request_user(request)
    everyone = can_here(request, FINANCE)
    report = cash_report(store=store, day=day, cashier=None if everyone else user)
    mine = next((row for row in report.cashiers if row.cashier_id == user.pk), None)
    clock = WallClock(store)
    context: dict[str, Any] = {
        "store": store,
        "day": day,
        "today": _today(store),
        "picker": picker or DayForm(initial={"day": day}),
        "report": report,
        "everyone": everyone,
        "mine": mine,
        "handed_over_at": clock.maybe(mine.drawer.handed_over_at if mine else None),
        "not_counted": [
            {
                "row": row,
                "taken_at": clock(row.taken_at),
                "state": Payment.State(row.state).label,
                "method": Method(row.method).label,
            }
            for row in report.not_counted
        ],
        "bound": bound,
        "nav": nav_of(request),
    }
    if can_here(request, COLLECT) and (mine is None or mine.drawer.handed_over_at is None):
        opened = mine is not None and mine.drawer.opened
        initial_open = {"day": day, "opening_float": mine.drawer.opening_float if mine and opened else ""}
        context["open_form"] = bound if isinstance(bound, CashOpenForm) else CashOpenForm(initial=initial_open)
        people = _finance_people(store, user)
        context["hand_form"] = (
            bound
            if isinstance(bound, HandOverForm)
            else HandOverForm(people=people, initial={"day": day}, auto_id="id_hand_%s")
        )
    shown = (context.get("open_form"), context.get("hand_form"))
    context["bound_top"] = bound if bound is not None and all(bound is not form for form in shown) else None
    return render(request, "billing/cash.html", context, status=status)


@require_GET
@page((COLLECT, FINANCE))
def cash(request: HttpRequest) -> HttpResponse:
    """The cash desk on a day (today unless picked)."""
    store = page_store(request)
    picker = DayForm(request.GET if "day" in request.GET else None, initial={"day": _today(store)})
    if picker.is_bound and not picker.is_valid():
        return _cash_page(request, store, _today(store), picker=picker, status=400)
    day = (picker.cleaned_data.get("day") if picker.is_bound else None) or _today(store)
    return _cash_page(request, store, day, picker=picker)


def _back(day: date) -> HttpResponse:
    return redirect(f"{reverse('billing:cash')}?day={day.isoformat()}")


@require_POST
@page(COLLECT)
def cash_open(request: HttpRequest) -> HttpResponse:
    """Open one's day at the desk with the float in the drawer (again: the float corrected)."""
    store = page_store(request)
    form = CashOpenForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            cash_day_open(
                actor=request_user(request), store_id=store.pk, day=data["day"], opening_float=data["opening_float"]
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(
                request, _("The day is open with a float of %(amount)s.") % {"amount": data["opening_float"]}
            )
            return _back(data["day"])
    day = form.cleaned_data.get("day") or _today(store)
    return _cash_page(request, store, day, bound=form, status=status)


@require_POST
@page(COLLECT)
def hand_over(request: HttpRequest) -> HttpResponse:
    """End one's day: the cash counted, handed to someone of the store's finance."""
    store = page_store(request)
    user = request_user(request)
    form = HandOverForm(request.POST, people=_finance_people(store, user), auto_id="id_hand_%s")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            cash_day_hand_over(
                actor=user,
                store_id=store.pk,
                day=data["day"],
                counted=data["counted"],
                handed_to_id=data["handed_to"],
                note=data["note"],
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            messages.success(request, _("The day is handed over: %(amount)s in cash.") % {"amount": data["counted"]})
            return _back(data["day"])
    day = form.cleaned_data.get("day") or _today(store)
    return _cash_page(request, store, day, bound=form, status=status)


# --- the funds flow -------------------------------------------------------------------------------------


@require_GET
@page(FINANCE)
def flow(request: HttpRequest) -> HttpResponse:
    """The funds flow of a period (this month unless picked), of one method or every one."""
    store = page_store(request)
    today = _today(store)
    first = today.replace(day=1)
    form = FlowForm(request.GET or None, initial={"start": first, "end": today, "method": ""})
    status = 200
    found = None
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        start, end = data.get("start") or first, data.get("end") or today
        try:
            found = funds_flow(store=store, start=start, end=end, method=data.get("method") or None)
        except ApplicationError as error:
            status = refusal_status(form, error)
    clock = WallClock(store)
    rows = found.rows if found is not None else ()
    context = {
        "store": store,
        "form": form,
        "flow": found,
        "rows": [{"row": row, "at": clock(row.at), "method": Method(row.method).label} for row in rows[:FLOW_SHOWN]],
        "more": len(rows) > FLOW_SHOWN,
        "shown": FLOW_SHOWN,
        "nav": nav_of(request),
    }
    return render(request, "billing/flow.html", context, status=status)
