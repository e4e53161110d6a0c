"""Purchase orders: written as drafts, submitted, approved within people's limits, sent, cancelled
or closed; every state change through the order's state table (``transitions.ORDER``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import User
from aftersales.core.numbering import number_next
from aftersales.parts.models import Part
from aftersales.parts.services import qty_text, quantity_problem, store_access
from aftersales.purchasing.models import (
    PurchaseLimit,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    PurchaseOrderVersion,
    Supplier,
)
from aftersales.purchasing.selectors import order_total
from aftersales.purchasing.services.notices import order_email
from aftersales.purchasing.transitions import ORDER

MAX_ORDER_LINES = 2000
MAX_PRICE = Decimal("1e10")


@dataclass(frozen=True)
class OrderLineIn:
    part_id: int
    quantity: Decimal
    unit_price: Decimal
    expected_on: date | None = None
    demand_type: str = ""
    demand_id: int | None = None
    demand_line_id: int | None = None


def order_access(*, actor: User | None, order_id: int, permission: str, for_update: bool = False) -> PurchaseOrder:
    rows = PurchaseOrder.all_objects.select_related("supplier", "store").filter(pk=order_id)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    order = rows.first()
    if order is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    store_access(actor=actor, store_id=order.store_id, permission=permission)
    return order


def _lines_checked(supplier: Supplier, group_id: int, lines: list[OrderLineIn]) -> list[OrderLineIn]:
    """Every wrong line named at once (``lines.N.field``)."""
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    if len(lines) > MAX_ORDER_LINES:
        raise ApplicationError(
            _("At most %(n)s lines in one order.") % {"n": MAX_ORDER_LINES}, code="too_many_lines", field="lines"
        )
    parts = Part.objects.filter(group_id=group_id).in_bulk({line.part_id for line in lines})
    errors: dict[str, list[str]] = {}
    seen: dict[int, int] = {}
    for index, line in enumerate(lines):
        part = parts.get(line.part_id)
        if part is None:
            errors[f"lines.{index}.part"] = [_("Unknown part.")]
            continue
        if not part.is_active:
            errors[f"lines.{index}.part"] = [_("%(part)s is no longer active.") % {"part": part.number_display}]
        elif supplier.brand_id is not None and part.brand_id != supplier.brand_id:
            errors[f"lines.{index}.part"] = [
                _("%(part)s is not of the brand this supplier supplies.") % {"part": part.number_display}
            ]
        elif part.pk in seen:
            errors[f"lines.{index}.part"] = [
                _("%(part)s is also in line %(line)s.") % {"part": part.number_display, "line": seen[part.pk] + 1}
            ]
        seen.setdefault(part.pk, index)
        if problem := quantity_problem(part, line.quantity):
            errors[f"lines.{index}.quantity"] = [problem]
        price = line.unit_price
        if not price.is_finite() or price < 0 or price >= MAX_PRICE or price != price.quantize(Decimal("0.0001")):
            errors[f"lines.{index}.unit_price"] = [_("Enter a price in yuan of zero or more, with at most 4 decimals.")]
    if errors:
        raise ApplicationError(_("Some lines cannot be ordered."), fields=errors)
    return lines


def _lines_write(order: PurchaseOrder, lines: list[OrderLineIn]) -> None:
    PurchaseOrderLine.objects.filter(order=order).delete()
    PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(
                order=order,
                store_id=order.store_id,
                position=position,
                part_id=line.part_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                expected_on=line.expected_on,
                demand_type=line.demand_type,
                demand_id=line.demand_id,
                demand_line_id=line.demand_line_id,
            )
            for position, line in enumerate(lines, 1)
        ]
    )


def order_create(
    *,
    actor: User | None,
    store_id: int,
    supplier_id: int,
    order_type: str,
    lines: list[OrderLineIn],
    note: str = "",
) -> PurchaseOrder:
    """Write a draft order of the store to a supplier of its group (``purchasing.order``)."""
    store = store_access(actor=actor, store_id=store_id, permission="purchasing.order")
    supplier = Supplier.objects.filter(pk=supplier_id, group_id=store.group_id).first()
    if supplier is None:
        raise ApplicationError(_("Choose a supplier of the group."), field="supplier")
    if not supplier.is_active:
        raise ApplicationError(_("This supplier is no longer active."), field="supplier")
    if order_type not in PurchaseOrder.OrderType.values:
        raise ApplicationError(_("Choose the order type."), field="order_type")
    _lines_checked(supplier, store.group_id, lines)
    with transaction.atomic():
        order = PurchaseOrder(
            store=store,
            number=number_next(store=store, doc_type="PO"),
            supplier=supplier,
            order_type=order_type,
            note=note.strip()[:500],
            created_by=actor,
        )
        order.save(actor=actor)
        _lines_write(order, lines)
        PurchaseOrderEvent.objects.create(order=order, actor=actor, action="create", from_state="", to_state="draft")
    return order


def order_lines_set(*, actor: User | None, order_id: int, lines: list[OrderLineIn]) -> PurchaseOrder:
    """Replace a draft's lines."""
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission="purchasing.order", for_update=True)
        if order.status != PurchaseOrder.Status.DRAFT:
            raise ApplicationError(_("Only a draft's lines are changed."), code="not_draft", status=409)
        _lines_checked(order.supplier, order.store.group_id, lines)
        _lines_write(order, lines)
    return order


