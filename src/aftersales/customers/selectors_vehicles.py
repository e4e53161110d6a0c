"""Reads of a vehicle's record beyond its facts: the change log of the vehicle and its owners and drivers."""

from __future__ import annotations

from django.db.models import Q

from aftersales.core.audit import audit_personal_fill
from aftersales.core.models import AuditEntry
from aftersales.customers.models import Vehicle


def vehicle_change_log(vehicle: Vehicle, limit: int = 200) -> list[AuditEntry]:
    """The audit entries of the vehicle and of its owner and driver periods, newest first.

    Uses the vehicle's prefetched links when it has them (``selectors.vehicle_get``).
    """
    link_ids = [str(link.pk) for link in vehicle.links.all()]
    entries = AuditEntry.objects.filter(
        Q(object_type="customers.vehicle", object_id=str(vehicle.pk))
        | Q(object_type="customers.vehiclelink", object_id__in=link_ids)
    )
    return audit_personal_fill(entries.order_by("-created_at", "-id")[:limit])
