"""Workshop teams (班组): a name, a leader and members, all technicians of the store. A job dispatched to a
team is worked by its members on one clock; its leader's qualifications are the ones dispatch checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.appointments.models import Technician
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.parts.services.ledger import store_access
from aftersales.workshop.models import Team

NAME_MAX = 60


@dataclass
class TeamIn:
    name: str
    leader_id: int | None
    member_ids: list[int] = field(default_factory=list)
    is_active: bool = True


def team_save(*, actor: User, store_id: int, data: TeamIn, team_id: int | None = None) -> Team:
    """Add a team of the store or change one (``workshop.settings``): a name unique in the store, a leader
    and members among its active technicians (the leader is a member too). Nothing is written on an error."""
    store = store_access(actor=actor, store_id=store_id, permission="workshop.settings")
    errors: dict[str, list[str]] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(n)d characters.") % {"n": NAME_MAX}]
    technicians = set(
        Technician.objects.filter(store=store, is_active=True, user__is_active=True).values_list("user_id", flat=True)
    )
    if data.leader_id is None:
        errors["leader"] = [_("This field is required.")]
    elif data.leader_id not in technicians:
        errors["leader"] = [_("Choose one of this store's technicians.")]
    members = {*data.member_ids, *([data.leader_id] if data.leader_id is not None else [])}
    if members - technicians - {data.leader_id}:
        errors["members"] = [_("Choose one of this store's technicians.")]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors)
    with transaction.atomic():
        team = Team() if team_id is None else Team.objects.select_for_update().filter(pk=team_id, store=store).first()
        if team is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        team.store, team.name, team.leader_id, team.is_active = store, name, data.leader_id, data.is_active
        try:
            with transaction.atomic():
                team.save(actor=actor)
        except IntegrityError as error:
            raise ApplicationError(
                _("This store has a team of this name already."), code="duplicate", field="name"
            ) from error
        team.members.set(sorted(members))
        audit_append(
            action="team_members",
            actor=actor,
            store_id=store.pk,
            object_type="workshop.team",
            object_id=str(team.pk),
            object_repr=team.name,
            changes={"members": sorted(members)},
        )
    return team
