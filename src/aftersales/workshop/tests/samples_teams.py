"""Access-matrix samples of the teams page (``core.tests.routes`` merges them)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

from aftersales.appointments.models import Technician
from aftersales.conftest import World
from aftersales.core.models import User
from aftersales.workshop.models import Team

_serial = count(1)


def _technician(world: World) -> int:
    user = world.user("technician")
    Technician.objects.get_or_create(store=world.sh, user=user)
    return user.pk


def _team(world: World) -> int:
    leader = _technician(world)
    team, _created = Team.objects.get_or_create(store=world.sh, name="机电一组", defaults={"leader_id": leader})
    team.members.add(leader)
    return team.pk


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "workshop:teams": lambda user, w: {},
    "workshop:team_add": lambda user, w: {
        "method": "POST",
        "data": {"new-name": f"班组{next(_serial)}", "new-leader": str(_technician(w)), "new-is_active": "on"},
    },
    "workshop:team_edit": lambda user, w: {
        "method": "POST",
        "kwargs": {"team_id": (team := _team(w))},
        "data": {
            f"team-{team}-name": "机电一组",
            f"team-{team}-leader": str(_technician(w)),
            f"team-{team}-is_active": "on",
        },
    },
}
