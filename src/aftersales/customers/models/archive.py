"""The archive's working tables: search keys, ID copies, completeness rules, imports."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import ANY_ACTION, AuditKey, AuditKeys
from aftersales.core.models.jobs import ImportJobBase
from aftersales.customers.models.customers import Customer
from aftersales.customers.models.vehicles import Vehicle


class SearchKey(models.Model):
    """Precomputed keys the archive search looks up by prefix on an index (no full scans)."""

    class Kind(models.TextChoices):
        NUMBER = "number"
        NAME = "name"
        INITIALS = "initials"
        PINYIN = "pinyin"
        MOBILE = "mobile"
        MOBILE_LAST4 = "mobile4"
        VIN = "vin"
        VIN_LAST6 = "vin6"
        PLATE = "plate"
        FORMER_PLATE = "oldplate"

    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, related_name="+")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, null=True, related_name="+")

    class Meta:
        # One range read per kind, in key order, then by customer and vehicle (their age).
        # On PostgreSQL the key column uses the "C" collation (migration 0003), so that ranges and
        # order are by code point there as they are on SQLite, and a prefix is a range of the index.
        # The owner columns are part of the index, so that a lookup reads the index alone (no row of the
        # table per key found: a broad search reads hundreds), in the order the search ranks by.
        indexes = [models.Index(fields=["kind", "key", "customer", "vehicle"], name="search_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class CustomerDocument(models.Model):
    """A copy of an identity or vehicle document, kept only with recorded data-processing consent.

    Its file is a ``MediaFile`` of the media service (``DATA_DIR/documents``, outside the web root, a photo
    without EXIF), served only through the authorised view with the rule ``selectors.id_copies`` registers.
    """

    OWNER_TYPE = "customers.customerdocument"
    STORAGE_AREA = "documents"

    class Kind(models.TextChoices):
        ID_CARD = "id_card", _("ID card")
        DRIVING_LICENCE = "driving_licence", _("Driving licence")
        VEHICLE_LICENCE = "vehicle_licence", _("Vehicle licence (行驶证)")
        BUSINESS_LICENCE = "business_licence", _("Business licence")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    media = models.OneToOneField("core.MediaFile", on_delete=models.PROTECT, related_name="+", verbose_name=_("file"))
    consent_at = models.DateTimeField(_("consent recorded"))
    # The store that took the copy: besides the customer's home store, the only one that may open it.
    store = models.ForeignKey(
        "core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded at store")
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    # Its entries carry what the file was (the media file's facts), read with the media file's labels.
    audit_keys: ClassVar[AuditKeys] = {
        ANY_ACTION: {
            "content_type": AuditKey(label=_("file type")),
            "size": AuditKey(label=_("size"), unit="bytes"),
            "sha256": AuditKey(label=_("SHA-256 checksum"), unit="digest"),
        }
    }

    class Meta:
        verbose_name = _("customer document")
        verbose_name_plural = _("customer documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.media.file_name}"

    def audit_repr(self) -> str:
        """How the trail names the document: the file name often holds the person's name, so not that."""
        return f"{self.get_kind_display()} #{self.pk}"


class ArchiveRule(models.Model):
    """Per store: which fields an archive must have to count as complete, and how often to review it."""

    store = models.OneToOneField("core.Store", on_delete=models.CASCADE, related_name="archive_rule")
    required_fields = models.JSONField(_("required fields"), default=list)
    review_days = models.PositiveSmallIntegerField(_("review every (days)"), default=90)

    class Meta:
        verbose_name = _("archive rule")
        verbose_name_plural = _("archive rules")

    def __str__(self) -> str:
        return f"{self.store_id}: {self.review_days} days"


class ImportJob(ImportJobBase):
    """One Excel import of customers and vehicles (``excel.importing``)."""

    class OnMatch(models.TextChoices):
        # A row whose customer is already in the archive (same resident ID or credit code, or the
        # same name and mobile): left out and reported, its empty fields filled, or a new record made.
        SKIP = "skip", _("Skip it (reported)")
        UPDATE = "update", _("Fill its empty fields")
        CREATE = "create", _("Create a new customer anyway")

    on_match = models.CharField(max_length=10, choices=OnMatch.choices, default=OnMatch.SKIP)
    created_customers = models.PositiveIntegerField(default=0)
    created_vehicles = models.PositiveIntegerField(default=0)
    matched_rows = models.PositiveIntegerField(default=0)
    updated_customers = models.PositiveIntegerField(default=0)

    # The keys of the entry an import writes when it ends (excel.importing).
    audit_keys: ClassVar[AuditKeys] = {
        "create": {
            "customers": AuditKey(_("customers imported")),
            "vehicles": AuditKey(_("vehicles imported")),
            "error_rows": AuditKey(_("rows with errors")),
            "dry_run": AuditKey(_("trial run")),
        }
    }

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["store", "created_at"], name="import_store_created")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


class ContactCorrection(models.Model):
    """Contact details a customer corrected through a link (``archive_review``), for staff to review:
    nothing changes in the archive until a person approves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="corrections")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    link = models.ForeignKey("messaging.CustomerLink", on_delete=models.SET_NULL, null=True, related_name="+")
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    note = models.CharField(_("customer's note"), max_length=500, blank=True)
    snapshot_hash = models.CharField(_("snapshot hash"), max_length=64)
    client_ip = models.CharField(_("client address"), max_length=45, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("contact correction")
        verbose_name_plural = _("contact corrections")
        indexes = [models.Index(fields=["store", "status", "created_at"], name="correction_store_status")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.status}"


class ExportJob(models.Model):
    """An export of the customer list too large to write during the request: written by a background
    job, followed on "my jobs", downloaded by whoever started it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    filters = models.JSONField(default=dict)  # q, customer_class, home_store
    personal = models.BooleanField(default=False)  # personal data in full (the starter's right, checked then)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    storage_name = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.status})"
