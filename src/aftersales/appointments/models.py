"""Appointments (预约) and the capacity they are booked against: the technicians' weekly shifts, leave
and efficiency, and each store's booking settings (walk-in reserve, arrival spacing, reminders)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core import identifiers
from aftersales.core.models import AuditKey, AuditKeys, StoreOwnedModel
from aftersales.core.models.base import StoreScopedManager
from aftersales.core.models.events import StateEventBase


class BookingSettings(models.Model):
    """How a store books: what it keeps free for walk-ins, how far apart an advisor's arrivals are, when
    a booking nobody came for is a no-show, the reminders, and what the agent reads and the customer is
    told. One row per store; its row lock serialises the store's bookings (two agents, one last slot)."""

    store = models.OneToOneField("core.Store", on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    walk_in_reserve_percent = models.PositiveSmallIntegerField(
        _("reserve for walk-ins (%)"),
        default=20,
        validators=[MaxValueValidator(90)],
        help_text=_("Share of the day's technician hours that bookings may not take."),
    )
    arrival_spacing_minutes = models.PositiveSmallIntegerField(
        _("minutes between an advisor's arrivals"),
        default=15,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
    )
    no_show_grace_minutes = models.PositiveSmallIntegerField(
        _("no-show after (minutes past the start)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder (hours before)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(72)]
    )
    same_day_reminder = models.BooleanField(_("same-day reminder"), default=False)
    same_day_reminder_hours = models.PositiveSmallIntegerField(
        _("same-day reminder (hours before)"), default=2, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    booking_script = models.TextField(_("booking script"), blank=True)
    route = models.CharField(_("how to get here"), max_length=300, blank=True)
    documents_default = models.CharField(
        _("documents to bring"), max_length=200, default="行驶证、保养手册", blank=True
    )
    # The customer's own booking page (/book/<store code>/) offers the store only when this is on.
    online_booking = models.BooleanField(_("takes bookings online"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("booking settings")
        verbose_name_plural = _("booking settings")

    def __str__(self) -> str:
        return f"booking settings {self.store_id}"


class Technician(StoreOwnedModel):
    """A technician as the store's capacity counts them: efficiency (standard hours done per hour on
    the clock), their weekly shifts and their leave. Skill level and certificates are the staff
    profile's (``core.StaffProfile``); the people area extends this table later."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("technician")
    )
    efficiency = models.DecimalField(
        _("efficiency"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.30")), MaxValueValidator(Decimal("2.00"))],
        help_text=_("Standard hours done per hour worked, e.g. 1.10."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")
        constraints = [
            models.UniqueConstraint(fields=["store", "user"], name="technician_once_per_store"),
            models.CheckConstraint(
                condition=models.Q(efficiency__gte=Decimal("0.30"), efficiency__lte=Decimal("2.00")),
                name="technician_efficiency_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class Shift(models.Model):
    """A technician's working hours on one weekday of every week (store time)."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(_("weekday"), validators=[MaxValueValidator(6)])  # Monday 0
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["technician", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["technician", "weekday"], name="shift_once_per_weekday"),
            models.CheckConstraint(condition=models.Q(ends__gt=models.F("starts")), name="shift_ends_after_start"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="shift_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts:%H:%M}-{self.ends:%H:%M}"


class Leave(models.Model):
    """A technician's absence (leave, training, sickness): no capacity between its two instants."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="leaves")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leave")
        ordering = ["technician", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="leave_ends_after_start")
        ]
        indexes = [models.Index(fields=["technician", "starts_at", "ends_at"], name="leave_period")]

    def __str__(self) -> str:
        return f"{self.technician_id} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%Y-%m-%d %H:%M}"


class Appointment(StoreOwnedModel):
    """A booking (预约): who comes when with which car for which services, booked against the store's
    capacity (a planned technician and a bay per service), or over it with a recorded override."""

    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ARRIVED = "arrived", _("Arrived")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        WALK_IN = "walk_in", _("Walk-in")
        ONLINE = "online", _("Online")
        API = "api", _("API")

    class PartsStatus(models.TextChoices):
        NONE = "", _("No parts")
        TO_PICK = "to_pick", _("To pick")
        RESERVED = "reserved", _("Reserved")
        SHORT = "short", _("Short")
        STAGED = "staged", _("Staged")

    number = models.CharField(_("number"), max_length=30)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.BOOKED)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vehicle"),
    )
    # As given by whoever booked; for a booking not yet matched to the archive, the only record of them.
    contact_name = models.CharField(_("contact"), max_length=60)
    contact_mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    plate_text = models.CharField(_("plate as given"), max_length=12, blank=True)
    model_text = models.CharField(_("model as given"), max_length=60, blank=True)
    vin_text = models.CharField(_("VIN as given"), max_length=17, blank=True)
    mileage = models.PositiveIntegerField(_("mileage as given (km)"), null=True, blank=True)
    # Asked on the customer's own booking page apart from the booking (PIPL Art. 14: consent given
    # separately, never a condition of the service); reception carries it to the customer's record.
    marketing_consent = models.BooleanField(_("marketing consent given"), default=False)
    marketing_consent_at = models.DateTimeField(_("marketing consent given at"), null=True, blank=True)
    starts_at = models.DateTimeField(_("arrival"))
    ends_at = models.DateTimeField(_("work planned until"))
    wish_at = models.DateTimeField(_("customer's wish"), null=True, blank=True)
    hours = models.DecimalField(_("standard hours"), max_digits=6, decimal_places=2)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service advisor"),
    )
    technician = models.ForeignKey(
        Technician,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("planned technician"),
    )
    description = models.TextField(_("problem as described"), blank=True)
    call_at = models.DateTimeField(_("call time"), null=True, blank=True)
    documents = models.CharField(_("documents to bring"), max_length=200, blank=True)
    overbooked = models.BooleanField(_("booked over capacity"), default=False)
    override_reason = models.CharField(_("override reason"), max_length=200, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    same_day_sent_at = models.DateTimeField(_("same-day reminder sent"), null=True, blank=True)
    parts_status = models.CharField(
        _("parts"), max_length=10, choices=PartsStatus.choices, default=PartsStatus.NONE, blank=True
    )
    staged_at = models.DateTimeField(_("staged"), null=True, blank=True)
    staged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)  # of the last change, cancellation
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("booked by")
    )

    objects: ClassVar[StoreScopedManager] = StoreScopedManager()

    # The personal data a booking copies from whoever booked, declared as the archive declares a
    # customer's (Customer.personal_fields): how each reads to someone without the right to see it in
    # full (None: shown to every reader of the booking, as the archive shows a customer's name and
    # preferences). Everything reads this: the booking page and the API answer (the mobile masked
    # without customers.view_personal), the change log (core.audit.audit_masked), the audit trail
    # (values kept beside it per booking, audit_subject, and erasable), and the customer's
    # anonymisation (services.privacy: every declared value emptied, the name replaced).
    personal_fields: ClassVar[dict[str, Callable[[str], str] | None]] = {
        "contact_name": None,
        "contact_mobile": identifiers.mask_mobile,
        "plate_text": None,
        "vin_text": None,
        "description": None,
    }
    personal_masks: ClassVar[dict[str, Callable[[str], str]]] = {
        key: mask for key, mask in personal_fields.items() if mask is not None
    }
    audit_personal = frozenset(personal_fields)
    # The entry written when the customer is anonymised (services.privacy).
    audit_keys: ClassVar[AuditKeys] = {"anonymise": {"cleared": AuditKey(_("fields cleared"), names=True)}}

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="appointment_number_unique"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after"
            ),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="appointment_hours_positive"),
        ]
        indexes = [
            models.Index(fields=["store", "starts_at"], name="appointment_store_start"),
            models.Index(fields=["state", "starts_at"], name="appointment_state_start"),
            models.Index(fields=["vehicle", "starts_at"], name="appointment_vehicle"),
        ]

    def __str__(self) -> str:
        return self.number

    def audit_subject(self) -> str:
        return f"appointments.appointment:{self.pk}"

    def audit_repr(self) -> str:
        return self.number


class AppointmentService(models.Model):
    """A requested service of a booking: a labour operation, or one labour item of a package, with the
    standard hours, skill, certificate and bay type it needs, and where and when it is planned."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="services")
    position = models.PositiveSmallIntegerField()
    operation = models.ForeignKey("catalogue.LabourOperation", on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(
        "catalogue.ServicePackage", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("service"), max_length=100)
    hours = models.DecimalField(_("standard hours"), max_digits=6, decimal_places=2)
    skill_level = models.CharField(_("skill level"), max_length=20)
    certificate = models.CharField(_("certificate required"), max_length=20, blank=True)
    bay_kind = models.CharField(_("bay type"), max_length=20, blank=True)
    bay = models.ForeignKey("core.Bay", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        verbose_name = _("requested service")
        verbose_name_plural = _("requested services")
        ordering = ["appointment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "position"], name="appointment_service_position"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="appointment_service_hours_positive"),
        ]
        indexes = [models.Index(fields=["bay", "starts_at"], name="appointment_service_bay")]

    def __str__(self) -> str:
        return self.name


class AppointmentEvent(StateEventBase):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = _("appointment event")
        verbose_name_plural = _("appointment events")
        ordering = ["at", "pk"]
