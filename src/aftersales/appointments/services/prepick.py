"""The parts desk's day-before work (APT-6, seed 002 12-step §1): reserve the parts of each booking's
packages with the appointment as the demand (they expire at the end of its day unless reception
re-points them to the repair order), stage them labelled with the customer's name and date, and where
they cannot be ready flag the booking back to customer care with a task, and if asked raise an urgent
order for what is short."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.appointments.models import Appointment, AppointmentEvent, AppointmentService
from aftersales.appointments.services.bookings import appointment_access
from aftersales.catalogue.models import PackageItem
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import User
from aftersales.messaging.services import task_create
from aftersales.parts.models import Reservation
from aftersales.parts.services import Demand, qty_text, stock_reserve
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine
from aftersales.purchasing.services import DemandOwner, DemandShort, demand_orders_create

P = Appointment.PartsStatus
DEMAND = Reservation.DemandType.APPOINTMENT


@dataclass(frozen=True)
class PartNeed:
    item_id: int  # the package item: the reservation's demand line
    part_id: int
    number: str
    name: str
    quantity: Decimal
    reserved: Decimal

    @property
    def short(self) -> Decimal:
        return max(self.quantity - self.reserved, Decimal(0))


def appointment_owner(appointment_id: int) -> DemandOwner | None:
    """Who waits for parts bought for an appointment (its advisor, else whoever booked it), and its number."""
    appointment = Appointment.all_objects.filter(pk=appointment_id).select_related("advisor", "created_by").first()
    if appointment is None:
        return None
    return DemandOwner(appointment.advisor or appointment.created_by, appointment.number)


def parts_needed(appointments: list[Appointment]) -> dict[int, list[PartNeed]]:
    """The parts of each appointment's packages with what is reserved for them (three queries)."""
    packages: dict[int, set[int]] = defaultdict(set)
    for appointment_id, package_id in AppointmentService.objects.filter(
        appointment__in=[row.pk for row in appointments], package__isnull=False
    ).values_list("appointment_id", "package_id"):
        packages[appointment_id].add(package_id)
    items = defaultdict(list)
    for item in (
        PackageItem.objects.filter(package__in={pk for ids in packages.values() for pk in ids})
        .exclude(kind=PackageItem.Kind.LABOUR)
        .select_related("part")
        .order_by("package", "pk")
    ):
        items[item.package_id].append(item)
    reserved = {
        (row["demand_id"], row["demand_line_id"]): row["quantity"]
        for row in Reservation.all_objects.filter(demand_type=DEMAND, demand_id__in=list(packages))
        .values("demand_id", "demand_line_id")
        .annotate(quantity=Sum("quantity"))
    }
    return {
        appointment_id: [
            PartNeed(
                item.pk,
                item.part_id,
                item.part.number_display,
                item.part.name,
                item.quantity,
                reserved.get((appointment_id, item.pk), Decimal(0)),
            )
            for package_id in sorted(package_ids)
            for item in items[package_id]
            if item.part is not None and item.part_id is not None
        ]
        for appointment_id, package_ids in packages.items()
    }


def _booked(actor: User, appointment_id: int, permission: str = "appointments.prepick") -> Appointment:
    appointment = appointment_access(actor=actor, appointment_id=appointment_id, permission=permission, for_update=True)
    if appointment.state != Appointment.State.BOOKED:
        raise ConflictError(
            _("This cannot be done while it is “%(state)s”.") % {"state": appointment.get_state_display()},
            code="not_allowed",
        )
    return appointment


def _event(appointment: Appointment, actor: User | None, action: str, note: str = "") -> None:
    AppointmentEvent.objects.create(
        appointment=appointment,
        actor=actor,
        action=action,
        from_state=appointment.state,
        to_state=appointment.state,
        note=note[:500],
    )


