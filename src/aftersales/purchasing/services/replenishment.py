"""Replenishment (PRT-4), a rule a person can check by hand, per part of a store:

    daily demand   = the quantity issued over the last 90 days ÷ 90
    lead time      = the stock-order lead time of the part's brand's parts centre (else 7 days)
    safety stock   = daily demand × 3 days
    reorder point  = daily demand × lead time + safety stock
    order cycle    = 7 days ÷ the parts centre's order days a week (7 without any)
    order up to    = reorder point + daily demand × order cycle

each rounded up to what the part's unit allows. The position compared with the reorder point is
on hand + on order − reserved; a part at or below it is suggested for the difference up to the
order-up-to level. Emergency-class parts are never suggested for stock. Suggestions are ordered from
their supplier on its next order day: the first day from the store's today whose weekday is one of
the supplier's order days (today when it takes orders any day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.calendar import store_today
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.parts.models import Part, StockBalance, StockMove
from aftersales.parts.services import store_access
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine, ReorderRule, Supplier
from aftersales.purchasing.services.orders import OrderLineIn, order_create

DEMAND_DAYS = 90
SAFETY_DAYS = 3
DEFAULT_LEAD_DAYS = 7
OPEN_ORDERS = (
    PurchaseOrder.Status.DRAFT,
    PurchaseOrder.Status.SUBMITTED,
    PurchaseOrder.Status.APPROVED,
    PurchaseOrder.Status.SENT,
    PurchaseOrder.Status.PARTLY_RECEIVED,
)
BATCH = 2000


def _up(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_CEILING)


def _centres(group_id: int) -> dict[int, Supplier]:
    """Each brand's parts centre (the first active one by code)."""
    centres: dict[int, Supplier] = {}
    for supplier in Supplier.objects.filter(
        group_id=group_id, kind=Supplier.Kind.MANUFACTURER, is_active=True
    ).order_by("code"):
        if supplier.brand_id is not None:
            centres.setdefault(supplier.brand_id, supplier)
    return centres


def reorder_points_compute(*, store_id: int, today: date | None = None) -> int:
    """Compute every part's reorder point in a store from its last 90 days of issues (rules set by hand
    are left alone); one query for the demand, one upsert in batches. Returns the rules written."""
    store = store_access(actor=None, store_id=store_id, permission="purchasing.view")
    today = today or timezone.localdate()
    since = today - timedelta(days=DEMAND_DAYS)
    issued = dict(
        StockMove.all_objects.filter(store_id=store.pk, kind=StockMove.Kind.ISSUE, moved_on__gt=since)
        .values_list("part_id")
        .annotate(quantity=Sum("quantity"))
        .values_list("part_id", "quantity")
    )
    manual = set(ReorderRule.objects.filter(store=store, manual=True).values_list("part_id", flat=True))
    centres = _centres(store.group_id)
    now = timezone.now()
    rules: list[ReorderRule] = []
    for part_id, brand_id, decimals in (
        Part.objects.filter(group_id=store.group_id, is_active=True, balances__store=store)
        .distinct()
        .values_list("pk", "brand_id", "decimals")
    ):
        if part_id in manual:
            continue
        centre = centres.get(brand_id)
        lead = centre.lead_days_stock if centre else DEFAULT_LEAD_DAYS
        cycle = math.ceil(7 / len(centre.order_days)) if centre and centre.order_days else 7
        daily = (-Decimal(issued.get(part_id) or 0) / DEMAND_DAYS).quantize(Decimal("0.0001"))
        safety = _up(daily * SAFETY_DAYS, decimals)
        point = _up(daily * lead + safety, decimals)
        rules.append(
            ReorderRule(
                store=store, part_id=part_id, daily_demand=daily, lead_days=lead, cycle_days=cycle,
                safety_stock=safety, reorder_point=point, order_up_to=_up(point + daily * cycle, decimals),
                computed_at=now,
            )
        )  # fmt: skip
    with transaction.atomic():
        ReorderRule.objects.bulk_create(
            rules,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["store", "part"],
            update_fields=[
                "daily_demand", "lead_days", "cycle_days", "safety_stock", "reorder_point", "order_up_to",
                "computed_at",
            ],
        )  # fmt: skip
    return len(rules)


