"""From the final inspection to the car leaving (SPEC QC-3, QC-5, RO-8; seed 004 §7.4, §8.1): the wash to
the store's standard (or not, for the order types the store does not wash), the workshop's handover of
the orders and keys to the advisor, the advisor's pre-delivery check after which the orders are ``ready``
and the customer is told, the customer's arrival at pick-up, and the delivery of the visit (交车): once,
for all its orders, each moved by ``deliver`` under its guards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.identifiers import clean_resident_id, mask_resident_id
from aftersales.core.models import User
from aftersales.customers.models import MileageReading
from aftersales.customers.services.messages import customer_recipient
from aftersales.customers.services.vehicles import mileage_record, next_service_set
from aftersales.messaging.models import Message
from aftersales.messaging.services import Recipient, canonical_hash, message_send, message_try, signature_store
from aftersales.quality.models import Delivery, Handover, OldPartsOutcome, Wash
from aftersales.quality.services.common import (
    audit,
    live_orders,
    no_labour,
    not_inspected,
    on_site,
    quality_settings,
    staff_of,
    unfinished_lines,
    visit_for,
)
from aftersales.quality.services.guarantees import guarantees_create
from aftersales.visits.models import Line, Rating, RepairOrder, Visit
from aftersales.visits.services.orders import order_event
from aftersales.visits.services.visits import visit_event
from aftersales.visits.transitions import REPAIR_ORDER
from aftersales.workshop.models import ServiceType
from aftersales.workshop.services.common import by
from aftersales.workshop.services.sla import service_type_of

R = RepairOrder.State
WASH_PERMISSION = "quality.wash"
HANDOVER_PERMISSION = "quality.handover"
DELIVER_PERMISSION = "quality.deliver"
WASHED_EVENT = "quality_car_washed"
PICKUP_EVENT = "pickup_notice"
SPOT_MAX = 20
TEXT_MAX = 500
# The car leaves with at most this much more on the clock than it came with (road tests, the wash bay).
MILEAGE_OUT_MAX = 1000

# Called with (order, actor) for each order that becomes ``ready`` (settlement prepares its list then).
READY_LISTENERS: list[Callable[[RepairOrder, User], None]] = []


def _text_problem(errors: dict[str, list[str]], name: str, value: str, limit: int, *, required: str = "") -> None:
    if required and not value.strip():
        errors[name] = [required]
    elif len(value) > limit:
        errors[name] = [_("At most %(n)d characters.") % {"n": limit}]


def order_types(orders: list[RepairOrder]) -> dict[int, str]:
    """Each order's type (the workshop's service type: quick service, repair, major repair)."""
    rows: dict[int, list[tuple[str, str | None, Decimal]]] = {order.pk: [] for order in orders}
    for order_id, category, kind, hours in Line.all_objects.filter(
        order__in=orders, kind=Line.Kind.LABOUR, state=Line.State.DONE
    ).values_list("order_id", "repair_category", "operation__category", "quantity"):
        rows[order_id].append((category, kind, hours))
    return {order_id: service_type_of(lines) for order_id, lines in rows.items()}


def _inspected(orders: list[RepairOrder]) -> None:
    if not orders:
        raise ConflictError(_("This visit has no repair order to deliver."), code="no_orders")
    missing = not_inspected(orders)
    if missing:
        raise ConflictError(
            _("The final inspection of %(orders)s has not passed yet.") % {"orders": ", ".join(missing)},
            code="not_inspected",
        )


# --- the wash ---------------------------------------------------------------------------------------------


@dataclass
class WashIn:
    spot: str
    nose_out: bool
    skip: bool = False
    washer_id: int | None = None
    checks: list[bool] = field(default_factory=list)  # the store's washing standard, in order


def wash_record(*, actor: User, visit_id: int, data: WashIn) -> Wash:
    """Record the car's wash after every order of the visit passed its final inspection (``quality.wash``):
    the named washer, each point of the store's washing standard done, the finished-area spot, parked nose
    out; the advisor is told. ``skip``: not washed, only where the store skips every order's type. Once per
    visit; nothing is written on any error."""
    with transaction.atomic():
        visit = visit_for(actor=actor, visit_id=visit_id, permission=WASH_PERMISSION, for_update=True)
        on_site(visit)
        if Wash.objects.filter(visit=visit).exists():
            raise ConflictError(_("This car's wash is recorded already."), code="washed")
        orders = live_orders(visit)
        _inspected(orders)
        rules = quality_settings(visit.store_id)
        errors: dict[str, list[str]] = {}
        washer = None
        if data.skip:
            worked = [order for order in orders if not no_labour(order)]
            washed = sorted({kind for kind in order_types(worked).values() if kind not in rules.wash_skip})
            if washed:
                errors["skip"] = [
                    _("This store washes %(types)s orders.")
                    % {"types": ", ".join(str(ServiceType(kind).label) for kind in washed)}
                ]
        else:
            washer = staff_of(visit.store_id, data.washer_id)
            if washer is None:
                errors["washer"] = [_("Choose who washed the car.")]
            if len(data.checks) != len(rules.wash_checks):
                errors["checks"] = [_("Give a result for each of the %(n)d points.") % {"n": len(rules.wash_checks)}]
            else:
                for index, done in enumerate(data.checks):
                    if not done:
                        errors[f"checks.{index}"] = [_("Wash to the standard: this point is not done.")]
        _text_problem(errors, "spot", data.spot, SPOT_MAX, required=_("Say where in the finished area the car stands."))
        if not data.nose_out:
            errors["nose_out"] = [_("Park the car nose out, ready to drive away.")]
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        wash = Wash.objects.create(
            store_id=visit.store_id,
            visit=visit,
            skipped=data.skip,
            washer=washer,
            checks=[] if data.skip else [{"check": str(c), "ok": True} for c in rules.wash_checks],
            spot=data.spot.strip(),
            nose_out=True,
            recorded_by=actor,
        )
        visit.parking_spot = wash.spot
        visit.save(update_fields=["parking_spot"], actor=actor)
        visit_event(visit, actor=actor, action="not_washed" if data.skip else "wash", note=wash.spot)
        audit(
            actor=actor,
            store_id=visit.store_id,
            action="wash",
            object_type="visits.visit",
            object_id=visit.pk,
            object_repr=visit.number,
            changes={"skipped": [None, data.skip], "washer": [None, washer.pk if washer else None]},
        )
        transaction.on_commit(lambda: washed_tell(visit.pk, actor=actor))
    return wash


def washed_tell(visit_id: int, *, actor: User | None = None) -> list[Message]:
    """Tell the visit's advisor the car is washed (or not washed) and where it stands."""
    visit = Visit.all_objects.select_related("store", "vehicle", "advisor").get(pk=visit_id)
    advisor = visit.advisor
    return message_try(
        f"wash of {visit.number}",
        lambda: message_send(
            store=visit.store,
            event=WASHED_EVENT,
            recipient=Recipient(
                type=Message.RecipientType.STAFF,
                name=str(advisor),
                user=advisor,
                language=advisor.preferred_language,
            ),
            variables={
                "visit": visit.number,
                "plate": visit.vehicle.plate or visit.vehicle.vin[-6:],
                "spot": visit.parking_spot,
            },
            actor=actor,
            about=("visits.visit", visit.pk),
        ),
    )


