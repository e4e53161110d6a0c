"""Delivery notes (送货单): a supplier's delivery taken in from its file or by scanning, each line matched
to an open order line of the supplier (the oldest first; a delivered new number matches the old one
ordered), inspected, and received in one step through ``order_receive``, one receipt per order."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.parts.models import Bin, Part, StockBalance, part_number_normalise
from aftersales.parts.services import qty_text, quantity_problem, store_access
from aftersales.purchasing.documents import order_number_of
from aftersales.purchasing.imports import NoteRow, file_error, note_rows_read
from aftersales.purchasing.models import (
    DeliveryNote,
    DeliveryNoteLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    Supplier,
)
from aftersales.purchasing.services.receiving import DeliveredLine, _successors, order_receive

OPEN_ORDERS = (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTLY_RECEIVED)
MAX_PRICE = Decimal("1e10")


@dataclass(frozen=True)
class LineCheck:
    """What the clerk found when inspecting one line of the note."""

    line_id: int
    checked: Decimal | None
    rejected: Decimal = Decimal(0)
    reject_reason: str = ""
    bin_id: int | None = None
    # The counted quantity the clerk's page showed: a line counted meanwhile by someone else is refused
    # rather than overwritten (``compare`` on).
    seen: Decimal | None = None
    compare: bool = False


def delivery_note_access(*, actor: User | None, note_id: int, for_update: bool = False) -> DeliveryNote:
    rows = DeliveryNote.all_objects.select_related("supplier", "store").filter(pk=note_id)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    note = rows.first()
    if note is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    store_access(actor=actor, store_id=note.store_id, permission="stock.move")
    return note


def _open(note: DeliveryNote) -> None:
    if note.status != DeliveryNote.Status.OPEN:
        raise ApplicationError(
            _("This delivery note is “%(state)s”: it changes no more.") % {"state": note.get_status_display()},
            code="not_open",
            status=409,
        )


class _Matcher:
    """The supplier's open order lines in a store, handed out oldest first: what each still takes, up to
    the supplier's over-delivery allowance on the last one."""

    def __init__(self, store: Store, supplier: Supplier) -> None:
        # One matcher at a time per supplier: two clerks taking in deliveries of the same supplier at once
        # never hand out the same open quantity twice (the lock lasts to the end of the transaction).
        list(Supplier.objects.select_for_update().filter(pk=supplier.pk).values_list("pk", flat=True))
        self.lines = list(
            PurchaseOrderLine.objects.filter(store=store, order__supplier=supplier, order__status__in=OPEN_ORDERS)
            .select_related("order")
            .order_by(F("expected_on").asc(nulls_last=True), "order__sent_at", "order_id", "position")
        )
        # What other open notes already took of each line, so two notes do not count the same goods.
        taken: dict[int, Decimal] = defaultdict(Decimal)
        for line_id, quantity, checked in DeliveryNoteLine.objects.filter(
            order_line__in=self.lines, note__status=DeliveryNote.Status.OPEN
        ).values_list("order_line_id", "quantity", "checked"):
            taken[line_id] += quantity if checked is None else checked
        self.left = {line.pk: line.quantity - line.received - line.cancelled - taken[line.pk] for line in self.lines}
        self.allowance = Decimal(supplier.over_delivery_percent) / 100
        self.successors = _successors({line.part_id for line in self.lines})

    def candidates(self, part_id: int, order_number: str = "") -> list[PurchaseOrderLine]:
        """The open lines a delivered part matches (a line whose quantity is all cancelled takes nothing);
        ``order_number`` as the supplier quotes it (with ``-V2``… after amendments, or without)."""
        ordered = {part_id, self.successors.get(part_id, -1)}
        number = order_number_of(order_number)
        return [
            line
            for line in self.lines
            if line.part_id in ordered
            and line.quantity > line.cancelled
            and (not number or line.order.number == number)
        ]

    def allocate(
        self, part_id: int, quantity: Decimal, order_number: str = ""
    ) -> list[tuple[PurchaseOrderLine, Decimal]] | Decimal:
        """The quantity spread over the open lines (oldest first); what is left over (a Decimal) when
        they do not take it all, even with the allowance."""
        candidates = self.candidates(part_id, order_number)
        if not candidates:
            return quantity
        shares: list[tuple[PurchaseOrderLine, Decimal]] = []
        left = quantity
        for line in candidates:
            take = min(left, max(Decimal(0), self.left[line.pk]))
            if take > 0:
                shares.append((line, take))
                left -= take
            if left <= 0:
                break
        if left > 0:  # the last line takes the rest within the allowance
            last = candidates[-1]
            room = (last.quantity - last.cancelled) * self.allowance + min(Decimal(0), self.left[last.pk])
            if left > room:
                return left
            shares = [(line, take) for line, take in shares if line.pk != last.pk]
            shares.append((last, quantity - sum((take for _line, take in shares), Decimal(0))))
            left = Decimal(0)
        for line, take in shares:
            self.left[line.pk] -= take
        return shares


