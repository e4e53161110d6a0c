"""Timelines and change logs of customers and vehicles, read from the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    kind: str  # the source's kind: "archive" (record changes), "mileage"; later areas add theirs
    title: str
    detail: dict[str, Any] = field(default_factory=dict)  # as stored (personal values masked by role)
    actor: str = ""  # user name
    actor_name: str = ""  # the person's name (their user name when they have none)
    action: str = ""  # of an archive item: the audit action (create, update, reveal, ...)
    lines: list[HistoryLine] = field(default_factory=list)  # the detail as people read it
    day_only: bool = False  # dated by day (a reading), shown without a time
    note: str = ""  # one line under the title, as people read it
    icon: str = ""  # its source's icon (set by the timeline)

    @property
    def record_change(self) -> bool:
        """A record created, updated or deleted: its lines are the fields it touched."""
        return self.action in RECORD_ACTIONS


@dataclass(frozen=True)
class TimelineQuery:
    """What a source is asked for: the items of one customer (with the vehicles they hold or held and
    the records merged into them) or of one vehicle, newest first, at most ``limit``."""

    customer: Customer | None
    vehicle: Vehicle | None
    vehicle_ids: list[int]
    merged_ids: list[str]
    limit: int
    personal: bool
    names: HistoryNames | None


@dataclass(frozen=True)
class TimelineSource:
    """One kind of thing on the archive's timelines. An area registers its sources in its
    ``AppConfig.ready`` with ``timeline_source_register``; the archive never imports a later area."""

    kind: str
    label: Promise | str  # the page's filter button
    icon: str  # a Bootstrap icon name
    items: Callable[[TimelineQuery], list[TimelineItem]]


TIMELINE_SOURCES: dict[str, TimelineSource] = {}


def timeline_source_register(source: TimelineSource) -> TimelineSource:
    if source.kind in TIMELINE_SOURCES or source.kind == "all":
        raise ValueError(f"Timeline source {source.kind!r} is registered already")
    TIMELINE_SOURCES[source.kind] = source
    return source


def timeline_kinds() -> tuple[str, ...]:
    return tuple(TIMELINE_SOURCES)


def _day(day: date) -> datetime:
    """A reading dated by day sorts at noon of that day."""
    return timezone.make_aware(datetime.combine(day, time(12)))


# What a timeline reads of an audit entry (the chain's own columns are not needed to show it).
_ENTRY_FIELDS = ("created_at", "actor_id", "actor_username", "action", "object_type", "object_id", "changes")


def _archive_items(entries: Iterable[AuditEntry], *, personal: bool, names: HistoryNames | None) -> list[TimelineItem]:
    def shown(entry: AuditEntry) -> dict[str, Any]:
        return entry.changes or {} if personal else audit_masked(entry)

    return [
        TimelineItem(
            at=history.entry.created_at,
            kind="archive",
            title=f"{history.subject} · {history.action}",
            detail=dict(history.changes),
            actor=history.entry.actor_username,
            actor_name=history.actor,
            action=history.entry.action,
            lines=history.lines,
        )
        for history in audit_history(audit_personal_fill(entries), shown=shown, names=names)
    ]


def _archive_source(query: TimelineQuery) -> list[TimelineItem]:
    """Changes of the records: the customer (and those merged into it), its vehicles, owner and
    driver periods and document copies; or the vehicle and its periods."""
    if query.vehicle is not None:
        period_ids = [str(pk) for pk in VehicleLink.objects.filter(vehicle=query.vehicle).values_list("pk", flat=True)]
        entries = (
            AuditEntry.objects.filter(
                Q(object_type="customers.vehicle", object_id=str(query.vehicle.pk))
                | Q(object_type="customers.vehiclelink", object_id__in=period_ids)
            )
            .only(*_ENTRY_FIELDS)
            .order_by("-created_at", "-id")[: query.limit]
        )
        return _archive_items(entries, personal=query.personal, names=query.names)
    customer = query.customer
    if customer is None:
        return []
    merged = query.merged_ids
    link_ids = VehicleLink.objects.filter(customer__in=[customer.pk, *merged]).values_list("pk", flat=True)
    document_ids = CustomerDocument.objects.filter(customer=customer).values_list("pk", flat=True)
    found = list(
        AuditEntry.objects.filter(
            Q(object_type="customers.customer", object_id__in=[str(customer.pk), *merged])
            | Q(object_type="customers.vehicle", object_id__in=[str(v) for v in query.vehicle_ids])
            | Q(object_type="customers.vehiclelink", object_id__in=[str(pk) for pk in link_ids])
            | Q(object_type="customers.customerdocument", object_id__in=[str(pk) for pk in document_ids])
        )
        .only(*_ENTRY_FIELDS)
        .order_by("-created_at", "-id")[: query.limit]
    )
    items = _archive_items(found, personal=query.personal, names=query.names)
    created = any(e.action == "create" and e.object_id == str(customer.pk) for e in found)
    if not created and len(found) < query.limit:
        # Records written in bulk (an Excel import) have no entry of their own: the history starts here.
        items.append(
            TimelineItem(
                at=customer.created_at,
                kind="archive",
                title=f"{capfirst(Customer._meta.verbose_name)} · {AuditEntry.Action.CREATE.label}",
                action=AuditEntry.Action.CREATE,
            )
        )
    return items


def _mileage_sources() -> dict[str, str]:
    """Reading sources by their labels in the reader's language, once per timeline (a reading's
    get_source_display() hashes every lazy label on each call)."""
    return {value: str(label) for value, label in MileageReading.Source.choices}


def _mileage_source(query: TimelineQuery) -> list[TimelineItem]:
    """Odometer readings of the vehicle, or of the customer's vehicles (named by plate)."""
    sources = _mileage_sources()
    if query.vehicle is not None:
        return [
            TimelineItem(
                at=_day(reading.read_on),
                kind="mileage",
                title=_("Mileage %(km)s km") % {"km": reading.km},
                detail={"source": sources.get(reading.source, reading.source), "reason": reading.reason},
                note=" · ".join(filter(None, (sources.get(reading.source, reading.source), reading.reason))),
                day_only=True,
            )
            for reading in query.vehicle.mileage_readings.all()[: query.limit]
        ]
    # Plain values, not model instances: a customer's readings run into the hundreds.
    readings = (
        MileageReading.objects.filter(vehicle_id__in=query.vehicle_ids)
        .order_by("-read_on", "-pk")
        .values_list(
            "read_on",
            "km",
            "source",
            "reason",
            "vehicle__plate",
            "vehicle__vin",
            "recorded_by__username",
            "recorded_by__full_name",
        )[: query.limit]
    )
    items = []
    title = _("Mileage %(km)s km (%(plate)s)")
    for read_on, km, source, reason, plate, vin, username, full_name in readings:
        label = sources.get(source, source)
        items.append(
            TimelineItem(
                at=_day(read_on),
                kind="mileage",
                title=title % {"km": km, "plate": plate or vin},
                detail={"source": label, "reason": reason},
                note=" · ".join(filter(None, (label, reason))),
                actor=username or "",
                actor_name=(full_name or username) if username else "",
                day_only=True,
            )
        )
    return items