def reorder_rule_set(
    *, actor: User | None, store_id: int, part_id: int, reorder_point: Decimal, order_up_to: Decimal
) -> ReorderRule:
    """Set a part's reorder point and order-up-to level by hand (kept through the nightly computing)."""
    store = store_access(actor=actor, store_id=store_id, permission="purchasing.order")
    part = Part.objects.filter(pk=part_id, group_id=store.group_id).first()
    if part is None:
        raise ApplicationError(_("Unknown part."), field="part")
    errors: dict[str, list[str]] = {}
    for name, value in (("reorder_point", reorder_point), ("order_up_to", order_up_to)):
        if (
            not value.is_finite()
            or value < 0
            or value != value.quantize(part.quantity_step())
            or value >= Decimal("1e10")
        ):
            errors[name] = [_("Enter a quantity of zero or more the part's unit allows.")]
    if not errors and order_up_to < reorder_point:
        errors["order_up_to"] = [_("Order up to at least the reorder point.")]
    if errors:
        raise ApplicationError(_("Check the reorder rule."), fields=errors)
    rule, _created = ReorderRule.objects.update_or_create(
        store=store,
        part=part,
        defaults={"reorder_point": reorder_point, "order_up_to": order_up_to, "manual": True, "computed_at": None},
    )
    return rule


def next_order_day(order_days: list[int], today: date) -> date:
    """The first day on or after ``today`` whose weekday (Monday 0) is one of ``order_days``; today
    when there are none (the supplier takes orders any day)."""
    week = (today + timedelta(days=ahead) for ahead in range(7))
    return next((day for day in week if day.weekday() in order_days), today)


@dataclass(frozen=True)
class Suggestion:
    part_id: int
    number: str
    name: str
    on_hand: Decimal
    on_order: Decimal
    reserved: Decimal
    position: Decimal
    reorder_point: Decimal
    order_up_to: Decimal
    quantity: Decimal
    supplier_id: int | None
    last_price: Decimal | None
    next_order_day: date | None  # the supplier's; None without a supplier


@dataclass(frozen=True)
class SuggestionGroup:
    """One supplier's suggestions, all ordered from it on its next order day."""

    supplier: Supplier | None
    next_order_day: date | None
    orders_today: bool
    rows: list[Suggestion]


# What the exact check of a candidate reads, in the order ``_to_order`` takes it.
CHECKED = ("reorder_point", "order_up_to", "part__decimals", "stock", "held", "coming")


def _to_order(
    point: Decimal, up_to: Decimal, decimals: int, on_hand: Decimal, reserved: Decimal, coming: Decimal
) -> tuple[Decimal, Decimal, Decimal] | None:
    """The exact check of a candidate: its on order, position and quantity to order, or None when
    its position is above the reorder point or there is nothing to order."""
    on_order = max(Decimal(0), coming)
    position = on_hand + on_order - reserved
    if position > point:
        return None
    quantity = _up(up_to - position, decimals)
    if quantity <= 0:
        return None
    return on_order, position, quantity


def _suggested(store_id: int) -> tuple[list[Suggestion], dict[int, Supplier], date]:
    """The suggestions, the suppliers they are ordered from by id, and the store's today."""
    store = store_access(actor=None, store_id=store_id, permission="purchasing.view")
    today = store_today(store)
    centres = _centres(store.group_id)
    last_price = (
        PurchaseOrderLine.objects.filter(store_id=store.pk, part_id=OuterRef("part_id"))
        .order_by("-order__created_at", "-pk")
        .values("unit_price")[:1]
    )
    rows = _candidates(store.pk).annotate(last_price=Subquery(last_price)).values_list(
        "part_id", "reorder_point", "order_up_to", "part__number_display", "part__name", "part__brand_id",
        "part__decimals", "stock", "held", "coming", "last_price",
    )  # fmt: skip
    found: list[Suggestion] = []
    for part_id, point, up_to, number, name, brand_id, decimals, on_hand, reserved, coming, price in rows:
        checked = _to_order(point, up_to, decimals, on_hand, reserved, coming)
        if checked is None:
            continue
        on_order, position, quantity = checked
        centre = centres.get(brand_id)
        found.append(
            Suggestion(
                part_id=part_id, number=number, name=name, on_hand=on_hand, on_order=on_order, reserved=reserved,
                position=position, reorder_point=point, order_up_to=up_to, quantity=quantity,
                supplier_id=centre.pk if centre else None, last_price=price,
                next_order_day=next_order_day(centre.order_days, today) if centre else None,
            )
        )  # fmt: skip
    suppliers = {centre.pk: centre for centre in centres.values()}
    codes = {pk: supplier.code for pk, supplier in suppliers.items()}
    # Those without a supplier last: nobody can order them until the brand has a parts centre.
    found.sort(
        key=lambda row: (
            row.next_order_day is None,
            row.next_order_day or today,
            codes.get(row.supplier_id or 0, ""),
            row.number,
        )
    )
    return found, suppliers, today


