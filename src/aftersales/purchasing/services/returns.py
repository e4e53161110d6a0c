"""Supplier returns (退货): what was rejected at receiving, kept with its printed return note until the
goods go back to the supplier."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.parts.services import store_access
from aftersales.purchasing.models import SupplierReturn


def supplier_return_access(
    *, actor: User | None, return_id: int, permission: str, for_update: bool = False
) -> SupplierReturn:
    rows = SupplierReturn.all_objects.select_related("store", "supplier", "order", "receipt").filter(pk=return_id)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    found = rows.first()
    if found is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    store_access(actor=actor, store_id=found.store_id, permission=permission)
    return found


def supplier_return_ship(*, actor: User | None, return_id: int, shipped_on: date | None = None) -> SupplierReturn:
    """Record that the rejected goods went back to the supplier (on ``shipped_on``, else today)."""
    with transaction.atomic():
        found = supplier_return_access(actor=actor, return_id=return_id, permission="stock.move", for_update=True)
        if found.status != SupplierReturn.Status.OPEN:
            raise ApplicationError(_("These goods are returned already."), code="returned", status=409)
        today = store_calendar(found.store).local_date(timezone.now())
        day = shipped_on or today
        if day > today:
            raise ApplicationError(_("Enter a date that is not in the future."), field="shipped_on")
        if day < found.receipt.received_on:
            raise ApplicationError(_("Enter a date on or after the receipt."), field="shipped_on")
        found.status, found.shipped_on, found.shipped_by = SupplierReturn.Status.SHIPPED, day, actor
        found.save(update_fields=["status", "shipped_on", "shipped_by"], actor=actor)
    return found
