"""Access-matrix samples of the workshop's boards pages (``core.tests.routes`` merges them).

The world has no technicians: a sample dispatches a job of its own order to the user who asks (or, when
they may not work jobs, to the world's technician), made a technician of SH01 on shift all week; the
board then shows the job's card with its "move to" form, and the re-dispatch gives it to them again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aftersales.conftest import World
from aftersales.core.models import User
from aftersales.workshop.models import Job
from aftersales.workshop.tests.samples_pages import _job


def _redispatch(user: User, world: World) -> dict[str, Any]:
    job = Job.all_objects.get(pk=_job(user, world)["job_id"])
    return {"method": "POST", "data": {"job": str(job.pk), "technician": str(job.technician_id)}}


def _board(user: User, world: World) -> dict[str, Any]:
    """One job per world: the board shows every job of the store to whoever may see it."""
    if "_board_job" not in world.__dict__:
        world.__dict__["_board_job"] = _job(user, world)
    return {}


SAMPLES: dict[str, Callable[[User, World], dict[str, Any]]] = {
    "workshop:board": _board,
    "workshop:board_redispatch": _redispatch,
}