def _usual_bins(store_id: int, part_ids: set[int]) -> dict[int, int]:
    """The bin each part is kept in (the one holding most of it)."""
    found: dict[int, int] = {}
    for part_id, bin_id in (
        StockBalance.all_objects.filter(store_id=store_id, part_id__in=part_ids, bin__is_active=True)
        .order_by("part_id", "-on_hand", "bin_id")
        .values_list("part_id", "bin_id")
    ):
        found.setdefault(part_id, bin_id)
    return found


def _parts_by_number(supplier: Supplier, group_id: int, numbers: set[str]) -> dict[str, list[Part]]:
    parts = Part.objects.filter(group_id=group_id, number__in=numbers)
    if supplier.brand_id is not None:
        parts = parts.filter(brand_id=supplier.brand_id)
    found: dict[str, list[Part]] = defaultdict(list)
    for part in parts.only("pk", "number", "number_display", "brand_id", "decimals", "unit", "is_active"):
        found[part.number].append(part)
    return found


def _taken_in(number: str) -> ApplicationError:
    return ApplicationError(
        _("Delivery note %(number)s of this supplier is taken in already.") % {"number": number}, field="number"
    )


def _create(
    actor: User | None, store: Store, supplier: Supplier, number: str, source: str, file_name: str = ""
) -> DeliveryNote:
    note = DeliveryNote(
        store=store, supplier=supplier, number=number, source=source, file_name=file_name[:200], created_by=actor
    )
    try:
        with transaction.atomic():
            note.save(actor=actor)
    except IntegrityError:
        raise _taken_in(number) from None
    return note


def _supplier_of(store: Store, supplier_id: int) -> Supplier:
    supplier = Supplier.objects.filter(pk=supplier_id, group_id=store.group_id).first()
    if supplier is None:
        raise ApplicationError(_("Choose a supplier of the group."), field="supplier")
    return supplier


