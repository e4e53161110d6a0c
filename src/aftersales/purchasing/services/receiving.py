"""Receiving a delivery against a purchase order: every delivered line matched to an open order line
(a delivered new number matches the old one ordered, by supersession), inspected (accepted and
rejected quantities, a reason for rejecting), the accepted quantity received into stock through the
ledger at the delivered price net of VAT; the order partly received or received; a line bought for a
waiting demand (PRT-9) reserved to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.core.numbering import number_next
from aftersales.parts.models import Bin, Part, StockMove, Supersession
from aftersales.parts.services import Demand, quantity_problem, stock_reserve
from aftersales.parts.services.ledger import Op, post
from aftersales.purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
    SupplierReturn,
    SupplierReturnLine,
)
from aftersales.purchasing.services.notices import arrivals_tell
from aftersales.purchasing.services.orders import order_access
from aftersales.purchasing.transitions import ORDER

MAX_PRICE = Decimal("1e10")


@dataclass(frozen=True)
class DeliveredLine:
    part_id: int  # as delivered: the number ordered or one that supersedes it
    bin_id: int
    delivered: Decimal
    rejected: Decimal = Decimal(0)
    reject_reason: str = ""
    unit_price: Decimal | None = None  # tax included; empty: the order line's
    case_no: str = ""
    order_line_id: int | None = None  # the order line it is for; empty: the line of its part


def _successors(part_ids: set[int]) -> dict[int, int]:
    """Every number that replaces an ordered one (through the whole chain), to the number ordered."""
    links = dict(Supersession.objects.values_list("old_part_id", "new_part_id"))
    found: dict[int, int] = {}
    for ordered in part_ids:
        current, seen = ordered, {ordered}
        while current in links and links[current] not in seen:
            current = links[current]
            seen.add(current)
            found.setdefault(current, ordered)
    return found


def order_receive(
    *,
    actor: User | None,
    order_id: int,
    lines: list[DeliveredLine],
    delivery_note: str = "",
    received_on: date | None = None,
) -> PurchaseReceipt:
    """Receive a delivery against a sent or partly received order, in one transaction with the order
    locked (two clerks receiving the same line at once never exceed what was ordered). Every wrong line
    is named at once and nothing is written: a part never ordered on it, more than ordered beyond the
    supplier's over-delivery allowance, a rejected quantity without a reason or above the delivered."""
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission="stock.move", for_update=True)
        if order.status not in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTLY_RECEIVED):
            raise ApplicationError(
                _("Only a sent order is received; this one is “%(state)s”.") % {"state": order.get_status_display()},
                code="not_receivable",
                status=409,
            )
        order_lines = list(order.lines.select_for_update().order_by("position"))
        by_part = {line.part_id: line for line in order_lines}
        by_id = {line.pk: line for line in order_lines}
        successors = _successors(set(by_part))
        parts = Part.objects.in_bulk({line.part_id for line in lines})
        bins = Bin.all_objects.filter(store_id=order.store_id).in_bulk({line.bin_id for line in lines})
        allowance = Decimal(order.supplier.over_delivery_percent) / 100
        taken: dict[int, Decimal] = {}
        errors: dict[str, list[str]] = {}
        matched: list[tuple[DeliveredLine, PurchaseOrderLine, Decimal, Decimal]] = []

        def fail(index: int, field: str, message: str) -> None:
            errors.setdefault(f"lines.{index}.{field}", []).append(message)

        for index, line in enumerate(lines):
            part = parts.get(line.part_id)
            if line.order_line_id is not None:
                ordered = by_id.get(line.order_line_id)
                if ordered is not None and line.part_id not in (ordered.part_id, *_replacing(successors, ordered)):
                    ordered = None
            else:
                ordered = by_part.get(line.part_id) or by_part.get(successors.get(line.part_id, -1))
            if part is None or ordered is None:
                shown = part.number_display if part else "?"
                fail(index, "part", _("%(part)s is not on this order.") % {"part": shown})
                continue
            if line.bin_id not in bins:
                fail(index, "bin", _("Choose a bin of this store."))
            if problem := quantity_problem(part, line.delivered):
                fail(index, "delivered", problem)
                continue
            rejected = line.rejected
            if rejected < 0 or rejected > line.delivered:
                fail(index, "rejected", _("Reject between 0 and the quantity delivered."))
                continue
            if rejected and not line.reject_reason.strip():
                fail(index, "reject_reason", _("Give the reason for rejecting."))
            price = ordered.unit_price if line.unit_price is None else line.unit_price
            if not price.is_finite() or price < 0 or price >= MAX_PRICE or price != price.quantize(Decimal("0.0001")):
                fail(index, "unit_price", _("Enter a price in yuan of zero or more, with at most 4 decimals."))
            accepted = line.delivered - rejected
            taken[ordered.pk] = taken.get(ordered.pk, Decimal(0)) + accepted
            limit = (ordered.quantity - ordered.cancelled) * (1 + allowance) - ordered.received
            if accepted and taken[ordered.pk] > limit:
                fail(
                    index,
                    "delivered",
                    _("%(part)s: %(open)s still to receive on the order; %(taken)s is more than it allows.")
                    % {
                        "part": part.number_display,
                        "open": _qty(max(Decimal(0), limit)),
                        "taken": _qty(taken[ordered.pk]),
                    },
                )
            matched.append((line, ordered, accepted, price))
        if errors:
            raise ApplicationError(_("Some lines cannot be received."), fields=errors)

        store = order.store
        day = received_on or store_calendar(store).local_date(timezone.now())
        receipt = PurchaseReceipt(
            store=store, order=order, supplier=order.supplier, delivery_note=delivery_note.strip()[:40],
            received_on=day, received_by=actor,
        )  # fmt: skip
        receipt.save(actor=actor)
        ops: list[Op] = []
        receipt_lines: list[PurchaseReceiptLine] = []
        for line, ordered, accepted, price in matched:
            part = parts[line.part_id]
            receipt_lines.append(
                PurchaseReceiptLine(
                    receipt=receipt, order_line=ordered, part=part, bin_id=line.bin_id, delivered=line.delivered,
                    accepted=accepted, rejected=line.rejected, reject_reason=line.reject_reason.strip()[:200],
                    unit_price=price, case_no=line.case_no.strip()[:40],
                    on_time=ordered.expected_on is None or day <= ordered.expected_on,
                )
            )  # fmt: skip
            ordered.received += accepted
            ordered.rejected += line.rejected
            if accepted:
                net = price / (1 + part.tax_rate)
                ops.append(
                    Op(
                        kind=StockMove.Kind.RECEIPT,
                        part_id=part.pk,
                        bin_id=line.bin_id,
                        quantity=accepted,
                        value_fen=int((net * accepted * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
                        document_line_id=ordered.pk,
                        line=f"lines.{len(ops)}",
                    )
                )
        PurchaseReceiptLine.objects.bulk_create(receipt_lines)
        _return_write(actor, receipt, receipt_lines)
        PurchaseOrderLine.objects.bulk_update(order_lines, ["received", "rejected"])
        if ops:
            receipt.number = number_next(store=store, doc_type="GR")
            receipt.save(update_fields=["number"], actor=actor)
            post(
                actor=actor, store=store, kind=StockMove.Kind.RECEIPT, ops=ops, moved_on=day,
                document_type="purchase_order", document_id=order.pk, document_no=receipt.number,
                reason=str(_("Purchase order %(number)s") % {"number": order.number}),
            )  # fmt: skip
        done = all(line.open_quantity <= 0 for line in order_lines)
        ORDER.apply(
            order,
            "receive_all" if done else "receive_part",
            actor=actor,
            event=lambda **event: order.events.create(**event),
            note=receipt.number or receipt.delivery_note,
        )
        _reserve_for_demands(actor, order, matched)
    return receipt


def _replacing(successors: dict[int, int], ordered: PurchaseOrderLine) -> list[int]:
    return [new for new, old in successors.items() if old == ordered.part_id]


def _return_write(actor: User | None, receipt: PurchaseReceipt, lines: list[PurchaseReceiptLine]) -> None:
    """What was rejected at inspection goes back to the supplier: a return numbered in the series of
    returns to suppliers (RTV), its lines with their reasons (the goods never entered stock, so no move)."""
    rejected = [line for line in lines if line.rejected > 0]
    if not rejected:
        return
    supplier_return = SupplierReturn(
        store_id=receipt.store_id, supplier_id=receipt.supplier_id, order_id=receipt.order_id, receipt=receipt,
        number=number_next(store=receipt.store, doc_type="RTV")  # the series of returns to suppliers,
    )  # fmt: skip
    supplier_return.save(actor=actor)
    SupplierReturnLine.objects.bulk_create(
        SupplierReturnLine(
            supplier_return=supplier_return, store_id=receipt.store_id, order_line=line.order_line, part=line.part,
            quantity=line.rejected, reason=line.reject_reason, unit_price=line.unit_price, case_no=line.case_no,
        )
        for line in rejected
    )  # fmt: skip


def _reserve_for_demands(
    actor: User | None, order: PurchaseOrder, matched: list[tuple[DeliveredLine, PurchaseOrderLine, Decimal, Decimal]]
) -> None:
    """Reserve what arrived for the demand a line was bought for (PRT-9), in the bin it was put in."""
    demands = [
        Demand(
            part_id=line.part_id, quantity=accepted, demand_type=ordered.demand_type, demand_id=ordered.demand_id,
            demand_line_id=ordered.demand_line_id, bin_id=line.bin_id,
        )
        for line, ordered, accepted, _price in matched
        if accepted and ordered.demand_type and ordered.demand_id
    ]  # fmt: skip
    if not demands:
        return
    result = stock_reserve(actor=None, store_id=order.store_id, demands=demands, allow_partial=True)
    # Who waits is told what was really reserved for them (a shortfall is not announced as arrived).
    reserved: dict[tuple[int, str, int | None, int | None], Decimal] = {}
    for row in result.reservations:
        key = (row.part_id, row.demand_type, row.demand_id, row.demand_line_id)
        reserved[key] = reserved.get(key, Decimal(0)) + row.quantity
    told: list[tuple[PurchaseOrderLine, Decimal]] = []
    for line, ordered, _accepted, _price in matched:
        quantity = reserved.pop((line.part_id, ordered.demand_type, ordered.demand_id, ordered.demand_line_id), None)
        if quantity:
            told.append((ordered, quantity))
    arrivals_tell(order, told)


def _qty(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
