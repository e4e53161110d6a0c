"""The repair order: signed at reception (RO-1, RCP-5), lines added later as proposed work, prices,
and the moves of the order and its lines through their states (``transitions``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.campaigns.models import Campaign
from aftersales.catalogue.paytypes import PAY_TYPES, ApprovalKind
from aftersales.core.access import can
from aftersales.core.audit import audit_append
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.core.numbering import number_next
from aftersales.messaging.services import canonical_hash, signature_store
from aftersales.parts.models import Reservation
from aftersales.parts.services import reservations_release
from aftersales.visits.models import Line, LineApproval, Recommendation, RepairOrder, RepairOrderEvent, Visit
from aftersales.visits.services.lines import (
    LineContext,
    LineIn,
    campaign_lines,
    line_build,
    line_events,
    line_price,
    lines_reserve,
    stock_lock,
)
from aftersales.visits.services.visits import visit_access, visit_event
from aftersales.visits.transitions import REPAIR_ORDER, SERVICE_ONLY, WORKSHOP_ONLY, line_table

L = Line.State
MAX_LINES = 200

# Called with (order, new lines, actor) in the transaction that signs an order or adds a line to it: later
# areas look at the new work (quality checks it for a comeback of earlier work on the car).
ORDER_LISTENERS: list[Callable[[RepairOrder, list[Line], User], None]] = []


def repair_order_access(
    *, actor: User | None, order_id: int, permission: str = "visits.view", for_update: bool = False
) -> RepairOrder:
    """The order ``actor`` may act on with ``permission`` (locked until commit when asked); 404 otherwise."""
    rows = RepairOrder.all_objects.filter(pk=order_id)
    if for_update:
        rows = rows.select_for_update()
    order = rows.first()
    if order is None or (actor is not None and not can(actor, permission, store_id=order.store_id)):
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return order


def order_event(order: RepairOrder):  # type: ignore[no-untyped-def]
    return lambda **kwargs: RepairOrderEvent.objects.create(order=order, **kwargs)


def line_event(line: Line):  # type: ignore[no-untyped-def]
    return lambda **kwargs: RepairOrderEvent.objects.create(order_id=line.order_id, line=line, **kwargs)


@dataclass(frozen=True)
class Written:
    """What signing an order wrote: its lines, approvals and events, and the stock reserved per line."""

    lines: list[Line]
    approvals: list[LineApproval]
    events: list[RepairOrderEvent]
    reserved: dict[int, Decimal]


@dataclass
class OrderIn:
    statement: str
    signature: str  # the customer's signature from the pad, data:image/png;base64,...
    signed_name: str
    lines: list[LineIn] = field(default_factory=list)
    road_test_consent: bool = False
    old_parts: str = RepairOrder.OldParts.RETURN
    valuables: str | None = None  # default: as recorded at the walk-around
    promised_at: datetime | None = None  # default: as promised at reception


def line_snapshot(line: Line) -> dict[str, Any]:
    """A line as the customer sees and approves it."""
    return {
        "line": line.pk,
        "position": line.position,
        "kind": line.kind,
        "description": line.description,
        "pay_type": line.pay_type,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "amount": str(line.amount),
        "tax_rate": str(line.tax_rate),
        "fault": [line.fault_code, line.fault_symptom, line.causal_part_id],
    }


def order_snapshot(order: RepairOrder, lines: list[Line], visit: Visit) -> dict[str, Any]:
    """What the customer signs: the order's terms and every line with its price."""
    return {
        "visit": visit.number,
        "vehicle": order.vehicle_id,
        "mileage_in": order.mileage_in,
        "statement": order.customer_statement,
        "road_test_consent": order.road_test_consent,
        "old_parts": order.old_parts,
        "valuables": order.valuables,
        "promised_at": visit.promised_at.isoformat() if visit.promised_at else None,
        "lines": [{k: v for k, v in line_snapshot(line).items() if k != "line"} for line in lines],
    }


