"""Timelines and change logs of customers and vehicles, read from the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_masked, audit_personal_fill
from aftersales.core.history import RECORD_ACTIONS, HistoryEntry, HistoryLine, HistoryNames, audit_history
from aftersales.core.models import AuditEntry
from aftersales.customers.models import (
    Customer,
    CustomerDocument,
    MileageReading,
    Vehicle,
    VehicleLink,
)


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # "archive" (record changes), "mileage"; later areas add visits, repair orders, ...
    title: str
    detail: dict[str, Any] = field(default_factory=dict)  # as stored (personal values masked by role)
    actor: str = ""  # user name
    actor_name: str = ""  # the person's name (their user name when they have none)
    action: str = ""  # of an archive item: the audit action (create, update, reveal, ...)
    lines: list[HistoryLine] = field(default_factory=list)  # the detail as people read it

    @property
    def record_change(self) -> bool:
        """A record created, updated or deleted: its lines are the fields it touched."""
        return self.action in RECORD_ACTIONS


TIMELINE_KINDS = ("archive", "mileage")


def _day(day: date) -> datetime:
    """A reading dated by day sorts at noon of that day."""
    return timezone.make_aware(datetime.combine(day, time(12)))


def _archive_items(entries: Iterable[AuditEntry], *, personal: bool, names: HistoryNames | None) -> list[TimelineItem]:
    def shown(entry: AuditEntry) -> dict[str, Any]:
        return entry.changes or {} if personal else audit_masked(entry)

    return [
        TimelineItem(
            at=history.entry.created_at,
            kind="archive",
            title=f"{history.subject} · {history.action}",
            detail=shown(history.entry),
            actor=history.entry.actor_username,
            actor_name=history.actor,
            action=history.entry.action,
            lines=history.lines,
        )
        for history in audit_history(audit_personal_fill(entries), shown=shown, names=names)
    ]


def customer_timeline(
    customer: Customer,
    *,
    kinds: set[str] | None = None,
    limit: int = 500,
    personal: bool = False,
    names: HistoryNames | None = None,
) -> list[TimelineItem]:
    """Everything that touched a customer and their vehicles, newest first (personal values masked
    unless ``personal``). ``names`` shares the look-ups of record names with the page's other history."""
    kinds = kinds or set(TIMELINE_KINDS)
    vehicle_ids = list(VehicleLink.objects.filter(customer=customer).values_list("vehicle_id", flat=True))
    merged = [str(pk) for pk in Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)]
    items: list[TimelineItem] = []
    if "archive" in kinds:
        link_ids = VehicleLink.objects.filter(customer__in=[customer.pk, *merged]).values_list("pk", flat=True)
        document_ids = CustomerDocument.objects.filter(customer=customer).values_list("pk", flat=True)
        entries = list(
            AuditEntry.objects.filter(
                Q(object_type="customers.customer", object_id__in=[str(customer.pk), *merged])
                | Q(object_type="customers.vehicle", object_id__in=[str(v) for v in vehicle_ids])
                | Q(object_type="customers.vehiclelink", object_id__in=[str(pk) for pk in link_ids])
                | Q(object_type="customers.customerdocument", object_id__in=[str(pk) for pk in document_ids])
            ).order_by("-created_at", "-id")[:limit]
        )
        items += _archive_items(entries, personal=personal, names=names)
        created = any(e.action == "create" and e.object_id == str(customer.pk) for e in entries)
        if not created and len(entries) < limit:
            # Records written in bulk (an Excel import) have no entry of their own: the history starts here.
            items.append(
                TimelineItem(
                    at=customer.created_at,
                    kind="archive",
                    title=f"{capfirst(Customer._meta.verbose_name)} · {AuditEntry.Action.CREATE.label}",
                    action=AuditEntry.Action.CREATE,
                )
            )
    if "mileage" in kinds:
        readings = MileageReading.objects.filter(vehicle_id__in=vehicle_ids).select_related("vehicle", "recorded_by")
        sources = _mileage_sources()
        items += [
            TimelineItem(
                at=_day(reading.read_on),
                kind="mileage",
                title=_("Mileage %(km)s km (%(plate)s)")
                % {"km": reading.km, "plate": reading.vehicle.plate or reading.vehicle.vin},
                detail={"source": sources.get(reading.source, reading.source), "reason": reading.reason},
                actor=reading.recorded_by.username if reading.recorded_by else "",
                actor_name=str(reading.recorded_by) if reading.recorded_by else "",
            )
            for reading in readings.order_by("-read_on", "-pk")[:limit]
        ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _mileage_sources() -> dict[str, str]:
    """Reading sources by their labels in the reader's language, once per timeline (a reading's
    get_source_display() hashes every lazy label on each call)."""
    return {value: str(label) for value, label in MileageReading.Source.choices}


def vehicle_timeline(
    vehicle: Vehicle,
    *,
    kinds: set[str] | None = None,
    limit: int = 500,
    personal: bool = False,
    names: HistoryNames | None = None,
) -> list[TimelineItem]:
    kinds = kinds or set(TIMELINE_KINDS)
    items: list[TimelineItem] = []
    if "archive" in kinds:
        link_ids = [str(pk) for pk in VehicleLink.objects.filter(vehicle=vehicle).values_list("pk", flat=True)]
        entries = AuditEntry.objects.filter(
            Q(object_type="customers.vehicle", object_id=str(vehicle.pk))
            | Q(object_type="customers.vehiclelink", object_id__in=link_ids)
        ).order_by("-created_at", "-id")[:limit]
        items += _archive_items(entries, personal=personal, names=names)
    if "mileage" in kinds:
        sources = _mileage_sources()
        for reading in vehicle.mileage_readings.all()[:limit]:
            items.append(
                TimelineItem(
                    at=_day(reading.read_on),
                    kind="mileage",
                    title=_("Mileage %(km)s km") % {"km": reading.km},
                    detail={"source": sources.get(reading.source, reading.source), "reason": reading.reason},
                )
            )
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def change_log(customer: Customer, limit: int = 200) -> list[AuditEntry]:
    """The customer's audit entries, newest first, personal values restored (or shown erased)."""
    entries = AuditEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk))
    return audit_personal_fill(entries.order_by("-created_at", "-id")[:limit])


def change_log_history(entries: Iterable[AuditEntry], *, names: HistoryNames | None = None) -> list[HistoryEntry]:
    """A record page's change log as people read it (entries from ``change_log`` or
    ``vehicle_change_log``): labelled fields, old → new, personal values masked."""
    # Masked for every reader, as everywhere on the page: a reader with the right reveals a current
    # value with a click, which is audited.
    return audit_history(entries, shown=audit_masked, names=names)


def vehicle_change_log(vehicle: Vehicle, limit: int = 200) -> list[AuditEntry]:
    """The audit entries of the vehicle and of its owner and driver periods, newest first.

    Uses the vehicle's prefetched links when it has them (``vehicle_get``).
    """
    link_ids = [str(link.pk) for link in vehicle.links.all()]
    entries = AuditEntry.objects.filter(
        Q(object_type="customers.vehicle", object_id=str(vehicle.pk))
        | Q(object_type="customers.vehiclelink", object_id__in=link_ids)
    )
    return audit_personal_fill(entries.order_by("-created_at", "-id")[:limit])