def appointment_prepick(*, actor: User, appointment_id: int) -> Appointment:
    """Reserve what the booking's packages need and is not reserved yet (run again, it takes only what
    is still missing and writes nothing more). What the shelves lack flags the booking ``short`` and gives
    customer care a task, once."""
    with transaction.atomic():
        appointment = _booked(actor, appointment_id)
        needs = parts_needed([appointment]).get(appointment.pk, [])
        if not needs:
            raise ApplicationError(_("The booking's services need no parts."), code="nothing")
        calendar = store_calendar(appointment.store)
        expires = calendar.day_bounds(calendar.local_date(appointment.starts_at))[1]
        demands = [
            Demand(need.part_id, need.short, DEMAND, appointment.pk, demand_line_id=need.item_id, expires_at=expires)
            for need in needs
            if need.short > 0
        ]
        shortfalls: list[dict[str, str]] = []
        if demands:
            shortfalls = stock_reserve(
                actor=actor, store_id=appointment.store_id, demands=demands, allow_partial=True
            ).shortfalls
        if shortfalls and appointment.parts_status != P.SHORT:  # flagged once: the first run's task stands
            lines = "; ".join(_("%(part)s %(short)s short") % row for row in shortfalls)
            appointment.parts_status = P.SHORT
            appointment.save(update_fields=["parts_status"], actor=actor)
            _event(appointment, actor, "short", lines)
            local = calendar.local(appointment.starts_at)
            task_create(
                store=appointment.store,
                subject=_("Parts not ready for %(number)s (%(name)s, %(time)s): %(lines)s")
                % {
                    "number": appointment.number,
                    "name": appointment.contact_name,
                    "time": f"{local:%m-%d %H:%M}",
                    "lines": lines,
                },
                actor=actor,
                role="crm",
                due_in_working_days=0,
                about=("appointments.appointment", appointment.pk, appointment.number),
            )
        elif not shortfalls and appointment.parts_status not in (P.RESERVED, P.STAGED):
            appointment.parts_status = P.RESERVED
            appointment.save(update_fields=["parts_status"], actor=actor)
            _event(appointment, actor, "prepick")
    return appointment


def appointment_stage(*, actor: User, appointment_id: int) -> Appointment:
    """The reserved parts are in the staging area, labelled with the customer's name and date."""
    with transaction.atomic():
        appointment = _booked(actor, appointment_id)
        if appointment.parts_status != P.RESERVED:
            raise ConflictError(_("Only parts reserved in full can be staged."), code="not_reserved")
        appointment.parts_status = P.STAGED
        appointment.staged_at = timezone.now()
        appointment.staged_by = actor
        appointment.save(update_fields=["parts_status", "staged_at", "staged_by"], actor=actor)
        _event(appointment, actor, "staged")
    return appointment


def appointment_parts_order(*, actor: User, appointment_id: int) -> list[PurchaseOrder]:
    """Draft urgent orders for what the booking still lacks, each line naming the booking as its demand
    (``purchasing.order``: whoever may write purchase orders in the store, as the orders need)."""
    with transaction.atomic():
        appointment = _booked(actor, appointment_id, "purchasing.order")
        shorts = [
            DemandShort(need.part_id, need.short, need.item_id)
            for need in parts_needed([appointment]).get(appointment.pk, [])
            if need.short > 0
        ]
        if not shorts:
            raise ApplicationError(_("Nothing is short."), code="nothing")
        orders = demand_orders_create(
            actor=actor,
            store_id=appointment.store_id,
            demand_type=DEMAND,
            demand_id=appointment.pk,
            shorts=shorts,
            note=_("For booking %(number)s") % {"number": appointment.number},
        )
        # What was ordered: open orders for the booking may bring part of what is short already.
        ordered = (
            PurchaseOrderLine.objects.filter(order__in=orders).select_related("part").order_by("order", "position")
        )
        _event(
            appointment,
            actor,
            "order",
            ", ".join(order.number for order in orders)
            + ": "
            + "; ".join(f"{line.part.number_display} × {qty_text(line.quantity)}" for line in ordered),
        )
    return orders