def suggestions(*, store_id: int) -> list[Suggestion]:
    """Parts at or below their reorder point, with what to order, by next order day, supplier code and
    part number, in one query: the database finds them (comparing a little generously, as SQLite
    reckons decimals in floating point) and each is checked exactly here."""
    return _suggested(store_id)[0]


def suggestion_groups(*, store_id: int) -> list[SuggestionGroup]:
    """The suggestions by supplier, the nearest next order day first (then by supplier code), those
    without a supplier last; the same query as ``suggestions``."""
    rows, suppliers, today = _suggested(store_id)
    groups: dict[int | None, SuggestionGroup] = {}
    for row in rows:
        if row.supplier_id not in groups:
            groups[row.supplier_id] = SuggestionGroup(
                supplier=suppliers[row.supplier_id] if row.supplier_id else None,
                next_order_day=row.next_order_day,
                orders_today=row.next_order_day == today,
                rows=[],
            )
        groups[row.supplier_id].rows.append(row)
    return list(groups.values())


def suggestion_count(*, store_id: int) -> int:
    """How many parts ``suggestions`` lists (the same query and check, without names and prices)."""
    store = store_access(actor=None, store_id=store_id, permission="purchasing.view")
    rows = _candidates(store.pk).values_list(*CHECKED)
    return sum(1 for row in rows if _to_order(*row) is not None)


def _candidates(store_id: int) -> QuerySet[ReorderRule]:
    """The rules of parts that may be at or below their reorder point, with their stock, reserved and
    on-order quantities summed by the database."""
    amount = DecimalField(max_digits=20, decimal_places=3)
    zero = Value(Decimal(0), output_field=amount)

    def total(rows: QuerySet[Any], expression: Any) -> Coalesce:
        summed = rows.values("part_id").annotate(total=Sum(expression)).values("total")
        return Coalesce(Subquery(summed, output_field=amount), zero, output_field=amount)

    balances = StockBalance.all_objects.filter(store_id=store_id, part_id=OuterRef("part_id"))
    lines = PurchaseOrderLine.objects.filter(
        store_id=store_id, part_id=OuterRef("part_id"), order__status__in=OPEN_ORDERS
    )
    return (
        ReorderRule.objects.filter(store_id=store_id, reorder_point__gt=0)
        .exclude(part__part_class=Part.PartClass.EMERGENCY)
        .annotate(
            stock=total(balances, "on_hand"),
            held=total(balances, "reserved"),
            coming=total(lines, F("quantity") - F("received") - F("cancelled")),
        )
        .filter(
            reorder_point__gte=ExpressionWrapper(
                F("stock") + F("coming") - F("held") - Value(Decimal("0.0005"), output_field=amount),
                output_field=amount,
            )
        )
    )


def _prices(store_id: int, part_ids: list[int]) -> dict[int, Decimal]:
    """What a part is ordered at: the last price the store ordered it at, else its standard cost plus VAT."""
    last: dict[int, Decimal] = {}
    for part_id, price in (
        PurchaseOrderLine.objects.filter(store_id=store_id, part_id__in=part_ids)
        .order_by("part_id", "-order__created_at", "-pk")
        .values_list("part_id", "unit_price")
    ):
        last.setdefault(part_id, price)
    return {
        pk: last[pk] if pk in last else (cost * (1 + tax)).quantize(Decimal("0.01"))
        for pk, cost, tax in Part.objects.filter(pk__in=part_ids).values_list("pk", "standard_cost", "tax_rate")
    }


