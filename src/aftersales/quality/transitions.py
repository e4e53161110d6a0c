"""The guards quality registers on the repair order's ``ready`` (DESIGN-visit "States, transitions and
guards"): the final inspection passed, the car washed or recorded as not washed, handed over to the
advisor, and every line finished. ``ready`` and ``deliver`` are taken only by this area's services."""

from __future__ import annotations

from django.utils.translation import gettext as _

from aftersales.quality.models import Handover, Wash
from aftersales.quality.services.common import inspection_passed, no_labour, unfinished_lines
from aftersales.visits.models import RepairOrder
from aftersales.visits.transitions import REPAIR_ORDER


@REPAIR_ORDER.guard("ready")
def _final_inspection_passed(order: RepairOrder) -> str | None:
    if not (inspection_passed(order) or no_labour(order)):
        return _("The final inspection has not passed.")
    return None


@REPAIR_ORDER.guard("ready")
def _washed_and_handed_over(order: RepairOrder) -> str | None:
    if not Wash.objects.filter(visit_id=order.visit_id).exists():
        return _("The car is not washed, nor recorded as not washed.")
    if not Handover.objects.filter(visit_id=order.visit_id).exists():
        return _("The workshop has not handed the car over to the advisor.")
    return None


@REPAIR_ORDER.guard("ready")
@REPAIR_ORDER.guard("deliver")
def _lines_finished(order: RepairOrder) -> str | None:
    unfinished = unfinished_lines([order])
    if unfinished:
        return _("Not done yet: %(lines)s.") % {"lines": ", ".join(unfinished)}
    return None