timeline_source_register(TimelineSource("archive", gettext_lazy("Record changes"), "pencil-square", _archive_source))
timeline_source_register(TimelineSource("mileage", gettext_lazy("Mileage"), "speedometer2", _mileage_source))


def _timeline(query: TimelineQuery, kinds: set[str] | None) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for kind, source in TIMELINE_SOURCES.items():
        if kinds is None or kind in kinds:
            for item in source.items(query):
                item.icon = source.icon
                items.append(item)
    items.sort(key=lambda item: item.at, reverse=True)
    return items[: query.limit]


def customer_timeline(
    customer: Customer,
    *,
    kinds: set[str] | None = None,
    limit: int = 500,
    personal: bool = False,
    names: HistoryNames | None = None,
) -> list[TimelineItem]:
    """Everything that touched a customer and their vehicles, from every registered source, newest
    first (personal values masked unless ``personal``). ``names`` shares the look-ups of record names
    with the page's other history."""
    query = TimelineQuery(
        customer=customer,
        vehicle=None,
        vehicle_ids=list(VehicleLink.objects.filter(customer=customer).values_list("vehicle_id", flat=True)),
        merged_ids=[str(pk) for pk in Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)],
        limit=limit,
        personal=personal,
        names=names,
    )
    return _timeline(query, kinds)


def vehicle_timeline(
    vehicle: Vehicle,
    *,
    kinds: set[str] | None = None,
    limit: int = 500,
    personal: bool = False,
    names: HistoryNames | None = None,
) -> list[TimelineItem]:
    """Everything that touched a vehicle, from every registered source, newest first."""
    query = TimelineQuery(
        customer=None,
        vehicle=vehicle,
        vehicle_ids=[vehicle.pk],
        merged_ids=[],
        limit=limit,
        personal=personal,
        names=names,
    )
    return _timeline(query, kinds)


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