def _act(actor: User | None, order_id: int, action: str, *, note: str = "", permission: str) -> PurchaseOrder:
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission=permission, for_update=True)
        ORDER.apply(order, action, actor=actor, event=lambda **event: order.events.create(**event), note=note)
    return order


def order_submit(*, actor: User | None, order_id: int) -> PurchaseOrder:
    return _act(actor, order_id, "submit", permission="purchasing.order")


def order_send_back(*, actor: User | None, order_id: int, note: str) -> PurchaseOrder:
    """Return a submitted order to its writer as a draft, with the reason."""
    if not note.strip():
        raise ApplicationError(_("Say why the order goes back."), field="note")
    return _act(actor, order_id, "send_back", note=note.strip(), permission="purchasing.approve")


def approval_limit(*, store_id: int, user: User | None) -> Decimal | None:
    if user is None:
        return None
    return PurchaseLimit.all_objects.filter(store_id=store_id, user=user).values_list("limit", flat=True).first()


def order_approve(*, actor: User, order_id: int) -> PurchaseOrder:
    """Approve a submitted order within the approver's limit: one's own order up to one's own limit (the
    self-approval limit); above it, another person with a sufficient limit approves."""
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission="purchasing.approve", for_update=True)
        total = order_total(order)
        limit = approval_limit(store_id=order.store_id, user=actor)
        if limit is None or total > limit:
            values = {"limit": f"{limit or 0:,.2f}", "total": f"{total:,.2f}"}
            message = (
                _(
                    "Your self-approval limit is %(limit)s yuan and this order is %(total)s yuan: someone with a "
                    "sufficient limit approves it."
                )
                if order.created_by_id == actor.pk
                else _("Your approval limit is %(limit)s yuan and this order is %(total)s yuan.")
            )
            raise ApplicationError(message % values, code="over_limit", status=403)
        order.approved_by, order.approved_at = actor, timezone.now()
        ORDER.apply(
            order,
            "approve",
            actor=actor,
            event=lambda **event: order.events.create(**event),
            note=_("%(total)s yuan") % {"total": f"{total:,.2f}"},
            save_fields=("approved_by", "approved_at"),
        )
    return order


def order_send(*, actor: User | None, order_id: int, notify: bool = True) -> PurchaseOrder:
    """Send an approved order: lines without an expected date get today plus the supplier's lead time
    for the order type; version 1 is kept. The order file (manufacturer) or PDF (local supplier) is the
    document sent: a local supplier with an e-mail gets the PDF through the outbox (unless ``notify`` is
    off, for an order sent by other means)."""
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission="purchasing.order", for_update=True)
        today = store_calendar(order.store).local_date(timezone.now())
        expected = today + timedelta(days=order.supplier.lead_days(order.order_type))
        PurchaseOrderLine.objects.filter(order=order, expected_on__isnull=True).update(expected_on=expected)
        order.sent_at = timezone.now()
        ORDER.apply(
            order,
            "send",
            actor=actor,
            event=lambda **event: order.events.create(**event),
            save_fields=("sent_at",),
        )
        _version_write(order, actor)
        if notify:
            order_email(actor=actor, order=order)
    return order