# --- the handover to the advisor --------------------------------------------------------------------------


@dataclass
class HandoverIn:
    keys: str
    explanation: str


def handover_record(*, actor: User, visit_id: int, data: HandoverIn) -> Handover:
    """The workshop hands the car over to the visit's advisor (``quality.handover``): the keys (recorded)
    and what was done and is recommended, explained. After the wash (or its skip); once per visit."""
    with transaction.atomic():
        visit = visit_for(actor=actor, visit_id=visit_id, permission=HANDOVER_PERMISSION, for_update=True)
        on_site(visit)
        if Handover.objects.filter(visit=visit).exists():
            raise ConflictError(_("This car was handed over already."), code="handed_over")
        _inspected(live_orders(visit))
        if not Wash.objects.filter(visit=visit).exists():
            raise ConflictError(_("Wash the car first, or record that it is not washed."), code="not_washed")
        errors: dict[str, list[str]] = {}
        _text_problem(errors, "keys", data.keys, 60, required=_("Say which keys are handed over."))
        _text_problem(
            errors, "explanation", data.explanation, 1000, required=_("Explain the work and the recommendations.")
        )
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        handover = Handover.objects.create(
            store_id=visit.store_id,
            visit=visit,
            handed_by=actor,
            advisor_id=visit.advisor_id,
            keys=data.keys.strip(),
            explanation=data.explanation.strip(),
        )
        visit_event(visit, actor=actor, action="handover", note=handover.keys)
        audit(
            actor=actor,
            store_id=visit.store_id,
            action="handover",
            object_type="visits.visit",
            object_id=visit.pk,
            object_repr=visit.number,
            changes={"keys": [None, handover.keys], "advisor": [None, visit.advisor_id]},
        )
    return handover


