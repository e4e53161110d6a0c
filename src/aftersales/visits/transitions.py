"""The states of the repair order, its lines and their jobs, exactly as DESIGN-visit's table names them,
with the actions between them and who may take each (``core.transitions``).

Guards other areas register: quality registers "final inspection passed" on ``ready``, settlement
"customer share paid or credit approved" on ``deliver``. ``ready`` and ``deliver`` happen only through
the quality and delivery services: the generic transitions endpoint refuses them (``SERVICE_ONLY``).
"Waiting for parts", "waiting for approval" and "off site" are derived flags, not states.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from aftersales.core.models import User
from aftersales.core.transitions import StateTable, Transition
from aftersales.visits.models import Diagnosis, Line, RepairOrder

R = RepairOrder.State
L = Line.State

REPAIR_ORDER = StateTable(
    "repair order",
    [
        # The first job dispatched (the workshop's dispatch takes this action).
        Transition("start_work", (R.OPEN,), R.IN_WORK, "repair_orders.workshop"),
        Transition("complete", (R.IN_WORK,), R.COMPLETED, "repair_orders.workshop"),
        # An order with no labour to do (the customer declined every repair: a diagnosis fee) is done as it
        # stands; quality takes it at the pre-delivery check.
        Transition("close_out", (R.OPEN,), R.COMPLETED, "repair_orders.workshop"),
        # A failed final inspection sends the order back to the workshop.
        Transition("rework", (R.COMPLETED,), R.IN_WORK, "repair_orders.workshop"),
        Transition("ready", (R.COMPLETED,), R.READY, "repair_orders.workshop"),
        Transition("deliver", (R.READY,), R.DELIVERED, "visits.receive"),
        Transition("close", (R.DELIVERED,), R.CLOSED, "repair_orders.close"),
        Transition("cancel", (R.OPEN,), R.CANCELLED, "repair_orders.cancel"),
    ],
    field="state",
)

# Only their services take these: final inspection (quality: ``rework`` when it fails) and delivery of the
# visit; ``close_out`` at the pre-delivery check of an order with no labour.
SERVICE_ONLY = frozenset({"ready", "deliver", "rework", "close_out"})

# Approving and declining check the permission of the approval's kind (services.approvals): any reader
# of the order may hold one of them (the warranty clerk records a pre-authorisation without receiving).
LABOUR_LINE = StateTable(
    "labour line",
    [
        Transition("approve", (L.PROPOSED,), L.APPROVED, "visits.view"),
        Transition("decline", (L.PROPOSED,), L.DECLINED, "visits.view"),
        Transition("dispatch", (L.APPROVED,), L.DISPATCHED, "repair_orders.workshop"),
        Transition("start", (L.DISPATCHED,), L.IN_PROGRESS, "repair_orders.workshop"),
        Transition("finish", (L.IN_PROGRESS,), L.DONE, "repair_orders.workshop"),
        Transition("rework", (L.DONE,), L.IN_PROGRESS, "repair_orders.workshop"),
        Transition("cancel", (L.PROPOSED, L.APPROVED), L.CANCELLED, "visits.receive"),
    ],
    field="state",
)

# A part is done when issued, sublet work when it comes back, a fee at approval.
OTHER_LINE = StateTable(
    "line",
    [
        Transition("approve", (L.PROPOSED,), L.APPROVED, "visits.view"),
        Transition("decline", (L.PROPOSED,), L.DECLINED, "visits.view"),
        Transition("finish", (L.APPROVED,), L.DONE, "repair_orders.workshop"),
        Transition("cancel", (L.PROPOSED, L.APPROVED), L.CANCELLED, "visits.receive"),
    ],
    field="state",
)


def line_table(line: Line) -> StateTable:
    return LABOUR_LINE if line.kind == Line.Kind.LABOUR else OTHER_LINE


# A labour line moves through the workshop only by its job (dispatch, the technician's clock).
WORKSHOP_ONLY = frozenset({"dispatch", "start", "finish", "rework"})
# Approving and declining are taken by recording an approval.
BY_APPROVAL = frozenset({"approve", "decline"})


def line_actions(line: Line, user: User) -> list[str]:
    """The actions a line's generic endpoint offers ``user``: not approvals, not a labour line's workshop
    steps."""
    hidden = BY_APPROVAL | (WORKSHOP_ONLY if line.kind == Line.Kind.LABOUR else frozenset())
    return [action for action in line_table(line).actions(line, user) if action not in hidden]


# What the buttons that take the actions say (the history says what was done: ACTION_LABELS).
ACTION_BUTTONS = {
    "start_work": gettext_lazy("Start the work"),
    "complete": gettext_lazy("Work complete"),
    "rework": gettext_lazy("Back to the workshop"),
    "close": pgettext_lazy("repair order action", "Close"),
    "cancel": pgettext_lazy("repair order action", "Cancel"),
    "dispatch": gettext_lazy("Dispatch"),
    "start": pgettext_lazy("job action", "Start"),
    "finish": pgettext_lazy("job action", "Finish"),
}

ACTION_LABELS = {
    "sign": gettext_lazy("Signed"),
    "start_work": gettext_lazy("Work started"),
    "complete": gettext_lazy("Work completed"),
    "rework": gettext_lazy("Back to the workshop"),
    "ready": gettext_lazy("Ready for pick-up"),
    "deliver": gettext_lazy("Delivered"),
    "close": gettext_lazy("Closed"),
    "cancel": gettext_lazy("Cancelled"),
    "close_out": gettext_lazy("Done without labour"),
    "add": gettext_lazy("Line added"),
    "approve": gettext_lazy("Approved"),
    "decline": gettext_lazy("Declined"),
    "dispatch": gettext_lazy("Dispatched"),
    "start": gettext_lazy("Started"),
    "finish": gettext_lazy("Done"),
    "price": gettext_lazy("Price changed"),
    "link": gettext_lazy("Approval link sent"),
}


# --- the guards of this area --------------------------------------------------------------------------


@REPAIR_ORDER.guard("start_work")
def _approved_labour(order: RepairOrder) -> str | None:
    if not Line.all_objects.filter(
        order=order, kind=Line.Kind.LABOUR, state__in=(L.APPROVED, L.DISPATCHED, L.IN_PROGRESS)
    ).exists():
        return _("No labour line is approved yet.")
    return None


# 机动车维修管理规定 (交通运输部令 2023 修正) keeps a pre-repair diagnosis record (维修前诊断检验记录) in the
# repair archive of second-level maintenance, assembly and whole-vehicle repairs: work on such lines does
# not start without it.
RECORD_CATEGORIES = frozenset({"second_level", "assembly", "whole_vehicle"})


@REPAIR_ORDER.guard("start_work")
def _pre_repair_record(order: RepairOrder) -> str | None:
    needed = Line.all_objects.filter(
        order=order, kind=Line.Kind.LABOUR, state=L.APPROVED, repair_category__in=RECORD_CATEGORIES
    ).exists()
    if needed and not Diagnosis.objects.filter(visit_id=order.visit_id).exclude(pre_repair_record="").exists():
        return _("Record the pre-repair diagnosis first: the repair archive needs it for this repair category.")
    return None


@REPAIR_ORDER.guard("complete")
def _labour_done(order: RepairOrder) -> str | None:
    open_lines = Line.all_objects.filter(
        order=order, kind=Line.Kind.LABOUR, state__in=(L.APPROVED, L.DISPATCHED, L.IN_PROGRESS)
    )
    positions = list(open_lines.values_list("position", flat=True))
    if positions:
        return _("Labour lines %(lines)s are not done.") % {"lines": ", ".join(str(p) for p in positions)}
    return None


@REPAIR_ORDER.guard("close_out")
def _no_labour(order: RepairOrder) -> str | None:
    if (
        Line.all_objects.filter(order=order, kind=Line.Kind.LABOUR)
        .exclude(state__in=(L.DECLINED, L.CANCELLED))
        .exists()
    ):
        return _("This order has labour: it is completed in the workshop.")
    return None


@REPAIR_ORDER.guard("cancel")
def _nothing_done(order: RepairOrder) -> str | None:
    started = Line.all_objects.filter(order=order, state__in=(L.DISPATCHED, L.IN_PROGRESS, L.DONE)).exists()
    if started:
        return _("Work was done on this order: it cannot be cancelled.")
    return None
