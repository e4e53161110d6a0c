"""The workshop's boards: the foreman's job board (kanban by state, or a column per technician where a
card is dragged to re-dispatch it), the customer lounge's screen, the advisor's open orders with what
comes next, and the technicians' load of a day. Each reads its selector; re-dispatch is the service's."""

from __future__ import annotations

import typing
from datetime import date
from html import escape
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from aftersales.appointments.forms import within_days
from aftersales.appointments.models import Technician
from aftersales.appointments.selectors import store_advisors
from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.models import Bay, Store
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.workshop import services
from aftersales.workshop.models import Job
from aftersales.workshop.selectors import Board, BoardFilter, Card, job_board, technicians_load
from aftersales.workshop.selectors import advisor_orders as open_orders
from aftersales.workshop.selectors import lounge_board as lounge_progress
from aftersales.workshop.views.base import WallClock, is_htmx, job_of, refusal_status

J = Job.State
# A job on the clock or done is not re-dispatched (the service refuses it): its card does not move.
MOVABLE = (J.ASSIGNED, J.ACCEPTED, J.PAUSED)
VIEWS = (("state", gettext_lazy("By state")), ("technician", gettext_lazy("By technician")))
STEPS = 4  # the lounge's progress bar


def _choose(form: forms.Form, name: str, choices: list[tuple[Any, Any]]) -> None:
    typing.cast(forms.ChoiceField, form.fields[name]).choices = choices


def _id_choice(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, required=False, empty_value=None)


class BoardFilterForm(StyledForm):
    """The board's filters and how it is laid out."""

    advisor = _id_choice(gettext_lazy("Service advisor"))
    technician = _id_choice(gettext_lazy("Technician"))
    bay = _id_choice(gettext_lazy("Bay"))
    by = forms.ChoiceField(label=gettext_lazy("View"), choices=VIEWS, required=False, widget=forms.HiddenInput)
    # The card whose "Move to" form is open (the board renders that one form only).
    move = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        advisors: list[tuple[int, str]],
        technicians: list[tuple[int, str]],
        bays: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.technicians, self.bays = technicians, bays  # the board shows them too: read once
        for name, choices, everyone in (
            ("advisor", advisors, _("All advisors")),
            ("technician", technicians, _("All technicians")),
            ("bay", bays, _("All bays")),
        ):
            _choose(self, name, [("", everyone), *[(str(pk), label) for pk, label in choices]])


class RedispatchForm(StyledForm):
    """A card dropped on a technician's column (or moved with the card's own form)."""

    job = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    technician = forms.TypedChoiceField(label=gettext_lazy("Technician"), coerce=int)
    by = forms.ChoiceField(choices=VIEWS, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, technicians: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "technician", [(str(pk), label) for pk, label in technicians])


class AdvisorOrdersForm(StyledForm):
    advisor = forms.ChoiceField(label=gettext_lazy("Service advisor"), required=False)

    def __init__(self, *args: Any, advisors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "advisor", [("all", _("Everyone")), *[(str(pk), name) for pk, name in advisors]])


class LoadDayForm(StyledForm):
    day = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        validators=[within_days],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


# --- the job board ----------------------------------------------------------------------------------------