# --- the advisor's pre-delivery check: the orders become ready ------------------------------------------------


@dataclass
class LineCheckIn:
    line_id: int
    ok: bool
    note: str = ""


@dataclass
class ReadyIn:
    lines: list[LineCheckIn]
    car_checked: bool
    pickup_spot: str


def agreed_lines(orders: list[RepairOrder]) -> list[Line]:
    """The lines the advisor checks before delivery: every line of the orders that is not declined or
    cancelled, in order."""
    return list(
        Line.all_objects.filter(order__in=orders)
        .exclude(state__in=(Line.State.DECLINED, Line.State.CANCELLED))
        .select_related("order")
        .order_by("order_id", "position")
    )


def ready_check(*, actor: User, visit_id: int, data: ReadyIn) -> Handover:
    """The advisor's pre-delivery check (``quality.deliver``; seed 004 §8.1): every line of every order gone
    through against the work done, the car checked and standing in the pick-up area. Each order becomes
    ``ready`` (under its guards: the final inspection passed, washed or not washed, handed over) and the
    customer is told the car can be collected. Nothing is written on any error."""
    with transaction.atomic():
        visit = visit_for(actor=actor, visit_id=visit_id, permission=DELIVER_PERMISSION, for_update=True)
        on_site(visit)
        handover = Handover.objects.select_for_update().filter(visit=visit).first()
        if handover is None:
            raise ConflictError(_("The workshop has not handed this car over yet."), code="not_handed_over")
        orders = live_orders(visit, for_update=True)
        # Checked again when an order was added after the check (the customer asked for more at pick-up).
        if handover.checked_at is not None and all(order.state == R.READY for order in orders):
            raise ConflictError(_("This car was checked before delivery already."), code="checked")
        _inspected(orders)
        unfinished = unfinished_lines(orders)
        if unfinished:
            raise ConflictError(_("Not done yet: %(lines)s.") % {"lines": ", ".join(unfinished)}, code="unfinished")
        lines = agreed_lines(orders)
        errors: dict[str, list[str]] = {}
        given = [row.line_id for row in data.lines]
        if sorted(given) != sorted(line.pk for line in lines):
            errors["lines"] = [_("Go through each of the %(n)d lines once.") % {"n": len(lines)}]
        for index, row in enumerate(data.lines):
            if not row.ok:
                errors[f"lines.{index}.ok"] = [
                    _("Not as agreed: have the workshop put it right before the car is ready.")
                ]
            if len(row.note) > 200:
                errors[f"lines.{index}.note"] = [_("At most %(n)d characters.") % {"n": 200}]
        if not data.car_checked:
            errors["car_checked"] = [_("Check the car itself: the work areas, the body and the interior.")]
        _text_problem(
            errors,
            "pickup_spot",
            data.pickup_spot,
            SPOT_MAX,
            required=_("Say where in the pick-up area the car stands."),
        )
        if errors:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        moved = [order for order in orders if order.state != R.READY]
        for order in moved:
            if order.state == R.OPEN:  # no labour: the diagnosis fee alone
                REPAIR_ORDER.apply(order, "close_out", actor=None, event=by(order_event(order), actor))
            REPAIR_ORDER.apply(order, "ready", actor=None, event=by(order_event(order), actor))
        now = timezone.now()
        notes = {row.line_id: row.note.strip() for row in data.lines}
        handover.lines_checked = [{"line": line.pk, "ok": True, "note": notes.get(line.pk, "")} for line in lines]
        handover.car_checked, handover.pickup_spot = True, data.pickup_spot.strip()
        handover.checked_by, handover.checked_at, handover.notified_at = actor, now, now
        handover.save()
        visit.parking_spot = handover.pickup_spot
        visit.save(update_fields=["parking_spot"], actor=actor)
        visit_event(visit, actor=actor, action="ready", note=handover.pickup_spot)
        audit(
            actor=actor,
            store_id=visit.store_id,
            action="ready",
            object_type="visits.visit",
            object_id=visit.pk,
            object_repr=visit.number,
            changes={"orders": [None, [order.number for order in orders]], "spot": [None, handover.pickup_spot]},
        )
        for order in moved:
            for listener in READY_LISTENERS:
                listener(order, actor)
        transaction.on_commit(lambda: pickup_tell(visit.pk, actor=actor))
    return handover


