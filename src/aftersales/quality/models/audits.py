"""Quality evaluations (QC-4): a periodic evaluation of the store's work, internal or by a third party, the
delivered orders drawn into its sample and their review, and its findings with their corrective actions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.models import StoreOwnedModel


class QualityAudit(StoreOwnedModel):
    """A periodic evaluation of the store's work, internal or by a third party: a random sample of the orders
    delivered in its period (drawn by the system, seed 004 服务质量管理), each reviewed, and the findings
    with their corrective actions, tracked to closure. It closes only when every finding is closed."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        THIRD_PARTY = "third_party", _("Third party")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("audit state", "Open")
        CLOSED = "closed", pgettext_lazy("audit state", "Closed")

    number = models.CharField(_("number"), max_length=30)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    auditor = models.CharField(_("carried out by"), max_length=100)
    standard = models.CharField(_("standard evaluated against"), max_length=200)
    period_from = models.DateField(_("orders delivered from"))
    period_to = models.DateField(_("orders delivered to"))
    sample_size = models.PositiveSmallIntegerField(
        _("sample size"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    seed = models.CharField(_("draw"), max_length=32)  # what drew the sample: the same seed draws it again
    state = models.CharField(pgettext_lazy("audit", "state"), max_length=8, choices=State.choices, default=State.OPEN)
    summary = models.CharField(_("conclusion"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: planned by the schedule
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("quality evaluation")
        verbose_name_plural = _("quality evaluations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="quality_audit_number_unique"),
            models.CheckConstraint(
                condition=models.Q(period_to__gte=models.F("period_from")), name="quality_audit_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def audit_repr(self) -> str:
        return self.number


class AuditSample(models.Model):
    """A delivered order drawn into an evaluation's sample, and its review."""

    class Result(models.TextChoices):
        PENDING = "", _("Not reviewed")
        PASS = "pass", _("Meets the standard")
        FINDING = "finding", _("Finding raised")

    audit = models.ForeignKey(QualityAudit, on_delete=models.CASCADE, related_name="samples")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, blank=True, default=Result.PENDING)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("sampled order")
        verbose_name_plural = _("sampled orders")
        ordering = ["audit", "position"]
        constraints = [models.UniqueConstraint(fields=["audit", "order"], name="audit_sample_once")]

    def __str__(self) -> str:
        return f"{self.audit_id} {self.order_id}"


class AuditFinding(models.Model):
    """What an evaluation found, the corrective action asked for, who owns it and by when; the action taken,
    then its verification, which closes the finding."""

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("finding state", "Open")
        ACTIONED = "actioned", _("Action taken")
        CLOSED = "closed", pgettext_lazy("finding state", "Closed")

    audit = models.ForeignKey(QualityAudit, on_delete=models.CASCADE, related_name="findings")
    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    sample = models.ForeignKey(AuditSample, on_delete=models.PROTECT, null=True, blank=True, related_name="findings")
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.CharField(_("finding"), max_length=500)
    corrective_action = models.CharField(_("corrective action"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due"))
    state = models.CharField(pgettext_lazy("finding", "state"), max_length=8, choices=State.choices, default=State.OPEN)
    action_taken = models.CharField(_("action taken"), max_length=500, blank=True)
    actioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actioned_at = models.DateTimeField(_("action recorded"), null=True, blank=True)
    verification = models.CharField(_("verification"), max_length=500, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["audit", "pk"]
        indexes = [models.Index(fields=["store", "state", "due_on"], name="audit_finding_store_state")]

    def __str__(self) -> str:
        return f"{self.audit_id} {self.severity}"