def suggestions_order(*, actor: User | None, store_id: int, supplier_id: int) -> PurchaseOrder:
    """Turn a supplier's suggestions into one draft stock order, at the last price each was ordered at
    (else the part's standard cost plus VAT)."""
    rows = [row for row in suggestions(store_id=store_id) if row.supplier_id == supplier_id]
    if not rows:
        raise ApplicationError(_("Nothing to order from this supplier."), code="nothing", field="supplier")
    prices = _prices(store_id, [row.part_id for row in rows])
    lines = [OrderLineIn(row.part_id, row.quantity, prices[row.part_id]) for row in rows]
    return order_create(
        actor=actor,
        store_id=store_id,
        supplier_id=supplier_id,
        order_type=PurchaseOrder.OrderType.STOCK,
        lines=lines,
        note=_("From the replenishment suggestions"),
    )


@dataclass(frozen=True)
class DemandShort:
    part_id: int
    quantity: Decimal
    demand_line_id: int | None = None


def _on_order(store_id: int, demand_type: str, demand_id: int) -> dict[tuple[int, int | None], Decimal]:
    """What open orders of the store still bring for a demand, by part and demand line."""
    return {
        (row["part_id"], row["demand_line_id"]): row["open"]
        for row in PurchaseOrderLine.objects.filter(
            store_id=store_id, demand_type=demand_type, demand_id=demand_id, order__status__in=OPEN_ORDERS
        )
        .values("part_id", "demand_line_id")
        .annotate(open=Sum(F("quantity") - F("received") - F("cancelled")))
    }


def demand_orders_create(
    *, actor: User | None, store_id: int, demand_type: str, demand_id: int, shorts: list[DemandShort], note: str
) -> list[PurchaseOrder]:
    """Draft urgent orders for what a demand (an appointment's pre-pick, a repair order) lacks (PRT-9) and
    open orders do not bring yet (asked twice, nothing is ordered twice): one per brand's parts centre,
    each line naming the demand so the arrival is reserved to it and its owner told. Refused when a
    part's brand has no parts centre; all orders or none."""
    store = store_access(actor=actor, store_id=store_id, permission="purchasing.order")
    if not shorts:
        raise ApplicationError(_("Nothing to order."), code="nothing", field="lines")
    on_order = _on_order(store.pk, demand_type, demand_id)
    shorts = [
        replace(row, quantity=left)
        for row in shorts
        if (left := row.quantity - max(on_order.get((row.part_id, row.demand_line_id), Decimal(0)), Decimal(0))) > 0
    ]
    if not shorts:
        raise ApplicationError(_("What is short is on order already."), code="on_order", field="lines")
    centres = _centres(store.group_id)
    brands = dict(Part.objects.filter(pk__in=[row.part_id for row in shorts]).values_list("pk", "brand_id"))
    missing = sorted({str(brands.get(row.part_id)) for row in shorts if brands.get(row.part_id) not in centres})
    if missing:
        raise ApplicationError(
            _("No parts centre of the brand is recorded: add the manufacturer as a supplier first."),
            code="no_supplier",
            field="supplier",
        )
    prices = _prices(store.pk, [row.part_id for row in shorts])
    by_centre: dict[int, list[OrderLineIn]] = {}
    for row in shorts:
        by_centre.setdefault(centres[brands[row.part_id]].pk, []).append(
            OrderLineIn(
                row.part_id,
                row.quantity,
                prices[row.part_id],
                demand_type=demand_type,
                demand_id=demand_id,
                demand_line_id=row.demand_line_id,
            )
        )
    with transaction.atomic():
        return [
            order_create(
                actor=actor,
                store_id=store.pk,
                supplier_id=supplier_id,
                order_type=PurchaseOrder.OrderType.URGENT,
                lines=lines,
                note=note,
            )
            for supplier_id, lines in sorted(by_centre.items())
        ]
