"""Warranty and 三包 periods of vehicles: brand policies, derivation from the dates, re-derivation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.customers.models import Vehicle, WarrantyPolicy


def years_later(day: date, years: int) -> date:
    """The same calendar day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def warranty_policy_for(brand_id: int | None, on: date) -> WarrantyPolicy | None:
    """The brand's policy valid on ``on`` (the latest that started by then and has not ended)."""
    if brand_id is None:
        return None
    return (
        WarrantyPolicy.objects.filter(brand_id=brand_id, valid_from__lte=on)
        .filter(Q(valid_to=None) | Q(valid_to__gte=on))
        .order_by("-valid_from")
        .first()
    )


def warranty_derive(vehicle: Vehicle) -> None:
    """Set the warranty and 三包 periods from the dates and the brand's policy (not saved).

    Both run from the purchase-invoice date, or from the delivery date where that differs
    (家用汽车产品修理、更换、退货责任规定, 2021, 第十七条: "包修期和三包有效期自销售者开具购车发票之日起计算；
    开具购车发票日期与交付家用汽车产品日期不一致的，自交付之日起计算"). Without a brand policy the
    law's minimum applies. A period of N years ends the day before the Nth anniversary.
    """
    start = vehicle.delivery_date or vehicle.purchase_date
    if start is None:
        vehicle.warranty_policy = None
        vehicle.warranty_start = vehicle.warranty_end = vehicle.sanbao_end = None
        vehicle.warranty_km_limit = vehicle.sanbao_km_limit = None
        return
    brand_id = vehicle.model.brand_id if vehicle.model_id and vehicle.model else None
    policy = warranty_policy_for(brand_id, start)
    vehicle.warranty_policy = policy
    vehicle.warranty_start = start
    (vehicle.warranty_end, vehicle.warranty_km_limit, vehicle.sanbao_end, vehicle.sanbao_km_limit) = warranty_terms(
        start, policy
    )


def warranty_terms(start: date, policy: WarrantyPolicy | None) -> tuple[date, int, date, int]:
    """Warranty end and mileage, 三包 end and mileage from ``start`` under ``policy`` (None: the law's minimum)."""
    if policy is None:
        years, km = WarrantyPolicy.LEGAL_WARRANTY_YEARS, WarrantyPolicy.LEGAL_WARRANTY_KM
        sanbao_years, sanbao_km = WarrantyPolicy.LEGAL_SANBAO_YEARS, WarrantyPolicy.LEGAL_SANBAO_KM
    else:
        years, km, sanbao_years, sanbao_km = (
            policy.warranty_years,
            policy.warranty_km,
            policy.sanbao_years,
            policy.sanbao_km,
        )
    day = timedelta(days=1)
    return years_later(start, years) - day, km, years_later(start, sanbao_years) - day, sanbao_km


@transaction.atomic
def warranty_policy_create(*, actor: User, data: dict[str, Any]) -> WarrantyPolicy:
    """Record a brand's warranty policy from ``valid_from``; the brand's policy before it ends the day
    before, and the vehicles whose warranty starts in its period are derived again."""
    from aftersales.core.models import Brand

    errors: dict[str, list[str]] = {}
    brand_id = data.get("brand_id")
    brand = Brand.objects.filter(pk=brand_id).first() if isinstance(brand_id, int) else None
    if brand is None:
        errors.setdefault("brand_id", []).append(_("No such brand."))
    minimum = {
        "warranty_years": WarrantyPolicy.LEGAL_WARRANTY_YEARS,
        "warranty_km": WarrantyPolicy.LEGAL_WARRANTY_KM,
        "sanbao_years": WarrantyPolicy.LEGAL_SANBAO_YEARS,
        "sanbao_km": WarrantyPolicy.LEGAL_SANBAO_KM,
    }
    for field, least in minimum.items():
        value = data.get(field)
        if not isinstance(value, int) or isinstance(value, bool):
            errors.setdefault(field, []).append(_("This field is required."))
        elif value < least:
            # 家用汽车产品修理、更换、退货责任规定, 2021, 第十七条 (see WarrantyPolicy).
            errors.setdefault(field, []).append(
                _("The law requires at least %(least)s (家用汽车产品修理、更换、退货责任规定, 第十七条).")
                % {"least": least}
            )
    valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
    if not isinstance(valid_from, date):
        errors.setdefault("valid_from", []).append(_("This field is required."))
    elif isinstance(valid_to, date) and valid_to < valid_from:
        errors.setdefault("valid_to", []).append(_("The end cannot be before the start."))
    elif brand is not None and WarrantyPolicy.objects.filter(brand=brand, valid_from=valid_from).exists():
        errors.setdefault("valid_from", []).append(_("This brand already has a policy from this date."))
    if errors or brand is None or not isinstance(valid_from, date):
        raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors, status=422)
    before = (
        WarrantyPolicy.objects.select_for_update()
        .filter(brand=brand, valid_from__lt=valid_from)
        .filter(Q(valid_to=None) | Q(valid_to__gte=valid_from))
        .order_by("-valid_from")
        .first()
    )
    if before is not None:
        before.valid_to = valid_from - timedelta(days=1)
        before.save(update_fields=["valid_to"])
    policy = WarrantyPolicy.objects.create(
        brand=brand,
        valid_from=valid_from,
        valid_to=valid_to if isinstance(valid_to, date) else None,
        **{field: data[field] for field in minimum},
    )
    audit_append(
        action="create",
        actor=actor,
        store_id=None,
        object_type="customers.warrantypolicy",
        object_id=str(policy.pk),
        object_repr=str(policy),
        changes={field: [None, data[field]] for field in minimum}
        | {"valid_from": [None, valid_from.isoformat()], "brand_id": [None, brand.pk]},
    )
    transaction.on_commit(lambda: _rederive_later(brand.pk))
    return policy


def _rederive_later(brand_id: int) -> None:
    from aftersales.customers.tasks import warranty_rederive_brand

    warranty_rederive_brand(brand_id)


def _derived_values(vehicle: Vehicle) -> tuple[Any, ...]:
    return (
        vehicle.warranty_policy_id,
        vehicle.warranty_start,
        vehicle.warranty_end,
        vehicle.warranty_km_limit,
        vehicle.sanbao_end,
        vehicle.sanbao_km_limit,
    )


def warranty_rederive(brand_id: int) -> int:
    """Derive the warranty of every dated vehicle of the brand again (after its policies changed);
    saves only the vehicles whose figures change, without a new version (nothing a user typed)."""
    derived = (
        "warranty_policy",
        "warranty_start",
        "warranty_end",
        "warranty_km_limit",
        "sanbao_end",
        "sanbao_km_limit",
    )
    changed = 0
    vehicles = (
        Vehicle.objects.select_related("model")
        .filter(model__brand_id=brand_id)
        .exclude(purchase_date=None, delivery_date=None)
        .order_by("pk")
    )
    batch: list[Vehicle] = []
    for vehicle in vehicles.iterator(chunk_size=2000):
        before = _derived_values(vehicle)
        warranty_derive(vehicle)
        if _derived_values(vehicle) != before:
            batch.append(vehicle)
        if len(batch) >= 2000:
            changed += Vehicle.objects.bulk_update(batch, derived)
            batch = []
    if batch:
        changed += Vehicle.objects.bulk_update(batch, derived)
    return changed
