"""Month-end closing of a store's stock: the month's moves become final and its end-of-month stock is
kept as a snapshot per part and bin, so reports start from a snapshot instead of replaying history."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.audit import audit_append
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.parts.models import StockClosing, StockMove, StockSnapshot
from aftersales.parts.selectors.stock import month_end
from aftersales.parts.services.ledger import BATCH, closing_guard, store_access


def stock_month_close(*, actor: User | None, store_id: int, month: date) -> StockClosing:
    """Close ``month`` (any day of it) of a store: only a month that has ended, only the month after the
    last closed one, never twice. Moves dated in it are refused from then on."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.close")
    month = month.replace(day=1)
    today = store_calendar(store).local_date(timezone.now())
    if month_end(month) >= today:
        raise ApplicationError(_("Only a month that has ended can be closed."), code="month_open", field="month")
    with transaction.atomic():
        closing_guard(store.pk, exclusive=True)
        last = StockClosing.all_objects.select_for_update().filter(store_id=store.pk).order_by("-month").first()
        if last is not None and month <= last.month:
            raise ApplicationError(
                _("%(month)s is closed already.") % {"month": f"{month:%Y-%m}"}, code="closed_month", field="month"
            )
        expected = (month_end(last.month) + timedelta(days=1)) if last is not None else None
        if expected is not None and month != expected:
            raise ApplicationError(
                _("Close %(month)s first.") % {"month": f"{expected:%Y-%m}"}, code="close_in_order", field="month"
            )
        running: dict[tuple[int, int], list[Any]] = defaultdict(lambda: [Decimal(0), 0])
        if last is not None:
            for part, bin_id, on_hand, value in StockSnapshot.objects.filter(closing=last).values_list(
                "part_id", "bin_id", "on_hand", "value_fen"
            ):
                running[(part, bin_id)] = [on_hand, value]
        moves = StockMove.all_objects.filter(store_id=store.pk, moved_on__lte=month_end(month))
        if last is not None:
            moves = moves.filter(moved_on__gte=month)
        for part, bin_id, quantity, value in (
            moves.values("part_id", "bin_id")
            .annotate(q=Sum("quantity"), v=Sum("value_fen"))
            .values_list("part_id", "bin_id", "q", "v")
            .order_by()
        ):
            running[(part, bin_id)][0] += quantity
            running[(part, bin_id)][1] += value
        kept = {key: line for key, line in running.items() if line[0] or line[1]}
        try:
            with transaction.atomic():
                closing = StockClosing.all_objects.create(
                    store_id=store.pk,
                    month=month,
                    closed_at=timezone.now(),
                    closed_by=actor,
                    balances=len(kept),
                    value_fen=sum(line[1] for line in kept.values()),
                )
        except IntegrityError:
            raise ApplicationError(
                _("%(month)s is closed already.") % {"month": f"{month:%Y-%m}"}, code="closed_month", field="month"
            ) from None
        StockSnapshot.objects.bulk_create(
            [
                StockSnapshot(
                    closing=closing, store_id=store.pk, part_id=part, bin_id=bin_id, on_hand=line[0], value_fen=line[1]
                )
                for (part, bin_id), line in sorted(kept.items())
            ],
            batch_size=BATCH * 2,
        )
        audit_append(
            action="stock_closed",
            store_id=store.pk,
            actor=actor,
            object_type="parts.stockclosing",
            object_id=str(closing.pk),
            object_repr=f"{month:%Y-%m}",
            changes={"month": f"{month:%Y-%m}", "balances": closing.balances, "value_fen": closing.value_fen},
        )
    return closing
