"""Stocktakes: plan a count of a scope of the store's stock, count lines (each takes its book snapshot
when counted), settle double counts, approve (never by a counter) and post the variances as one
adjustment through the posting engine, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.core.money import fen_share, to_fen
from aftersales.core.numbering import number_next
from aftersales.parts import tasks
from aftersales.parts.models import Bin, Part, StockBalance, StockMove, Stocktake, StocktakeLine, Warehouse
from aftersales.parts.services.ledger import (
    BATCH,
    MAX_LINES,
    Op,
    balances_lock,
    post,
    qty_text,
    quantity_problem,
    store_access,
)

logger = logging.getLogger(__name__)
CHECK_BATCH = 2000

OPEN = (Stocktake.Status.COUNTING, Stocktake.Status.APPROVED, Stocktake.Status.POSTING)


@dataclass(frozen=True)
class Scope:
    warehouse_id: int | None = None
    bin_from: str = ""
    bin_to: str = ""
    abc_class: str = ""
    category: str = ""


def stocktake_create(
    *, actor: User | None, store_id: int, kind: str, scope: Scope, blind: bool = True, skip_taken: bool = False
) -> Stocktake:
    """Plan a stocktake of every part and bin of the scope that holds or reserves stock. A part and bin
    already on another open stocktake is refused (all of them counted at once), or with ``skip_taken``
    left out (the cycle counts: the other stocktake counts it)."""
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
        if taken and skip_taken:
            keys = [key for key in keys if key not in taken]
            if not keys:
                raise ApplicationError(_("Nothing in this scope holds stock."), code="empty", field="scope")
        elif taken:
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
    stocktake = stocktake_access(actor=actor, stocktake_id=line.stocktake_id, permission="stock.move")
    if stocktake.status != Stocktake.Status.COUNTING:
        raise ConflictError(_("This stocktake is not counting any more."), code="not_counting")
    if quantity < 0 or (quantity and quantity_problem(line.part, quantity)):
        raise ApplicationError(quantity_problem(line.part, quantity) or _("A count is zero or more."), field="quantity")
    line.counted, line.recount = quantity, None
    line.save(update_fields=["counted", "recount"])
    return line


def variance_value_fen(line: StocktakeLine) -> int | None:
    """What a counted line's variance is worth, at the moving average of its snapshot (book value ÷
    book quantity); a line whose bin held none (found stock) at the part's standard cost, as posting
    values it. None while uncounted."""
    counted, book = line.counted, line.book
    if counted is None or book is None:
        return None
    return _variance_value(counted, book, line.book_value_fen or 0, line.part.standard_cost)


def _variance_value(counted: Decimal, book: Decimal, book_value_fen: int, standard_cost: Decimal) -> int:
    variance = counted - book
    if book:
        share = fen_share(book_value_fen, abs(variance), book)
        return share if variance >= 0 else -share
    return to_fen(variance * standard_cost)


def variance_totals(stocktake: Stocktake) -> tuple[int, int]:
    """The stocktake's gains and losses in fen (盘盈, 盘亏), line by line as ``variance_value_fen``."""
    gain = loss = 0
    for counted, book, value, cost in _variances(stocktake).values_list(
        "counted", "book", "book_value_fen", "part__standard_cost"
    ):
        amount = _variance_value(counted or Decimal(0), book or Decimal(0), value or 0, cost)
        if amount > 0:
            gain += amount
        else:
            loss -= amount
    return gain, loss


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
    """Ask for the approved variances to be posted: the stocktake is claimed (approved → posting, so
    it is posted once however many ask at the same time) and the posting runs as a background job
    (``tasks.stocktake_post_run``) after the commit; its progress shows on the stocktake."""
    stocktake = stocktake_access(actor=actor, stocktake_id=stocktake_id, permission="stock.adjust")
    total = _variances(stocktake).count()
    claimed = Stocktake.all_objects.filter(pk=stocktake.pk, status=Stocktake.Status.APPROVED).update(
        status=Stocktake.Status.POSTING,
        posted_by=actor,
        post_touched_at=timezone.now(),
        post_total=total,
        post_done=0,
        post_errors=[],
        post_message="",
    )
    if claimed != 1:
        raise ConflictError(_("This stocktake is posted already or not approved."), code="not_approved")
    transaction.on_commit(lambda: tasks.stocktake_post_run(stocktake.pk))
    stocktake.refresh_from_db()
    return stocktake


