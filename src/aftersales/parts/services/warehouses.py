"""Warehouses and bins of a store."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.parts.models import Bin, StockBalance, Warehouse
from aftersales.parts.services.ledger import store_access

MAX_BINS = 2000
MAX_CYCLE_DAYS = 366


def warehouse_save(
    *, actor: User | None, store_id: int, code: str, name: str, is_active: bool = True, warehouse_id: int | None = None
) -> Warehouse:
    """Create a warehouse of a store or rename / close one (needs ``warehouses.manage``)."""
    store = store_access(actor=actor, store_id=store_id, permission="warehouses.manage")
    code = code.strip().upper()
    if not code:
        raise ApplicationError(_("Enter a code."), field="code")
    if not name.strip():
        raise ApplicationError(_("Enter a name."), field="name")
    if warehouse_id is not None:
        warehouse = Warehouse.all_objects.filter(pk=warehouse_id, store_id=store.pk).first()
        if warehouse is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
    else:
        warehouse = Warehouse(store=store)
    if Warehouse.all_objects.filter(store_id=store.pk, code=code).exclude(pk=warehouse.pk or 0).exists():
        raise ApplicationError(_("This store has a warehouse %(code)s already.") % {"code": code}, field="code")
    if (
        warehouse.pk
        and not is_active
        and StockBalance.all_objects.filter(bin__warehouse=warehouse, on_hand__gt=0).exists()
    ):
        raise ApplicationError(_("A warehouse with stock stays open: move the stock first."), field="is_active")
    warehouse.code, warehouse.name, warehouse.is_active = code, name.strip(), is_active
    try:
        with transaction.atomic():
            warehouse.save(actor=actor)
    except IntegrityError:
        raise ApplicationError(
            _("This store has a warehouse %(code)s already.") % {"code": code}, field="code"
        ) from None
    return warehouse


def warehouse_cycle_set(*, actor: User | None, warehouse_id: int, cycle_days: int) -> Warehouse:
    """Set how often the cycle counts go round a warehouse's bins: each bin that holds stock counted once
    in ``cycle_days`` days (a slice of them planned each morning); 0 stops the cycle counts."""
    warehouse = Warehouse.all_objects.filter(pk=warehouse_id).first()
    if warehouse is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    store_access(actor=actor, store_id=warehouse.store_id, permission="warehouses.manage")
    if not 0 <= cycle_days <= MAX_CYCLE_DAYS:
        raise ApplicationError(
            _("Enter a number of days from 0 to %(max)s.") % {"max": MAX_CYCLE_DAYS}, field="cycle_days"
        )
    warehouse.cycle_days = cycle_days
    warehouse.save(actor=actor)
    return warehouse


def bins_create(*, actor: User | None, warehouse_id: int, codes: list[str]) -> list[Bin]:
    """Add bins to a warehouse (codes such as A-01-03: aisle, rack, level); existing codes are refused."""
    warehouse = Warehouse.all_objects.filter(pk=warehouse_id).first()
    if warehouse is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    store_access(actor=actor, store_id=warehouse.store_id, permission="warehouses.manage")
    cleaned = [code.strip().upper() for code in codes if code.strip()]
    if not cleaned:
        raise ApplicationError(_("Enter at least one bin code."), field="codes")
    if len(cleaned) > MAX_BINS:
        raise ApplicationError(_("At most %(n)s bins at once.") % {"n": MAX_BINS}, field="codes")
    too_long = [code for code in cleaned if len(code) > 20]
    if too_long:
        raise ApplicationError(
            _("A bin code has at most 20 characters: %(codes)s.") % {"codes": ", ".join(too_long[:5])}, field="codes"
        )
    duplicates = sorted({code for code in cleaned if cleaned.count(code) > 1})
    taken = sorted(set(Bin.all_objects.filter(warehouse=warehouse, code__in=cleaned).values_list("code", flat=True)))
    if duplicates or taken:
        raise ApplicationError(
            _("These bins exist already or are listed twice: %(codes)s.")
            % {"codes": ", ".join([*taken, *duplicates][:20])},
            field="codes",
        )
    try:
        with transaction.atomic():
            bins = [Bin(store_id=warehouse.store_id, warehouse=warehouse, code=code) for code in cleaned]
            for bin_ in bins:
                bin_.save(actor=actor)
    except IntegrityError:  # added by someone else at the same moment
        message = _("These bins exist already or are listed twice: %(codes)s.") % {"codes": ", ".join(cleaned[:20])}
        raise ApplicationError(message, field="codes") from None
    return bins


def bin_set_active(*, actor: User | None, bin_id: int, is_active: bool) -> Bin:
    """Open or close a bin; a bin holding stock stays open."""
    bin_ = Bin.all_objects.filter(pk=bin_id).first()
    if bin_ is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    store_access(actor=actor, store_id=bin_.store_id, permission="warehouses.manage")
    if not is_active and StockBalance.all_objects.filter(bin=bin_, on_hand__gt=0).exists():
        raise ApplicationError(_("A bin with stock stays open: move the stock first."), field="is_active")
    bin_.is_active = is_active
    bin_.save(actor=actor)
    return bin_
