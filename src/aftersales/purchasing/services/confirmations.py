"""The manufacturer's order confirmation (订单确认): per order line, the quantity it will supply and the
date it expects to deliver. A line confirmed short has the rest cancelled (the manufacturer will not
supply it); what is confirmed and not yet delivered stays open as a backorder with the confirmed date."""

from __future__ import annotations

from collections import defaultdict

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core.models import User
from aftersales.parts.models import Part
from aftersales.parts.services import qty_text, quantity_problem, store_access
from aftersales.purchasing.documents import order_number_of
from aftersales.purchasing.imports import ConfirmationRow, confirmation_rows_read, file_error
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine
from aftersales.purchasing.transitions import ORDER


def order_confirmation_import(*, actor: User | None, store_id: int, upload: UploadedFile) -> list[PurchaseOrder]:
    """Apply the confirmation file to the store's sent orders it names; every wrong row named at once
    (``rows.N.column``) and nothing changed: an order that is not sent or not the store's, a line or part
    not on it, a confirmed quantity below what is received already. Returns the orders changed."""
    store = store_access(actor=actor, store_id=store_id, permission="purchasing.order")
    rows, errors = confirmation_rows_read(upload)
    errors = dict(errors)
    with transaction.atomic():
        numbers = {order_number_of(row.order) for row in rows}
        orders = {
            order.number: order
            for order in PurchaseOrder.all_objects.select_for_update(of=("self",))
            .filter(store=store, number__in=numbers)
            .order_by("pk")  # always locked in the same order: two imports at once never deadlock
        }
        lines: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
        for line in (
            PurchaseOrderLine.objects.filter(order__in=orders.values()).select_for_update(of=("self",)).order_by("pk")
        ):
            lines[line.order_id].append(line)
        parts = Part.objects.in_bulk({line.part_id for found in lines.values() for line in found})
        changed: dict[int, PurchaseOrderLine] = {}
        notes: dict[int, list[str]] = defaultdict(list)

        def fail(row: ConfirmationRow, column: str, message: str) -> None:
            errors.setdefault(f"rows.{row.row}.{column}", []).append(message)

        for row in rows:
            order = orders.get(order_number_of(row.order))
            if order is None:
                fail(row, "order", _("%(order)s is no order of this store.") % {"order": row.order})
                continue
            if order.status not in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTLY_RECEIVED):
                fail(
                    row, "order",
                    _("%(order)s is “%(state)s”: only a sent order is confirmed.")
                    % {"order": order.number, "state": order.get_status_display()},
                )  # fmt: skip
                continue
            found = [
                line
                for line in lines[order.pk]
                if (row.line is None or line.position == row.line)
                and (not row.number or parts[line.part_id].number == row.number)
            ]
            if len(found) != 1:
                column = "line" if row.line is not None else "number"
                fail(row, column, _("%(order)s has no such line.") % {"order": order.number})
                continue
            line = changed.setdefault(found[0].pk, found[0])
            if row.confirmed is not None:
                if row.confirmed and (problem := quantity_problem(parts[line.part_id], row.confirmed)):
                    fail(row, "confirmed", problem)
                    continue
                still = line.quantity - line.cancelled
                if row.confirmed < line.received:
                    fail(
                        row, "confirmed",
                        _("%(n)s are received already: confirm at least that many.") % {"n": qty_text(line.received)},
                    )  # fmt: skip
                    continue
                if row.confirmed > still:
                    fail(row, "confirmed", _("More than ordered (%(n)s).") % {"n": qty_text(still)})
                    continue
                if row.confirmed < still:
                    line.cancelled += still - row.confirmed
                    notes[order.pk].append(
                        _("line %(line)s: %(n)s not supplied")
                        % {"line": line.position, "n": qty_text(still - row.confirmed)}
                    )
            if row.expected is not None and row.expected != line.expected_on:
                line.expected_on = row.expected
                notes[order.pk].append(
                    _("line %(line)s: expected %(day)s") % {"line": line.position, "day": row.expected.isoformat()}
                )
        if errors:
            raise file_error(errors)
        PurchaseOrderLine.objects.bulk_update(list(changed.values()), ["cancelled", "expected_on"])
        touched = []
        for order in orders.values():
            if not notes[order.pk]:
                continue
            touched.append(order)
            note = "; ".join(notes[order.pk])[:500]
            order.events.create(
                actor=actor, action="confirm", from_state=order.status, to_state=order.status, note=note
            )
            if all(line.open_quantity <= 0 for line in lines[order.pk]):  # nothing owed any more
                ORDER.apply(order, "close", actor=actor, event=order.events.create, note=note)
    return sorted(touched, key=lambda order: order.number)