def _version_write(
    order: PurchaseOrder, actor: User | None, changes: list[str] | None = None, reason: str = ""
) -> None:
    """Keep the order's lines as this version sends them."""
    PurchaseOrderVersion.objects.create(
        order=order,
        store_id=order.store_id,
        version=order.version,
        lines=[
            {
                "position": line.position,
                "part": line.part.number_display,
                "quantity": qty_text(line.quantity),
                "cancelled": qty_text(line.cancelled),
                "unit_price": f"{line.unit_price.normalize():f}",
                "expected_on": line.expected_on.isoformat() if line.expected_on else "",
            }
            for line in order.lines.select_related("part").order_by("position")
        ],
        changes="\n".join(changes or []),
        reason=reason,
        actor=actor,
    )


def order_amend(*, actor: User, order_id: int, lines: list[OrderLineIn], reason: str) -> PurchaseOrder:
    """Amend a sent order (its lines as they should now stand, by part): quantities still ordered changed
    (never below what is received; a line left out earlier may come back), prices changed, parts added,
    parts left out (what is still open on them cancelled). The order's version goes up, the version is
    kept with what changed and why, and a local supplier gets the new version by e-mail; an order that
    owes nothing more is closed instead. The amended total must be within the amender's approval limit,
    as an approval would."""
    if not reason.strip():
        raise ApplicationError(_("Say why the order is amended."), field="reason")
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission="purchasing.order", for_update=True)
        if order.status not in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTLY_RECEIVED):
            raise ApplicationError(
                _("Only a sent order is amended; this one is “%(state)s”.") % {"state": order.get_status_display()},
                code="not_sent",
                status=409,
            )
        _lines_checked(order.supplier, order.store.group_id, lines)
        current = {line.part_id: line for line in order.lines.select_for_update().select_related("part")}
        parts = Part.objects.in_bulk({line.part_id for line in lines})
        errors: dict[str, list[str]] = {}
        changes: list[str] = []
        changed: list[PurchaseOrderLine] = []
        added: list[OrderLineIn] = []
        for index, new in enumerate(lines):
            line = current.get(new.part_id)
            if line is None:
                added.append(new)
                continue
            # The quantity given is what stays ordered (less what is cancelled), never below what is received.
            ordered = line.quantity - line.cancelled
            if new.quantity < line.received:
                errors[f"lines.{index}.quantity"] = [
                    _("At least %(n)s: that many are received already.") % {"n": qty_text(line.received)}
                ]
                continue
            shown = line.part.number_display
            if new.quantity != ordered:
                changes.append(
                    _("Line %(line)s %(part)s: quantity %(old)s → %(new)s")
                    % {"line": line.position, "part": shown, "old": qty_text(ordered), "new": qty_text(new.quantity)}
                )
                line.quantity = new.quantity + line.cancelled
            if new.unit_price != line.unit_price:
                changes.append(
                    _("Line %(line)s %(part)s: price %(old)s → %(new)s")
                    % {"line": line.position, "part": shown, "old": f"{line.unit_price.normalize():f}",
                       "new": f"{new.unit_price.normalize():f}"}
                )  # fmt: skip
                line.unit_price = new.unit_price
            changed.append(line)
        kept = {new.part_id for new in lines}
        for part_id, line in current.items():
            if part_id not in kept and line.open_quantity > 0:
                changes.append(
                    _("Line %(line)s %(part)s: left out, %(n)s cancelled")
                    % {"line": line.position, "part": line.part.number_display, "n": qty_text(line.open_quantity)}
                )
                line.cancelled += line.open_quantity
                changed.append(line)
        if errors:
            raise ApplicationError(_("Some lines cannot be amended."), fields=errors)
        today = store_calendar(order.store).local_date(timezone.now())
        expected = today + timedelta(days=order.supplier.lead_days(order.order_type))
        position = max((line.position for line in current.values()), default=0)
        for new in added:
            position += 1
            changes.append(
                _("Line %(line)s %(part)s: added, %(n)s")
                % {"line": position, "part": parts[new.part_id].number_display, "n": qty_text(new.quantity)}
            )
        if not changes:
            raise ApplicationError(_("Nothing is changed."), field="lines")
        PurchaseOrderLine.objects.bulk_update(changed, ["quantity", "unit_price", "cancelled"])
        start = max((line.position for line in current.values()), default=0)
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(
                order=order, store_id=order.store_id, position=start + offset, part_id=new.part_id,
                quantity=new.quantity, unit_price=new.unit_price, expected_on=new.expected_on or expected,
                demand_type=new.demand_type, demand_id=new.demand_id, demand_line_id=new.demand_line_id,
            )
            for offset, new in enumerate(added, 1)
        )  # fmt: skip
        total = order_total(order)
        limit = approval_limit(store_id=order.store_id, user=actor)
        if limit is None or total > limit:
            raise ApplicationError(
                _("The amended order is %(total)s yuan, above your approval limit of %(limit)s yuan.")
                % {"total": f"{total:,.2f}", "limit": f"{limit or 0:,.2f}"},
                code="over_limit",
                status=403,
            )
        order.version += 1
        order.save(update_fields=["version"], actor=actor)
        order.events.create(
            actor=actor, action="amend", from_state=order.status, to_state=order.status,
            note=(_("Version %(n)s: %(reason)s") % {"n": order.version, "reason": reason.strip()})[:500],
        )  # fmt: skip
        _version_write(order, actor, changes, reason.strip()[:200])
        if all(line.open_quantity <= 0 for line in order.lines.all()):
            ORDER.apply(order, "close", actor=actor, event=lambda **event: order.events.create(**event), note=reason)
        else:
            order_email(actor=actor, order=order)
    return order


