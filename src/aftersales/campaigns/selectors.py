"""Reads of the campaign registry: a campaign in the actor's scope, the list with its filters, the open
campaigns of a vehicle or a VIN (the matching every booking, reception and completion asks), and the
outreach progress per store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from aftersales.appointments.models import Appointment, AppointmentService
from aftersales.campaigns.models import (
    VIN_PREFIX_LENGTH,
    Campaign,
    CampaignModelRange,
    CampaignPart,
    CampaignVin,
    CampaignVinRange,
    Outreach,
)
from aftersales.core.access import stores_with
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.customers.models import Vehicle

# The 9th character of a VIN is its check digit (GB 16735 / ISO 3779): computed from the other 16, it
# differs between two VINs of one series whose serials differ. A range's first 11 characters are
# therefore compared with it masked.
CHECK_DIGIT_MASK = "*"
LIVE_APPOINTMENT_STATES = (Appointment.State.BOOKED, Appointment.State.ARRIVED)


def range_key(vin: str) -> str:
    """The first 11 characters of a VIN as VIN ranges are kept and matched: the check digit masked."""
    return vin[:8] + CHECK_DIGIT_MASK + vin[9:VIN_PREFIX_LENGTH]


def group_ids_of(actor: User, permission: str = "campaigns.view") -> list[int] | None:
    """The dealer groups whose registry ``actor`` reads (None: every group, a group-wide role)."""
    store_ids = stores_with(actor, permission)
    if store_ids is None:
        return None
    return sorted(set(Store.all_objects.filter(pk__in=store_ids).values_list("group_id", flat=True)))


def campaign_access(*, actor: User, campaign_id: int, for_update: bool = False) -> Campaign:
    """The campaign of a group whose registry the actor reads (locked when asked); 404 otherwise."""
    rows = Campaign.objects.filter(pk=campaign_id)
    groups = group_ids_of(actor)
    if groups is not None:
        rows = rows.filter(group_id__in=groups)
    if for_update:
        rows = rows.select_for_update()
    campaign = rows.first()
    if campaign is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return campaign


def campaign_list(
    *, group_id: int, state: str = "", kind: str = "", brand_id: int | None = None, query: str = ""
) -> QuerySet[Campaign]:
    rows = Campaign.objects.filter(group_id=group_id).select_related("brand", "operation")
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if brand_id is not None:
        rows = rows.filter(brand_id=brand_id)
    if query:
        rows = rows.filter(Q(code__icontains=query) | Q(title__icontains=query))
    return rows.order_by("-valid_from", "code")


def campaign_detail(campaign_id: int) -> Campaign:
    """A campaign with what it affects and its parts, in four queries."""
    return (
        Campaign.objects.select_related("brand", "operation", "opened_by", "closed_by", "created_by")
        .prefetch_related(
            Prefetch("parts", queryset=CampaignPart.objects.select_related("part").order_by("pk")),
            Prefetch("ranges", queryset=CampaignVinRange.objects.order_by("prefix", "serial_from")),
            Prefetch("models", queryset=CampaignModelRange.objects.select_related("model__brand").order_by("pk")),
        )
        .annotate(vin_count=Count("vins", distinct=True))
        .get(pk=campaign_id)
    )


def vin_count(campaign: Campaign) -> int:
    return CampaignVin.objects.filter(campaign=campaign).count()


def open_campaigns(
    *,
    group_id: int,
    vin: str,
    day: date,
    model_id: int | None = None,
    production_date: date | None = None,
    vehicle_id: int | None = None,
) -> list[Campaign]:
    """The campaigns of the group open on ``day`` that affect the vehicle of ``vin`` (listed, in a VIN
    range, or of ``model_id`` built on ``production_date``), but those the vehicle (``vehicle_id``, when
    it is the archive's) has completed. One query: each way of affecting is an index lookup (the VIN in
    the lists; the masked first 11 characters and the serial in the ranges; the model in the periods)."""
    serial = vin[VIN_PREFIX_LENGTH:]
    affected = Q(pk__in=CampaignVin.objects.filter(vin=vin).values("campaign_id")) | Q(
        pk__in=CampaignVinRange.objects.filter(
            prefix=range_key(vin), serial_from__lte=serial, serial_to__gte=serial
        ).values("campaign_id")
    )
    if model_id is not None:
        periods = CampaignModelRange.objects.filter(model_id=model_id)
        if production_date is None:
            periods = periods.filter(produced_from__isnull=True, produced_until__isnull=True)
        else:
            periods = periods.filter(
                Q(produced_from__isnull=True) | Q(produced_from__lte=production_date),
                Q(produced_until__isnull=True) | Q(produced_until__gte=production_date),
            )
        affected |= Q(pk__in=periods.values("campaign_id"))
    rows = Campaign.objects.filter(
        affected,
        Q(valid_until__isnull=True) | Q(valid_until__gte=day),
        group_id=group_id,
        state=Campaign.State.OPEN,
        valid_from__lte=day,
    )
    if vehicle_id is not None:
        rows = rows.exclude(
            pk__in=Outreach.all_objects.filter(vehicle_id=vehicle_id, completed_at__isnull=False).values("campaign_id")
        )
    return list(rows.select_related("operation").order_by(F("valid_until").asc(nulls_last=True), "code"))


def vehicle_open_campaigns(*, group_id: int, vehicle: Vehicle, day: date) -> list[Campaign]:
    """The open campaigns of a vehicle of the archive (its VIN, model and production date)."""
    return open_campaigns(
        group_id=group_id,
        vin=vehicle.vin,
        day=day,
        model_id=vehicle.model_id,
        production_date=vehicle.production_date,
        vehicle_id=vehicle.pk,
    )


@dataclass(frozen=True)
class StoreProgress:
    store_id: int
    store_code: str
    store_name: str
    vehicles: int
    notified: int
    reached: int
    booked: int
    completed: int
    tasks: int

    def rate(self, count: int) -> Decimal:
        """``count`` as a share of the store's affected vehicles, in percent with one decimal."""
        if not self.vehicles:
            return Decimal("0.0")
        return (Decimal(count * 100) / self.vehicles).quantize(Decimal("0.1"))

    @property
    def reached_rate(self) -> Decimal:
        return self.rate(self.reached)

    @property
    def booked_rate(self) -> Decimal:
        return self.rate(self.booked)

    @property
    def completed_rate(self) -> Decimal:
        return self.rate(self.completed)


