"""The repair guarantee (质量保证期, SPEC LAW-1) of every delivered labour line, by its repair category.

机动车维修管理规定 (交通运输部令 2016 年第 37 号, as amended to 2023) 第三十八条: the quality guarantee after
a repair is 20,000 km or 100 days for whole-vehicle and assembly repairs; 5,000 km or 30 days for
second-level maintenance; 2,000 km or 10 days for first-level maintenance, minor and special repairs.
The km run from the mileage at delivery, the days from the delivery date (the store's calendar day).
Whichever of the km and the days is reached first ends it (第三十九条); a business may promise more, never
less (第四十一条); the law's figures are declared once in
``catalogue.models.GUARANTEE``."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.catalogue.models import GUARANTEE, RepairCategory
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.parts.services import store_access
from aftersales.quality.models import Guarantee, GuaranteeTerm
from aftersales.quality.services.common import quality_settings
from aftersales.visits.models import Line, RepairOrder
from aftersales.workshop.models import Job

SETTINGS_PERMISSION = "quality.settings"


def guarantee_terms(store_id: int) -> dict[str, tuple[int, int]]:
    """Per repair category the (days, km) the store gives: the law's, or the store's longer term."""
    terms = dict(GUARANTEE)
    for row in GuaranteeTerm.all_objects.filter(store_id=store_id):
        days, km = terms[row.repair_category]
        terms[row.repair_category] = (max(days, row.days), max(km, row.km))
    return terms


def guarantee_terms_problems(terms: dict[str, tuple[int | None, int | None]]) -> dict[str, list[str]]:
    """What is wrong with a store's own guarantee terms, per ``<category>_days`` / ``<category>_km``: each
    at least the law's (``GUARANTEE``), both given or neither."""
    errors: dict[str, list[str]] = {}
    for category, (days, km) in terms.items():
        if category not in RepairCategory.values:
            errors[category] = [_("Unknown repair category.")]
            continue
        law_days, law_km = GUARANTEE[category]
        if (days is None) != (km is None):
            errors[f"{category}_days" if days is None else f"{category}_km"] = [
                _("Give both the days and the km, or neither.")
            ]
            continue
        if days is not None and not law_days <= days <= 3650:
            errors[f"{category}_days"] = [
                _("At least the law's %(n)d days (机动车维修管理规定), at most 3650.") % {"n": law_days}
            ]
        if km is not None and not law_km <= km <= 1_000_000:
            errors[f"{category}_km"] = [
                _("At least the law's %(n)s km (机动车维修管理规定), at most 1,000,000.") % {"n": f"{law_km:,}"}
            ]
    return errors


def guarantee_terms_write(*, actor: User, store: Store, terms: dict[str, tuple[int | None, int | None]]) -> None:
    """Write checked terms (in the caller's transaction); both blank puts a category back on the law's."""
    changes: dict[str, list[object]] = {}
    current = {row.repair_category: row for row in GuaranteeTerm.all_objects.select_for_update().filter(store=store)}
    for category, (days, km) in terms.items():
        row = current.get(category)
        if days is None or km is None:
            if row is not None:
                changes[category] = [f"{row.days}/{row.km}", None]
                row.delete(actor=actor)
            continue
        if row is None:
            GuaranteeTerm(store=store, repair_category=category, days=days, km=km).save(actor=actor)
            changes[category] = [None, f"{days}/{km}"]
        elif (row.days, row.km) != (days, km):
            changes[category] = [f"{row.days}/{row.km}", f"{days}/{km}"]
            row.days, row.km = days, km
            row.save(actor=actor)


def guarantee_terms_save(*, actor: User, store_id: int, terms: dict[str, tuple[int | None, int | None]]) -> None:
    """Keep the store's own guarantee per repair category (``quality.settings``): at least the law's days
    and km; both blank puts the category back on the law's. Nothing is written unless every value is right;
    each changed term is audited."""
    store = store_access(actor=actor, store_id=store_id, permission=SETTINGS_PERMISSION)
    errors = guarantee_terms_problems(terms)
    if errors:
        raise ApplicationError(_("Some fields need attention."), code="invalid", fields=errors, status=422)
    with transaction.atomic():
        guarantee_terms_write(actor=actor, store=store, terms=terms)


def guarantee_end(delivered_on: date, mileage_out: int, days: int, km: int) -> tuple[date, int]:
    """The last day and the highest mileage a guarantee covers: ``days`` after the delivery day (day 100 of
    a 100-day guarantee is still covered, day 101 is not) and ``km`` beyond the delivery mileage."""
    return delivered_on + timedelta(days=days), mileage_out + km


def guarantees_create(*, orders: list[RepairOrder], delivered_on: date, mileage_out: int) -> list[Guarantee]:
    """The guarantees of the delivered orders' done labour lines (at delivery, in its transaction)."""
    if not orders:
        return []
    store_id = orders[0].store_id
    terms = guarantee_terms(store_id)
    window = quality_settings(store_id).comeback_days
    lines = list(
        Line.all_objects.filter(order__in=orders, kind=Line.Kind.LABOUR, state=Line.State.DONE)
        .select_related("operation")
        .order_by("order_id", "position")
    )
    # The parts a labour line fitted: its causal part; and the order's part lines (not consumables: oil is no
    # sign of which repair came back) where the order has that one labour line, so a part never points at
    # another technician's work.
    parts: dict[int, set[int]] = {}
    for order_id, part_id in Line.all_objects.filter(
        order__in=orders, kind=Line.Kind.PART, state=Line.State.DONE, part__isnull=False
    ).values_list("order_id", "part_id"):
        parts.setdefault(order_id, set()).add(part_id)
    labour_count: dict[int, int] = {}
    for line in lines:
        labour_count[line.order_id] = labour_count.get(line.order_id, 0) + 1
    technicians = dict(Job.all_objects.filter(line__in=lines).values_list("line_id", "technician_id"))
    made = []
    for line in lines:
        days, km = terms.get(line.repair_category, GUARANTEE[RepairCategory.MINOR])
        valid_to, km_to = guarantee_end(delivered_on, mileage_out, days, km)
        fitted = set(parts.get(line.order_id, set())) if labour_count[line.order_id] == 1 else set()
        if line.causal_part_id is not None:
            fitted.add(line.causal_part_id)
        made.append(
            Guarantee(
                store_id=line.store_id,
                vehicle_id=line.vehicle_id,
                order_id=line.order_id,
                line=line,
                technician_id=technicians.get(line.pk),
                operation_id=line.operation_id,
                repair_category=line.repair_category or RepairCategory.MINOR,
                operation_category=line.operation.category if line.operation else "",
                fault_code=line.fault_code,
                part_ids=sorted(fitted),
                delivered_on=delivered_on,
                mileage_out=mileage_out,
                days=days,
                km=km,
                valid_to=valid_to,
                km_to=km_to,
                watch_to=max(valid_to, delivered_on + timedelta(days=window)),
            )
        )
    return Guarantee.objects.bulk_create(made)


def open_guarantees(
    vehicle_id: int, *, day: date, km: int | None = None, group_id: int | None = None
) -> list[Guarantee]:
    """The vehicle's guarantees still running on ``day`` (and at ``km``, when known), newest first; of the
    dealer group's stores, when given."""
    rows = (
        Guarantee.objects.filter(vehicle_id=vehicle_id, watch_to__gte=day)
        .filter(**({"store__group_id": group_id} if group_id is not None else {}))
        .select_related("order", "line", "store")
        .order_by("-delivered_on", "-pk")
    )
    return [row for row in rows if row.open_on(day, km)]