def pickup_tell(visit_id: int, *, actor: User | None = None) -> list[Message]:
    """The pickup notice: tell the customer their car is ready to collect."""
    visit = Visit.all_objects.select_related("store", "vehicle", "customer").get(pk=visit_id)
    return message_try(
        f"pickup notice of {visit.number}",
        lambda: message_send(
            store=visit.store,
            event=PICKUP_EVENT,
            recipient=customer_recipient(visit.customer),
            variables={
                "name": visit.address_as or visit.customer.name,
                "plate": visit.vehicle.plate or visit.vehicle.vin[-6:],
                "store": visit.store.name,
            },
            actor=actor,
            about=("visits.visit", visit.pk),
        ),
    )


def pickup_arrived(*, actor: User, visit_id: int) -> Handover:
    """The customer came to collect the car (``quality.deliver``): the waiting time at pick-up runs from
    now to the keys in their hand. The first arrival counts; pressing again changes nothing."""
    with transaction.atomic():
        visit = visit_for(actor=actor, visit_id=visit_id, permission=DELIVER_PERMISSION, for_update=True)
        on_site(visit)
        handover = Handover.objects.select_for_update().filter(visit=visit).first()
        if handover is None or handover.checked_at is None:
            raise ConflictError(_("The car is not ready for pick-up yet."), code="not_ready")
        if handover.customer_arrived_at is None:
            handover.customer_arrived_at = timezone.now()
            handover.save(update_fields=["customer_arrived_at"])
            visit_event(visit, actor=actor, action="pickup_arrived")
    return handover


# --- the delivery -----------------------------------------------------------------------------------------


@dataclass
class FreeCheckIn:
    result: str  # visits.Rating: green, amber, red
    note: str = ""


@dataclass
class DeliveryIn:
    collector: str
    collector_name: str
    signature: str  # data:image/png;base64,... of whoever collects
    mileage_out: int
    keys_handed: bool
    next_service_on: date | None
    next_service_km: int | None
    free_checks: list[FreeCheckIn] = field(default_factory=list)
    collector_id_number: str = ""
    id_checked: bool = False
    driving_advice: str | None = None  # None: the final inspections' advice
    rating: int | None = None  # the satisfaction card, 1 to 5
    comment: str = ""
    old_parts: dict[int, str] = field(default_factory=dict)  # order id -> outcome (default: as signed)
    arrived_at: datetime | None = None  # when the arrival was not recorded (a recorded one wins)


