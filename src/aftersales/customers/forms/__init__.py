"""Forms of the archive's pages, one module per feature; they parse what a person typed, the services
validate identifiers and rules."""

from aftersales.customers.forms.customers import (
    CustomerFilterForm,
    CustomerForm,
    IdentifierCheckForm,
    RevealForm,
)
from aftersales.customers.forms.fields import MAX_MOBILES, MAX_TAG_LENGTH, MAX_TAGS, ArchiveForm
from aftersales.customers.forms.imports import ExportFilterForm, ImportForm
from aftersales.customers.forms.privacy import (
    AnonymiseForm,
    ConsentWithdrawForm,
    DocumentUploadForm,
    PrivacyActionForm,
)
from aftersales.customers.forms.quality import ArchiveRuleForm, MergeForm, ReviewQueueFilterForm
from aftersales.customers.forms.vehicles import (
    VEHICLE_FORM_FIELDS,
    DriverEndForm,
    DriverForm,
    FirstVehicleForm,
    MileageForm,
    TransferForm,
    VehicleForm,
    WarrantyPolicyForm,
)

__all__ = [
    "MAX_MOBILES",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "VEHICLE_FORM_FIELDS",
    "AnonymiseForm",
    "ArchiveForm",
    "ArchiveRuleForm",
    "ConsentWithdrawForm",
    "CustomerFilterForm",
    "CustomerForm",
    "DocumentUploadForm",
    "DriverEndForm",
    "DriverForm",
    "ExportFilterForm",
    "FirstVehicleForm",
    "IdentifierCheckForm",
    "ImportForm",
    "MergeForm",
    "MileageForm",
    "PrivacyActionForm",
    "RevealForm",
    "ReviewQueueFilterForm",
    "TransferForm",
    "VehicleForm",
    "WarrantyPolicyForm",
]
