"""The repair order (委托书 / 工单), its lines and their approvals (DESIGN-visit "Records", "States,
transitions and guards", "Pay types"). The job of a labour line is the workshop's (``workshop.Job``)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.catalogue.paytypes import PayType
from aftersales.core.models import StoreOwnedModel
from aftersales.core.models.base import StoreScopedManager
from aftersales.core.models.events import StateEventBase


class RepairOrder(StoreOwnedModel):
    """The order signed at reception: the customer's statement, the items, road-test consent, what becomes
    of the old parts, the valuables; its lines carry the work and its approvals."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("repair order state", "Open")
        IN_WORK = "in_work", _("In work")
        COMPLETED = "completed", _("Completed")
        READY = "ready", _("Ready for pick-up")
        DELIVERED = "delivered", _("Delivered")
        CLOSED = "closed", pgettext_lazy("repair order state", "Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class OldParts(models.TextChoices):
        RETURN = "return", _("Return to the customer")
        LEAVE = "leave", _("Leave with the store")
        CLAIM = "claim", _("Keep for a claim")

    number = models.CharField(_("number"), max_length=30)
    state = models.CharField(
        pgettext_lazy("repair order", "state"), max_length=12, choices=State.choices, default=State.OPEN
    )
    visit = models.ForeignKey("visits.Visit", on_delete=models.PROTECT, related_name="orders")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey("customers.Vehicle", on_delete=models.PROTECT, related_name="+")
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer_statement = models.TextField(_("customer statement"))
    road_test_consent = models.BooleanField(_("road test agreed"), default=False)
    old_parts = models.CharField(_("old parts"), max_length=8, choices=OldParts.choices, default=OldParts.RETURN)
    valuables = models.CharField(_("valuables left in the car"), max_length=300, blank=True)
    mileage_in = models.PositiveIntegerField(_("mileage in (km)"))
    signed_name = models.CharField(_("signed by"), max_length=60)
    signature = models.ForeignKey("messaging.Signature", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed"))
    signed_hash = models.CharField(_("hash of what was signed"), max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()

    class Meta:
        verbose_name = _("repair order")
        verbose_name_plural = _("repair orders")
        ordering = ["-signed_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="repair_order_number_unique")]
        indexes = [
            models.Index(fields=["store", "state"], name="repair_order_store_state"),
            models.Index(fields=["store", "signed_at"], name="repair_order_store_signed"),
            models.Index(fields=["vehicle", "signed_at"], name="repair_order_vehicle"),
        ]

    def __str__(self) -> str:
        return self.number

    def audit_repr(self) -> str:
        return self.number


class Line(models.Model):
    """A line of a repair order. Its price is the pricing service's quote, taken again and frozen at
    approval (``priced_at``): a later change of cost or price never re-prices an approved line."""

    class Kind(models.TextChoices):
        LABOUR = "labour", _("Labour")
        PART = "part", _("Part")
        CUSTOMER_PART = "customer_part", _("Customer-supplied part")
        SUBLET = "sublet", _("Sublet work")
        CONSUMABLE = "consumable", _("Consumable")
        FEE = "fee", _("Fee")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", pgettext_lazy("line state", "Approved")
        DECLINED = "declined", pgettext_lazy("line state", "Declined")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", pgettext_lazy("line state", "Cancelled")

    class FeeKind(models.TextChoices):
        """What a fee is for, as the settlement list (JT/T 1133) sorts it; the diagnosis fee is its own source."""

        TESTING = "testing", _("Testing fee")
        RESCUE = "rescue", _("Rescue fee")
        TOWING = "towing", _("Towing fee")
        OTHER = "other", _("Other fee")

    class Source(models.TextChoices):
        REQUESTED = "requested", _("Requested by the customer")
        WALK_AROUND = "walk_around", _("Walk-around")
        DIAGNOSIS = "diagnosis", _("Diagnosis")
        CAMPAIGN = "campaign", _("Recall or campaign")
        DECLINED_EARLIER = "declined_earlier", _("Declined on an earlier visit")
        ADDITIONAL = "additional", _("Found during the work")
        DIAGNOSIS_FEE = "diagnosis_fee", _("Diagnosis fee")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="lines")
    vehicle = models.ForeignKey("customers.Vehicle", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    state = models.CharField(
        pgettext_lazy("line", "state"), max_length=12, choices=State.choices, default=State.PROPOSED
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    pay_type = models.CharField(_("pay type"), max_length=20, choices=PayType.choices)
    operation = models.ForeignKey(
        "catalogue.LabourOperation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    part = models.ForeignKey("parts.Part", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    supplier = models.ForeignKey(
        "purchasing.Supplier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("description"), max_length=200)
    repair_category = models.CharField(_("repair category"), max_length=20, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3, default=Decimal(1))
    unit_price = models.DecimalField(_("unit price (tax incl.)"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount (tax incl.)"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2)
    tax_code = models.CharField(_("tax classification code"), max_length=19, blank=True)
    tax_rate = models.DecimalField(_("VAT rate"), max_digits=4, decimal_places=2)
    price_basis = models.CharField(_("price basis"), max_length=10, blank=True)
    guide_price = models.DecimalField(_("guide price"), max_digits=12, decimal_places=2, null=True, blank=True)
    price_source = models.CharField(_("price from"), max_length=16, blank=True)
    price_overridden = models.BooleanField(_("price set by hand"), default=False)
    cost = models.DecimalField(_("cost (sublet)"), max_digits=12, decimal_places=2, null=True, blank=True)
    fee_kind = models.CharField(_("kind of fee"), max_length=10, choices=FeeKind.choices, blank=True)
    priced_at = models.DateTimeField(_("price frozen at"), null=True, blank=True)
    fault_code = models.CharField(_("fault code"), max_length=8, blank=True)
    fault_symptom = models.CharField(_("symptom"), max_length=200, blank=True)
    causal_part = models.ForeignKey(
        "parts.Part", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("causal part")
    )
    decline_reason = models.CharField(_("reason declined"), max_length=200, blank=True)
    followed_up_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # a declined line taken up on a later order
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()
    all_objects: ClassVar[models.Manager[Line]] = models.Manager()

    class Meta:
        verbose_name = _("repair order line")
        verbose_name_plural = _("repair order lines")
        base_manager_name = "all_objects"
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="line_position_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="line_quantity_positive"),
        ]
        indexes = [models.Index(fields=["vehicle", "state"], name="line_vehicle_state")]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"

    @property
    def is_repair(self) -> bool:
        """A line that repairs a fault (三包 counts it when the vehicle is a household one)."""
        return bool(self.causal_part_id and (self.fault_code or self.fault_symptom))


class LineApproval(models.Model):
    """One approval (or refusal) of one line, of one of the kinds DESIGN-visit lists, keeping the amount,
    when, who, and the hash of the canonical JSON snapshot of exactly what was approved."""

    class Kind(models.TextChoices):
        CUSTOMER_IN_PERSON = "customer_in_person", _("Customer in person (signature)")
        CUSTOMER_PHONE = "customer_phone", _("Customer by phone")
        CUSTOMER_LINK = "customer_link", _("Customer through a link")
        INSURER_ASSESSMENT = "insurer_assessment", _("Insurer loss assessment (定损)")
        OEM_PREAUTHORISATION = "oem_preauthorisation", _("Manufacturer pre-authorisation")
        PROVIDER_AUTHORISATION = "provider_authorisation", _("Provider authorisation")
        CAMPAIGN = "campaign", _("Campaign (automatic)")
        POLICY = "policy", _("Brand policy (automatic)")
        MANAGER = "manager", _("Manager")
        QC_CONFIRMATION = "qc_confirmation", _("QC confirmation")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(_("approved through"), max_length=24, choices=Kind.choices)
    approved = models.BooleanField(_("approved"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # who recorded it (none: the customer through a link, or automatic)
    person = models.CharField(_("approved by"), max_length=60, blank=True)  # the customer, the assessor, ...
    signature = models.ForeignKey("messaging.Signature", on_delete=models.PROTECT, null=True, related_name="+")
    link = models.ForeignKey("messaging.CustomerLink", on_delete=models.PROTECT, null=True, related_name="+")
    insurer = models.CharField(_("insurer"), max_length=100, blank=True)
    claim_number = models.CharField(_("claim number"), max_length=40, blank=True)
    assessed_amount = models.DecimalField(_("assessed amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    deductible = models.DecimalField(_("deductible"), max_digits=12, decimal_places=2, null=True, blank=True)
    provider = models.CharField(_("warranty provider"), max_length=100, blank=True)
    contract_number = models.CharField(_("contract number"), max_length=40, blank=True)
    authorisation_number = models.CharField(_("authorisation number"), max_length=40, blank=True)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, null=True, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    snapshot = models.JSONField(_("what was approved"))
    snapshot_hash = models.CharField(_("snapshot hash"), max_length=64)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("line approval")
        verbose_name_plural = _("line approvals")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.line_id} {self.kind} {self.approved}"


class RepairOrderEvent(StateEventBase):
    """A state change of the order, or of one of its lines (``line`` set), or what was done to it."""

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="events")
    line = models.ForeignKey(Line, on_delete=models.CASCADE, null=True, blank=True, related_name="events")

    class Meta:
        verbose_name = _("repair order event")
        verbose_name_plural = _("repair order events")
        ordering = ["at", "pk"]
