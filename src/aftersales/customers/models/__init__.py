"""The group-wide customer and vehicle archive (客户档案)."""

from aftersales.customers.models.archive import (
    ArchiveRule,
    ContactCorrection,
    CustomerDocument,
    ExportJob,
    ImportJob,
    SearchKey,
)
from aftersales.customers.models.customers import Customer, CustomerAlias, CustomerManager, CustomerPhone
from aftersales.customers.models.vehicles import (
    MileageReading,
    PlateRegistration,
    Vehicle,
    VehicleLink,
    VehicleModel,
    WarrantyPolicy,
)

__all__ = [
    "ArchiveRule",
    "ContactCorrection",
    "Customer",
    "CustomerAlias",
    "CustomerDocument",
    "CustomerManager",
    "CustomerPhone",
    "ExportJob",
    "ImportJob",
    "MileageReading",
    "PlateRegistration",
    "SearchKey",
    "Vehicle",
    "VehicleLink",
    "VehicleModel",
    "WarrantyPolicy",
]
