"""Every write of the visits area: reception, the walk-around and diagnosis, the repair order, its lines
and their approvals."""

from aftersales.visits.services.approvals import (
    APPROVING,
    ApprovalIn,
    Decision,
    approval_snapshot,
    approvals_record,
)
from aftersales.visits.services.inspection import (
    DiagnosisIn,
    RecommendationIn,
    WalkAroundIn,
    check_photo_add,
    damage_add,
    damage_remove,
    diagnosis_save,
    recommendation_add,
    recommendation_remove,
    walk_around_complete,
    walk_around_save,
)
from aftersales.visits.services.lines import LineIn, campaign_lines
from aftersales.visits.services.orders import (
    OrderIn,
    campaign_add,
    line_add,
    line_price_set,
    line_transition,
    repair_order_access,
    repair_order_create,
    repair_order_transition,
)
from aftersales.visits.services.visits import VisitIn, visit_access, visit_leave, visit_open, visit_update

__all__ = [
    "APPROVING",
    "ApprovalIn",
    "Decision",
    "DiagnosisIn",
    "LineIn",
    "OrderIn",
    "RecommendationIn",
    "VisitIn",
    "WalkAroundIn",
    "approval_snapshot",
    "approvals_record",
    "campaign_add",
    "campaign_lines",
    "check_photo_add",
    "damage_add",
    "damage_remove",
    "diagnosis_save",
    "line_add",
    "line_price_set",
    "line_transition",
    "recommendation_add",
    "recommendation_remove",
    "repair_order_access",
    "repair_order_create",
    "repair_order_transition",
    "visit_access",
    "visit_leave",
    "visit_open",
    "visit_update",
    "walk_around_complete",
    "walk_around_save",
]
