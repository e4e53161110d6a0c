"""The posting engine every stock movement goes through: one transaction, balances locked in primary-key
order, the whole plan computed in memory and refused at once with every problem listed, then the moves
and balances written in bulk and one audit entry for the action.

Value (DESIGN-visit "Prices, tax and money"): kept in whole fen per balance; what leaves takes
``round(value / on_hand × quantity)`` and the last unit out takes the remaining value, so the moving
average follows posting order. A move dated in a closed month is refused; corrections are new moves.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.audit import audit_append
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.core.money import fen_share
from aftersales.parts.models import Bin, Part, Reservation, StockBalance, StockClosing, StockMove

BATCH = 500
MAX_LINES = 20_000
# What the columns hold: numeric(14, 3) for quantities; a value in fen well inside 64 bits.
MAX_ON_HAND = Decimal("1e11")
MAX_VALUE_FEN = 10**15
Key = tuple[int, int]  # (part id, bin id)
INCOMING = frozenset({StockMove.Kind.RECEIPT, StockMove.Kind.RETURN, StockMove.Kind.TRANSFER_IN})
OUTGOING = frozenset(
    {StockMove.Kind.ISSUE, StockMove.Kind.TRANSFER_OUT, StockMove.Kind.SCRAP, StockMove.Kind.SUPPLIER_RETURN}
)


def store_access(*, actor: User | None, store_id: int, permission: str) -> Store:
    """The active store ``actor`` acts in with ``permission``; refused on the ``store`` field otherwise
    (a store the actor may not see is not named)."""
    store = Store.all_objects.filter(pk=store_id, is_active=True).first()
    if store is None or (actor is not None and not can(actor, permission, store_id=store_id)):
        raise ApplicationError(
            _("You may not do this in that store."), code="store_not_allowed", field="store", status=403
        )
    return store


def qty_text(value: Decimal) -> str:
    """A quantity as people write it: no trailing zeros, never an exponent (10, 2.5)."""
    return format(value.normalize(), "f") if value else "0"


def quantity_problem(part: Part, quantity: Decimal) -> str | None:
    """Why ``quantity`` of ``part`` cannot be moved: not positive, or more decimals than its unit allows."""
    if not quantity.is_finite() or quantity <= 0:
        return _("Enter a quantity greater than zero.")
    if quantity != quantity.quantize(part.quantity_step()):
        if part.decimals == 0:
            return _("%(part)s is counted in whole %(unit)s: enter a whole number.") % {
                "part": part.number_display,
                "unit": part.get_unit_display(),
            }
        return _("%(part)s allows at most %(n)s decimals.") % {"part": part.number_display, "n": part.decimals}
    if quantity >= Decimal("1e10"):
        return _("Enter a smaller quantity.")
    return None


def closed_month_problem(store: Store, moved_on: date) -> str | None:
    """Why a move cannot be dated ``moved_on``: in the future, or in a closed month."""
    today = store_calendar(store).local_date(timezone.now())
    if moved_on > today:
        return _("A move cannot be dated in the future.")
    last = StockClosing.all_objects.filter(store_id=store.pk).order_by("-month").values_list("month", flat=True).first()
    if last is not None and moved_on < _next_month(last):
        return _("%(month)s is closed: date the move in an open month.") % {"month": f"{last:%Y-%m}"}
    return None


# The key space of the advisory locks that keep postings and a month's closing apart (PostgreSQL).
_CLOSING_LOCK = 0x53544B  # "STK"


def closing_guard(store_id: int, *, exclusive: bool) -> None:
    """Hold the store's closing lock until the transaction ends: shared by postings (they run side by
    side), exclusive for a month's closing, so no move lands in a month while it is being closed. On
    SQLite write transactions are serialised already."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [_CLOSING_LOCK, store_id])


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def stock_in(balance: StockBalance, quantity: Decimal, value_fen: int | None) -> int:
    """Add ``quantity`` worth ``value_fen`` to an (unsaved or locked) balance; without a value, at the
    balance's average. Returns the move's value. The one valuation of incoming stock."""
    if value_fen is None:
        value_fen = fen_share(balance.value_fen, quantity, balance.on_hand) if balance.on_hand else 0
    balance.on_hand += quantity
    balance.value_fen += value_fen
    return value_fen


def stock_out(balance: StockBalance, quantity: Decimal) -> int:
    """Take ``quantity`` (at most what is on hand) from a balance at its moving average; the last unit
    takes the remaining value. Returns the move's (negative) value. The one valuation of outgoing stock."""
    value = (
        balance.value_fen if quantity == balance.on_hand else fen_share(balance.value_fen, quantity, balance.on_hand)
    )
    balance.on_hand -= quantity
    balance.value_fen -= value
    return -value