def _variances(stocktake: Stocktake) -> QuerySet[StocktakeLine]:
    """The lines whose count differs from their book snapshot: what the posting adjusts."""
    return (
        StocktakeLine.objects.filter(stocktake=stocktake, counted__isnull=False, book__isnull=False)
        .exclude(counted=F("book"))
        .order_by("pk")
    )


@dataclass(frozen=True)
class LineProblem:
    line: int | None  # None: the ledger's refusal, not tied to one line
    part: str
    bin: str
    message: str


def _check(stocktake: Stocktake, lines: list[StocktakeLine]) -> list[LineProblem]:
    """Every line of a batch that the ledger would refuse now: stock that left since the count (the
    variance takes more than is free), or stock found for a bin closed since."""
    balances = {
        (balance.part_id, balance.bin_id): balance
        for balance in StockBalance.all_objects.filter(
            store_id=stocktake.store_id, part_id__in={line.part_id for line in lines}
        )
    }
    problems: list[LineProblem] = []
    for line in lines:
        assert line.counted is not None and line.book is not None  # noqa: S101 - _variances()
        variance = line.counted - line.book
        balance = balances.get((line.part_id, line.bin_id))
        free = (balance.on_hand - balance.reserved) if balance else Decimal(0)
        message = ""
        on_hand = balance.on_hand if balance else Decimal(0)
        if variance < 0 and -variance > on_hand:
            message = _("%(short)s to write off, %(on_hand)s on hand now: stock left the bin after the count.") % {
                "short": qty_text(-variance),
                "on_hand": qty_text(on_hand),
            }
        elif variance < 0 and -variance > free:
            message = _(
                "%(short)s to write off, but %(reserved)s of the %(on_hand)s on hand are reserved: release or "
                "move those reservations first."
            ) % {"short": qty_text(-variance), "reserved": qty_text(on_hand - free), "on_hand": qty_text(on_hand)}
        elif variance > 0 and (not line.bin.is_active or not line.bin.warehouse.is_active):
            message = _("Bin %(bin)s is closed.") % {"bin": line.bin}
        if message:
            problems.append(LineProblem(line.pk, line.part.number_display, str(line.bin), message))
    return problems


def stocktake_post_run(stocktake_id: int) -> Stocktake | None:
    """The posting job. Every line with a variance is checked first, in batches, the progress saved
    after each; if any cannot be posted, all of them are reported at once and the stocktake stays
    approved with nothing written. Otherwise the variances post as one adjustment (in postings of at
    most ``MAX_LINES`` lines, one document number, in one transaction) at the moving average. A job
    for a stocktake that is not posting (any more) is left alone, so a redelivery is harmless."""
    stocktake = Stocktake.all_objects.select_related("store", "posted_by").filter(pk=stocktake_id).first()
    if stocktake is None or stocktake.status != Stocktake.Status.POSTING:
        return None
    actor = stocktake.posted_by
    language = actor.preferred_language if actor else settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            return _post(stocktake, actor)
        except ApplicationError as error:
            # The ledger refused what the check let through (stock moved meanwhile): the lines that
            # cannot be posted now, found again; else the ledger's own words.
            problems = _problems(stocktake) or [LineProblem(None, "", "", error.detail)]
            _refused(stocktake, problems)
        except Exception as error:  # any failure must leave the stocktake approved, never stuck posting
            logger.exception("Posting stocktake %s failed", stocktake.pk)
            _refused(stocktake, [], _("The posting failed: %(error)s") % {"error": f"{type(error).__name__}"})
    stocktake.refresh_from_db()
    return stocktake


MAX_PROBLEMS_KEPT = 1000


