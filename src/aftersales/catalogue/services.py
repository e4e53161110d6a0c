"""Writes to the service catalogue: labour operations and their standard hours, service packages, and
labour rates (a store's rate off the group's guide rate needs the right and a reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.catalogue.models import LabourOperation, LabourRate, LabourTime, PackageItem, ServicePackage
from aftersales.catalogue.paytypes import PAY_TYPES
from aftersales.core import identifiers
from aftersales.core.access import can
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, Store, User
from aftersales.parts.models import TAX_RATES, Part
from aftersales.parts.services.parts import guide_deviation_check

OPERATION_FIELDS = (
    "name",
    "name_en",
    "category",
    "default_hours",
    "skill_level",
    "certificate",
    "bay_kind",
    "repair_category",
    "tax_code",
    "tax_rate",
    "is_active",
)


def _manage(actor: User | None) -> None:
    if actor is not None and not can(actor, "catalogue.manage"):
        raise ApplicationError(_("You may not change the service catalogue."), code="forbidden", status=403)


def _hours_problem(value: Any) -> str | None:
    hours = Decimal(value)
    if not hours.is_finite() or hours <= 0 or hours > 999:
        return _("Enter hours greater than 0 and at most 999.")
    if hours != hours.quantize(Decimal("0.01")):
        return _("Hours have at most 2 decimals.")
    return None


def operation_save(
    *,
    actor: User | None,
    group_id: int,
    data: dict[str, Any],
    operation_id: int | None = None,
    code: str = "",
    brand_id: int | None = None,
    times: dict[str, Decimal] | None = None,
) -> LabourOperation:
    """Create (``code``, ``brand_id`` or None for every brand) or update a labour operation, and set its
    standard hours per model series when ``times`` is given (series → hours; the rest are removed)."""
    _manage(actor)
    operation: LabourOperation | None = None
    if operation_id is not None:
        operation = LabourOperation.objects.filter(pk=operation_id, group_id=group_id).first()
        if operation is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
    else:
        code = code.strip().upper()
        if not code:
            raise ApplicationError(_("Enter a code."), field="code")
        if brand_id is not None and not Brand.objects.filter(pk=brand_id).exists():
            raise ApplicationError(_("Choose a brand."), field="brand")
        same = LabourOperation.objects.filter(group_id=group_id, code=code)
        if (same.filter(brand_id=brand_id) if brand_id is not None else same.filter(brand__isnull=True)).exists():
            raise ApplicationError(_("Operation %(code)s exists already.") % {"code": code}, field="code")
    merged = {name: getattr(operation, name) for name in OPERATION_FIELDS} if operation else {}
    merged.update({key: value for key, value in data.items() if key in OPERATION_FIELDS})
    errors: dict[str, list[str]] = {}
    for name in ("name", "category", "skill_level", "repair_category", "default_hours"):
        if merged.get(name) in (None, ""):
            errors[name] = [_("This field is required.")]
    if "default_hours" not in errors and (problem := _hours_problem(merged["default_hours"])):
        errors["default_hours"] = [problem]
    if merged.get("tax_rate") is not None and Decimal(merged["tax_rate"]) not in TAX_RATES:
        errors["tax_rate"] = [_("Choose one of the VAT rates: 13%, 9%, 6%, 3%, 1% or 0.")]
    tax_code = merged.get("tax_code") or ""
    if tax_code and not identifiers.tax_code_valid(tax_code):
        errors["tax_code"] = [_("A tax classification code is 19 digits, the first 1 to 6.")]
    for series, hours in (times or {}).items():
        if not series.strip():
            errors.setdefault("times", []).append(_("Name the model series."))
        elif problem := _hours_problem(hours):
            errors.setdefault("times", []).append(f"{series}: {problem}")
    if errors:
        raise ApplicationError(_("Check the operation."), fields=errors)
    with transaction.atomic():
        if operation is None:
            operation = LabourOperation(group_id=group_id, brand_id=brand_id, code=code)
        for name, value in merged.items():
            setattr(operation, name, value)
        operation.save(actor=actor)
        if times is not None:
            LabourTime.objects.filter(operation=operation).exclude(series__in=list(times)).delete()
            for series, hours in times.items():
                LabourTime.objects.update_or_create(
                    operation=operation, series=series.strip(), defaults={"hours": hours}
                )
    return operation


@dataclass(frozen=True)
class PackageLine:
    kind: str  # labour, part or consumable
    operation_id: int | None = None
    part_id: int | None = None
    quantity: Decimal = Decimal(1)


def package_save(
    *,
    actor: User | None,
    group_id: int,
    data: dict[str, Any],
    items: list[PackageLine],
    package_id: int | None = None,
    brand_id: int | None = None,
    code: str = "",
) -> ServicePackage:
    """Create or update a service package and replace its items (every item checked at once)."""
    _manage(actor)
    package: ServicePackage | None = None
    if package_id is not None:
        package = ServicePackage.objects.filter(pk=package_id, group_id=group_id).first()
        if package is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        brand_id = package.brand_id
    else:
        code = code.strip().upper()
        if not code:
            raise ApplicationError(_("Enter a code."), field="code")
        if brand_id is None or not Brand.objects.filter(pk=brand_id).exists():
            raise ApplicationError(_("Choose a brand."), field="brand")
        if ServicePackage.objects.filter(group_id=group_id, brand_id=brand_id, code=code).exists():
            raise ApplicationError(_("Package %(code)s exists already.") % {"code": code}, field="code")
    errors: dict[str, list[str]] = {}
    name = data.get("name", package.name if package else "")
    if not str(name).strip():
        errors["name"] = [_("This field is required.")]
    price = data.get("fixed_price")
    if price is not None and (Decimal(price) < 0 or Decimal(price) != Decimal(price).quantize(Decimal("0.01"))):
        errors["fixed_price"] = [_("Enter a price in yuan with at most 2 decimals.")]
    if not items:
        errors["items"] = [_("A package has at least one item.")]
    operations = LabourOperation.objects.filter(group_id=group_id).in_bulk(
        {item.operation_id for item in items if item.operation_id}
    )
    parts = Part.objects.filter(group_id=group_id).in_bulk({item.part_id for item in items if item.part_id})
    for index, item in enumerate(items):
        if item.kind == PackageItem.Kind.LABOUR:
            operation = operations.get(item.operation_id or 0)
            if operation is None or operation.brand_id not in (None, brand_id):
                errors[f"items.{index}.operation"] = [_("Choose an operation of the package's brand.")]
        elif item.kind in (PackageItem.Kind.PART, PackageItem.Kind.CONSUMABLE):
            part = parts.get(item.part_id or 0)
            if part is None or part.brand_id != brand_id:
                errors[f"items.{index}.part"] = [_("Choose a part of the package's brand.")]
            elif item.quantity <= 0 or item.quantity != item.quantity.quantize(part.quantity_step()):
                errors[f"items.{index}.quantity"] = [
                    _("%(part)s allows at most %(n)s decimals.") % {"part": part.number_display, "n": part.decimals}
                    if item.quantity > 0
                    else _("Enter a quantity greater than zero.")
                ]
        else:
            errors[f"items.{index}.kind"] = [_("Choose labour, part or consumable.")]
    if errors:
        raise ApplicationError(_("Check the package."), fields=errors)
    with transaction.atomic():
        if package is None:
            package = ServicePackage(group_id=group_id, brand_id=brand_id, code=code)
        for field in ("name", "name_en", "series", "interval_km", "interval_months", "fixed_price", "is_active"):
            if field in data:
                setattr(package, field, data[field])
        package.save(actor=actor)
        PackageItem.objects.filter(package=package).delete()
        PackageItem.objects.bulk_create(
            [
                PackageItem(
                    package=package,
                    kind=item.kind,
                    operation_id=item.operation_id if item.kind == PackageItem.Kind.LABOUR else None,
                    part_id=item.part_id if item.kind != PackageItem.Kind.LABOUR else None,
                    quantity=item.quantity,
                )
                for item in items
            ]
        )
    return package


def labour_rate_set(
    *,
    actor: User | None,
    group_id: int,
    store_id: int | None,
    pay_type: str,
    rate: Decimal,
    valid_from: date,
    reason: str = "",
) -> LabourRate:
    """Set the hourly rate of a pay type from a date: the group's guide rate (``store_id`` None) or a
    store's own; a store rate off the guide rate needs ``prices.deviate`` and a reason (and is reported)."""
    if pay_type not in PAY_TYPES:
        raise ApplicationError(_("Unknown pay type."), field="pay_type")
    if not rate.is_finite() or rate < 0 or rate != rate.quantize(Decimal("0.01")) or rate >= Decimal("1e8"):
        raise ApplicationError(_("Enter a price in yuan with at most 2 decimals."), field="rate")
    permission = "prices.manage" if store_id is not None else "prices.guide"
    if actor is not None and not can(actor, permission, store_id=store_id):
        raise ApplicationError(_("You may not set prices here."), code="forbidden", status=403)
    if store_id is not None:
        if not Store.all_objects.filter(pk=store_id, group_id=group_id).exists():
            raise ApplicationError(_("Unknown store."), field="store")
        guide_deviation_check(
            actor=actor,
            store_id=store_id,
            guides=LabourRate.objects.filter(group_id=group_id, store__isnull=True, pay_type=pay_type),
            amount_field="rate",
            amount=rate,
            valid_from=valid_from,
            reason=reason,
        )
    with transaction.atomic():
        row, _created = LabourRate.objects.update_or_create(
            group_id=group_id,
            store_id=store_id,  # type: ignore[misc]  # None: the group's rate
            pay_type=pay_type,
            valid_from=valid_from,
            defaults={"rate": rate, "reason": reason, "created_by": actor},
        )
        audit_append(
            action="update",
            store_id=store_id,
            actor=actor,
            object_type="catalogue.labourrate",
            object_id=str(row.pk),
            object_repr=f"{PAY_TYPES[pay_type].label}",
            changes={"pay_type": pay_type, "rate": str(rate), "valid_from": valid_from.isoformat(), "reason": reason},
        )
    return row
