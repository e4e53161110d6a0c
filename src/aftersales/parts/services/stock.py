"""Stock movements of a store: receipts, issues at the parts desk, returns from a document, transfers,
adjustments, scrap and returns to a supplier. Each is one call of the posting engine (``ledger.post``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import StaffMembership, Store, User
from aftersales.core.money import fen_share
from aftersales.core.numbering import number_next
from aftersales.parts.models import Bin, Part, Reservation, StockBalance, StockMove, part_number_normalise
from aftersales.parts.selectors.parts import part_suggestions
from aftersales.parts.services.ledger import (
    Op,
    Posting,
    balances_lock,
    closing_guard,
    post,
    qty_text,
    quantity_problem,
    store_access,
)

Kind = StockMove.Kind
COST_PLACES = 4


@dataclass(frozen=True)
class ReceiptLine:
    part_id: int
    bin_id: int
    quantity: Decimal
    unit_cost: Decimal  # net of input VAT, at most 4 decimals
    document_line_id: int | None = None


@dataclass(frozen=True)
class MoveLine:
    part_id: int
    bin_id: int
    quantity: Decimal
    document_line_id: int | None = None


def _cost_problem(cost: Decimal) -> str | None:
    if not cost.is_finite() or cost < 0:
        return _("Enter a cost of zero or more.")
    if cost != cost.quantize(Decimal(1).scaleb(-COST_PLACES)):
        return _("A cost has at most %(n)s decimals.") % {"n": COST_PLACES}
    if cost >= Decimal("1e9"):
        return _("Enter a smaller cost.")
    return None


def stock_receive(
    *,
    actor: User | None,
    store_id: int,
    lines: list[ReceiptLine],
    moved_on: date | None = None,
    document_type: str = "",
    document_id: int | None = None,
    document_no: str = "",
    reason: str = "",
) -> Posting:
    """Receive goods into bins at their net unit cost (a receipt of its own gets a GR number)."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.move")
    errors = {
        f"lines.{index}.unit_cost": [problem]
        for index, line in enumerate(lines)
        if (problem := _cost_problem(line.unit_cost))
    }
    if errors:
        raise ApplicationError(_("Some lines cannot be posted."), fields=errors)
    ops = [
        Op(
            kind=Kind.RECEIPT,
            part_id=line.part_id,
            bin_id=line.bin_id,
            quantity=line.quantity,
            value_fen=int((line.unit_cost * line.quantity * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP")),
            document_line_id=line.document_line_id,
            line=f"lines.{index}",
        )
        for index, line in enumerate(lines)
    ]
    with transaction.atomic():
        if not document_no:
            document_type, document_no = "GR", number_next(store=store, doc_type="GR")
        return post(
            actor=actor,
            store=store,
            kind=Kind.RECEIPT,
            ops=ops,
            moved_on=moved_on,
            document_type=document_type,
            document_id=document_id,
            document_no=document_no,
            reason=reason,
        )


def _out(
    *,
    actor: User | None,
    store_id: int,
    kind: str,
    lines: list[MoveLine],
    doc_type: str,
    reason: str,
    moved_on: date | None,
    permission: str = "stock.move",
    reason_required: bool = True,
) -> Posting:
    store = store_access(actor=actor, store_id=store_id, permission=permission)
    if reason_required and not reason.strip():
        raise ApplicationError(_("Give the reason."), code="required", field="reason")
    ops = [
        Op(kind=kind, part_id=line.part_id, bin_id=line.bin_id, quantity=-line.quantity, line=f"lines.{index}")
        for index, line in enumerate(lines)
    ]
    with transaction.atomic():
        number = number_next(store=store, doc_type=doc_type)
        return post(
            actor=actor,
            store=store,
            kind=kind,
            ops=ops,
            moved_on=moved_on,
            document_type=doc_type,
            document_no=number,
            reason=reason,
        )


def stock_scrap(
    *, actor: User | None, store_id: int, lines: list[MoveLine], reason: str, moved_on: date | None = None
) -> Posting:
    """Write off damaged or obsolete stock at its average value (needs ``stock.adjust``)."""
    return _out(
        actor=actor,
        store_id=store_id,
        kind=Kind.SCRAP,
        lines=lines,
        doc_type="SCR",
        reason=reason,
        moved_on=moved_on,
        permission="stock.adjust",
    )


def stock_supplier_return(
    *, actor: User | None, store_id: int, lines: list[MoveLine], reason: str, moved_on: date | None = None
) -> Posting:
    """Send stock back to the supplier at its average value."""
    return _out(
        actor=actor,
        store_id=store_id,
        kind=Kind.SUPPLIER_RETURN,
        lines=lines,
        doc_type="RTV",
        reason=reason,
        moved_on=moved_on,
    )


def stock_adjust(
    *,
    actor: User | None,
    store_id: int,
    part_id: int,
    bin_id: int,
    quantity: Decimal,
    reason: str,
    unit_cost: Decimal | None = None,
    moved_on: date | None = None,
) -> Posting:
    """Correct a balance by a signed quantity (needs ``stock.adjust``). Found stock comes in at
    ``unit_cost``, else at the balance's average, else at the part's standard cost."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.adjust")
    if not reason.strip():
        raise ApplicationError(_("Give the reason."), code="required", field="reason")
    if quantity == 0:
        raise ApplicationError(_("Enter a quantity other than zero."), field="quantity")
    value: int | None = None
    empty_cost: Decimal | None = None
    if quantity > 0:
        if unit_cost is not None:
            problem = _cost_problem(unit_cost)
            if problem:
                raise ApplicationError(problem, field="unit_cost")
            value = int((unit_cost * quantity * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
        else:  # at the balance's average, decided under its lock; in an empty bin at the standard cost
            part = Part.objects.filter(pk=part_id).first()
            empty_cost = part.standard_cost if part else Decimal(0)
    with transaction.atomic():
        number = number_next(store=store, doc_type="ADJ")
        return post(
            actor=actor,
            store=store,
            kind=Kind.ADJUSTMENT,
            ops=[
                Op(
                    kind=Kind.ADJUSTMENT,
                    part_id=part_id,
                    bin_id=bin_id,
                    quantity=quantity,
                    value_fen=value,
                    unit_cost_if_empty=empty_cost,
                )
            ],
            moved_on=moved_on,
            document_type="ADJ",
            document_no=number,
            reason=reason,
        )


def stock_transfer(
    *,
    actor: User | None,
    store_id: int,
    lines: list[MoveLine],
    to_bin_id: int,
    reason: str = "",
    moved_on: date | None = None,
) -> Posting:
    """Move stock to another bin or warehouse of the same store; the value travels with it."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.move")
    target = Bin.all_objects.filter(pk=to_bin_id, store_id=store.pk, is_active=True, warehouse__is_active=True).first()
    if target is None:
        raise ApplicationError(_("Choose an open bin of this store."), field="to_bin")
    ops: list[Op] = []
    for index, line in enumerate(lines):
        if line.bin_id == target.pk:
            raise ApplicationError(_("The stock is in that bin already."), field=f"lines.{index}.bin")
        ops.append(Op(Kind.TRANSFER_OUT, line.part_id, line.bin_id, -line.quantity, line=f"lines.{index}"))
        ops.append(
            Op(Kind.TRANSFER_IN, line.part_id, target.pk, line.quantity, carry=len(ops) - 1, line=f"lines.{index}")
        )
    with transaction.atomic():
        number = number_next(store=store, doc_type="TR")
        return post(
            actor=actor,
            store=store,
            kind=Kind.TRANSFER_OUT,
            ops=ops,
            moved_on=moved_on,
            document_type="TR",
            document_no=number,
            reason=reason,
            audit_extra={"to_bin": str(target)},
        )


def stock_issue(
    *,
    actor: User | None,
    store_id: int,
    demand_type: str,
    demand_id: int,
    demand_line_id: int | None,
    part_number: str,
    quantity: Decimal,
    received_by_id: int | None,
    document_no: str = "",
) -> Posting:
    """Issue a part to a document at the parts desk. The scanned or typed ``part_number`` must be the
    reserved part's; the line's reservations are taken first, then what is available, bin by bin. The
    receiver (the technician) confirms by being named."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.move")
    if received_by_id is None:
        raise ApplicationError(_("The receiver confirms the issue."), code="required", field="received_by")
    if not StaffMembership.all_objects.filter(
        user_id=received_by_id, store_id=store.pk, is_active=True, user__is_active=True
    ).exists():
        raise ApplicationError(_("The receiver is not on this store's staff."), field="received_by")
    number = part_number_normalise(part_number)
    reserved = list(
        Reservation.all_objects.filter(
            store_id=store.pk, demand_type=demand_type, demand_id=demand_id, demand_line_id=demand_line_id
        )
        .select_related("part")
        .order_by("pk")
    )
    if reserved:
        matching = [row for row in reserved if row.part.number == number]
        if not matching:
            raise ApplicationError(
                _("%(scanned)s is not the reserved part: issue %(reserved)s.")
                % {
                    "scanned": part_number,
                    "reserved": ", ".join(sorted({row.part.number_display for row in reserved})),
                },
                code="wrong_part",
                field="part_number",
            )
        part = matching[0].part
    else:
        part = part_for_store(store, part_number)
        matching = []
    problem = quantity_problem(part, quantity)
    if problem:
        raise ApplicationError(problem, field="quantity")
    with transaction.atomic():
        # Plan under the locks: what is free in which bin is read after the part's balances are held.
        closing_guard(store.pk, exclusive=False)
        keys = StockBalance.all_objects.filter(store_id=store.pk, part_id=part.pk).values_list("part_id", "bin_id")
        balances_lock(store, list(keys), create=False)
        if matching:
            # Read again under the lock, still of this demand line and part: a repoint may have handed one on.
            matching = list(
                Reservation.all_objects.select_for_update()
                .filter(
                    pk__in=[row.pk for row in matching],
                    store_id=store.pk,
                    demand_type=demand_type,
                    demand_id=demand_id,
                    demand_line_id=demand_line_id,
                    part_id=part.pk,
                )
                .order_by("pk")
            )
        ops = _issue_plan(
            store_id=store.pk, part=part, quantity=quantity, reservations=matching, line_id=demand_line_id
        )
        return post(
            actor=actor,
            store=store,
            kind=Kind.ISSUE,
            ops=ops,
            document_type=demand_type,
            document_id=demand_id,
            document_no=document_no,
            audit_extra={"received_by": received_by_id, "part": part.number_display},
        )


def _issue_plan(
    *, store_id: int, part: Part, quantity: Decimal, reservations: list[Reservation], line_id: int | None
) -> list[Op]:
    """Split an issue over bins: the reserved bins first (taking their reservations), then the other
    bins with available stock, fullest first. Too little in total is refused by the engine."""
    ops: list[Op] = []
    left = quantity
    for row in reservations:
        if left <= 0:
            break
        take = min(left, row.quantity)
        ops.append(Op(Kind.ISSUE, part.pk, row.bin_id, -take, consume={row.pk: take}, document_line_id=line_id))
        left -= take
    if left > 0:
        balances = (
            StockBalance.all_objects.filter(store_id=store_id, part_id=part.pk, on_hand__gt=0)
            .order_by("-on_hand", "pk")
            .values_list("bin_id", "on_hand", "reserved")
        )
        used = {op.bin_id: -op.quantity for op in ops}
        for bin_id, on_hand, reserved in balances:
            free = on_hand - reserved
            if free <= 0 or left <= 0:
                continue
            take = min(left, free)
            ops.append(Op(Kind.ISSUE, part.pk, bin_id, -take, document_line_id=line_id))
            used[bin_id] = used.get(bin_id, Decimal(0)) + take
            left -= take
        if left > 0:  # nothing more anywhere: one more op the engine will refuse as insufficient
            bin_id = ops[-1].bin_id if ops else _any_bin(store_id, part.pk)
            ops.append(Op(Kind.ISSUE, part.pk, bin_id, -left, document_line_id=line_id))
    for index, op in enumerate(ops):
        op.line = "lines.0" if index == 0 else f"lines.{index}"
    return ops


def _any_bin(store_id: int, part_id: int) -> int:
    bin_id = (
        StockBalance.all_objects.filter(store_id=store_id, part_id=part_id).values_list("bin_id", flat=True).first()
    )
    if bin_id is None:
        bin_id = (
            Bin.all_objects.filter(store_id=store_id, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
    if bin_id is None:
        raise ApplicationError(_("This store has no bins yet."), code="no_bins", field="bin")
    return bin_id


def parts_for_store(store: Store, numbers: list[str], *, field: str = "lines") -> dict[str, Part]:
    """The parts that numbers typed or scanned in a store mean (one query for all of them): the group's
    part of each number, among the store's brands where several brands share it. Every unknown or
    still ambiguous number is refused at once, on ``<field>.<index>.part`` (with close matches)."""
    wanted = {part_number_normalise(number) for number in numbers}
    found: dict[str, list[Part]] = {}
    for part in Part.objects.filter(group_id=store.group_id, number__in=wanted).select_related("brand"):
        found.setdefault(part.number, []).append(part)
    if any(len(candidates) > 1 for candidates in found.values()):
        brands = set(store.brands.values_list("pk", flat=True))
        found = {
            number: [part for part in candidates if part.brand_id in brands] or candidates
            for number, candidates in found.items()
        }
    errors: dict[str, list[str]] = {}
    unknown = False
    for index, number in enumerate(numbers):
        candidates = found.get(part_number_normalise(number), [])
        if not candidates:
            unknown = True
            errors[f"{field}.{index}.part"] = [unknown_part(store.group_id, number).detail]
        elif len(candidates) > 1:
            errors[f"{field}.{index}.part"] = [
                _("%(number)s is a number of several brands (%(brands)s): choose the part by its brand.")
                % {"number": number, "brands": ", ".join(sorted(part.brand.name for part in candidates))}
            ]
    if errors:
        raise ApplicationError(
            _("Some part numbers are unknown or ambiguous."),
            code="unknown_part" if unknown else "ambiguous_part",
            fields=errors,
        )
    return {number: found[part_number_normalise(number)][0] for number in numbers}


def part_for_store(store: Store, typed: str, *, field: str = "part_number") -> Part:
    """The part one number typed or scanned in a store means (see ``parts_for_store``)."""
    try:
        return parts_for_store(store, [typed])[typed]
    except ApplicationError as error:
        messages = error.fields.pop("lines.0.part")
        if error.code == "unknown_part":
            refusal = unknown_part(store.group_id, typed)
            refusal.fields = {field: messages}
            raise refusal from None
        raise ApplicationError(messages[0], code=error.code, field=field) from None


def unknown_part(group_id: int, typed: str) -> ApplicationError:
    """The refusal for a part number the master does not know, with the closest numbers it does."""
    suggestions = part_suggestions(group_id=group_id, typed=typed)
    message = _("Unknown part number %(number)s.") % {"number": typed}
    if suggestions:
        message += " " + _("Did you mean %(numbers)s?") % {"numbers": ", ".join(suggestions)}
    return ApplicationError(message, code="unknown_part", field="part_number", extra={"suggestions": suggestions})


def stock_return(
    *,
    actor: User | None,
    store_id: int,
    demand_type: str,
    demand_id: int,
    demand_line_id: int | None,
    part_id: int,
    bin_id: int,
    quantity: Decimal,
    reason: str = "",
) -> Posting:
    """Take back into a bin what a document was issued and did not use, at the value it left with;
    never more than the document holds of that part."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.move")
    if quantity <= 0:
        raise ApplicationError(_("Enter a quantity greater than zero."), field="quantity")
    with transaction.atomic():
        # What the document holds is read under the part's balance locks: two returns of the same
        # line one after the other, never both counting the same issued units.
        closing_guard(store.pk, exclusive=False)
        keys = StockBalance.all_objects.filter(store_id=store.pk, part_id=part_id).values_list("part_id", "bin_id")
        balances_lock(store, list(keys), create=False)
        issued = StockMove.all_objects.filter(
            store_id=store.pk,
            document_type=demand_type,
            document_id=demand_id,
            document_line_id=demand_line_id,
            part_id=part_id,
            kind__in=[Kind.ISSUE, Kind.RETURN],
        ).aggregate(quantity=Sum("quantity"), value=Sum("value_fen"))
        held_quantity = -(issued["quantity"] or Decimal(0))
        held_value = -(issued["value"] or 0)
        if quantity > held_quantity:
            raise ApplicationError(
                _("The document holds only %(n)s of this part.") % {"n": qty_text(held_quantity)},
                code="more_than_issued",
                field="quantity",
            )
        value = held_value if quantity == held_quantity else fen_share(held_value, quantity, held_quantity)
        return post(
            actor=actor,
            store=store,
            kind=Kind.RETURN,
            ops=[
                Op(
                    Kind.RETURN,
                    part_id,
                    bin_id,
                    quantity,
                    value_fen=value,
                    document_line_id=demand_line_id,
                    line="lines.0",
                )
            ],
            document_type=demand_type,
            document_id=demand_id,
            reason=reason,
        )
