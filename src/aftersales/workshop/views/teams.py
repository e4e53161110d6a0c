"""The workshop's teams (班组): who leads each and who is in it; added and changed by whoever keeps the
workshop's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from aftersales.appointments.models import Technician
from aftersales.core.errors import ApplicationError
from aftersales.core.forms import StyledForm
from aftersales.core.models import Store
from aftersales.core.routing import can_here, page, page_store, request_user
from aftersales.workshop.models import Team
from aftersales.workshop.services.teams import NAME_MAX, TeamIn, team_save
from aftersales.workshop.views.base import refusal_status


class TeamForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=NAME_MAX)
    leader = forms.TypedChoiceField(label=gettext_lazy("Leader"), coerce=int)
    members = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Members"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, technicians: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(pk), name) for pk, name in technicians]
        self.fields["leader"].choices = [("", "—"), *choices]  # type: ignore[attr-defined]
        self.fields["members"].choices = choices  # type: ignore[attr-defined]


def _technicians(store: Store) -> list[tuple[int, str]]:
    rows = Technician.objects.filter(store=store, is_active=True, user__is_active=True).select_related("user")
    return sorted(((row.user_id, str(row.user)) for row in rows), key=lambda row: row[1])


def _page(
    request: HttpRequest, *, form: TeamForm | None = None, editing: int | None = None, status: int = 200
) -> HttpResponse:
    store = page_store(request)
    technicians = _technicians(store)
    teams = list(Team.objects.filter(store=store).select_related("leader").prefetch_related("members").order_by("name"))
    rows = []
    for team in teams:
        if form is not None and editing == team.pk:
            team_form = form
        else:
            team_form = TeamForm(
                initial={
                    "name": team.name,
                    "leader": team.leader_id,
                    "members": [member.pk for member in team.members.all()],
                    "is_active": team.is_active,
                },
                technicians=technicians,
                prefix=f"team-{team.pk}",
            )
        rows.append({"team": team, "form": team_form})
    new = form if form is not None and editing is None else TeamForm(technicians=technicians, prefix="new")
    context = {"rows": rows, "new": new, "may_change": can_here(request, "workshop.settings"), "form": form}
    return render(request, "workshop/teams/teams.html", context, status=status)


@require_http_methods(["GET"])
@page("workshop.view")
def teams(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _save(request: HttpRequest, team_id: int | None) -> HttpResponse:
    store = page_store(request)
    form = TeamForm(
        request.POST, technicians=_technicians(store), prefix="new" if team_id is None else f"team-{team_id}"
    )
    if not form.is_valid():
        return _page(request, form=form, editing=team_id, status=400)
    data = TeamIn(
        name=form.cleaned_data["name"],
        leader_id=form.cleaned_data["leader"],
        member_ids=list(form.cleaned_data["members"]),
        is_active=form.cleaned_data["is_active"],
    )
    try:
        team = team_save(actor=request_user(request), store_id=store.pk, data=data, team_id=team_id)
    except ApplicationError as error:
        return _page(request, form=form, editing=team_id, status=refusal_status(form, error))
    messages.success(request, _("Team %(name)s is saved.") % {"name": team.name})
    return redirect("workshop:teams")


@require_http_methods(["POST"])
@page("workshop.settings")
def team_add(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@require_http_methods(["POST"])
@page("workshop.settings")
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    return _save(request, team_id)
