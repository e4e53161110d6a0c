"""Reservations: stock held for demands (DESIGN-visit "Stock reservations").

Reserving follows Saleor's ``allocate_stocks``: lock the balances of every candidate part and bin in
primary-key order, plan every demand in memory, refuse once with every shortfall listed, then write
the reservations in bulk and the balances' reserved quantities. A demand for a part may take stock of
an older number that is interchangeable both ways (issued first) and of the numbers that replace it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.parts.models import Bin, Part, Reservation, StockBalance
from aftersales.parts.selectors.parts import parts_substitutes
from aftersales.parts.services.ledger import (
    BATCH,
    Key,
    balances_lock,
    qty_text,
    quantity_problem,
    store_access,
)

DemandType = Reservation.DemandType
MAX_DEMANDS = 20_000


@dataclass(frozen=True)
class Demand:
    part_id: int
    quantity: Decimal
    demand_type: str
    demand_id: int
    demand_line_id: int | None = None
    expires_at: datetime | None = None
    bin_id: int | None = None  # a bin of choice; otherwise any, fullest first


@dataclass
class ReserveResult:
    reservations: list[Reservation]
    shortfalls: list[dict[str, str]]


def _validate(demands: list[Demand], parts: dict[int, Part], group_id: int) -> None:
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    for index, demand in enumerate(demands):
        part = parts.get(demand.part_id)
        if part is None or part.group_id != group_id:
            errors[f"demands.{index}.part"] = [_("Unknown part.")]
            continue
        problem = quantity_problem(part, demand.quantity)
        if problem:
            errors[f"demands.{index}.quantity"] = [problem]
        if demand.demand_type not in DemandType.values:
            errors[f"demands.{index}.demand_type"] = [_("Unknown demand type.")]
        if demand.expires_at is not None and timezone.is_naive(demand.expires_at):
            errors[f"demands.{index}.expires_at"] = [
                _("Give the time with its time zone, e.g. 2026-12-01T10:00+08:00.")
            ]
        elif demand.expires_at is not None:
            if demand.demand_type != DemandType.APPOINTMENT:
                errors[f"demands.{index}.expires_at"] = [_("Only an appointment's reservation expires.")]
            elif demand.expires_at <= now:
                errors[f"demands.{index}.expires_at"] = [_("Enter a time in the future.")]
    if errors:
        raise ApplicationError(_("Some demands cannot be reserved."), fields=errors)


def stock_reserve(
    *, actor: User | None, store_id: int, demands: list[Demand], allow_partial: bool = False
) -> ReserveResult:
    """Reserve stock for every demand in one transaction. Without ``allow_partial`` a shortfall on any
    demand refuses them all (``insufficient_stock`` listing each); with it, what is there is reserved
    and the shortfalls are returned (the rest is to be ordered)."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.reserve")
    if not demands:
        raise ApplicationError(_("Add at least one demand."), field="demands")
    if len(demands) > MAX_DEMANDS:
        raise ApplicationError(_("At most %(n)s demands in one call.") % {"n": MAX_DEMANDS}, field="demands")
    parts = Part.objects.in_bulk({demand.part_id for demand in demands})
    _validate(demands, parts, store.group_id)
    chosen_bins = {demand.bin_id for demand in demands if demand.bin_id is not None}
    if chosen_bins:
        bins_here = set(Bin.all_objects.filter(pk__in=chosen_bins, store_id=store.pk).values_list("pk", flat=True))
        wrong = [i for i, demand in enumerate(demands) if demand.bin_id is not None and demand.bin_id not in bins_here]
        if wrong:
            raise ApplicationError(
                _("Choose a bin of this store."),
                fields={f"demands.{i}.bin": [_("Choose a bin of this store.")] for i in wrong},
            )
    candidates = parts_substitutes({demand.part_id for demand in demands})
    candidate_parts = sorted({part for chain in candidates.values() for part in chain})
    with transaction.atomic():
        if len(candidate_parts) <= BATCH * 4:  # one query: the stocked balances, locked in primary-key order
            balances = {
                (row.part_id, row.bin_id): row
                for row in StockBalance.all_objects.select_for_update()
                .filter(store_id=store.pk, part_id__in=candidate_parts, on_hand__gt=0)
                .order_by("pk")
            }
        else:
            balances = balances_lock(store, _stocked_keys(store.pk, candidate_parts), create=False)
        by_part: dict[int, list[StockBalance]] = defaultdict(list)
        for balance in sorted(balances.values(), key=lambda row: (-row.on_hand, row.pk)):
            by_part[balance.part_id].append(balance)
        created: list[Reservation] = []
        shortfalls: dict[Key, Decimal] = defaultdict(Decimal)
        for demand in demands:
            left = demand.quantity
            for part_id in candidates[demand.part_id]:
                for balance in by_part.get(part_id, []):
                    if left <= 0:
                        break
                    if demand.bin_id is not None and balance.bin_id != demand.bin_id:
                        continue
                    take = min(left, balance.on_hand - balance.reserved)
                    if take <= 0:
                        continue
                    balance.reserved += take
                    left -= take
                    created.append(
                        Reservation(
                            store_id=store.pk,
                            part_id=part_id,
                            bin_id=balance.bin_id,
                            quantity=take,
                            demand_type=demand.demand_type,
                            demand_id=demand.demand_id,
                            demand_line_id=demand.demand_line_id,
                            expires_at=demand.expires_at,
                            created_by=actor,
                        )
                    )
            if left > 0:
                shortfalls[(demand.part_id, demand.bin_id or 0)] += left
        shown = [
            {"part": parts[part_id].number_display, "short": qty_text(short)}
            for (part_id, _bin), short in sorted(shortfalls.items())
        ]
        if shortfalls and not allow_partial:
            raise ApplicationError(
                _("Insufficient stock: %(lines)s.")
                % {"lines": "; ".join(_("%(part)s %(short)s short") % row for row in shown)},
                code="insufficient_stock",
                field="demands",
                status=409,
                extra={"shortfalls": shown},
            )
        Reservation.all_objects.bulk_create(created, batch_size=BATCH)
        StockBalance.all_objects.bulk_update(list(balances.values()), ["reserved"], batch_size=BATCH)
        audit_append(
            action="stock_reserved",
            store_id=store.pk,
            actor=actor,
            object_type="parts.reservation",
            object_repr=_("%(n)s demands") % {"n": len(demands)},
            changes={
                "demands": len(demands),
                "reservations": len(created),
                "quantity": str(sum((row.quantity for row in created), Decimal(0))),
                "shortfalls": len(shown),
            },
        )
    return ReserveResult(reservations=created, shortfalls=shown)


