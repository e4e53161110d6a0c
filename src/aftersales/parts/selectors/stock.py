"""Reads of stock: balances, the moves ledger, stock as of a date (snapshot plus moves), and the
verification that every balance is the sum of its moves."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth

from aftersales.parts.models import Reservation, StockBalance, StockClosing, StockMove, StockSnapshot

Key = tuple[int, int]


def month_end(month: date) -> date:
    """The last day of ``month`` (any day of it)."""
    if month.year == date.max.year and month.month == 12:
        return date.max
    first_next = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def balances(
    *, store_ids: list[int] | None, part_id: int | None = None, warehouse_id: int | None = None
) -> QuerySet[StockBalance]:
    rows = StockBalance.objects.select_related("bin__warehouse", "part", "store")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    if part_id is not None:
        rows = rows.filter(part_id=part_id)
    if warehouse_id is not None:
        rows = rows.filter(bin__warehouse_id=warehouse_id)
    return rows.order_by("store__code", "bin__warehouse__code", "bin__code", "part__number")


def part_stock(*, store_id: int, part_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """On hand and reserved per part in a store (summed over its bins)."""
    rows = (
        StockBalance.all_objects.filter(store_id=store_id, part_id__in=part_ids)
        .values("part_id")
        .annotate(q=Sum("on_hand"), r=Sum("reserved"))
        .values_list("part_id", "q", "r")
        .order_by()
    )
    return {part: (Decimal(q), Decimal(r)) for part, q, r in rows}


def moves(
    *,
    store_ids: list[int] | None,
    part_id: int | None = None,
    kind: str | None = None,
    warehouse_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    document_no: str | None = None,
) -> QuerySet[StockMove]:
    rows = StockMove.objects.select_related("part", "bin__warehouse", "store", "posted_by")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    if part_id is not None:
        rows = rows.filter(part_id=part_id)
    if kind:
        rows = rows.filter(kind=kind)
    if warehouse_id is not None:
        rows = rows.filter(bin__warehouse_id=warehouse_id)
    if date_from is not None:
        rows = rows.filter(moved_on__gte=date_from)
    if date_to is not None:
        rows = rows.filter(moved_on__lte=date_to)
    if document_no:
        rows = rows.filter(document_no=document_no)
    return rows.order_by("-id")


def last_closing(store_id: int, *, on_or_before: date | None = None) -> StockClosing | None:
    closings = StockClosing.all_objects.filter(store_id=store_id)
    if on_or_before is not None:
        # A closing counts for a date when its whole month ended on or before it.
        if on_or_before < date(1, 2, 1):
            return None
        closings = closings.filter(month__lte=on_or_before.replace(day=1) - timedelta(days=1))
    return closings.order_by("-month").first()


@dataclass(frozen=True)
class StockLine:
    part_id: int
    bin_id: int
    on_hand: Decimal
    value_fen: int


def stock_as_of(*, store_id: int, on: date, part_id: int | None = None) -> dict[Key, tuple[Decimal, int]]:
    """Quantity and value per part and bin at the end of ``on``: the last month-end snapshot before it
    plus the moves dated after that month up to ``on``; never a replay of all history."""
    closing = last_closing(store_id, on_or_before=on)
    result: dict[Key, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    start: date | None = None
    if closing is not None:
        start = month_end(closing.month) + timedelta(days=1)
        snapshot = StockSnapshot.objects.filter(closing=closing)
        if part_id is not None:
            snapshot = snapshot.filter(part_id=part_id)
        for part, bin_id, on_hand, value in snapshot.values_list("part_id", "bin_id", "on_hand", "value_fen"):
            result[(part, bin_id)] = [on_hand, value]
    rows = StockMove.all_objects.filter(store_id=store_id, moved_on__lte=on)
    if start is not None:
        rows = rows.filter(moved_on__gte=start)
    if part_id is not None:
        rows = rows.filter(part_id=part_id)
    for part, bin_id, quantity, value in (
        rows.values("part_id", "bin_id")
        .annotate(q=Sum("quantity"), v=Sum("value_fen"))
        .values_list("part_id", "bin_id", "q", "v")
    ):
        line = result[(part, bin_id)]
        line[0] += quantity
        line[1] += value
    return {key: (Decimal(line[0]), int(line[1])) for key, line in result.items() if line[0] or line[1]}


def _text(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f") if value else "0"


@dataclass
class Difference:
    store_id: int
    part_id: int
    bin_id: int
    what: str
    recorded: str
    computed: str

    def __str__(self) -> str:
        return (
            f"store {self.store_id} part {self.part_id} bin {self.bin_id}: {self.what} "
            f"recorded {self.recorded}, computed {self.computed}"
        )


@dataclass
class Verification:
    balances: int
    differences: list[Difference]


def stock_verify(*, store_ids: list[int] | None = None) -> Verification:
    """Recompute every balance (on hand, value, reserved) from the moves and reservations, and every
    month-end snapshot from the moves up to its month; list each difference. Nothing is written. On
    PostgreSQL every read sees one snapshot (REPEATABLE READ), so postings going on meanwhile never
    show as differences; on SQLite run it when the store is quiet."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return _stock_verify(store_ids)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _stock_verify(store_ids)