def _refused(stocktake: Stocktake, problems: list[LineProblem], message: str = "") -> None:
    """Back to approved, nothing posted, with every line that cannot be posted (the first 1,000 kept
    for the page; the message counts them all)."""
    text = message or (
        ngettext(
            "%(n)s line cannot be posted; nothing was posted.",
            "%(n)s lines cannot be posted; nothing was posted.",
            len(problems),
        )
        % {"n": len(problems)}
    )
    if len(problems) > MAX_PROBLEMS_KEPT:
        text += " " + _("The first %(n)s are listed.") % {"n": MAX_PROBLEMS_KEPT}
    Stocktake.all_objects.filter(pk=stocktake.pk, status=Stocktake.Status.POSTING).update(
        status=Stocktake.Status.APPROVED,
        post_errors=[problem.__dict__ for problem in problems[:MAX_PROBLEMS_KEPT]],
        post_message=text[:500],
    )


def _problems(stocktake: Stocktake, *, progress: bool = False) -> list[LineProblem]:
    """Every line with a variance that the ledger would refuse now, checked in batches (saving the
    progress after each when asked)."""
    problems: list[LineProblem] = []
    done = last = 0
    while True:
        batch = list(_variances(stocktake).filter(pk__gt=last).select_related("part", "bin__warehouse")[:CHECK_BATCH])
        if not batch:
            return problems
        problems.extend(_check(stocktake, batch))
        done += len(batch)
        last = batch[-1].pk
        if progress:
            Stocktake.all_objects.filter(pk=stocktake.pk, status=Stocktake.Status.POSTING).update(
                post_done=done, post_touched_at=timezone.now()
            )


def _post(stocktake: Stocktake, actor: User | None) -> Stocktake:
    problems = _problems(stocktake, progress=True)
    if problems:
        _refused(stocktake, problems)
        stocktake.refresh_from_db()
        return stocktake
    with transaction.atomic():
        # Only the job that finds the stocktake still posting posts it: a job delivered twice, or one
        # started again by stocktakes_recover, waits here for the other and then finds it posted.
        if not Stocktake.all_objects.select_for_update().filter(pk=stocktake.pk, status=Stocktake.Status.POSTING):
            stocktake.refresh_from_db()
            return stocktake
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
            for line in _variances(stocktake).select_related("part")
            if line.counted is not None and line.book is not None
        ]
        number = number_next(store=stocktake.store, doc_type="ADJ") if ops else ""
        postings = [
            post(
                actor=actor,
                store=stocktake.store,
                kind=StockMove.Kind.ADJUSTMENT,
                ops=ops[start : start + MAX_LINES],
                document_type="stocktake",
                document_id=stocktake.pk,
                document_no=number,
                reason=str(_("Stocktake %(number)s") % {"number": stocktake.number}),
                audit_extra={"stocktake": stocktake.number},
            )
            for start in range(0, len(ops), MAX_LINES)
        ]
        # The posting's audit entry names the stocktake: its own status change adds none.
        Stocktake.all_objects.filter(pk=stocktake.pk, status=Stocktake.Status.POSTING).update(
            status=Stocktake.Status.POSTED,
            posted_at=timezone.now(),
            posting=postings[0].posting if postings else None,
            document_no=number,
            post_done=len(ops),
            post_errors=[],
            post_message="",
        )
    stocktake.refresh_from_db()
    return stocktake


POSTING_STALE = timedelta(minutes=10)


def stocktakes_recover(*, now: datetime | None = None) -> int:
    """Start again the posting of every stocktake whose job went quiet (a worker stopped mid-job, or
    the job was never queued): each is touched first by a conditional update, so one recovery queues
    it once; the job itself posts once however often it runs. Returns the postings started again."""
    now = now or timezone.now()
    started = 0
    stale = Stocktake.all_objects.filter(status=Stocktake.Status.POSTING).filter(
        Q(post_touched_at__lt=now - POSTING_STALE) | Q(post_touched_at__isnull=True)
    )
    for pk, touched in stale.values_list("pk", "post_touched_at"):
        if Stocktake.all_objects.filter(pk=pk, status=Stocktake.Status.POSTING, post_touched_at=touched).update(
            post_touched_at=now
        ):
            logger.warning("Stocktake %s: its posting went quiet; started again", pk)
            tasks.stocktake_post_run(pk)
            started += 1
    return started


