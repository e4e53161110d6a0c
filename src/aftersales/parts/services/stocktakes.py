"""Stocktakes: plan a count of a scope of the store's stock, count lines (each takes its book snapshot
when counted), settle double counts, approve (never by a counter) and post the variances as one
adjustment through the posting engine, once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.core.numbering import number_next
from aftersales.parts.models import Bin, Part, StockBalance, StockMove, Stocktake, StocktakeLine
from aftersales.parts.services.ledger import BATCH, Op, balances_lock, post, quantity_problem, store_access

OPEN = (Stocktake.Status.COUNTING, Stocktake.Status.APPROVED, Stocktake.Status.POSTING)


@dataclass(frozen=True)
class Scope:
    warehouse_id: int | None = None
    bin_from: str = ""
    bin_to: str = ""
    abc_class: str = ""
    category: str = ""


def stocktake_create(*, actor: User | None, store_id: int, kind: str, scope: Scope, blind: bool = True) -> Stocktake:
    """Plan a stocktake of every part and bin of the scope that holds or reserves stock. A part and bin
    already on another open stocktake is refused (all of them named at once)."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.move")
    if kind not in Stocktake.Kind.values:
        raise ApplicationError(_("Choose the kind of stocktake."), field="kind")
    balances = StockBalance.all_objects.filter(store_id=store.pk).filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
    if scope.warehouse_id is not None:
        balances = balances.filter(bin__warehouse_id=scope.warehouse_id)
    if scope.bin_from:
        balances = balances.filter(bin__code__gte=scope.bin_from.upper())
    if scope.bin_to:
        balances = balances.filter(bin__code__lte=scope.bin_to.upper())
    if scope.abc_class:
        balances = balances.filter(part__abc_class=scope.abc_class)
    if scope.category:
        balances = balances.filter(part__category=scope.category)
    keys = list(balances.order_by("bin__code", "part__number").values_list("part_id", "bin_id"))
    if not keys:
        raise ApplicationError(_("Nothing in this scope holds stock."), code="empty", field="scope")
    with transaction.atomic():
        taken = set(
            StocktakeLine.objects.filter(
                store_id=store.pk, stocktake__status__in=OPEN, part_id__in={part for part, _bin in keys}
            ).values_list("part_id", "bin_id")
        ) & set(keys)
        if taken:
            raise ApplicationError(
                _("%(n)s parts and bins are on another open stocktake.") % {"n": len(taken)},
                code="overlap",
                field="scope",
            )
        stocktake = Stocktake(
            store=store,
            number=number_next(store=store, doc_type="ST"),
            kind=kind,
            blind=blind,
            scope={key: value for key, value in scope.__dict__.items() if value not in (None, "")},
            created_by=actor,
        )
        stocktake.save(actor=actor)
        StocktakeLine.objects.bulk_create(
            [StocktakeLine(stocktake=stocktake, store_id=store.pk, part_id=p, bin_id=b) for p, b in keys],
            batch_size=BATCH,
        )
    return stocktake


def stocktake_access(*, actor: User | None, stocktake_id: int, permission: str, for_update: bool = False) -> Stocktake:
    rows = Stocktake.all_objects.filter(pk=stocktake_id)
    if for_update:
        rows = rows.select_for_update()
    stocktake = rows.first()
    if stocktake is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    store_access(actor=actor, store_id=stocktake.store_id, permission=permission)
    return stocktake


@dataclass(frozen=True)
class CountEntry:
    part_id: int
    bin_id: int
    quantity: Decimal
    reason: str = ""  # a part and bin not on the sheet is added as found, with a reason


@dataclass
class CountResult:
    counted: int
    conflicts: list[int]  # lines counted twice with different quantities: say which is right