def _signed_approvals(lines: list[Line], order: RepairOrder, *, actor: User, signed: bool = True) -> list[LineApproval]:
    """What is approved at once: by the signature (``signed``), the customer's own requests the customer
    pays; always, the campaign work (automatic from the registry) and the free first service (the
    brand's policy)."""
    approvals = []
    now = timezone.now()
    for line in lines:
        route = PAY_TYPES[line.pay_type].approval
        if signed and route == ApprovalKind.CUSTOMER and line.source == Line.Source.REQUESTED:
            kind, extra = (
                LineApproval.Kind.CUSTOMER_IN_PERSON,
                {"signature": order.signature, "person": order.signed_name},
            )
        elif route == ApprovalKind.CAMPAIGN and line.campaign_id:
            kind, extra = LineApproval.Kind.CAMPAIGN, {"campaign_id": line.campaign_id}
        elif route == ApprovalKind.POLICY:
            kind, extra = LineApproval.Kind.POLICY, {"note": str(_("The brand's free first service"))}
        else:
            continue
        line.state, line.priced_at = L.APPROVED, now
        snapshot = line_snapshot(line)
        approvals.append(
            LineApproval(
                store_id=line.store_id,
                line=line,
                kind=kind,
                approved=True,
                amount=line.amount,
                by=actor,
                snapshot=snapshot,
                snapshot_hash=canonical_hash(snapshot),
                **extra,
            )
        )
    return approvals


def _fees_done(approved: list[Line], order: RepairOrder, actor: User) -> list[RepairOrderEvent]:
    """A fee approved at once (on the signed order) is done as it is approved, as one approved later is
    (``approvals_record``): there is no work to do for it, and it must not hold up the final inspection."""
    fees = [line for line in approved if line.kind == Line.Kind.FEE and line.state == L.APPROVED]
    if not fees:
        return []
    Line.all_objects.filter(pk__in=[line.pk for line in fees]).update(state=L.DONE)
    for line in fees:
        line.state = L.DONE
    return line_events(order.pk, fees, actor=actor, action="finish", source=L.APPROVED)


def repair_order_create(*, actor: User, visit_id: int, data: OrderIn) -> RepairOrder:
    """Write and sign the repair order of a visit (``visits.receive``): the customer's statement, the
    requested and recommended lines (recommendations stay ``proposed``), road-test consent, old parts,
    valuables, the customer's signature. Requested work the customer pays, campaign work and the free
    first service are approved by the signing; part lines reserve stock (the appointment's pre-pick is
    handed over); the gap-free number is taken last. Every wrong field is named; nothing is written."""
    with transaction.atomic():
        visit = visit_access(
            actor=actor,
            visit_id=visit_id,
            permission="visits.receive",
            for_update=True,
            related=("store", "vehicle__model", "walk_around", "advisor"),
        )
        if visit.state != Visit.State.ON_SITE:
            raise ConflictError(_("This car has left: its visit is closed."), code="not_allowed")
        errors: dict[str, list[str]] = {}
        if not data.statement.strip():
            errors["statement"] = [_("Write down what the customer says.")]
        if data.old_parts not in RepairOrder.OldParts.values:
            errors["old_parts"] = [_("Choose one of the listed values.")]
        if not data.signed_name.strip():
            errors["signed_name"] = [_("Enter who signs.")]
        if not data.lines:
            errors["lines"] = [_("Add at least one line.")]
        elif len(data.lines) > MAX_LINES:
            errors["lines"] = [_("At most %(n)s lines.") % {"n": MAX_LINES}]
        if data.promised_at is not None and data.promised_at <= timezone.now():
            errors["promised_at"] = [_("Promise a time in the future.")]
        elif data.promised_at is None and visit.promised_at is None:
            errors["promised_at"] = [_("Promise the customer a time.")]
        context = LineContext(store=visit.store, vehicle=visit.vehicle, actor=actor)
        context.preload(data.lines[:MAX_LINES])
        # Work declined before and recommendations set their lines' sources first: neither is approved by signing.
        declined = _followed_up(data.lines, visit, errors)
        recommendations = _recommendations(data.lines, visit, errors)
        lines = [line_build(context, row, f"lines.{i}.", errors) for i, row in enumerate(data.lines[:MAX_LINES])]
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        built = [line for line in lines if line is not None]
        stock_lock(visit.store, built)
        if data.promised_at is not None:
            visit.promised_at = data.promised_at
            visit.save(update_fields=["promised_at"], actor=actor)
        walk = getattr(visit, "walk_around", None)
        order = RepairOrder(
            store=visit.store,
            visit=visit,
            customer_id=visit.customer_id,
            vehicle_id=visit.vehicle_id,
            advisor_id=visit.advisor_id,
            customer_statement=data.statement.strip()[:4000],
            road_test_consent=data.road_test_consent,
            old_parts=data.old_parts,
            valuables=(data.valuables if data.valuables is not None else (walk.valuables if walk else "")).strip()[
                :300
            ],
            mileage_in=visit.mileage_in,
            signed_name=data.signed_name.strip()[:60],
            created_by=actor,
        )
        for position, line in enumerate(built, start=1):
            line.position = position
        snapshot = order_snapshot(order, built, visit)
        order.signed_hash = canonical_hash(snapshot)
        order.signature = signature_store(
            data_url=data.signature,
            store=visit.store,
            signer_type="customer",
            signer_name=order.signed_name,
            user=actor,
            object_type="visits.visit",
            object_id=visit.pk,
            what="repair_order",
            snapshot_hash=order.signed_hash,
            audited=False,  # the order's own entry names its signature
        )
        order.signed_at = timezone.now()
        order.number = number_next(store=visit.store, doc_type="RO")  # gap-free: last before the save
        order.save(actor=actor)
        for line in built:
            line.order = order
        approvals = _signed_approvals(built, order, actor=actor)
        Line.all_objects.bulk_create(built)
        LineApproval.objects.bulk_create(approvals)
        # Lines start ``proposed``: the signing is their first event, one for the order (a 60-line order is
        # not 60 rows of history); what is approved at once has its own event.
        signed = RepairOrderEvent.objects.create(
            order=order,
            actor=actor,
            action="sign",
            from_state="",
            to_state=order.state,
            note=f"{order.signed_name} · {len(built)}",
        )
        events = [
            signed,
            *line_events(order.pk, [a.line for a in approvals], actor=actor, action="approve", source=L.PROPOSED),
            *_fees_done([a.line for a in approvals], order, actor),
        ]
        for index, line in enumerate(built):
            if (old := declined.get(index)) is not None:
                Line.all_objects.filter(pk=old).update(followed_up_by=line)
            if (rec := recommendations.get(index)) is not None:
                Recommendation.objects.filter(pk=rec).update(line=line)
        appointment_id = visit.appointment_id
        reserved = lines_reserve(
            actor=actor, store=visit.store, order_id=order.pk, lines=built, appointment_id=appointment_id
        )
        if (
            appointment_id is not None
            and Reservation.all_objects.filter(
                demand_type=Reservation.DemandType.APPOINTMENT, demand_id=appointment_id
            ).exists()
        ):  # pre-picked parts the order does not use go back to free stock
            reservations_release(
                actor=None,
                store_id=visit.store_id,
                demand_type=Reservation.DemandType.APPOINTMENT,
                demand_id=appointment_id,
            )
        visit_event(visit, actor=actor, action="order", note=order.number)
        for listener in ORDER_LISTENERS:
            listener(order, built, actor)
    # What was written, for the answer to show without reading it back.
    order.vehicle, order.advisor = visit.vehicle, visit.advisor
    order.written = Written(lines=built, approvals=approvals, events=events, reserved=reserved)  # type: ignore[attr-defined]
    return order