def delivery_note_import(
    *, actor: User | None, store_id: int, supplier_id: int, number: str, upload: UploadedFile
) -> DeliveryNote:
    """Take in the supplier's delivery note file: every row read and matched to the supplier's open order
    lines, or every wrong row named at once by row and column and nothing written (a part not in the
    master or on no open order of the supplier, more than the open orders take, a named order that is not
    open, an unreadable number)."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.move")
    supplier = _supplier_of(store, supplier_id)
    number = number.strip()
    if not number:
        raise ApplicationError(_("Enter the delivery note's number."), field="number")
    if len(number) > 40:
        raise ApplicationError(_("Enter at most %(n)s characters.") % {"n": 40}, field="number")
    taken = DeliveryNote.all_objects.filter(store=store, supplier=supplier, number=number)
    if taken.exclude(status=DeliveryNote.Status.CANCELLED).exists():
        raise _taken_in(number)
    rows, unread = note_rows_read(upload)
    with transaction.atomic():
        matcher = _Matcher(store, supplier)
        parts = _parts_by_number(supplier, store.group_id, {row.number for row in rows})
        errors: dict[str, list[str]] = dict(unread)
        matched: list[tuple[NoteRow, Part, PurchaseOrderLine, Decimal]] = []
        open_orders = {line.order.number for line in matcher.lines}

        def fail(row: NoteRow, column: str, message: str) -> None:
            errors.setdefault(f"rows.{row.row}.{column}", []).append(message)

        for row in rows:
            found = parts.get(row.number, [])
            if not found:
                fail(row, "number", _("Part number %(number)s is not in the part master.") % {"number": row.typed})
                continue
            if len(found) > 1:
                fail(row, "number", _("This part number is in several brands."))
                continue
            part = found[0]
            if row.order and order_number_of(row.order) not in open_orders:
                fail(row, "order", _("%(order)s is no open order of this supplier.") % {"order": row.order})
                continue
            if row.quantity is None:  # the row has problems of its own: only whether the part is on order
                if not matcher.candidates(part.pk, row.order):
                    fail(
                        row,
                        "number",
                        _("%(part)s is on no open order of this supplier.") % {"part": part.number_display},
                    )
                continue
            if problem := quantity_problem(part, row.quantity):
                fail(row, "quantity", problem)
                continue
            shares = matcher.allocate(part.pk, row.quantity, row.order)
            if isinstance(shares, Decimal):
                if shares == row.quantity and not matcher.candidates(part.pk, row.order):
                    fail(
                        row, "number",
                        _("%(part)s is on no open order of this supplier.") % {"part": part.number_display},
                    )  # fmt: skip
                else:
                    fail(
                        row, "quantity",
                        _("%(part)s: %(quantity)s delivered, %(extra)s more than the open orders take.")
                        % {"part": part.number_display, "quantity": qty_text(row.quantity), "extra": qty_text(shares)},
                    )  # fmt: skip
                continue
            matched.extend((row, part, line, share) for line, share in shares)
        if errors:
            raise file_error(errors)
        note = _create(actor, store, supplier, number, DeliveryNote.Source.FILE, upload.name or "")
        bins = _usual_bins(store.pk, {part.pk for _row, part, _line, _share in matched})
        DeliveryNoteLine.objects.bulk_create(
            [
                DeliveryNoteLine(
                    note=note, store=store, row=row.row, part=part, order_line=line, quantity=share,
                    unit_price=row.price, case_no=row.case_no[:40], bin_id=bins.get(part.pk),
                )
                for row, part, line, share in matched
            ],
            batch_size=500,
        )  # fmt: skip
    return note


def delivery_note_start(*, actor: User | None, store_id: int, supplier_id: int, number: str = "") -> DeliveryNote:
    """Start a delivery taken in by scanning the parts as they come out of their cases."""
    store = store_access(actor=actor, store_id=store_id, permission="stock.move")
    supplier = _supplier_of(store, supplier_id)
    number = number.strip()
    if len(number) > 40:
        raise ApplicationError(_("Enter at most %(n)s characters.") % {"n": 40}, field="number")
    return _create(actor, store, supplier, number, DeliveryNote.Source.SCAN)


def delivery_note_scan(
    *, actor: User | None, note_id: int, code: str, quantity: Decimal = Decimal(1), case_no: str = ""
) -> DeliveryNoteLine:
    """One part scanned (or typed) out of the delivery: counted on its line of the note; on a scanned note a
    part not on it yet is matched to the supplier's oldest open order line for it. Refused: a code that is
    no part of the master, a part on no open order of the supplier, more than the open orders take."""
    with transaction.atomic():
        note = delivery_note_access(actor=actor, note_id=note_id, for_update=True)
        _open(note)
        typed = code.strip()
        if typed.upper().startswith("PART:"):
            typed = typed[5:]
        parts = _parts_by_number(note.supplier, note.store.group_id, {part_number_normalise(typed)})
        found = parts.get(part_number_normalise(typed), [])
        if not typed or len(found) != 1:
            message = (
                _("Scan or type the part number.")
                if not typed
                else _("%(code)s is no part number of the master.") % {"code": typed[:60]}
            )
            raise ApplicationError(message, field="code")
        part = found[0]
        if problem := quantity_problem(part, quantity):
            raise ApplicationError(problem, field="quantity")
        lines = list(note.lines.filter(part=part).select_for_update().order_by("pk"))
        if note.source == DeliveryNote.Source.FILE:
            if not lines:
                raise ApplicationError(
                    _("%(part)s is not on this delivery note.") % {"part": part.number_display}, field="code"
                )
            # Spread over the part's lines up to what each says, the rest on the last.
            left, counted = quantity, lines[-1]
            for line in lines:
                room = line.quantity - (line.checked or Decimal(0))
                take = left if line is lines[-1] else min(left, max(Decimal(0), room))
                if take > 0:
                    line.checked = (line.checked or Decimal(0)) + take
                    line.save(update_fields=["checked"])
                    left -= take
                    counted = line
                if left <= 0:
                    break
            return counted
        matcher = _Matcher(note.store, note.supplier)
        shares = matcher.allocate(part.pk, quantity)
        if isinstance(shares, Decimal):
            message = (
                _("%(part)s is on no open order of this supplier.")
                if not matcher.candidates(part.pk)
                else _("%(part)s: the open orders take no more.")
            ) % {"part": part.number_display}
            raise ApplicationError(message, field="code")
        by_order_line = {line.order_line_id: line for line in lines}
        bins = _usual_bins(note.store_id, {part.pk})
        last: DeliveryNoteLine | None = None
        for order_line, share in shares:
            entry = by_order_line.get(order_line.pk)
            if entry is None:
                entry = DeliveryNoteLine.objects.create(
                    note=note, store_id=note.store_id, part=part, order_line=order_line, quantity=share,
                    checked=share, case_no=case_no.strip()[:40], bin_id=bins.get(part.pk),
                )  # fmt: skip
            else:
                entry.quantity += share
                entry.checked = (entry.checked or Decimal(0)) + share
                entry.save(update_fields=["quantity", "checked"])
            last = entry
        if last is None:  # pragma: no cover - allocate gives at least one share
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        return last


def delivery_note_check(*, actor: User | None, note_id: int, checks: list[LineCheck]) -> DeliveryNote:
    """Record the inspection of lines (counted, rejected with the reason, the bin): every wrong one named
    at once (``lines.N.field``, N its position in ``checks``) and nothing changed."""
    with transaction.atomic():
        note = delivery_note_access(actor=actor, note_id=note_id, for_update=True)
        _open(note)
        lines = note.lines.select_related("part").in_bulk([check.line_id for check in checks])
        bins = Bin.objects.filter(store_id=note.store_id, is_active=True).in_bulk(
            {check.bin_id for check in checks if check.bin_id is not None}
        )
        errors: dict[str, list[str]] = {}
        for index, check in enumerate(checks):
            line = lines.get(check.line_id)
            if line is None:
                errors[f"lines.{index}.line"] = [_("Not found.")]
                continue
            if check.compare and line.checked != check.seen:
                shown = "—" if line.checked is None else qty_text(line.checked)
                errors[f"lines.{index}.checked"] = [
                    _("Counted meanwhile by someone else (now %(n)s): reload the page.") % {"n": shown}
                ]
                continue
            if (
                check.checked is not None
                and check.checked != 0
                and (problem := quantity_problem(line.part, check.checked))
            ):
                errors[f"lines.{index}.checked"] = [problem]
                continue
            delivered = line.quantity if check.checked is None else check.checked
            if check.rejected < 0 or check.rejected > delivered:
                errors[f"lines.{index}.rejected"] = [_("Reject between 0 and the quantity delivered.")]
            elif check.rejected and not check.reject_reason.strip():
                errors[f"lines.{index}.reject_reason"] = [_("Give the reason for rejecting.")]
            if len(check.reject_reason.strip()) > 200:
                errors[f"lines.{index}.reject_reason"] = [_("Enter at most %(n)s characters.") % {"n": 200}]
            if check.bin_id is not None and check.bin_id not in bins:
                errors[f"lines.{index}.bin"] = [_("Choose a bin of this store.")]
            line.checked, line.rejected = check.checked, check.rejected
            line.reject_reason, line.bin_id = check.reject_reason.strip(), check.bin_id
        if errors:
            raise ApplicationError(_("Some lines cannot be recorded."), fields=errors)
        DeliveryNoteLine.objects.bulk_update(list(lines.values()), ["checked", "rejected", "reject_reason", "bin"])
    return note


def delivery_note_receive(
    *, actor: User | None, note_id: int, received_on: date | None = None
) -> list[PurchaseReceipt]:
    """Receive the inspected delivery: per order it delivers against, one receipt through
    ``order_receive`` (the accepted quantity into stock at the delivered price, the rejected to a supplier
    return); lines counted as 0 did not arrive. All or nothing: a wrong line is named (``lines.N.field``,
    N its place on the note) and nothing is received."""
    with transaction.atomic():
        note = delivery_note_access(actor=actor, note_id=note_id, for_update=True)
        _open(note)
        lines = list(note.lines.select_related("order_line__order").order_by("pk"))
        by_order: dict[int, list[tuple[int, DeliveryNoteLine]]] = defaultdict(list)
        errors: dict[str, list[str]] = {}
        for index, line in enumerate(lines):
            if line.delivered <= 0:
                continue
            if line.bin_id is None:
                errors[f"lines.{index}.bin"] = [_("Choose the bin it goes to.")]
            by_order[line.order_line.order_id].append((index, line))
        if not by_order:
            raise ApplicationError(_("Nothing on this note was delivered."), field="lines")
        if errors:
            raise ApplicationError(_("Some lines cannot be received."), fields=errors)
        receipts = []
        for order_id, entries in sorted(by_order.items()):
            try:
                receipts.append(
                    order_receive(
                        actor=actor,
                        order_id=order_id,
                        delivery_note=note.number,
                        received_on=received_on,
                        lines=[
                            DeliveredLine(
                                part_id=line.part_id,
                                bin_id=line.bin_id or 0,
                                delivered=line.delivered,
                                rejected=line.rejected,
                                reject_reason=line.reject_reason,
                                unit_price=line.unit_price,
                                case_no=line.case_no,
                                order_line_id=line.order_line_id,
                            )
                            for _index, line in entries
                        ],
                    )
                )
            except ApplicationError as error:
                raise _renumbered(error, [index for index, _line in entries]) from None
        note.status, note.received_at = DeliveryNote.Status.RECEIVED, timezone.now()
        note.save(update_fields=["status", "received_at"], actor=actor)
    return receipts


def _renumbered(error: ApplicationError, places: list[int]) -> ApplicationError:
    """An order's refusal with its line numbers turned into the note's."""
    fields: dict[str, list[str]] = {}
    for key, messages in (error.fields or {}).items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(places):
            key = f"lines.{places[int(parts[1])]}.{parts[2]}"
        fields[key] = messages
    return ApplicationError(error.detail, code=error.code, status=error.status, fields=fields, extra=error.extra)


def delivery_note_cancel(*, actor: User | None, note_id: int) -> DeliveryNote:
    """Drop a delivery note not received (imported by mistake): it may be taken in again."""
    with transaction.atomic():
        note = delivery_note_access(actor=actor, note_id=note_id, for_update=True)
        _open(note)
        note.status = DeliveryNote.Status.CANCELLED
        note.save(update_fields=["status"], actor=actor)
    return note