def _stocked_keys(store_id: int, part_ids: list[int]) -> list[Key]:
    keys: list[Key] = []
    for start in range(0, len(part_ids), BATCH * 4):
        keys += StockBalance.all_objects.filter(
            store_id=store_id, part_id__in=part_ids[start : start + BATCH * 4], on_hand__gt=0
        ).values_list("part_id", "bin_id")
    return keys


def _release(rows: QuerySet[Reservation]) -> list[Reservation]:
    """Give back the stock of the reservations ``rows`` selects. Lock order as everywhere: the balances
    (primary-key order), then the reservations, read again under the lock (an issue or a repoint may
    have taken one meanwhile). Returns the released rows."""
    keys_by_store: dict[int, set[Key]] = defaultdict(set)
    ids: list[int] = []
    for pk, store_id, part_id, bin_id in rows.values_list("pk", "store_id", "part_id", "bin_id"):
        keys_by_store[store_id].add((part_id, bin_id))
        ids.append(pk)
    if not keys_by_store:
        return []
    balances: dict[Key, StockBalance] = {}
    for store_id in sorted(keys_by_store):
        balances.update(balances_lock(Store(pk=store_id), keys_by_store[store_id], create=False))
    # Only the rows read above (their balances are the ones locked); one reserved meanwhile stays.
    locked = list(rows.filter(pk__in=ids).select_for_update().order_by("pk"))
    for row in locked:
        balances[(row.part_id, row.bin_id)].reserved -= row.quantity
    StockBalance.all_objects.bulk_update(list(balances.values()), ["reserved"], batch_size=BATCH)
    Reservation.all_objects.filter(pk__in=[row.pk for row in locked]).delete()
    return locked