def _followed_up(rows: list[LineIn], visit: Visit, errors: dict[str, list[str]]) -> dict[int, int]:
    """Declined lines of earlier visits of the vehicle taken up now (by index of the new line)."""
    found: dict[int, int] = {}
    for index, row in enumerate(rows):
        if row.declined_line_id is None:
            continue
        old = Line.all_objects.filter(
            pk=row.declined_line_id, vehicle_id=visit.vehicle_id, state=L.DECLINED, followed_up_by=None
        ).first()
        if old is None:
            errors[f"lines.{index}.declined_line"] = [_("Choose declined work of this vehicle not taken up yet.")]
        else:
            found[index] = old.pk
            row.source = Line.Source.DECLINED_EARLIER
    return found


def _recommendations(rows: list[LineIn], visit: Visit, errors: dict[str, list[str]]) -> dict[int, int]:
    found: dict[int, int] = {}
    for index, row in enumerate(rows):
        if row.recommendation_id is None:
            continue
        rec = Recommendation.objects.filter(pk=row.recommendation_id, visit=visit, line=None).first()
        if rec is None:
            errors[f"lines.{index}.recommendation"] = [_("Choose a recommendation of this visit not on an order yet.")]
        else:
            found[index] = rec.pk
            if row.source == Line.Source.REQUESTED:
                row.source = rec.source
    return found


ADDING = (RepairOrder.State.OPEN, RepairOrder.State.IN_WORK)


