"""The tables of the ``core`` app: stores, users and roles, platform tables, and (kept with the code
that writes them, ``aftersales.core.audit``) the audit trail's."""

from aftersales.core.audit.models import ANY_ACTION, AuditChainHead, AuditEntry, AuditKey, AuditKeys, AuditPersonalData
from aftersales.core.models.base import (
    AuditedModel,
    StoreOwnedModel,
    StoreScopedManager,
    StoreScopedQuerySet,
)
from aftersales.core.models.calendar import CalendarDay
from aftersales.core.models.media import MediaFile
from aftersales.core.models.stores import Bay, Brand, DealerGroup, Department, LegalEntity, Store
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
    "CalendarDay",
    "Certificate",
    "DealerGroup",
    "Department",
    "DocumentSequence",
    "JobHeartbeat",
    "LegalEntity",
    "LoginThrottle",
    "MediaFile",
    "Role",
    "StaffMembership",
    "StaffProfile",
    "Store",
    "StoreOwnedModel",
    "StoreScopedManager",
    "StoreScopedQuerySet",
    "User",
]
