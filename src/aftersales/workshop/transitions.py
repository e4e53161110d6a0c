"""The job's states exactly as DESIGN-visit names them (``assigned → accepted → in_progress ⇄ paused →
done``), with the actions between them and who may take each (``core.transitions``). Clocking on moves
``accepted`` or ``paused`` to ``in_progress``; pausing and clocking off leave it. A failed final inspection
puts a done job back to ``paused`` (rework)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from aftersales.core.transitions import StateTable, Transition
from aftersales.workshop.models import Job

J = Job.State

JOB = StateTable(
    "job",
    [
        Transition("accept", (J.ASSIGNED,), J.ACCEPTED, "workshop.work"),
        Transition("start", (J.ACCEPTED,), J.IN_PROGRESS, "workshop.work"),
        Transition("pause", (J.IN_PROGRESS,), J.PAUSED, "workshop.work"),
        Transition("resume", (J.PAUSED,), J.IN_PROGRESS, "workshop.work"),
        Transition("finish", (J.IN_PROGRESS,), J.DONE, "workshop.work"),
        # A failed final inspection sends the work back: paused, to be clocked on again (quality).
        Transition("rework", (J.DONE,), J.PAUSED, "repair_orders.workshop"),
    ],
    field="state",
)

JOB_LABELS = {
    "dispatch": gettext_lazy("Dispatched"),
    "redispatch": gettext_lazy("Re-dispatched"),
    "accept": gettext_lazy("Accepted"),
    "start": gettext_lazy("Clocked on"),
    "pause": gettext_lazy("Paused"),
    "resume": gettext_lazy("Clocked on again"),
    "finish": gettext_lazy("Clocked off: done"),
    "remind": gettext_lazy("Reminded of the deadline"),
    "correct": gettext_lazy("Clock corrected"),
    "rework": gettext_lazy("Sent back by the final inspection"),
}