def line_add(*, actor: User, order_id: int, data: LineIn) -> Line:
    """Add a line to an open order or one in work (``visits.receive``, or ``visits.diagnose`` for work
    found during the repair): it is ``proposed`` and needs its own approval before work starts; campaign
    work and the free first service are approved at once. Its parts are reserved."""
    with transaction.atomic():
        order = repair_order_access(actor=actor, order_id=order_id, for_update=True)
        if not (
            can(actor, "visits.receive", store_id=order.store_id)
            or can(actor, "visits.diagnose", store_id=order.store_id)
        ):
            raise ApplicationError(_("You may not do this."), code="forbidden", status=403)
        if order.state not in ADDING:
            raise ConflictError(
                _("Lines can be added while the order is open or in work, not while it is “%(state)s”.")
                % {"state": order.get_state_display()},
                code="not_allowed",
            )
        visit = Visit.all_objects.select_related("store", "vehicle__model").get(pk=order.visit_id)
        if order.state == RepairOrder.State.IN_WORK and data.source == Line.Source.REQUESTED:
            data.source = Line.Source.ADDITIONAL
        errors: dict[str, list[str]] = {}
        line = line_build(LineContext(store=visit.store, vehicle=visit.vehicle, actor=actor), data, "", errors)
        declined = _followed_up([data], visit, {}) if data.declined_line_id else {}
        if data.declined_line_id and not declined:
            errors["declined_line"] = [_("Choose declined work of this vehicle not taken up yet.")]
        if errors or line is None:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        line.order = order
        line.position = (Line.all_objects.filter(order=order).aggregate(m=Max("position"))["m"] or 0) + 1
        if declined:
            line.source = Line.Source.DECLINED_EARLIER
        line.save()
        RepairOrderEvent.objects.create(
            order=order, line=line, actor=actor, action="add", from_state=L.PROPOSED, to_state=L.PROPOSED
        )
        if declined:
            Line.all_objects.filter(pk=declined[0]).update(followed_up_by=line)
        automatic = _signed_approvals([line], order, actor=actor, signed=False)
        if automatic:
            line.save(update_fields=["state", "priced_at"])
            LineApproval.objects.bulk_create(automatic)
            line_events(order.pk, [line], actor=actor, action="approve", source=L.PROPOSED)
            _fees_done([line], order, actor)
        lines_reserve(actor=actor, store=visit.store, order_id=order.pk, lines=[line], appointment_id=None)
        for listener in ORDER_LISTENERS:
            listener(order, [line], actor)
        _audit(
            order,
            actor,
            "line_add",
            {"line": line.position, "description": line.description, "amount": str(line.amount)},
        )
    return line


def campaign_add(*, actor: User, order_id: int, campaign_id: int) -> list[Line]:
    """Add a recall's or campaign's work to an order in one step (its labour and parts, all or nothing):
    approved at once from the registry when the campaign is open for the vehicle."""
    with transaction.atomic():
        order = repair_order_access(actor=actor, order_id=order_id, for_update=True)
        campaign = (
            Campaign.objects.filter(pk=campaign_id, group_id=order.store.group_id).prefetch_related("parts").first()
        )
        if campaign is None:
            raise ApplicationError(
                _("Choose a recall or campaign open for this vehicle."), field="campaign", status=422
            )
        return [line_add(actor=actor, order_id=order.pk, data=data) for data in campaign_lines(campaign)]


def _audit(order: RepairOrder, actor: User | None, action: str, changes: dict[str, Any]) -> None:
    audit_append(
        action=action,
        actor=actor,
        store_id=order.store_id,
        object_type="visits.repairorder",
        object_id=str(order.pk),
        object_repr=order.number,
        changes=changes,
    )


def line_access(
    *, actor: User, order_id: int, line_id: int, permission: str = "visits.view"
) -> tuple[RepairOrder, Line]:
    """An order (locked) and one of its lines (locked)."""
    order = repair_order_access(actor=actor, order_id=order_id, permission=permission, for_update=True)
    line = Line.all_objects.select_for_update().filter(pk=line_id, order=order).first()
    if line is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    return order, line


