"""Purchasing's reads: suppliers' ratings computed from real receipts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from aftersales.core.money import money_round
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchaseReceiptLine, Supplier

RATING_DAYS = 365


def supplier_choices(group_id: int) -> list[tuple[str, str]]:
    """The group's active suppliers as a form's choices: (id, "code name"), by code."""
    return [
        (str(pk), f"{code} {name}")
        for pk, code, name in Supplier.objects.filter(group_id=group_id, is_active=True)
        .order_by("code")
        .values_list("pk", "code", "name")
    ]


def order_total(order: PurchaseOrder) -> Decimal:
    """The order's amount, tax included: the sum of its lines (less what is cancelled on them), each
    rounded to the fen."""
    return sum(
        (money_round((line.quantity - line.cancelled) * line.unit_price) for line in order.lines.all()),
        start=Decimal("0.00"),
    )


@dataclass(frozen=True)
class Rating:
    """A supplier's record: quality = accepted ÷ delivered; on time = receipt lines delivered by the
    line's expected date ÷ receipt lines; in full = order lines received in full ÷ order lines whose
    order is received or closed. ``None`` where there is nothing to measure yet."""

    receipts: int
    quality: Decimal | None
    on_time: Decimal | None
    in_full: Decimal | None


def _share(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def supplier_ratings(supplier_ids: list[int], *, today: date, days: int = RATING_DAYS) -> dict[int, Rating]:
    """Every supplier's rating over the last ``days`` days, in three queries whatever their number."""
    since = today - timedelta(days=days)
    received = (
        PurchaseReceiptLine.objects.filter(receipt__supplier_id__in=supplier_ids, receipt__received_on__gte=since)
        .values("receipt__supplier_id")
        .annotate(
            delivered=Sum("delivered"),
            accepted=Sum("accepted"),
            lines=Count("pk"),
            on_time=Count("pk", filter=Q(on_time=True)),
            receipts=Count("receipt_id", distinct=True),
        )
    )
    finished = (
        PurchaseOrderLine.objects.filter(
            order__supplier_id__in=supplier_ids,
            order__created_at__date__gte=since,
            order__status__in=(PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CLOSED),
        )
        .values("order__supplier_id")
        .annotate(lines=Count("pk"), full=Count("pk", filter=Q(received__gte=F("quantity"))))
    )
    full = {row["order__supplier_id"]: row for row in finished}
    ratings: dict[int, Rating] = {}
    for row in received:
        supplier = row["receipt__supplier_id"]
        done = full.get(supplier, {})
        ratings[supplier] = Rating(
            receipts=row["receipts"],
            quality=_share(row["accepted"], row["delivered"]),
            on_time=_share(row["on_time"], row["lines"]),
            in_full=_share(done.get("full"), done.get("lines")),
        )
    return ratings


@dataclass(frozen=True)
class MonthRating:
    month: date
    delivered: Decimal
    quality: Decimal | None
    on_time: Decimal | None


def supplier_rating_history(supplier_id: int, *, today: date, months: int = 12) -> list[MonthRating]:
    """The supplier's quality and punctuality month by month (months with receipts), newest first."""
    since = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    rows = (
        PurchaseReceiptLine.objects.filter(receipt__supplier_id=supplier_id, receipt__received_on__gte=since)
        .annotate(month=TruncMonth("receipt__received_on"))
        .values("month")
        .annotate(
            delivered=Sum("delivered"),
            accepted=Sum("accepted"),
            lines=Count("pk"),
            on_time=Count("pk", filter=Q(on_time=True)),
        )
        .order_by("-month")
    )
    return [
        MonthRating(
            month=row["month"],
            delivered=Decimal(row["delivered"]).quantize(Decimal("0.001")),
            quality=_share(row["accepted"], row["delivered"]),
            on_time=_share(row["on_time"], row["lines"]),
        )
        for row in rows
    ]


def backorders(*, store_id: int) -> QuerySet[PurchaseOrderLine]:
    """The store's backorders (欠货): lines of sent orders still owed, the most overdue first."""
    return (
        PurchaseOrderLine.objects.filter(
            store_id=store_id,
            order__status__in=(PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTLY_RECEIVED),
            quantity__gt=F("received") + F("cancelled"),
        )
        .select_related("order__supplier", "part")
        .order_by(F("expected_on").asc(nulls_last=True), "order__number", "position")
    )