def _stock_verify(store_ids: list[int] | None) -> Verification:
    move_rows = StockMove.all_objects.all()
    balance_rows = StockBalance.all_objects.all()
    reservation_rows = Reservation.all_objects.all()
    if store_ids is not None:
        move_rows = move_rows.filter(store_id__in=store_ids)
        balance_rows = balance_rows.filter(store_id__in=store_ids)
        reservation_rows = reservation_rows.filter(store_id__in=store_ids)
    computed: dict[tuple[int, int, int], list[Any]] = defaultdict(lambda: [Decimal(0), 0, Decimal(0)])
    for store, part, bin_id, quantity, value in (
        move_rows.values("store_id", "part_id", "bin_id")
        .annotate(q=Sum("quantity"), v=Sum("value_fen"))
        .values_list("store_id", "part_id", "bin_id", "q", "v")
        .order_by()
    ):
        computed[(store, part, bin_id)][:2] = [quantity, value]
    for store, part, bin_id, quantity in (
        reservation_rows.values("store_id", "part_id", "bin_id")
        .annotate(q=Sum("quantity"))
        .values_list("store_id", "part_id", "bin_id", "q")
        .order_by()
    ):
        computed[(store, part, bin_id)][2] = quantity
    differences: list[Difference] = []
    count = 0
    for store, part, bin_id, on_hand, reserved, value in balance_rows.values_list(
        "store_id", "part_id", "bin_id", "on_hand", "reserved", "value_fen"
    ).iterator(chunk_size=5000):
        count += 1
        quantity, moved_value, held = computed.pop((store, part, bin_id), [Decimal(0), 0, Decimal(0)])
        for what, recorded, expected in (
            ("on_hand", on_hand, quantity),
            ("value_fen", value, moved_value),
            ("reserved", reserved, held),
        ):
            if recorded != expected:
                differences.append(Difference(store, part, bin_id, what, _text(recorded), _text(expected)))
        if on_hand < 0 or value < 0 or reserved > on_hand or (on_hand == 0 and value != 0):
            differences.append(Difference(store, part, bin_id, "invariant", f"{on_hand}/{reserved}/{value}", "-"))
    for (store, part, bin_id), (quantity, value, held) in computed.items():
        differences.append(Difference(store, part, bin_id, "missing balance", "-", f"{quantity}/{value}/{held}"))
    differences += _snapshot_differences(store_ids)
    return Verification(balances=count, differences=differences)