def _delivery_problems(
    visit: Visit, orders: list[RepairOrder], handover: Handover, data: DeliveryIn, checks: list[str], today: date
) -> tuple[dict[str, list[str]], str]:
    errors: dict[str, list[str]] = {}
    id_number = ""
    if data.collector not in Delivery.Collector.values:
        errors["collector"] = [_("Choose one of the listed values.")]
    _text_problem(errors, "collector_name", data.collector_name, 60, required=_("Enter who collects the car."))
    if data.collector == Delivery.Collector.AGENT:
        try:
            id_number = clean_resident_id(data.collector_id_number)
        except ValidationError as error:
            errors["collector_id_number"] = list(error.messages)
        if not data.id_checked:
            errors["id_checked"] = [_("Check the agent's ID card against the name before the car is handed over.")]
    elif data.collector_id_number.strip():
        errors["collector_id_number"] = [_("The ID number is recorded for an agent collecting the car.")]
    if not data.signature.strip():
        errors["signature"] = [_("Whoever collects the car signs the delivery sheet.")]
    if len(data.free_checks) != len(checks):
        errors["free_checks"] = [_("Give a result for each of the %(n)d checks.") % {"n": len(checks)}]
    for index, check in enumerate(data.free_checks):
        if check.result not in Rating.values:
            errors[f"free_checks.{index}.result"] = [_("Choose one of the listed values.")]
        if len(check.note) > 200:
            errors[f"free_checks.{index}.note"] = [_("At most %(n)d characters.") % {"n": 200}]
    if data.mileage_out < visit.mileage_in or data.mileage_out > visit.mileage_in + MILEAGE_OUT_MAX:
        errors["mileage_out"] = [
            _("Between the %(low)s km the car came in with and %(high)s km.")
            % {"low": f"{visit.mileage_in:,}", "high": f"{visit.mileage_in + MILEAGE_OUT_MAX:,}"}
        ]
    if not data.keys_handed:
        errors["keys_handed"] = [_("Hand over the keys: the delivery ends with them.")]
    if data.next_service_on is None:
        errors["next_service_on"] = [_("Enter the date of the next service.")]
    elif data.next_service_on <= today:
        errors["next_service_on"] = [_("The next service is after today.")]
    if data.next_service_km is None:
        errors["next_service_km"] = [_("Enter the mileage of the next service.")]
    elif data.next_service_km <= data.mileage_out or data.next_service_km > data.mileage_out + 100_000:
        errors["next_service_km"] = [_("More than the mileage out, by at most 100,000 km.")]
    if data.rating is not None and not 1 <= data.rating <= 5:
        errors["rating"] = [_("Rate from 1 to 5.")]
    _text_problem(errors, "comment", data.comment, TEXT_MAX)
    if data.driving_advice is not None:
        _text_problem(errors, "driving_advice", data.driving_advice, TEXT_MAX)
    numbers = {order.pk for order in orders}
    for order_id, outcome in data.old_parts.items():
        if order_id not in numbers or outcome not in RepairOrder.OldParts.values:
            errors["old_parts"] = [_("Choose what became of each order's old parts.")]
    arrived = handover.customer_arrived_at or data.arrived_at
    if arrived is None:
        errors["arrived_at"] = [_("Record when the customer arrived for pick-up.")]
    elif arrived > timezone.now() or arrived < visit.arrived_at:
        errors["arrived_at"] = [_("Between the car's arrival and now.")]
    return errors, id_number


