"""Every write of quality and delivery: the final inspection and its certificate or rework, the wash, the
handover and the advisor's pre-delivery check, the delivery, the repair guarantees, the comebacks and the
store's rules."""

from aftersales.quality.services.audits import (
    AuditFindingIn,
    AuditIn,
    audit_close,
    audit_open,
    audits_plan,
    finding_action,
    finding_add,
    finding_close,
    sample_review,
)
from aftersales.quality.services.comebacks import FlagIn, comeback_check, comeback_decide, comeback_flag
from aftersales.quality.services.common import quality_settings
from aftersales.quality.services.delivery import (
    READY_LISTENERS,
    DeliveryIn,
    FreeCheckIn,
    HandoverIn,
    LineCheckIn,
    ReadyIn,
    WashIn,
    delivery_record,
    handover_record,
    pickup_arrived,
    ready_check,
    wash_record,
)
from aftersales.quality.services.guarantees import guarantee_terms, guarantee_terms_save, open_guarantees
from aftersales.quality.services.inspection import CheckIn, InspectionIn, checklist, final_inspection_record

__all__ = [
    "READY_LISTENERS",
    "AuditFindingIn",
    "AuditIn",
    "CheckIn",
    "DeliveryIn",
    "FlagIn",
    "FreeCheckIn",
    "HandoverIn",
    "InspectionIn",
    "LineCheckIn",
    "ReadyIn",
    "WashIn",
    "audit_close",
    "audit_open",
    "audits_plan",
    "checklist",
    "comeback_check",
    "comeback_decide",
    "comeback_flag",
    "delivery_record",
    "final_inspection_record",
    "finding_action",
    "finding_add",
    "finding_close",
    "guarantee_terms",
    "guarantee_terms_save",
    "handover_record",
    "open_guarantees",
    "pickup_arrived",
    "quality_settings",
    "ready_check",
    "sample_review",
    "wash_record",
]