def _snapshot_differences(store_ids: list[int] | None) -> list[Difference]:
    """Each closing's snapshot against the running sums of the moves month by month."""
    closings = StockClosing.all_objects.all()
    if store_ids is not None:
        closings = closings.filter(store_id__in=store_ids)
    differences: list[Difference] = []
    for store_id in sorted(set(closings.values_list("store_id", flat=True))):
        months = list(StockClosing.all_objects.filter(store_id=store_id).order_by("month"))
        last_end = month_end(months[-1].month)
        monthly: dict[date, list[tuple[int, int, Decimal, int]]] = defaultdict(list)
        for month, part, bin_id, quantity, value in (
            StockMove.all_objects.filter(store_id=store_id, moved_on__lte=last_end)
            .annotate(month=TruncMonth("moved_on"))
            .values("month", "part_id", "bin_id")
            .annotate(q=Sum("quantity"), v=Sum("value_fen"))
            .values_list("month", "part_id", "bin_id", "q", "v")
            .order_by()
        ):
            monthly[month].append((part, bin_id, quantity, value))
        running: dict[Key, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        sorted_months = sorted(monthly)
        pointer = 0
        for closing in months:
            while pointer < len(sorted_months) and sorted_months[pointer] <= closing.month:
                for part, bin_id, quantity, value in monthly[sorted_months[pointer]]:
                    running[(part, bin_id)][0] += quantity
                    running[(part, bin_id)][1] += value
                pointer += 1
            expected = {key: line for key, line in running.items() if line[0] or line[1]}
            recorded: dict[Key, list[Decimal]] = {
                (part, bin_id): [on_hand, Decimal(value)]
                for part, bin_id, on_hand, value in StockSnapshot.objects.filter(closing=closing).values_list(
                    "part_id", "bin_id", "on_hand", "value_fen"
                )
            }
            for key in expected.keys() | recorded.keys():
                zero = [Decimal(0), Decimal(0)]
                if expected.get(key, zero) != recorded.get(key, zero):
                    differences.append(
                        Difference(
                            store_id,
                            key[0],
                            key[1],
                            f"snapshot {closing.month:%Y-%m}",
                            str(recorded.get(key)),
                            str(expected.get(key)),
                        )
                    )
    return differences


def closings(*, store_ids: list[int] | None) -> QuerySet[StockClosing]:
    rows = StockClosing.objects.select_related("store", "closed_by")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    return rows.annotate(snapshot_rows=Count("snapshots")).order_by("store__code", "-month")


def reservations(
    *,
    store_ids: list[int] | None,
    demand_type: str | None = None,
    demand_id: int | None = None,
    part_id: int | None = None,
) -> QuerySet[Reservation]:
    rows = Reservation.objects.select_related("part", "bin__warehouse", "store")
    if store_ids is not None:
        rows = rows.filter(store_id__in=store_ids)
    if demand_type:
        rows = rows.filter(demand_type=demand_type)
    if demand_id is not None:
        rows = rows.filter(demand_id=demand_id)
    if part_id is not None:
        rows = rows.filter(part_id=part_id)
    return rows.order_by("-pk")


def stock_totals(rows: dict[Key, tuple[Decimal, int]]) -> dict[str, Any]:
    return {"lines": len(rows), "value_fen": sum(value for _q, value in rows.values())}


def issued_value_fen(*, demand_type: str, line_ids: list[int]) -> dict[int, int]:
    """What the parts issued to each line of a demand (a repair order's) cost the store, less what came back
    from it, in fen at the moves' values (the stock's moving average when issued). Lines with no issue are
    absent."""
    rows = (
        StockMove.all_objects.filter(
            document_type=demand_type,
            document_line_id__in=line_ids,
            kind__in=(StockMove.Kind.ISSUE, StockMove.Kind.RETURN),
        )
        .values("document_line_id")
        .annotate(value=Sum("value_fen"))
    )
    return {line_id: -row["value"] for row in rows if (line_id := row["document_line_id"]) is not None}
