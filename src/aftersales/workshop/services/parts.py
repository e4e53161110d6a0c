"""Parts for the job: the technician asks for a part line's part, the parts desk issues it against the
line's reservation (``parts.stock_issue``, the technician named as the receiver) and the line is done,
the technician confirms receiving it. A part not in stock shows the purchase order bought for it (an
urgent or VOR order, with its expected date); the order is then "waiting for parts" (a derived flag)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import can
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.parts.models import Reservation
from aftersales.parts.services import stock_issue
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine
from aftersales.purchasing.services.orders import OrderLineIn, order_create
from aftersales.visits.models import Line, RepairOrder
from aftersales.visits.services.orders import line_event, repair_order_access
from aftersales.visits.transitions import OTHER_LINE
from aftersales.workshop.models import Job, PartsRequest
from aftersales.workshop.services.common import by
from aftersales.workshop.services.dispatch import works

L = Line.State
R = PartsRequest.State
# A part line still to be issued when the labour is clocked off is requested before the final inspection:
# the order is not ready (nor delivered) while a line of it is not done.
WORK_STATES = (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK, RepairOrder.State.COMPLETED)


def _part_line(order: RepairOrder, line_id: int, *, lock: bool = False) -> Line:
    rows = Line.all_objects.filter(pk=line_id, order=order, kind=Line.Kind.PART).select_related("part")
    if lock:
        rows = rows.select_for_update(of=("self",))
    line = rows.first()
    if line is None:
        raise ApplicationError(_("Choose a part line of this order."), field="line")
    return line


def parts_request(*, actor: User, order_id: int, line_id: int, note: str = "") -> PartsRequest:
    """Ask the parts desk for an approved part line's part (``workshop.work``): one open request per line."""
    with transaction.atomic():
        order = repair_order_access(actor=actor, order_id=order_id, permission="workshop.work", for_update=True)
        if order.state not in WORK_STATES:
            raise ConflictError(
                _("This cannot be done while the order is “%(state)s”.") % {"state": order.get_state_display()},
                code="not_allowed",
            )
        line = _part_line(order, line_id, lock=True)
        if line.state != L.APPROVED:
            raise ConflictError(
                _("Only approved parts are requested: this line is “%(state)s”.") % {"state": line.get_state_display()},
                code="not_approved",
                field="line",
            )
        # The technician's own job on the order (or their team's); the foreman may ask for any of its jobs.
        jobs = Job.all_objects.filter(order=order).exclude(state=Job.State.DONE).select_related("team").order_by("pk")
        job = next((row for row in jobs if works(actor, row)), None)
        if job is None and not can(actor, "workshop.dispatch", store_id=order.store_id):
            raise ApplicationError(
                _("Parts are asked for by the technicians who work this order."), code="not_assigned", status=403
            )
        try:
            with transaction.atomic():
                request = PartsRequest.all_objects.create(
                    store_id=order.store_id,
                    order=order,
                    line=line,
                    job=job,
                    quantity=line.quantity,
                    note=note.strip()[:200],
                    requested_by=actor,
                )
        except IntegrityError as error:
            raise ConflictError(_("This part is requested already."), code="requested", field="line") from error
    return request


def _request_locked(actor: User, request_id: int, permission: str) -> PartsRequest:
    request = PartsRequest.all_objects.select_for_update().filter(pk=request_id).first()
    if request is None or not can(actor, permission, store_id=request.store_id):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return request


def parts_request_issue(*, actor: User, request_id: int, part_number: str) -> PartsRequest:
    """Issue a requested part at the parts desk (``workshop.parts`` and ``stock.move``): the scanned part
    must be the line's, taken from its reservation first; the requesting technician is the receiver; the
    part line is done."""
    with transaction.atomic():
        request = _request_locked(actor, request_id, "workshop.parts")
        if request.state != R.REQUESTED:
            raise ConflictError(
                _("This request is “%(state)s”.") % {"state": request.get_state_display()}, code="not_allowed"
            )
        order = RepairOrder.all_objects.select_for_update().get(pk=request.order_id)
        line = _part_line(order, request.line_id, lock=True)
        if line.state != L.APPROVED:
            raise ConflictError(
                _("Only approved parts are issued: this line is “%(state)s”.") % {"state": line.get_state_display()},
                code="not_approved",
            )
        stock_issue(
            actor=actor,
            store_id=request.store_id,
            demand_type=Reservation.DemandType.REPAIR_ORDER,
            demand_id=order.pk,
            demand_line_id=line.pk,
            part_number=part_number,
            quantity=request.quantity,
            received_by_id=request.requested_by_id,
            document_no=order.number,
        )
        OTHER_LINE.apply(line, "finish", actor=None, event=by(line_event(line), actor))
        request.state, request.issued_by, request.issued_at = R.ISSUED, actor, timezone.now()
        request.save(update_fields=["state", "issued_by", "issued_at"])
    return request