def reservations_release(
    *, actor: User | None, store_id: int, demand_type: str, demand_id: int, demand_line_id: int | None = None
) -> Decimal:
    """Release a demand's reservations (a whole document, or one of its lines); returns the quantity."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.reserve")
    with transaction.atomic():
        rows = Reservation.all_objects.filter(store_id=store.pk, demand_type=demand_type, demand_id=demand_id)
        if demand_line_id is not None:
            rows = rows.filter(demand_line_id=demand_line_id)
        found = _release(rows)
        if not found:
            raise ApplicationError(_("Nothing is reserved for this demand."), code="not_found", status=404)
        released = sum((row.quantity for row in found), Decimal(0))
        audit_append(
            action="stock_released",
            store_id=store.pk,
            actor=actor,
            object_type="parts.reservation",
            object_id=f"{demand_type}:{demand_id}",
            object_repr=f"{DemandType(demand_type).label} {demand_id}",
            changes={"reservations": len(found), "quantity": str(released), "line": demand_line_id},
        )
    return released


def reservation_repoint(
    *,
    actor: User | None,
    reservation_id: int,
    demand_type: str,
    demand_id: int,
    demand_line_id: int | None = None,
    quantity: Decimal | None = None,
) -> Reservation:
    """Hand (part of) a reservation to another demand in one step: an appointment's pre-pick becomes the
    repair order's line without the stock ever being free. The new demand's reservation never expires
    unless it is an appointment's."""
    with transaction.atomic():
        row = Reservation.all_objects.select_for_update().filter(pk=reservation_id).first()
        if row is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        store_access(actor=actor, store_id=row.store_id, permission="stock.reserve")
        if demand_type not in DemandType.values:
            raise ApplicationError(_("Unknown demand type."), field="demand_type")
        quantity = row.quantity if quantity is None else quantity
        problem = quantity_problem(Part.objects.get(pk=row.part_id), quantity)
        if problem:
            raise ApplicationError(problem, field="quantity")
        if quantity > row.quantity:
            raise ApplicationError(
                _("Enter a quantity from 0 to %(n)s.") % {"n": qty_text(row.quantity)}, field="quantity"
            )
        before = f"{row.demand_type}:{row.demand_id}:{row.demand_line_id or ''}"
        expires = row.expires_at if demand_type == DemandType.APPOINTMENT else None
        if quantity == row.quantity:
            row.demand_type, row.demand_id, row.demand_line_id, row.expires_at = (
                demand_type,
                demand_id,
                demand_line_id,
                expires,
            )
            row.save(update_fields=["demand_type", "demand_id", "demand_line_id", "expires_at"])
            target = row
        else:
            row.quantity -= quantity
            row.save(update_fields=["quantity"])
            target = Reservation.all_objects.create(
                store_id=row.store_id,
                part_id=row.part_id,
                bin_id=row.bin_id,
                quantity=quantity,
                demand_type=demand_type,
                demand_id=demand_id,
                demand_line_id=demand_line_id,
                expires_at=expires,
                created_by=actor,
            )
        audit_append(
            action="stock_reserved",
            store_id=row.store_id,
            actor=actor,
            object_type="parts.reservation",
            object_id=str(target.pk),
            object_repr=f"{DemandType(demand_type).label} {demand_id}",
            changes={"repointed_from": before, "quantity": str(quantity)},
        )
    return target


def reservations_expire(*, now: datetime | None = None) -> int:
    """Release the appointments' reservations whose time has passed (a periodic job; idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = _release(Reservation.all_objects.filter(expires_at__lte=now))
        for store_id in sorted({row.store_id for row in rows}):
            audit_append(
                action="stock_released",
                store_id=store_id,
                object_type="parts.reservation",
                object_repr=str(_("Expired appointment reservations")),
                changes={"reservations": sum(1 for row in rows if row.store_id == store_id), "expired": True},
            )
    return len(rows)