def booked_for(campaign: Campaign) -> Exists:
    """Whether the outreach row's vehicle has a live booking made since the campaign opened that
    includes the campaign's labour operation."""
    return Exists(
        AppointmentService.objects.filter(
            appointment__vehicle_id=OuterRef("vehicle_id"),
            appointment__state__in=LIVE_APPOINTMENT_STATES,
            appointment__created_at__gte=campaign.opened_at,
            operation_id=campaign.operation_id,
        )
    )


def outreach_progress(campaign: Campaign, *, store_ids: list[int] | None = None) -> list[StoreProgress]:
    """Per store (of ``store_ids``; None: every store): affected vehicles, notices sent, owners reached,
    vehicles booked for the work, vehicles done, call tasks. One query."""
    if campaign.opened_at is None:
        return []
    rows = Outreach.all_objects.filter(campaign=campaign)
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    counted = (
        rows.annotate(booked=booked_for(campaign))
        .values("store_id", "store__code", "store__name")
        .annotate(
            vehicles=Count("pk"),
            notified=Count("pk", filter=Q(notified_at__isnull=False)),
            reached=Count("pk", filter=Q(reached_at__isnull=False)),
            booked_count=Count("pk", filter=Q(booked=True)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            tasks=Count("pk", filter=Q(task__isnull=False)),
        )
        .order_by("store__code")
    )
    return [
        StoreProgress(
            store_id=row["store_id"],
            store_code=row["store__code"],
            store_name=row["store__name"],
            vehicles=row["vehicles"],
            notified=row["notified"],
            reached=row["reached"],
            booked=row["booked_count"],
            completed=row["completed"],
            tasks=row["tasks"],
        )
        for row in counted
    ]
