"""What the quality pages share: the order or visit a page shows (of the page's store, else 404; the visits
area's), a refusal put on a form (the workshop's: 400, 403, 409), the steps from the final inspection to
delivery, and why a visit is not at a step yet."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.quality.selectors import VisitStage
from aftersales.quality.services.common import not_inspected
from aftersales.visits.models import Visit
from aftersales.visits.views.base import order_of, visit_of
from aftersales.workshop.views.base import WallClock, is_htmx, refusal_status

__all__ = ["STEPS", "Step", "WallClock", "is_htmx", "not_yet", "order_of", "refusal_status", "visit_of"]


@dataclass(frozen=True)
class Step:
    key: str  # selectors.VisitStage.stage
    title: object
    permission: str
    url_name: str
    action: object  # the button that opens the step's page


STEPS = (
    Step("inspect", gettext_lazy("To inspect"), "quality.inspect", "quality:inspect", gettext_lazy("Inspect")),
    Step("wash", gettext_lazy("To wash"), "quality.wash", "quality:wash", gettext_lazy("Wash")),
    Step("handover", gettext_lazy("To hand over"), "quality.handover", "quality:handover", gettext_lazy("Hand over")),
    Step(
        "check",
        gettext_lazy("To check before delivery"),
        "quality.deliver",
        "quality:check",
        gettext_lazy("Check the car"),
    ),
    Step("deliver", gettext_lazy("To deliver"), "quality.deliver", "quality:delivery", gettext_lazy("Deliver")),
)
ORDER = [step.key for step in STEPS]


def not_yet(stage: VisitStage, step: str) -> str:
    """Why a visit is not at ``step`` yet (the earlier step it waits for), or "" when it is there or past it.
    The services refuse the same; this says it before anyone fills in a form."""
    if stage.visit.state != Visit.State.ON_SITE and step != "deliver":
        return _("This car has left: its visit is closed.")
    if not stage.orders:
        return _("This visit has no repair order to deliver.")
    if ORDER.index(stage.stage) >= ORDER.index(step):
        return ""
    if stage.stage == "inspect":
        return _("The final inspection of %(orders)s has not passed yet.") % {
            "orders": ", ".join(not_inspected(stage.orders))
        }
    return {
        "wash": _("Wash the car first, or record that it is not washed."),
        "handover": _("The workshop has not handed this car over yet."),
        "check": _("Check the car before delivery first."),
    }[stage.stage]
