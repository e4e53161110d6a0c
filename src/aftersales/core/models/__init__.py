from aftersales.core.models.audit import AuditChainHead, AuditEntry, AuditPersonalData
from aftersales.core.models.base import (
    ANY_ACTION,
    AuditedModel,
    AuditKey,
    AuditKeys,
    StoreOwnedModel,
    StoreScopedManager,
    StoreScopedQuerySet,
)
from aftersales.core.models.stores import Bay, Brand, DealerGroup, Department, Store
from aftersales.core.models.system import ApiToken, DocumentSequence, JobHeartbeat, LoginThrottle
from aftersales.core.models.users import Certificate, Role, StaffMembership, StaffProfile, User

__all__ = [
    "ANY_ACTION",
    "ApiToken",
    "AuditChainHead",
    "AuditEntry",
    "AuditKey",
    "AuditKeys",
    "AuditPersonalData",
    "AuditedModel",
    "Bay",
    "Brand",
    "Certificate",
    "DealerGroup",
    "Department",
    "DocumentSequence",
    "JobHeartbeat",
    "LoginThrottle",
    "Role",
    "StaffMembership",
    "StaffProfile",
    "Store",
    "StoreOwnedModel",
    "StoreScopedManager",
    "StoreScopedQuerySet",
    "User",
]