@dataclass
class Op:
    """One planned move. ``quantity`` is signed (in > 0, out < 0). An incoming op carries its value
    (``value_fen``) or takes the value of an earlier op (``carry``: its index, a transfer's other side);
    an outgoing op's value is computed from the balance. ``consume`` reservations (id → quantity) are
    released by an outgoing op as it takes their stock."""

    kind: str
    part_id: int
    bin_id: int
    quantity: Decimal
    value_fen: int | None = None
    carry: int | None = None
    consume: dict[int, Decimal] = field(default_factory=dict)
    document_line_id: int | None = None
    unit_cost_if_empty: Decimal | None = None  # an incoming op without a value, into an empty balance
    line: str = ""  # how errors name the line ("lines.3")


@dataclass
class Posting:
    posting: uuid.UUID
    moves: list[StockMove]
    balances: dict[Key, StockBalance]


def balances_lock(store: Store, keys: Iterable[Key], *, create: bool = True) -> dict[Key, StockBalance]:
    """The balances of ``keys`` in ``store``, created empty where missing, locked in primary-key order
    (PostgreSQL; SQLite serialises write transactions, which start IMMEDIATE)."""
    keys = set(keys)
    if not keys:
        return {}
    part_ids = sorted({part for part, _bin in keys})
    bin_ids = sorted({bin_id for _part, bin_id in keys})

    def existing() -> dict[Key, int]:
        found: dict[Key, int] = {}
        for start in range(0, len(part_ids), BATCH * 4):
            rows = StockBalance.all_objects.filter(
                store_id=store.pk, part_id__in=part_ids[start : start + BATCH * 4], bin_id__in=bin_ids
            ).values_list("pk", "part_id", "bin_id")
            found.update({(part, bin_id): pk for pk, part, bin_id in rows if (part, bin_id) in keys})
        return found

    found = existing()
    missing = keys - set(found)
    if missing and create:
        StockBalance.all_objects.bulk_create(
            [StockBalance(store_id=store.pk, part_id=part, bin_id=bin_id) for part, bin_id in sorted(missing)],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        found = existing()
        if missing - set(found):  # a conflict other than the (part, bin) one kept a row out
            raise RuntimeError(f"Stock balances could not be created for {sorted(missing - set(found))[:5]}")
    pks = sorted(found.values())
    locked: dict[Key, StockBalance] = {}
    for start in range(0, len(pks), BATCH * 4):
        for balance in (
            StockBalance.all_objects.select_for_update().filter(pk__in=pks[start : start + BATCH * 4]).order_by("pk")
        ):
            locked[(balance.part_id, balance.bin_id)] = balance
    return locked


def _audit_changes(kind: str, ops: Sequence[Op], moves: Sequence[StockMove], extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": kind,
        "lines": len(moves),
        "parts": len({op.part_id for op in ops}),
        "quantity": str(sum((move.quantity for move in moves), Decimal(0))),
        "value_fen": sum(move.value_fen for move in moves),
        **extra,
    }


def post(
    *,
    actor: User | None,
    store: Store,
    kind: str,
    ops: list[Op],
    moved_on: date | None = None,
    document_type: str = "",
    document_id: int | None = None,
    document_no: str = "",
    reason: str = "",
    audit_extra: dict[str, Any] | None = None,
) -> Posting:
    """Post ``ops`` as one action of ``kind``: all of them or none. Call inside the caller's transaction
    after locking any business rows of its own (lock order: business rows, balances, audit head)."""
    if not ops:
        raise ApplicationError(_("Add at least one line."), field="lines")
    if len(ops) > MAX_LINES:
        raise ApplicationError(
            _("At most %(n)s lines in one posting.") % {"n": MAX_LINES}, code="too_many_lines", field="lines"
        )
    moved_on = moved_on or store_calendar(store).local_date(timezone.now())
    part_ids = {op.part_id for op in ops}
    parts = Part.objects.in_bulk(part_ids)
    bins = Bin.all_objects.filter(pk__in={op.bin_id for op in ops}).select_related("warehouse").in_bulk()
    errors: dict[str, list[str]] = defaultdict(list)
    for op in ops:
        part, bin_ = parts.get(op.part_id), bins.get(op.bin_id)
        if part is None or part.group_id != store.group_id:
            errors[f"{op.line}.part"].append(_("Unknown part."))
            continue
        if bin_ is None or bin_.store_id != store.pk:
            errors[f"{op.line}.bin"].append(_("Choose a bin of this store."))
        elif (not bin_.is_active or not bin_.warehouse.is_active) and op.quantity > 0:
            errors[f"{op.line}.bin"].append(_("Bin %(bin)s is closed.") % {"bin": bin_})
        if op.value_fen is not None and abs(op.value_fen) >= MAX_VALUE_FEN:
            errors[f"{op.line}.unit_cost"].append(_("The line's value is too large."))
        problem = quantity_problem(part, abs(op.quantity))
        if (op.kind in INCOMING and op.quantity < 0) or (op.kind in OUTGOING and op.quantity > 0):
            problem = _("Enter a quantity greater than zero.")
        if problem:
            errors[f"{op.line}.quantity"].append(problem)
    if errors:
        raise ApplicationError(_("Some lines cannot be posted."), fields=dict(errors))

    with transaction.atomic():
        closing_guard(store.pk, exclusive=False)
        problem = closed_month_problem(store, moved_on)
        if problem:
            raise ApplicationError(problem, code="closed_month", field="moved_on")
        balances = balances_lock(store, ((op.part_id, op.bin_id) for op in ops))
        reservations = _reservations_lock(ops)
        now = timezone.now()
        posting = uuid.uuid4()
        moves: list[StockMove] = []
        shortfalls: dict[Key, Decimal] = defaultdict(Decimal)
        values: list[int] = []  # per op, signed, for a later op that carries it
        available_before: dict[Key, Decimal] = {}
        for op in ops:
            balance = balances[(op.part_id, op.bin_id)]
            available_before.setdefault((op.part_id, op.bin_id), balance.on_hand - balance.reserved)
            if op.quantity > 0:
                value_in = -values[op.carry] if op.carry is not None else op.value_fen
                if value_in is None and not balance.on_hand and op.unit_cost_if_empty is not None:
                    value_in = int(
                        (op.unit_cost_if_empty * op.quantity * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP")
                    )
                value = stock_in(balance, op.quantity, value_in)
            else:
                wanted = -op.quantity
                released = Decimal(0)
                for reservation_id, quantity in op.consume.items():
                    reservation = reservations.get(reservation_id)
                    if reservation is None or (reservation.part_id, reservation.bin_id, reservation.store_id) != (
                        op.part_id,
                        op.bin_id,
                        store.pk,
                    ):  # taken meanwhile, or not of this stock: nothing held for this op
                        continue
                    take = min(quantity, reservation.quantity, wanted - released)
                    reservation.quantity -= take
                    released += take
                available = balance.on_hand - balance.reserved + released
                if wanted > available:
                    shortfalls[(op.part_id, op.bin_id)] += wanted - available
                    values.append(0)
                    continue
                balance.reserved -= released
                value = stock_out(balance, wanted)
            values.append(value)
            moves.append(
                StockMove(
                    store_id=store.pk,
                    part_id=op.part_id,
                    bin_id=op.bin_id,
                    kind=op.kind,
                    quantity=op.quantity,
                    value_fen=value,
                    moved_on=moved_on,
                    posted_at=now,
                    posted_by=actor,
                    posting=posting,
                    document_type=document_type,
                    document_id=document_id,
                    document_line_id=op.document_line_id,
                    document_no=document_no,
                    reason=reason,
                )
            )
        if shortfalls:
            raise insufficient(parts, bins, available_before, shortfalls)
        too_full = [key for key in available_before if balances[key].on_hand >= MAX_ON_HAND]
        if too_full:
            raise ApplicationError(
                _("More stock than a bin can hold: %(parts)s.")
                % {"parts": ", ".join(parts[part].number_display for part, _bin in too_full)},
                code="too_much",
                field="quantity",
            )
        StockMove.all_objects.bulk_create(moves, batch_size=BATCH)
        StockBalance.all_objects.bulk_update(
            list(balances.values()), ["on_hand", "reserved", "value_fen"], batch_size=BATCH
        )
        _reservations_save(reservations)
        audit_append(
            action="stock_posted",
            store_id=store.pk,
            actor=actor,
            object_type="parts.stockmove",
            object_id=str(posting),
            object_repr=f"{StockMove.Kind(kind).label} {document_no}".strip(),
            changes=_audit_changes(kind, ops, moves, audit_extra or {}),
        )
    return Posting(posting=posting, moves=moves, balances=balances)


def insufficient(
    parts: dict[int, Part], bins: dict[int, Bin], available: dict[Key, Decimal], shortfalls: dict[Key, Decimal]
) -> ApplicationError:
    """The one refusal for stock that is not there, naming every short part and bin."""
    lines = [
        _("%(part)s in %(bin)s: %(short)s short (available %(available)s)")
        % {
            "part": parts[part].number_display,
            "bin": bins[bin_id],
            "short": qty_text(short),
            "available": qty_text(available[(part, bin_id)]),
        }
        for (part, bin_id), short in sorted(shortfalls.items())
    ]
    return ApplicationError(
        _("Insufficient stock: %(lines)s.") % {"lines": "; ".join(lines)},
        code="insufficient_stock",
        field="quantity",
        status=409,
        extra={
            "shortfalls": [
                {"part": parts[part].number_display, "bin": str(bins[bin_id]), "short": qty_text(short)}
                for (part, bin_id), short in sorted(shortfalls.items())
            ]
        },
    )


def _reservations_lock(ops: Sequence[Op]) -> dict[int, Reservation]:
    ids = sorted({reservation_id for op in ops for reservation_id in op.consume})
    if not ids:
        return {}
    return {row.pk: row for row in Reservation.all_objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _reservations_save(reservations: dict[int, Reservation]) -> None:
    used_up = [pk for pk, row in reservations.items() if row.quantity <= 0]
    if used_up:
        Reservation.all_objects.filter(pk__in=used_up).delete()
    left = [row for row in reservations.values() if row.quantity > 0]
    if left:
        Reservation.all_objects.bulk_update(left, ["quantity"], batch_size=BATCH)
