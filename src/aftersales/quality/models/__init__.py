"""Quality and delivery's models, one module per feature: the final inspection, the wash, the handover, the
delivery, repair guarantees and comebacks, with the store's quality rules (``delivery``); the 三包 watch
(``sanbao``); quality evaluations (``audits``)."""

from aftersales.quality.models.audits import AuditFinding, AuditSample, QualityAudit
from aftersales.quality.models.delivery import (
    Comeback,
    ComebackLine,
    Delivery,
    FinalInspection,
    Guarantee,
    GuaranteeTerm,
    Handover,
    OldPartsOutcome,
    QualitySettings,
    ReleaseCertificate,
    Rework,
    RoadTest,
    Wash,
)
from aftersales.quality.models.sanbao import MAJOR_ASSEMBLIES, SanbaoAlert, SanbaoLine, SanbaoPart, SanbaoSystem

__all__ = [
    "MAJOR_ASSEMBLIES",
    "AuditFinding",
    "AuditSample",
    "Comeback",
    "ComebackLine",
    "Delivery",
    "FinalInspection",
    "Guarantee",
    "GuaranteeTerm",
    "Handover",
    "OldPartsOutcome",
    "QualityAudit",
    "QualitySettings",
    "ReleaseCertificate",
    "Rework",
    "RoadTest",
    "SanbaoAlert",
    "SanbaoLine",
    "SanbaoPart",
    "SanbaoSystem",
    "Wash",
]