def _technicians(store: Store) -> list[tuple[int, str]]:
    return [
        (row.user_id, row.user.full_name or row.user.username)
        for row in Technician.objects.filter(store=store, is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    ]


def _board_form(store: Store, data: Any = None) -> BoardFilterForm:
    return BoardFilterForm(
        data,
        advisors=store_advisors(store),
        technicians=_technicians(store),
        bays=list(Bay.objects.filter(store=store, is_active=True).order_by("code").values_list("pk", "code")),
    )


def _with(query: Any, **values: str) -> str:
    query = query.copy()
    for key, value in values.items():
        query[key] = value
    return str(query.urlencode())


Column = tuple[str, str, list[Card], int | None]  # code, title, cards, the technician a card dropped on gets


def _by_technician(board: Board) -> list[Column]:
    """A column per technician with their jobs; the lines to dispatch first, team jobs last."""
    cards = [card for _code, _label, column in board.columns for card in column]
    code, label, waiting = board.columns[0]
    columns: list[Column] = [(code, label, waiting, None)]
    for user_id, name in board.technicians:
        mine = [card for card in cards if card.technician_id == user_id]
        columns.append((f"technician-{user_id}", name, mine, user_id))
    known = {user_id for user_id, _name in board.technicians}
    others = [card for card in cards if card.job_id and card.technician_id not in known]
    if others:
        columns.append(("others", _("Teams and others"), others, None))
    return columns


class CardRenderer:
    """A card of the board as HTML. A board of 200 open orders has some 600 cards: built here, each value
    escaped, they take a fraction of what a template included per card takes (the ``board`` bench). The
    values are plain strings: the standard library's ``html.escape`` (what Django's calls, without its
    check of each argument for lazy text) escapes the same five characters."""

    def __init__(
        self,
        request: HttpRequest,
        clock: WallClock,
        *,
        foreman: bool,
        by: str,
        moving: int | None,
        technicians: list[tuple[int, str]],
    ) -> None:
        self.request, self.clock, self.foreman, self.by = request, clock, foreman, by
        self.moving, self.technicians = moving, technicians
        self.order_url = reverse("visits:order", args=[0]).replace("/0/", "/{}/")
        self.dispatch_url = reverse("workshop:dispatch", args=[0]).replace("/0/", "/{}/")
        query = request.GET.copy()
        query.pop("move", None)
        query["by"] = by
        self.move_query = escape(query.urlencode())
        self.words = {
            name: escape(text)
            for name, text in (
                ("deadline", _("Deadline")),
                ("promised", _("Promised")),
                ("late", _("Late")),
                ("parts", _("Waiting for parts")),
                ("dispatch", _("Dispatch")),
                ("technician", _("Technician")),
                ("move", _("Move")),
                ("move_to", _("Move to")),
            )
        }

    def _due(self, card: Card) -> str:
        if card.deadline:
            return f"{self.words['deadline']} {self.clock(card.deadline):%m-%d %H:%M}"
        if card.promised_at:
            return f"{self.words['promised']} {self.clock(card.promised_at):%m-%d %H:%M}"
        return ""

    def _move(self, card: Card) -> str:
        words = self.words
        if card.job_id != self.moving:
            return (
                f'<a class="small d-inline-block mt-1" href="?{self.move_query}&amp;move={card.job_id}'
                f'#card-{card.line_id}" data-testid="move-link">{words["move_to"]}</a>'
            )
        options = "".join(
            f'<option value="{pk}"{" selected" if pk == card.technician_id else ""}>{escape(name)}</option>'
            for pk, name in self.technicians
        )
        return (
            f'<form method="post" action="{reverse("workshop:board_redispatch")}" class="d-flex gap-1 mt-1 small" '
            f'data-testid="move-form">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(self.request)}">'
            f'<input type="hidden" name="job" value="{card.job_id}">'
            f'<input type="hidden" name="by" value="{escape(self.by)}">'
            f'<label class="visually-hidden" for="move-{card.job_id}">{words["technician"]}</label>'
            f'<select name="technician" id="move-{card.job_id}" class="form-select form-select-sm">{options}</select>'
            f'<button class="btn btn-sm btn-outline-primary" type="submit">{words["move"]}</button></form>'
        )

    def movable(self, card: Card) -> bool:
        """Whether the reader may drag the card to another technician."""
        return self.foreman and card.job_id is not None and card.column in MOVABLE

    def __call__(self, card: Card) -> str:
        words = self.words
        movable = self.movable(card)
        late = " late" if card.late else ""
        drag = f' draggable="true" data-job="{card.job_id}"' if movable else ""
        badges = ""
        if card.late or card.waiting_parts:
            badges = '<div class="mt-1">'
            if card.late:
                badges += f'<span class="badge text-bg-danger" data-testid="late">{words["late"]}</span> '
            if card.waiting_parts:
                badges += (
                    '<span class="badge text-bg-warning" data-testid="waiting-parts"><i class="bi bi-box-seam"></i> '
                    f"{words['parts']}</span>"
                )
            badges += "</div>"
        dispatch = ""
        if card.column == "dispatch" and self.foreman:
            dispatch = (
                f'<a class="btn btn-sm btn-outline-primary mt-1" href="{self.dispatch_url.format(card.order_id)}" '
                f'data-testid="dispatch-link"><i class="bi bi-send"></i> {words["dispatch"]}</a>'
            )
        return (
            f'<article class="card board-card shadow-sm{late}"{drag} id="card-{card.line_id}" '
            f'data-testid="card-{card.line_id}"><div class="card-body p-2">'
            f'<div class="d-flex justify-content-between gap-1"><a class="fw-semibold" '
            f'href="{self.order_url.format(card.order_id)}">{escape(card.order_number)}</a>'
            f'<span class="font-monospace">{escape(card.plate)}</span></div>'
            f'<div>{escape(card.description)} <span class="text-secondary">· {card.hours} h</span></div>'
            f'<div class="small text-secondary"><i class="bi bi-person"></i> {escape(card.worker or "—")} · '
            f'<i class="bi bi-p-square"></i> {escape(card.bay or "—")}</div>'
            f'<div class="small{" text-danger fw-semibold" if card.late else ""}">{self._due(card)}</div>'
            f"{badges}{dispatch}{self._move(card) if movable else ''}</div></article>"
        )


def _board_page(
    request: HttpRequest,
    store: Store,
    form: BoardFilterForm,
    *,
    status: int = 200,
    by: str | None = None,
    **extra: Any,
) -> HttpResponse:
    """The board (the whole page, or its columns for HTMX) with the selector's cards by state, or a column
    per technician; nothing but the form's errors when the filters are refused."""
    valid = form.is_bound and not form.errors
    data = form.cleaned_data if valid else {}
    by = by or data.get("by") or "state"
    clock = WallClock(store)
    foreman = can_here(request, "workshop.dispatch")
    columns: list[dict[str, Any]] = []
    board = None
    if valid or not form.is_bound:
        board = job_board(
            store,
            BoardFilter(advisor=data.get("advisor"), technician=data.get("technician"), bay=data.get("bay")),
            technicians=form.technicians,
            bays=form.bays,
        )
        laid_out = (
            _by_technician(board)
            if by == "technician"
            else [(code, label, cards, None) for code, label, cards in board.columns]
        )
        cards = CardRenderer(
            request, clock, foreman=foreman, by=by, moving=data.get("move"), technicians=board.technicians
        )
        columns = [
            {
                "code": code,
                "title": label,
                "technician": technician,
                "count": len(cards_of),
                "cards": [{"card": card, "movable": cards.movable(card)} for card in cards_of],
                "html": mark_safe("".join(cards(card) for card in cards_of)),  # noqa: S308 - escaped piece by piece
            }
            for code, label, cards_of, technician in laid_out
        ]
    query = request.GET.copy()
    query.pop("by", None)
    query.pop("move", None)
    refresh = f"{reverse('workshop:board')}?{_with(query, by=by)}"
    context = {
        "board": board,
        "columns": columns,
        "form": form,
        "by": by,
        "views": [(code, label, f"?{_with(query, by=code)}") for code, label in VIEWS],
        "foreman": foreman,
        "technicians": board.technicians if board else [],
        "refresh": refresh,
        "updated": clock(timezone.now()),
        **extra,
    }
    template = "workshop/boards/_board.html" if is_htmx(request) else "workshop/boards/board.html"
    return render(request, template, context, status=status)


@require_GET
@page("workshop.view")
def board(request: HttpRequest) -> HttpResponse:
    """The job board: approved work to dispatch, the jobs by state and those done today (late ones red,
    those waiting for parts marked), filtered by advisor, technician and bay; ``?by=technician`` puts a
    column per technician, where the foreman drags a card to another technician to re-dispatch it."""
    store = page_store(request)
    form = _board_form(store, request.GET or None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return _board_page(request, store, form, status=status)


@require_POST
@page("workshop.dispatch")
def board_redispatch(request: HttpRequest) -> HttpResponse:
    """A card dropped on another technician: the job re-dispatched to them (same bay) with the dispatch
    checks; a refusal shows the service's message on the board and changes nothing."""
    store = page_store(request)
    form = RedispatchForm(request.POST, technicians=_technicians(store))
    status = 400
    if form.is_valid():
        job = job_of(request, form.cleaned_data["job"])
        try:
            moved = services.redispatch(
                actor=request_user(request),
                job_id=job.pk,
                data=services.DispatchIn(
                    line_id=job.line_id, technician_id=form.cleaned_data["technician"], bay_id=job.bay_id
                ),
            )
        except ApplicationError as refusal:
            status = refusal_status(form, refusal)
        else:
            done = _("%(order)s · %(line)s is re-dispatched to %(who)s.") % {
                "order": job.order.number,
                "line": job.line.description,
                "who": moved.technician,
            }
            by = form.cleaned_data["by"] or "technician"
            if not is_htmx(request):
                messages.success(request, done)
                return redirect(f"{reverse('workshop:board')}?by={by}")
            return _board_page(request, store, _board_form(store), by=by, done=done, redispatch=form)
    by = form.cleaned_data.get("by") or "technician"
    error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return _board_page(request, store, _board_form(store), status=status, by=by, error=error, redispatch=form)


# --- the customer lounge --------------------------------------------------------------------------------


def _lounge(request: HttpRequest, template: str) -> HttpResponse:
    store = page_store(request)
    clock = WallClock(store)
    now = clock(timezone.now())
    rows = [
        {
            "progress": progress,
            "eta": clock.maybe(progress.promised_at),
            "percent": progress.step * 100 // STEPS,
        }
        for progress in lounge_progress(store)
    ]
    return render(
        request, template, {"store": store, "rows": rows, "updated": now, "today": now.date(), "steps": STEPS}
    )


@require_GET
@page("workshop.view")
def lounge(request: HttpRequest) -> HttpResponse:
    """The customer lounge's screen: each car on site with its plate masked, its stage, the promised time
    and a progress bar; the rows refresh every 30 seconds."""
    return _lounge(request, "workshop/boards/lounge.html")


@require_GET
@page("workshop.view")
def lounge_rows(request: HttpRequest) -> HttpResponse:
    return _lounge(request, "workshop/boards/_lounge_rows.html")


# --- the advisor's open orders ----------------------------------------------------------------------------


@require_GET
@page("workshop.view")
def advisor_orders(request: HttpRequest) -> HttpResponse:
    """The open orders of the signed-in advisor (or another, or everyone's), each with what comes next and
    what holds it: parts, the customer's approval, the car off site, the promised time passed."""
    store = page_store(request)
    user = request_user(request)
    advisors = store_advisors(store)
    mine = str(user.pk) if any(pk == user.pk for pk, _name in advisors) else "all"
    data = None
    if request.GET:
        data = request.GET.copy()
        data.setdefault("advisor", mine)
    form = AdvisorOrdersForm(data, advisors=advisors, initial={"advisor": mine})
    chosen, status = mine, 200
    if form.is_bound:
        if form.is_valid():
            chosen = form.cleaned_data["advisor"] or mine
        else:
            status = 400
    clock = WallClock(store)
    rows = (
        [
            {"order": row, "promised": clock.maybe(row.promised_at)}
            for row in open_orders(store, None if chosen == "all" else int(chosen))
        ]
        if status == 200
        else []
    )
    names = dict(advisors)
    return render(
        request,
        "workshop/boards/orders.html",
        {"form": form, "rows": rows, "advisor": names.get(int(chosen)) if chosen != "all" else None},
        status=status,
    )


# --- the technicians' load ----------------------------------------------------------------------------


@require_GET
@page("workshop.view")
def load(request: HttpRequest) -> HttpResponse:
    """Each technician's hours booked, on shift and on the clock on a day (today unless another is chosen),
    as a chart and as a table."""
    store = page_store(request)
    today = store_today(store)
    form = LoadDayForm(request.GET or None, initial={"day": today})
    day: date = today
    status = 200
    if form.is_bound:
        if form.is_valid():
            day = form.cleaned_data["day"] or today
        else:
            status = 400
    rows = technicians_load(store, day) if status == 200 else []
    chart = {
        "names": [row.name for row in rows],
        "series": [
            {"name": str(_("Booked")), "values": [float(row.booked) for row in rows]},
            {"name": str(_("On shift")), "values": [float(row.shift) for row in rows]},
            {"name": str(_("Worked")), "values": [float(row.worked) for row in rows]},
        ],
    }
    return render(
        request,
        "workshop/boards/load.html",
        {"form": form, "day": day, "rows": rows, "chart": chart, "today": today},
        status=status,
    )