def stocktake_count(*, actor: User | None, stocktake_id: int, entries: list[CountEntry]) -> CountResult:
    """Record counts. Each line takes its book snapshot (on hand and value, under the balance's lock)
    when it is first counted; a second, different count waits as a conflict. Every wrong entry is
    refused at once and nothing is written."""
    stocktake = stocktake_access(actor=actor, stocktake_id=stocktake_id, permission="stock.move")
    if not entries:
        raise ApplicationError(_("Add at least one count."), field="entries")
    lines = {
        (line.part_id, line.bin_id): line
        for line in StocktakeLine.objects.filter(stocktake=stocktake, part_id__in={entry.part_id for entry in entries})
    }
    parts = Part.objects.in_bulk({entry.part_id for entry in entries})
    bins = Bin.all_objects.filter(pk__in={entry.bin_id for entry in entries}, store_id=stocktake.store_id).in_bulk()
    errors: dict[str, list[str]] = {}
    for index, entry in enumerate(entries):
        part = parts.get(entry.part_id)
        if part is None or entry.bin_id not in bins:
            errors[f"entries.{index}.part"] = [_("Unknown part or bin.")]
            continue
        if entry.quantity < 0:
            errors[f"entries.{index}.quantity"] = [_("A count is zero or more.")]
        elif entry.quantity and (problem := quantity_problem(part, entry.quantity)):
            errors[f"entries.{index}.quantity"] = [problem]
        if (entry.part_id, entry.bin_id) not in lines and not entry.reason.strip():
            errors[f"entries.{index}.reason"] = [
                _("%(part)s in %(bin)s is not on the sheet: give the reason to add it as found.")
                % {"part": part.number_display, "bin": bins[entry.bin_id]}
            ]
    if errors:
        raise ApplicationError(_("Some counts cannot be recorded."), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        stocktake = stocktake_access(actor=actor, stocktake_id=stocktake_id, permission="stock.move", for_update=True)
        if stocktake.status != Stocktake.Status.COUNTING:
            raise ConflictError(_("This stocktake is not counting any more."), code="not_counting")
        keys = {(entry.part_id, entry.bin_id) for entry in entries}
        balances = balances_lock(stocktake.store, keys, create=False)
        conflicts: list[int] = []
        changed: list[StocktakeLine] = []
        for entry in entries:
            key = (entry.part_id, entry.bin_id)
            line = lines.get(key)
            if line is None:
                line = StocktakeLine.objects.create(
                    stocktake=stocktake,
                    store_id=stocktake.store_id,
                    part_id=entry.part_id,
                    bin_id=entry.bin_id,
                    found=True,
                    reason=entry.reason.strip(),
                )
                lines[key] = line
            if line.counted is None:
                balance = balances.get(key)
                line.book = balance.on_hand if balance else Decimal(0)
                line.book_value_fen = balance.value_fen if balance else 0
                line.counted, line.counted_at, line.counted_by = entry.quantity, now, actor
            elif line.counted != entry.quantity:
                line.recount = entry.quantity
                conflicts.append(line.pk)
            changed.append(line)
        StocktakeLine.objects.bulk_update(
            changed, ["counted", "recount", "book", "book_value_fen", "counted_at", "counted_by"], batch_size=BATCH
        )
    return CountResult(counted=len(changed), conflicts=conflicts)


def stocktake_resolve(*, actor: User | None, line_id: int, quantity: Decimal) -> StocktakeLine:
    """Say which of two different counts of a line is right (either, or a third count)."""
    line = StocktakeLine.objects.select_related("stocktake", "part").filter(pk=line_id).first()
    if line is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    stocktake_access(actor=actor, stocktake_id=line.stocktake_id, permission="stock.move")
    if quantity < 0 or (quantity and quantity_problem(line.part, quantity)):
        raise ApplicationError(quantity_problem(line.part, quantity) or _("A count is zero or more."), field="quantity")
    line.counted, line.recount = quantity, None
    line.save(update_fields=["counted", "recount"])
    return line


def stocktake_approve(*, actor: User, stocktake_id: int) -> Stocktake:
    """Approve the counted variances: every line counted once or settled, by someone who counted none."""
    with transaction.atomic():
        stocktake = stocktake_access(actor=actor, stocktake_id=stocktake_id, permission="stock.adjust", for_update=True)
        if stocktake.status != Stocktake.Status.COUNTING:
            raise ConflictError(_("This stocktake is not waiting for approval."), code="not_counting")
        lines = StocktakeLine.objects.filter(stocktake=stocktake)
        if lines.filter(counted_by=actor).exists():
            raise ApplicationError(
                _("Someone who did not count approves the stocktake."), code="counted_yourself", status=403
            )
        open_lines = lines.filter(Q(counted__isnull=True) | Q(recount__isnull=False)).count()
        if open_lines:
            raise ApplicationError(
                _("%(n)s lines are not counted or have two different counts.") % {"n": open_lines},
                code="not_counted",
            )
        stocktake.status, stocktake.approved_by, stocktake.approved_at = (
            Stocktake.Status.APPROVED,
            actor,
            timezone.now(),
        )
        stocktake.save(actor=actor)
    return stocktake


def stocktake_post(*, actor: User | None, stocktake_id: int) -> Stocktake:
    """Post the approved variances (counted less the book snapshot) as one adjustment, at the moving
    average; posted once however many ask at the same time."""
    stocktake = stocktake_access(actor=actor, stocktake_id=stocktake_id, permission="stock.adjust")
    claimed = Stocktake.all_objects.filter(pk=stocktake.pk, status=Stocktake.Status.APPROVED).update(
        status=Stocktake.Status.POSTING
    )
    if claimed != 1:
        raise ConflictError(_("This stocktake is posted already or not approved."), code="not_approved")
    try:
        with transaction.atomic():
            ops = [
                Op(
                    kind=StockMove.Kind.ADJUSTMENT,
                    part_id=line.part_id,
                    bin_id=line.bin_id,
                    quantity=line.counted - line.book,
                    unit_cost_if_empty=line.part.standard_cost,
                    document_line_id=line.pk,
                    line=f"lines.{line.pk}",
                )
                for line in StocktakeLine.objects.filter(stocktake=stocktake).select_related("part").order_by("pk")
                if line.counted is not None and line.book is not None and line.counted != line.book
            ]
            number = number_next(store=stocktake.store, doc_type="ADJ")
            posting = (
                post(
                    actor=actor,
                    store=stocktake.store,
                    kind=StockMove.Kind.ADJUSTMENT,
                    ops=ops,
                    document_type="stocktake",
                    document_id=stocktake.pk,
                    document_no=number,
                    reason=str(_("Stocktake %(number)s") % {"number": stocktake.number}),
                    audit_extra={"stocktake": stocktake.number},
                )
                if ops
                else None
            )
            # The posting's audit entry names the stocktake: its own status change adds none.
            Stocktake.all_objects.filter(pk=stocktake.pk).update(
                status=Stocktake.Status.POSTED,
                posted_at=timezone.now(),
                posting=posting.posting if posting else None,
                document_no=number if posting else "",
            )
            stocktake.refresh_from_db()
    except Exception:
        Stocktake.all_objects.filter(pk=stocktake.pk, status=Stocktake.Status.POSTING).update(
            status=Stocktake.Status.APPROVED
        )
        raise
    return stocktake
