"""The day-before preparation's reading pages: the welcome board for the lobby screen (欢迎看板) and the
advisor's daily list with each car's earlier visits."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.appointments import selectors
from aftersales.appointments.forms import AdvisorDayForm
from aftersales.appointments.views.base import WallClock, day_links
from aftersales.appointments.views.public import store_booking_url, store_qr
from aftersales.core.calendar import store_today
from aftersales.core.models import User
from aftersales.core.routing import page, page_store, request_user


def _board(request: HttpRequest, template: str, *, qr: bool = False) -> HttpResponse:
    store = page_store(request)
    today = store_today(store)
    board = selectors.welcome_board(store, today)
    # The QR code of the store's own booking page, for a customer in the lobby to book the next visit.
    online = qr and selectors.online_store(store.code) is not None
    return render(
        request,
        template,
        {
            "store": store,
            "booking_qr": store_qr(store_booking_url(request, store)) if online else None,
            "today": today,
            "sections": [
                ("today", _("Today"), today, board["today"]),
                ("tomorrow", _("Tomorrow"), today + timedelta(days=1), board["tomorrow"]),
            ],
            "updated": WallClock(store)(timezone.now()),
        },
    )


@require_http_methods(["GET"])
@page("appointments.view")
def board(request: HttpRequest) -> HttpResponse:
    """Today's and tomorrow's arrivals in large type for the lobby screen, names and plates masked;
    the rows refresh every minute; the QR code of the store's booking page when it takes bookings online."""
    return _board(request, "appointments/board.html", qr=True)


@require_http_methods(["GET"])
@page("appointments.view")
def board_rows(request: HttpRequest) -> HttpResponse:
    return _board(request, "appointments/_board_rows.html")


@require_http_methods(["GET"])
@page("appointments.view")
def advisor_day(request: HttpRequest) -> HttpResponse:
    """An advisor's bookings of a day with each car's earlier visits: the signed-in advisor's unless
    another (or every advisor) is chosen."""
    store = page_store(request)
    user = request_user(request)
    advisors = selectors.store_advisors(store)
    mine = str(user.pk) if any(pk == user.pk for pk, _name in advisors) else "all"
    data = None
    if request.GET:
        data = request.GET.copy()
        data.setdefault("advisor", mine)
    form = AdvisorDayForm(data, advisors=advisors, initial={"advisor": mine, "day": store_today(store)})
    day, chosen, status = store_today(store), mine, 200
    if form.is_bound:
        if form.is_valid():
            day = form.cleaned_data["day"] or day
            chosen = form.cleaned_data["advisor"] or mine
        else:
            status = 400
    advisor = User.objects.filter(pk=int(chosen)).first() if chosen != "all" else None
    clock = WallClock(store)
    rows = selectors.advisor_day(store, day, advisor) if status == 200 else []
    return render(
        request,
        "appointments/day.html",
        {
            "form": form,
            "day": day,
            "days": day_links(day),
            "advisor": advisor,
            "keep": "&" + urlencode({"advisor": chosen}),
            "rows": [
                (row, clock(row.starts_at), [(old, clock(old.starts_at)) for old in history]) for row, history in rows
            ],
        },
        status=status,
    )
