"""Background jobs of quality: thin, idempotent wrappers around a service."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from aftersales.quality.services import sanbao


@db_task()
def sanbao_part_cars(group_id: int, part_id: int) -> int:
    """Evaluate again the 三包 rules of the group's household cars whose work involved a part whose listing
    changed (evaluating twice raises nothing twice)."""
    return sanbao.sanbao_part_reevaluate(group_id=group_id, part_id=part_id)