def line_price_set(*, actor: User, order_id: int, line_id: int, unit_price: Decimal, reason: str) -> Line:
    """Change a line's unit price (with a reason, recorded): a proposed line's as ``visits.receive`` (labour
    and parts also ``prices.deviate``); an approved line's only with ``visits.price``, because the customer
    approved another price."""
    with transaction.atomic():
        order, line = line_access(actor=actor, order_id=order_id, line_id=line_id, permission="visits.receive")
        if not unit_price.is_finite() or unit_price < 0 or unit_price >= 10**9:
            raise ApplicationError(_("Enter a price of 0 or more."), field="unit_price", status=422)
        if not reason.strip():
            raise ApplicationError(_("Give a reason for the change."), field="reason", status=422)
        if line.state in (L.DECLINED, L.CANCELLED) or order.state not in (*ADDING, RepairOrder.State.COMPLETED):
            raise ConflictError(_("The price of this line can no longer change."), code="not_allowed")
        if line.kind == Line.Kind.CUSTOMER_PART:
            raise ApplicationError(
                _("A part the customer brings is recorded, not sold: it has no price."), field="unit_price", status=422
            )
        if line.state != L.PROPOSED and not can(actor, "visits.price", store_id=order.store_id):
            raise ApplicationError(
                _("This line is approved: changing its price needs the permission to change approved prices."),
                code="forbidden",
                field="unit_price",
                status=403,
            )
        if line.kind in (Line.Kind.LABOUR, Line.Kind.PART) and not can(
            actor, "prices.deviate", store_id=order.store_id
        ):
            raise ApplicationError(
                _("You may not set the price of labour or parts by hand."),
                code="forbidden",
                field="unit_price",
                status=403,
            )
        before = line.unit_price
        line_price(line, unit_price.quantize(Decimal("0.01")))
        line.price_overridden = True
        line.save(update_fields=["unit_price", "amount", "net", "tax", "price_overridden"])
        note = f"{before} → {line.unit_price}: {reason.strip()}"[:500]
        RepairOrderEvent.objects.create(
            order=order, line=line, actor=actor, action="price", from_state=line.state, to_state=line.state, note=note
        )
        _audit(
            order,
            actor,
            "line_price",
            {"line": line.position, "unit_price": [str(before), str(line.unit_price)], "reason": reason.strip()},
        )
    return line


def line_transition(*, actor: User, order_id: int, line_id: int, action: str, note: str = "") -> Line:
    """Move a line by ``action`` (its table in ``transitions``): a workshop action on a line that is not
    approved, a skipped step, an action without the role, each refused with nothing changed. Approving and
    declining go through ``approvals``; a cancelled or declined part line gives its stock back."""
    if action in ("approve", "decline"):
        raise ApplicationError(
            _("Approve or decline a line by recording the approval."), code="not_allowed", field="action"
        )
    with transaction.atomic():
        order, line = line_access(actor=actor, order_id=order_id, line_id=line_id)
        # A line left approved when the work is complete (a part not needed after all) is cancelled still.
        cancelling = action == "cancel" and order.state == RepairOrder.State.COMPLETED
        if order.state not in ADDING and not cancelling:
            raise ConflictError(
                _("This cannot be done while the order is “%(state)s”.") % {"state": order.get_state_display()},
                code="not_allowed",
            )
        if line.kind == Line.Kind.LABOUR and action in WORKSHOP_ONLY:
            raise ConflictError(
                _("Labour is dispatched and clocked in the workshop, not here."), code="not_allowed", field="action"
            )
        if action == "finish" and line.kind != Line.Kind.LABOUR and line.part_id is not None:
            raise ConflictError(_("A part line is done when its part is issued at the parts desk."), code="not_allowed")
        line_table(line).apply(line, action, actor=actor, event=line_event(line), note=note)
        if action == "cancel":
            lines_release(order=order, lines=[line])
    return line


def lines_release(*, order: RepairOrder, lines: list[Line]) -> None:
    """Give back the stock held for lines that will not be done."""
    for line in lines:
        if Reservation.all_objects.filter(
            demand_type=Reservation.DemandType.REPAIR_ORDER, demand_id=order.pk, demand_line_id=line.pk
        ).exists():
            reservations_release(
                actor=None,  # as when reserving (lines_reserve): the order's action is the actor's, audited there
                store_id=order.store_id,
                demand_type=Reservation.DemandType.REPAIR_ORDER,
                demand_id=order.pk,
                demand_line_id=line.pk,
            )


def repair_order_transition(
    *, actor: User | None, order_id: int, action: str, note: str = "", service: bool = False
) -> RepairOrder:
    """Move an order by ``action``. ``ready`` and ``deliver`` only through the quality and delivery
    services (``service``); an illegal or skipped step, a missing role or a guard's objection is refused
    with nothing changed. Cancelling gives back every reservation of the order."""
    if action in SERVICE_ONLY and not service:
        raise ApplicationError(
            _("“%(action)s” is done by final inspection and delivery, not here.") % {"action": action},
            code="not_allowed",
            field="action",
            status=409,
        )
    with transaction.atomic():
        order = repair_order_access(actor=actor, order_id=order_id, for_update=True)
        REPAIR_ORDER.apply(order, action, actor=actor, event=order_event(order), note=note)
        if action == "cancel":
            lines = list(Line.all_objects.filter(order=order, state__in=(L.PROPOSED, L.APPROVED)))
            for line in lines:
                line_table(line).apply(line, "cancel", actor=None, event=line_event(line), note=note)
            lines_release(order=order, lines=lines)
    return order