def order_cancel(*, actor: User | None, order_id: int, reason: str) -> PurchaseOrder:
    """Cancel an order not yet received, with the reason."""
    if not reason.strip():
        raise ApplicationError(_("Give the reason for cancelling."), field="reason")
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission="purchasing.order", for_update=True)
        order.cancel_reason = reason.strip()[:200]
        ORDER.apply(
            order,
            "cancel",
            actor=actor,
            event=lambda **event: order.events.create(**event),
            note=order.cancel_reason,
            save_fields=("cancel_reason",),
        )
    return order


def order_close(*, actor: User | None, order_id: int, note: str = "") -> PurchaseOrder:
    """Close a sent or received order: what is still open on its lines is cancelled."""
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission="purchasing.order", for_update=True)
        ORDER.apply(order, "close", actor=actor, event=lambda **event: order.events.create(**event), note=note)
        for line in order.lines.all():
            if line.open_quantity > 0:
                line.cancelled += line.open_quantity
                line.save(update_fields=["cancelled"])
    return order


def backorder_cancel(*, actor: User | None, line_id: int, reason: str) -> PurchaseOrderLine:
    """Cancel what is still owed on an order line (the supplier will not deliver it), with the reason;
    an order with nothing owed any more is closed."""
    if not reason.strip():
        raise ApplicationError(_("Give the reason for cancelling."), field="reason")
    line = PurchaseOrderLine.objects.filter(pk=line_id).first()
    if line is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    with transaction.atomic():
        order = order_access(actor=actor, order_id=line.order_id, permission="purchasing.order", for_update=True)
        line = order.lines.select_for_update().select_related("part").get(pk=line_id)
        if order.status not in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTLY_RECEIVED):
            raise ApplicationError(_("Only a sent order's backorders are cancelled."), code="not_open", status=409)
        owed = line.open_quantity
        if owed <= 0:
            raise ApplicationError(_("Nothing is owed on this line."), code="nothing_owed", status=409)
        line.cancelled += owed
        line.save(update_fields=["cancelled"])
        note = _("Backorder of %(part)s cancelled (%(quantity)s): %(reason)s") % {
            "part": line.part.number_display,
            "quantity": f"{owed.normalize():f}",
            "reason": reason.strip(),
        }
        if all(other.open_quantity <= 0 for other in order.lines.all()):
            ORDER.apply(order, "close", actor=actor, event=lambda **event: order.events.create(**event), note=note)
        else:
            order.events.create(
                actor=actor, action="cancel_backorder", from_state=order.status, to_state=order.status, note=note[:500]
            )
    return line


def expected_dates_set(*, actor: User | None, order_id: int, dates: dict[int, date]) -> PurchaseOrder:
    """Record the expected dates the supplier confirmed, by line number (the manufacturer's order
    confirmation); unknown line numbers are named at once and nothing changes."""
    with transaction.atomic():
        order = order_access(actor=actor, order_id=order_id, permission="purchasing.order", for_update=True)
        lines = {line.position: line for line in order.lines.all()}
        unknown = sorted(set(dates) - set(lines))
        if unknown:
            raise ApplicationError(
                _("The order has no line %(lines)s.") % {"lines": ", ".join(map(str, unknown))}, field="lines"
            )
        for position, day in dates.items():
            lines[position].expected_on = day
        PurchaseOrderLine.objects.bulk_update([lines[position] for position in dates], ["expected_on"])
    return order