def delivery_record(*, actor: User, visit_id: int, data: DeliveryIn) -> Delivery:
    """Deliver the car (``quality.deliver``): once per visit, for every order, each ``ready`` and moved by
    ``deliver`` under its guards. The delivery sheet: the free check shown and explained, driving advice,
    the next service, what became of the old parts, who collected (an agent's resident ID checked and kept
    masked) and their signature, the satisfaction card, the keys. The visit ends; each done labour line's
    repair guarantee starts; the car's mileage and next service are updated. Nothing is written on any
    error."""
    with transaction.atomic():
        visit = visit_for(actor=actor, visit_id=visit_id, permission=DELIVER_PERMISSION, for_update=True)
        on_site(visit)
        orders = live_orders(visit, for_update=True)
        _inspected(orders)
        unfinished = unfinished_lines(orders)
        if unfinished:
            raise ConflictError(_("Not done yet: %(lines)s.") % {"lines": ", ".join(unfinished)}, code="unfinished")
        handover = Handover.objects.filter(visit=visit).first()
        waiting = [order.number for order in orders if order.state != R.READY]
        if handover is None or handover.checked_at is None or waiting:
            raise ConflictError(
                _("Check the car before delivery first: %(orders)s not ready.")
                % {"orders": ", ".join(waiting or [order.number for order in orders])},
                code="not_ready",
            )
        rules = quality_settings(visit.store_id)
        calendar = store_calendar(visit.store)
        now = timezone.now()
        today = calendar.local_date(now)
        errors, id_number = _delivery_problems(visit, orders, handover, data, list(rules.delivery_checks), today)
        arrived = handover.customer_arrived_at or data.arrived_at
        if errors or arrived is None:
            raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
        advice = data.driving_advice
        if advice is None:
            advice = "；".join(
                dict.fromkeys(
                    text
                    for text in (
                        order.final_inspections.order_by("-at", "-pk").values_list("driving_advice", flat=True).first()
                        for order in orders
                    )
                    if text
                )
            )
        free_checks = [
            {"check": str(check), "result": row.result, "note": row.note.strip()}
            for check, row in zip(rules.delivery_checks, data.free_checks, strict=True)
        ]
        sheet = {
            "visit": visit.number,
            "orders": [order.number for order in orders],
            "free_checks": free_checks,
            "mileage_out": data.mileage_out,
            "next_service": [data.next_service_on.isoformat() if data.next_service_on else None, data.next_service_km],
        }
        signed_hash = canonical_hash(sheet)
        signature = signature_store(
            data_url=data.signature,
            store=visit.store,
            signer_type="customer",
            signer_name=data.collector_name.strip(),
            user=actor,
            object_type="visits.visit",
            object_id=visit.pk,
            what="delivery",
            snapshot_hash=signed_hash,
            audited=False,  # the delivery's entry names its signature
        )
        delivery = Delivery.objects.create(
            store_id=visit.store_id,
            visit=visit,
            arrived_at=arrived,
            delivered_at=now,
            collector=data.collector,
            collector_name=data.collector_name.strip(),
            # PIPL 第二十八条: a resident ID number is sensitive; the check is recorded, the number kept masked.
            collector_id_number=mask_resident_id(id_number) if id_number else "",
            id_checked=data.collector == Delivery.Collector.AGENT and data.id_checked,
            signature=signature,
            signed_hash=signed_hash,
            free_checks=free_checks,
            driving_advice=advice[:TEXT_MAX],
            next_service_on=data.next_service_on,
            next_service_km=data.next_service_km,
            mileage_out=data.mileage_out,
            keys_handed=True,
            rating=data.rating,
            comment=data.comment.strip(),
            delivered_by=actor,
        )
        OldPartsOutcome.objects.bulk_create(
            OldPartsOutcome(delivery=delivery, order=order, outcome=data.old_parts.get(order.pk, order.old_parts))
            for order in orders
        )
        for order in orders:
            REPAIR_ORDER.apply(order, "deliver", actor=None, event=by(order_event(order), actor))
        visit.state, visit.left_at = Visit.State.DELIVERED, now
        visit.save(update_fields=["state", "left_at"], actor=actor)
        visit_event(visit, actor=actor, action="deliver", state=Visit.State.ON_SITE, note=delivery.collector_name)
        guarantees = guarantees_create(orders=orders, delivered_on=today, mileage_out=data.mileage_out)
        mileage_record(
            actor=actor,
            vehicle_id=visit.vehicle_id,
            km=data.mileage_out,
            read_on=today,
            source=MileageReading.Source.REPAIR_ORDER,
            reason=_("Mileage out at delivery of %(visit)s") % {"visit": visit.number},
        )
        next_service_set(actor=actor, vehicle_id=visit.vehicle_id, on=data.next_service_on, km=data.next_service_km)
        audit(
            actor=actor,
            store_id=visit.store_id,
            action="deliver",
            object_type="visits.visit",
            object_id=visit.pk,
            object_repr=visit.number,
            changes={
                "orders": [None, [order.number for order in orders]],
                "collector": [None, data.collector],
                "collector_name": [None, delivery.collector_name],
                "collector_id_number": [None, delivery.collector_id_number],
                "signature": [None, signature.pk],
                "mileage_out": [None, data.mileage_out],
                "rating": [None, data.rating],
                "guarantees": [None, len(guarantees)],
            },
            subject=f"customers.customer:{visit.customer_id}",
            personal=frozenset({"collector_name", "collector_id_number"}),
        )
    return delivery
