"""Comebacks (返修): the queue of new orders flagged as possible comebacks of earlier work (each matching
pair of lines and why), confirmed or rejected by the QC inspector, a new order linked to earlier work by
hand; and the comeback and internal-rework rates per technician, labour operation and store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.quality.forms import DecideForm, FlagForm, PeriodForm, QueueForm
from aftersales.quality.models import Comeback, ComebackLine
from aftersales.quality.selectors import Rate, comeback_queue, comeback_rates
from aftersales.quality.services import FlagIn, comeback_decide, comeback_flag
from aftersales.quality.views.base import WallClock, refusal_status
from aftersales.visits.models import Line, RepairOrder

DECIDE = "visits.qc_confirm"
PERIOD_DAYS = 90


# --- reads the selectors do not offer -------------------------------------------------------------------


def _comeback_of(request: HttpRequest, comeback_id: int) -> Comeback:
    """A comeback of the page's store; 404 for any other."""
    comeback = Comeback.all_objects.filter(pk=comeback_id, store=page_store(request)).first()
    if comeback is None:
        raise Http404
    return comeback


def _originals(comebacks: list[Comeback]) -> dict[int, str]:
    """The technician of each original line (its guarantee's, as the rate counts it), by comeback line."""
    return {
        line.pk: str(line.technician) if line.technician else "—"
        for comeback in comebacks
        for line in comeback.lines.all()
    }


def _order_by_number(store: Store, number: str, *, group: bool = False) -> RepairOrder | None:
    rows = RepairOrder.all_objects.filter(number=number.strip())
    rows = rows.filter(store__group_id=store.group_id) if group else rows.filter(store=store)
    return rows.first()


def _line_ids(order: RepairOrder, positions: set[int]) -> dict[int, int]:
    """The order's lines at ``positions``: position -> line id."""
    return dict(Line.all_objects.filter(order=order, position__in=positions).values_list("position", "pk"))


# --- the queue -----------------------------------------------------------------------------------------


def _queue_page(
    request: HttpRequest,
    *,
    state: str = Comeback.State.FLAGGED,
    status: int = 200,
    decide_form: tuple[int, DecideForm] | None = None,
    flag_form: FlagForm | None = None,
    queue_form: QueueForm | None = None,
) -> HttpResponse:
    store = page_store(request)
    clock = WallClock(store)
    comebacks = comeback_queue([store.pk], state=state)
    technicians = _originals(comebacks)
    may_decide = can_here(request, DECIDE)
    rows = []
    for comeback in comebacks:
        form = decide_form[1] if decide_form and decide_form[0] == comeback.pk else DecideForm(auto_id=False)
        rows.append(
            {
                "comeback": comeback,
                "flagged": clock(comeback.flagged_at),
                "decided": clock.maybe(comeback.decided_at),
                "lines": [
                    {
                        "line": line,
                        "why": [str(ComebackLine.Match(value).label) for value in line.matched_by],
                        "technician": technicians[line.pk],
                    }
                    for line in comeback.lines.all()
                ],
                "form": form,
            }
        )
    context = {
        "store": store,
        "state": state,
        "tabs": Comeback.State.choices,
        "rows": rows,
        "may_decide": may_decide,
        "queue_form": queue_form or QueueForm(initial={"state": state}),
        "flag_form": flag_form or FlagForm(),
        "bound_decide": decide_form[1] if decide_form else None,
    }
    return render(request, "quality/comebacks.html", context, status=status)


def _flag(request: HttpRequest, form: FlagForm) -> Comeback | None:
    """Link the orders the form names (numbers of the page's store, the earlier one of its group)."""
    store = page_store(request)
    data = form.cleaned_data
    order = _order_by_number(store, data["order"])
    original = _order_by_number(store, data["original_order"], group=True)
    if order is None:
        form.add_error("order", _("No repair order %(number)s in this store.") % {"number": data["order"]})
    if original is None:
        form.add_error(
            "original_order", _("No repair order %(number)s in this group.") % {"number": data["original_order"]}
        )
    if order is None or original is None:
        return None
    pairs = data["pairs"]
    mine = _line_ids(order, {new for new, _old in pairs})
    theirs = _line_ids(original, {old for _new, old in pairs})
    missing = [f"{order.number} {new}" for new, _old in pairs if new not in mine]
    missing += [f"{original.number} {old}" for _new, old in pairs if old not in theirs]
    if missing:
        form.add_error("pairs", _("No such line: %(lines)s.") % {"lines": ", ".join(dict.fromkeys(missing))})
        return None
    return comeback_flag(
        actor=request_user(request),
        data=FlagIn(
            order_id=order.pk,
            original_order_id=original.pk,
            lines=[(mine[new], theirs[old]) for new, old in pairs],
            note=data["note"],
        ),
    )


