from aftersales.visits.models.orders import Line, LineApproval, RepairOrder, RepairOrderEvent
from aftersales.visits.models.reception import (
    ChecklistItem,
    CheckResult,
    DamageMark,
    Diagnosis,
    FaultCode,
    Rating,
    ReceptionSettings,
    Recommendation,
    TyreReading,
    Visit,
    VisitEvent,
    WalkAround,
)

__all__ = [
    "CheckResult",
    "ChecklistItem",
    "DamageMark",
    "Diagnosis",
    "FaultCode",
    "Line",
    "LineApproval",
    "Rating",
    "ReceptionSettings",
    "Recommendation",
    "RepairOrder",
    "RepairOrderEvent",
    "TyreReading",
    "Visit",
    "VisitEvent",
    "WalkAround",
]
