"""The dispatch page (派单) of a repair order: its labour lines, a form per approved line not yet
dispatched (technicians ranked with their load and efficiency, the suggested one chosen; those not
qualified shown with why), and the job of each line dispatched."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Bay
from aftersales.core.routing import page, request_user
from aftersales.visits.models import Line, RepairOrder
from aftersales.workshop import services
from aftersales.workshop.forms import DispatchForm
from aftersales.workshop.models import Team
from aftersales.workshop.views.base import WallClock, order_of, refusal_status


def _dispatch_page(
    request: HttpRequest, order: RepairOrder, *, form: DispatchForm | None = None, status: int = 200
) -> HttpResponse:
    store = order.store
    lines = list(
        Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR)
        .select_related("operation", "job__technician", "job__team", "job__bay")
        .order_by("position")
    )
    open_lines = [line for line in lines if line.state == Line.State.APPROVED and not hasattr(line, "job")]
    teams = [(team.pk, team.name) for team in Team.objects.filter(store=store, is_active=True).order_by("name")]
    bays = [
        (bay.pk, f"{bay.code} {bay.get_kind_display()}")
        for bay in Bay.objects.filter(store=store, is_active=True).order_by("code")
    ]
    clock = WallClock(store)
    rows: list[dict[str, Any]] = []
    sent_for = form.line_id() if form is not None else None
    for line in lines:
        row: dict[str, Any] = {"line": line, "job": getattr(line, "job", None)}
        if row["job"] is not None:
            row["deadline"] = clock.maybe(row["job"].deadline)
        if line in open_lines:
            candidates = services.candidates(store=store, line=line, order=order)
            suggested = services.suggestion(candidates)
            row["candidates"] = candidates
            row["suggested"] = suggested
            if form is not None and sent_for == line.pk:
                row["form"] = form
                chosen = str(form.data.get("technician", ""))
            else:
                row["form"] = DispatchForm(
                    initial={"line": line.pk, "technician": suggested.user_id if suggested else None},
                    lines=[line.pk],
                    technicians=[(c.user_id, c.name) for c in candidates],
                    teams=teams,
                    bays=bays,
                    auto_id=f"id_%s_{line.pk}",
                )
                chosen = str(suggested.user_id) if suggested else ""
            row["chosen"] = chosen
        rows.append(row)
    context = {
        "order": order,
        "rows": rows,
        "form": form,
        "form_elsewhere": form is not None and not any(row.get("form") is form for row in rows),
        "tab": "dispatch",
    }
    return render(request, "workshop/dispatch.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page("workshop.dispatch")
def dispatch(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order's labour lines; POST dispatches one (its technician or team, and bay)."""
    order = order_of(request, order_id)
    if request.method == "GET":
        return _dispatch_page(request, order)
    open_lines = list(
        Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR, state=Line.State.APPROVED, job__isnull=True)
        .select_related("operation")
        .order_by("position")
    )
    store = order.store
    technicians = (
        [(c.user_id, c.name) for c in services.candidates(store=store, line=open_lines[0], order=order)]
        if open_lines
        else []
    )
    sent = request.POST.get("line", "")
    form = DispatchForm(
        request.POST,
        lines=[line.pk for line in open_lines],
        technicians=technicians,
        teams=[(team.pk, team.name) for team in Team.objects.filter(store=store, is_active=True)],
        bays=[(bay.pk, bay.code) for bay in Bay.objects.filter(store=store, is_active=True)],
        auto_id=f"id_%s_{sent if sent.isdigit() and len(sent) < 19 else 'sent'}",
    )
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            job = services.dispatch(
                actor=request_user(request),
                order_id=order.pk,
                data=services.DispatchIn(
                    line_id=data["line"], technician_id=data["technician"], team_id=data["team"], bay_id=data["bay"]
                ),
            )
        except ApplicationError as error:
            status = refusal_status(form, error)
        else:
            who = job.technician or job.team
            messages.success(request, _("The work is dispatched to %(who)s.") % {"who": who})
            return redirect("workshop:dispatch", order_id=order.pk)
    return _dispatch_page(request, order, form=form, status=status)