def stocktake_reopen(*, actor: User, stocktake_id: int) -> Stocktake:
    """Take an approved stocktake back to counting, e.g. when its posting was refused: the approval is
    withdrawn and the lines the posting could not take are to be counted again (a new count takes a
    new snapshot); the other counts stay."""
    with transaction.atomic():
        stocktake = stocktake_access(actor=actor, stocktake_id=stocktake_id, permission="stock.adjust", for_update=True)
        if stocktake.status != Stocktake.Status.APPROVED:
            raise ConflictError(_("Only an approved stocktake goes back to counting."), code="not_approved")
        again = [problem.line for problem in _problems(stocktake) if problem.line]
        StocktakeLine.objects.filter(stocktake=stocktake, pk__in=again).update(
            counted=None, recount=None, book=None, book_value_fen=None, counted_at=None, counted_by=None
        )
        stocktake.status, stocktake.approved_by, stocktake.approved_at = Stocktake.Status.COUNTING, None, None
        stocktake.post_errors, stocktake.post_message = [], ""
        stocktake.save(actor=actor)
    return stocktake


def stocktake_cancel(*, actor: User, stocktake_id: int) -> Stocktake:
    """Cancel a stocktake that is counting or approved: nothing posts, its parts and bins are free for
    another stocktake."""
    with transaction.atomic():
        stocktake = stocktake_access(actor=actor, stocktake_id=stocktake_id, permission="stock.adjust", for_update=True)
        if stocktake.status not in (Stocktake.Status.COUNTING, Stocktake.Status.APPROVED):
            raise ConflictError(_("This stocktake is posting or closed."), code="closed")
        stocktake.status = Stocktake.Status.CANCELLED
        stocktake.save(actor=actor)
    return stocktake


def cycle_counts_plan(*, today: date | None = None) -> int:
    """Plan today's cycle counts (循环盘点): for each warehouse with a cycle, a blind cycle stocktake of
    the next slice of its bins that hold stock, in bin order after the last one counted, so that every
    bin is counted once in ``cycle_days`` days. Each warehouse is planned at most once a day (claimed
    by a conditional update), so a repeated run plans nothing more. Returns the stocktakes planned."""
    planned = 0
    for warehouse in Warehouse.all_objects.filter(cycle_days__gt=0, is_active=True).select_related("store"):
        day = today or store_calendar(warehouse.store).local_date(timezone.now())
        claimed = (
            Warehouse.all_objects.filter(pk=warehouse.pk).exclude(cycle_planned_on=day).update(cycle_planned_on=day)
        )
        if not claimed:
            continue
        # Bins in the database's order (the order the scope's bin range is read in).
        holding = (
            StockBalance.all_objects.filter(bin__warehouse=warehouse, bin__is_active=True)
            .filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
            .order_by("bin__code")
            .values_list("bin__code", flat=True)
            .distinct()
        )
        count = holding.count()
        if not count:
            continue
        size = -(-count // warehouse.cycle_days)
        rest = list(holding.filter(bin__code__gt=warehouse.cycle_cursor)[:size]) or list(holding[:size])
        chosen = rest
        try:
            stocktake_create(
                actor=None,
                store_id=warehouse.store_id,
                kind=Stocktake.Kind.CYCLE,
                scope=Scope(warehouse_id=warehouse.pk, bin_from=chosen[0], bin_to=chosen[-1]),
                skip_taken=True,
            )
        except ApplicationError as error:
            logger.info("No cycle count for warehouse %s today: %s", warehouse.pk, error.detail)
        except Exception:  # one warehouse's failure neither loses its day (tried again) nor stops the others
            logger.exception("Cycle count of warehouse %s failed", warehouse.pk)
            Warehouse.all_objects.filter(pk=warehouse.pk).update(cycle_planned_on=warehouse.cycle_planned_on)
            continue
        else:
            planned += 1
        Warehouse.all_objects.filter(pk=warehouse.pk).update(cycle_cursor=chosen[-1])
    return planned