@require_http_methods(["GET", "POST"])
@page("quality.view")
def queue(request: HttpRequest) -> HttpResponse:
    """The comebacks of the page's store by state; a POST links an order to earlier work (``visits.qc_confirm``)."""
    if request.method == "GET":
        form = QueueForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return _queue_page(request, status=400, queue_form=form)
        state = (form.cleaned_data.get("state") if form.is_bound else "") or Comeback.State.FLAGGED
        return _queue_page(request, state=state, queue_form=form if form.is_bound else None)
    if not can_here(request, DECIDE):
        raise PermissionDenied
    flag_form = FlagForm(request.POST)
    status = 400
    if flag_form.is_valid():
        try:
            comeback = _flag(request, flag_form)
        except ApplicationError as error:
            status = refusal_status(flag_form, error)
        else:
            if comeback is not None:
                messages.success(
                    request,
                    _("%(order)s is linked to %(original)s as a possible comeback.")
                    % {"order": comeback.order.number, "original": comeback.original.number},
                )
                return redirect("quality:comebacks")
    return _queue_page(request, status=status, flag_form=flag_form)


@require_POST
@page(DECIDE)
def decide(request: HttpRequest, comeback_id: int) -> HttpResponse:
    """Confirm a flagged comeback (its work becomes the comeback pay type) or reject it, saying why."""
    comeback = _comeback_of(request, comeback_id)
    form = DecideForm(request.POST, auto_id=False)
    status = 400
    if form.is_valid():
        confirm = form.cleaned_data["decision"] == "confirm"
        try:
            comeback_decide(
                actor=request_user(request), comeback_id=comeback.pk, confirm=confirm, note=form.cleaned_data["note"]
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            done = (
                _("The comeback is confirmed: its work is at the store's cost.")
                if confirm
                else _("The comeback is rejected.")
            )
            messages.success(request, done)
            return redirect("quality:comebacks")
    return _queue_page(request, state=comeback.state, status=status, decide_form=(comeback.pk, form))


# --- the rates ------------------------------------------------------------------------------------------


def _chart(rates: list[Rate]) -> dict[str, Any]:
    return {
        "names": [rate.name for rate in rates],
        "rates": [float(rate.comeback_rate) for rate in rates],
        "reworks": [rate.reworks for rate in rates],
        "labels": {"rate": _("Comeback rate %"), "reworks": _("Internal reworks")},
    }


@require_GET
@page("quality.view")
def rates(request: HttpRequest) -> HttpResponse:
    """Delivered labour lines, comebacks, the comeback rate and internal reworks of a period (the last 90
    days unless chosen) per technician, labour operation and store."""
    store = page_store(request)
    today = store_calendar(store).local_date(timezone.now())
    default_since = today - timedelta(days=PERIOD_DAYS)
    form = PeriodForm(request.GET or None, initial={"since": default_since, "until": today})
    status, result = 200, None
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        since, until = data.get("since") or default_since, data.get("until") or today
        result = comeback_rates([store.pk], since=since, until=until)
    context: dict[str, Any] = {"store": store, "form": form, "rates": result}
    if result is not None:
        context |= {
            "since": since,
            "until": until,
            "tables": [
                ("technicians", _("Per technician"), result.technicians),
                ("operations", _("Per labour operation"), result.operations),
                ("stores", _("Per store"), result.stores),
            ],
            "chart": _chart(result.technicians),
        }
    return render(request, "quality/rates.html", context, status=status)
