"""Pay types (付费类型) and their routing table, declared once (DESIGN-visit "Pay types"): who pays a
line, on which price basis, who approves it and how it is invoiced. Later areas read ``PAY_TYPES``
and never switch on codes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class PayType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    INSURANCE = "insurance", _("Insurance")
    OEM_WARRANTY = "oem_warranty", _("Manufacturer warranty")
    OEM_CAMPAIGN = "oem_campaign", _("Manufacturer campaign")
    OEM_FREE_SERVICE = "oem_free_service", _("Free first service (首保)")
    EXTENDED_WARRANTY = "extended_warranty", _("Extended warranty")
    INTERNAL = "internal", _("Internal")
    GOODWILL = "goodwill", _("Goodwill")
    COMEBACK = "comeback", _("Comeback (rework)")


class Payer(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    INSURER = "insurer", _("Insurer (deductible to the customer)")
    MANUFACTURER = "manufacturer", _("Manufacturer")
    WARRANTY_PROVIDER = "warranty_provider", _("Warranty provider")
    STORE = "store", _("Store")


class PriceBasis(models.TextChoices):
    RETAIL = "retail", _("Guide retail price")
    CLAIM = "claim", _("OEM claim price")
    CONTRACT = "contract", _("Contract price")
    COST = "cost", _("Cost")


class ApprovalKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    INSURER_ASSESSMENT = "insurer_assessment", _("Insurer loss assessment (定损)")
    OEM_PREAUTHORISATION = "oem_preauthorisation", _("Manufacturer pre-authorisation where required")
    CAMPAIGN = "campaign", _("Campaign (automatic)")
    POLICY = "policy", _("Brand policy (automatic)")
    PROVIDER_AUTHORISATION = "provider_authorisation", _("Provider authorisation")
    MANAGER = "manager", _("Manager")
    QC_CONFIRMATION = "qc_confirmation", _("QC confirmation")


class InvoiceTreatment(models.TextChoices):
    CUSTOMER = "customer", _("To the customer")
    INSURED = "insured", _("To the insured")
    MANUFACTURER_MONTHLY = "manufacturer_monthly", _("Monthly to the manufacturer")
    PROVIDER = "provider", _("To the provider")
    NONE = "none", _("None")


@dataclass(frozen=True)
class PayTypeRoute:
    code: str
    label: Promise
    payer: str
    price_basis: str
    approval: str
    invoice: str


def _route(
    code: PayType, payer: Payer, basis: PriceBasis, approval: ApprovalKind, invoice: InvoiceTreatment
) -> PayTypeRoute:
    return PayTypeRoute(code.value, code.label, payer.value, basis.value, approval.value, invoice.value)


PAY_TYPES: dict[str, PayTypeRoute] = {
    route.code: route
    for route in (
        _route(PayType.CUSTOMER, Payer.CUSTOMER, PriceBasis.RETAIL, ApprovalKind.CUSTOMER, InvoiceTreatment.CUSTOMER),
        _route(
            PayType.INSURANCE,
            Payer.INSURER,
            PriceBasis.RETAIL,
            ApprovalKind.INSURER_ASSESSMENT,
            InvoiceTreatment.INSURED,
        ),
        _route(
            PayType.OEM_WARRANTY,
            Payer.MANUFACTURER,
            PriceBasis.CLAIM,
            ApprovalKind.OEM_PREAUTHORISATION,
            InvoiceTreatment.MANUFACTURER_MONTHLY,
        ),
        _route(
            PayType.OEM_CAMPAIGN,
            Payer.MANUFACTURER,
            PriceBasis.CLAIM,
            ApprovalKind.CAMPAIGN,
            InvoiceTreatment.MANUFACTURER_MONTHLY,
        ),
        _route(
            PayType.OEM_FREE_SERVICE,
            Payer.MANUFACTURER,
            PriceBasis.CLAIM,
            ApprovalKind.POLICY,
            InvoiceTreatment.MANUFACTURER_MONTHLY,
        ),
        _route(
            PayType.EXTENDED_WARRANTY,
            Payer.WARRANTY_PROVIDER,
            PriceBasis.CONTRACT,
            ApprovalKind.PROVIDER_AUTHORISATION,
            InvoiceTreatment.PROVIDER,
        ),
        _route(PayType.INTERNAL, Payer.STORE, PriceBasis.COST, ApprovalKind.MANAGER, InvoiceTreatment.NONE),
        _route(PayType.GOODWILL, Payer.STORE, PriceBasis.COST, ApprovalKind.MANAGER, InvoiceTreatment.NONE),
        _route(PayType.COMEBACK, Payer.STORE, PriceBasis.COST, ApprovalKind.QC_CONFIRMATION, InvoiceTreatment.NONE),
    )
}