def parts_request_receive(*, actor: User, request_id: int) -> PartsRequest:
    """The technician who asked confirms receiving the issued part."""
    with transaction.atomic():
        request = _request_locked(actor, request_id, "workshop.work")
        if request.requested_by_id != actor.pk:
            raise ApplicationError(
                _("Only the technician who asked confirms receiving it."), code="forbidden", status=403
            )
        if request.state != R.ISSUED:
            raise ConflictError(
                _("This request is “%(state)s”.") % {"state": request.get_state_display()}, code="not_allowed"
            )
        request.state, request.received_at = R.RECEIVED, timezone.now()
        request.save(update_fields=["state", "received_at"])
    return request


def parts_request_cancel(*, actor: User, request_id: int) -> PartsRequest:
    """The technician who asked (or the foreman) withdraws a request not issued yet."""
    with transaction.atomic():
        request = _request_locked(actor, request_id, "workshop.work")
        if request.requested_by_id != actor.pk and not can(actor, "workshop.dispatch", store_id=request.store_id):
            raise ApplicationError(
                _("Only the technician who asked withdraws the request."), code="forbidden", status=403
            )
        if request.state != R.REQUESTED:
            raise ConflictError(
                _("This request is “%(state)s”.") % {"state": request.get_state_display()}, code="not_allowed"
            )
        request.state = R.CANCELLED
        request.save(update_fields=["state"])
    return request


# --- waiting for parts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shortage:
    """A part line whose part is not all reserved: what is missing and the purchase bought for it."""

    line_id: int
    missing: Decimal
    purchase_order: str = ""
    purchase_order_id: int | None = None
    order_type: str = ""
    expected_on: date | None = None


def shortages(order_ids: list[int]) -> dict[int, list[Shortage]]:
    """Per order, its approved part lines not covered by their reservations, with the purchase order
    lines bought for them (three queries for any number of orders)."""
    lines = list(
        Line.all_objects.filter(order_id__in=order_ids, kind=Line.Kind.PART, state=L.APPROVED).values_list(
            "pk", "order_id", "quantity"
        )
    )
    if not lines:
        return {}
    reserved = dict(
        Reservation.all_objects.filter(
            demand_type=Reservation.DemandType.REPAIR_ORDER, demand_line_id__in=[pk for pk, _o, _q in lines]
        )
        .values("demand_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("demand_line_id", "total")
    )
    short = [(pk, order_id, quantity - (reserved.get(pk) or Decimal(0))) for pk, order_id, quantity in lines]
    short = [row for row in short if row[2] > 0]
    bought: dict[int, PurchaseOrderLine] = {}
    if short:
        for row in (
            PurchaseOrderLine.objects.filter(
                demand_type=Reservation.DemandType.REPAIR_ORDER, demand_line_id__in=[pk for pk, _o, _m in short]
            )
            .exclude(order__status=PurchaseOrder.Status.CANCELLED)
            .select_related("order")
            .order_by("pk")
        ):
            bought[row.demand_line_id] = row
    found: dict[int, list[Shortage]] = defaultdict(list)
    for pk, order_id, missing in short:
        purchase = bought.get(pk)
        found[order_id].append(
            Shortage(
                line_id=pk,
                missing=missing,
                purchase_order=purchase.order.number if purchase else "",
                purchase_order_id=purchase.order_id if purchase else None,
                order_type=purchase.order.order_type if purchase else "",
                expected_on=purchase.expected_on if purchase else None,
            )
        )
    return dict(found)


def parts_order(
    *,
    actor: User,
    order_id: int,
    line_id: int,
    supplier_id: int,
    order_type: str,
    unit_price: Decimal,
    expected_on: date | None,
) -> PurchaseOrder:
    """Buy the missing quantity of a part line (``purchasing.order``): a draft urgent or VOR purchase order
    tied to the line, so that the part is reserved to it when it arrives."""
    if order_type not in (PurchaseOrder.OrderType.URGENT, PurchaseOrder.OrderType.VOR):
        raise ApplicationError(_("Choose an urgent or a VOR order."), field="order_type")
    order = repair_order_access(actor=actor, order_id=order_id, permission="purchasing.order")
    missing = next((row for row in shortages([order.pk]).get(order.pk, []) if row.line_id == line_id), None)
    if missing is None:
        raise ApplicationError(_("This line's part is reserved in full: nothing to buy."), field="line")
    if missing.purchase_order:
        raise ConflictError(
            _("%(number)s already buys this part for the line.") % {"number": missing.purchase_order}, field="line"
        )
    line = Line.all_objects.get(pk=line_id)
    return order_create(
        actor=actor,
        store_id=order.store_id,
        supplier_id=supplier_id,
        order_type=order_type,
        lines=[
            OrderLineIn(
                part_id=line.part_id or 0,
                quantity=missing.missing,
                unit_price=unit_price,
                expected_on=expected_on,
                demand_type=Reservation.DemandType.REPAIR_ORDER,
                demand_id=order.pk,
                demand_line_id=line.pk,
            )
        ],
        note=_("For %(order)s line %(line)d") % {"order": order.number, "line": line.position},
    )
