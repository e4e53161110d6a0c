"""The workshop's records: the job of an approved labour line (DESIGN-visit "Records": technician or
team, bay, deadline) with its append-only clock, the parts the technician asks the parts desk for, the
in-process inspection record, the times the car was off site, the service levels and their alerts."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.models import StoreOwnedModel
from aftersales.core.models.base import StoreScopedManager
from aftersales.core.models.events import StateEventBase


class WorkshopSettings(StoreOwnedModel):
    """A store's workshop rules: whether a technician may have two jobs on the clock at once, how long
    before a job's deadline its technician is reminded, how long final inspection, washing and handover
    take after the workshop (a job's deadline is the promised time less this), and which progress
    messages go to the customer."""

    clock_overlap = models.BooleanField(
        _("a technician may clock on two jobs at once"),
        default=False,
        help_text=_("Off: clocking on a job pauses nothing and is refused while another job is on the clock."),
    )
    reminder_minutes = models.PositiveSmallIntegerField(
        _("remind the technician (minutes before the deadline)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
    )
    handover_minutes = models.PositiveSmallIntegerField(
        _("inspection, wash and handover (minutes before the promised time)"),
        default=30,
        validators=[MaxValueValidator(480)],
    )
    notify_approved = models.BooleanField(_("tell the customer when the work is approved"), default=True)
    notify_started = models.BooleanField(_("tell the customer when the work starts"), default=True)
    notify_waiting = models.BooleanField(
        _("tell the customer when parts delay the car, with the new time"), default=True
    )

    class Meta:
        verbose_name = _("workshop settings")
        verbose_name_plural = _("workshop settings")
        constraints = [models.UniqueConstraint(fields=["store"], name="workshop_settings_once_per_store")]

    def __str__(self) -> str:
        return str(self.store_id)


class ServiceType(models.TextChoices):
    """The service levels' kinds of order, derived from the order's labour lines (``services.sla``)."""

    QUICK = "quick", _("Quick service")
    REPAIR = "repair", _("Repair")
    MAJOR = "major", _("Major repair")


class ServiceLevel(models.Model):
    """How soon an order of a service type is dispatched and done after the customer approves the work,
    in the store's open time (its calendar: business hours, holidays, make-up working days)."""

    store = models.ForeignKey("core.Store", on_delete=models.CASCADE, related_name="+")
    service_type = models.CharField(_("service type"), max_length=10, choices=ServiceType.choices)
    dispatch_minutes = models.PositiveIntegerField(
        _("dispatched within (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(14400)]
    )
    complete_minutes = models.PositiveIntegerField(
        _("done within (minutes)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(43200)]
    )

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        ordering = ["store", "service_type"]
        constraints = [models.UniqueConstraint(fields=["store", "service_type"], name="service_level_once")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.service_type}"


class Team(StoreOwnedModel):
    """A workshop team (班组): a job dispatched to it is worked by its members on one clock."""

    name = models.CharField(_("name"), max_length=60)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("leader")
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("members"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["store", "name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="team_name_unique_per_store")]

    def __str__(self) -> str:
        return self.name


class Job(models.Model):
    """An approved labour line's assignment in the workshop: a technician or a team, a bay, a deadline
    (from the visit's promised time) and a reminder before it. Its clock events are its ledger;
    ``actual_minutes`` and ``clocked_by`` are kept from them."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        ACCEPTED = "accepted", pgettext_lazy("job state", "Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        PAUSED = "paused", pgettext_lazy("job state", "Paused")
        DONE = "done", _("Done")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.CASCADE, related_name="jobs")
    line = models.OneToOneField("visits.Line", on_delete=models.CASCADE, related_name="job")
    state = models.CharField(pgettext_lazy("job", "state"), max_length=12, choices=State.choices)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technician"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs", verbose_name=_("team")
    )
    bay = models.ForeignKey(
        "core.Bay", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("bay")
    )
    standard_hours = models.DecimalField(_("standard hours"), max_digits=8, decimal_places=2)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    remind_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    dispatched_at = models.DateTimeField(_("dispatched"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Who has the job on the clock now (none while it is not in progress).
    clocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Since when it is on the clock now (its running segment is not in actual_minutes yet).
    clocked_since = models.DateTimeField(null=True, blank=True)
    actual_minutes = models.PositiveIntegerField(_("minutes on the clock"), default=0)
    clock_seconds = models.PositiveIntegerField(default=0)  # the same, to the second (each segment's whole seconds)
    fault_verified = models.BooleanField(_("fault verified fixed"), default=False)  # 验证故障排除
    report = models.TextField(_("service report"), blank=True)

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()
    all_objects: ClassVar[models.Manager[Job]] = models.Manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        base_manager_name = "all_objects"
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(technician__isnull=False) | models.Q(team__isnull=False), name="job_has_worker"
            )
        ]
        indexes = [
            models.Index(fields=["store", "state"], name="job_store_state"),
            models.Index(fields=["technician", "state"], name="job_technician_state"),
            models.Index(fields=["clocked_by", "state"], name="job_clocked_by"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.state}"

    @property
    def actual_hours(self) -> Decimal:
        """Hours on the clock, the running segment up to now included."""
        minutes = self.actual_minutes
        if self.clocked_since is not None:
            minutes += int((timezone.now() - self.clocked_since).total_seconds() // 60)
        return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


class JobEvent(StateEventBase):
    """A state change of a job or what was done to it (dispatched, re-dispatched, accepted, reminded)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = _("job event")
        verbose_name_plural = _("job events")
        ordering = ["at", "pk"]


class PauseReason(models.TextChoices):
    PARTS = "parts", _("Waiting for parts")
    APPROVAL = "approval", _("Waiting for the customer's approval")
    BREAK = "break", _("Break")
    SHIFT_END = "shift_end", _("End of shift")
    OTHER_JOB = "other_job", _("Called to another job")
    EQUIPMENT = "equipment", _("Waiting for a tool or a bay")
    OTHER = "other", _("Other")


class ClockEvent(models.Model):
    """One entry of a job's clock (append-only): on, paused (with a reason) or off (the job done). A
    foreman's correction is an entry of its own that ``replaces`` the one it corrects, with the reason
    and who made it; the clock reads the newest version of each entry."""

    class Kind(models.TextChoices):
        ON = "on", _("Clocked on")
        PAUSE = "pause", pgettext_lazy("clock", "Paused")
        OFF = "off", _("Clocked off")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="clock")
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    reason = models.CharField(_("reason"), max_length=12, choices=PauseReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    replaces = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("clock event")
        verbose_name_plural = _("clock events")
        ordering = ["job", "at", "pk"]
        indexes = [models.Index(fields=["technician", "at"], name="clock_technician_at")]

    def __str__(self) -> str:
        return f"{self.job_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class JobNote(models.Model):
    """A technician's note on a job, with a photo where one was taken."""

    OWNER_TYPE = "workshop.jobnote"

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="notes")
    text = models.CharField(_("note"), max_length=500, blank=True)
    photo = models.ForeignKey("core.MediaFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("job note")
        verbose_name_plural = _("job notes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.job_id} {self.text[:30]}"


class PartsRequest(models.Model):
    """A technician's request for a part line's part: it appears at the parts desk, is issued against the
    line's reservation, and the technician confirms receiving it."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ISSUED = "issued", _("Issued")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", pgettext_lazy("parts request", "Cancelled")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey("visits.Line", on_delete=models.CASCADE, related_name="parts_requests")
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="parts_requests")
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    state = models.CharField(
        pgettext_lazy("parts request", "state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()
    all_objects: ClassVar[models.Manager[PartsRequest]] = models.Manager()

    class Meta:
        verbose_name = _("parts request")
        verbose_name_plural = _("parts requests")
        base_manager_name = "all_objects"
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=models.Q(state="requested"), name="parts_request_one_open_per_line"
            ),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="parts_request_quantity_positive"),
        ]
        indexes = [models.Index(fields=["store", "state"], name="parts_request_store_state")]

    def __str__(self) -> str:
        return f"{self.line_id} {self.quantity} {self.state}"


class InProcessInspection(models.Model):
    """The in-process inspection record (过程检验记录) of a job whose repair category needs one: each
    item checked with its result, the inspector, and the outcome."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="inspection")
    items = models.JSONField(_("items checked"))  # [{"item": str, "ok": bool, "note": str}]
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now=True)

    class Meta:
        verbose_name = _("in-process inspection")
        verbose_name_plural = _("in-process inspections")

    def __str__(self) -> str:
        return f"{self.job_id} {self.passed}"


class OffSite(models.Model):
    """A time the car left the store during its visit (waiting for parts) and when it came back; whether
    the owner agreed to pause the repair clock (三包 repair days leave out only such an interval)."""

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, related_name="off_site")
    left_at = models.DateTimeField(_("left"))
    back_at = models.DateTimeField(_("came back"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    owner_agreed_pause = models.BooleanField(_("the owner agreed to pause the repair"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("time off site")
        verbose_name_plural = _("times off site")
        ordering = ["visit", "left_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit"], condition=models.Q(back_at__isnull=True), name="off_site_one_open_per_visit"
            ),
            models.CheckConstraint(
                condition=models.Q(back_at__isnull=True) | models.Q(back_at__gt=models.F("left_at")),
                name="off_site_back_after_left",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.left_at:%Y-%m-%d %H:%M}"


class SlaAlert(models.Model):
    """An overdue alert of an order's service level, sent once per level: 1 the foreman, 2 the advisor,
    3 the after-sales manager."""

    class Kind(models.TextChoices):
        DISPATCH = "dispatch", _("Not dispatched in time")
        COMPLETE = "complete", _("Not done in time")

    store = models.ForeignKey("core.Store", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("visits.RepairOrder", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("level"))
    due_at = models.DateTimeField(_("due"))
    at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("service level alert")
        verbose_name_plural = _("service level alerts")
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["order", "kind", "level"], name="sla_alert_once")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.level}"
