"""Every write of settlement: the settlement list of a repair order prepared from its agreed lines (the lines'
frozen prices and their approvals, ``billing.charges``), one settlement per payer."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.billing.charges import Charge, ChargeIn, FeeCategory, by_payer, charges_split, totals
from aftersales.billing.models import Settlement, SettlementCharge, SettlementList, Surcharge
from aftersales.catalogue.paytypes import PAY_TYPES, Payer
from aftersales.core.calendar import DayKind, store_calendar
from aftersales.core.errors import ConflictError
from aftersales.core.models import User
from aftersales.core.money import money_round
from aftersales.visits.models import Line, LineApproval, RepairOrder

K = Line.Kind
SETTLED_FROM = (RepairOrder.State.READY, RepairOrder.State.DELIVERED)  # the list is prepared at ``ready``
CHARGED = (Line.State.APPROVED, Line.State.DISPATCHED, Line.State.IN_PROGRESS, Line.State.DONE)
# The settlement list's fee category of each kind of line (JT/T 1133); a fee is the diagnosis fee or "other".
CATEGORY = {
    K.LABOUR: FeeCategory.LABOUR,
    K.PART: FeeCategory.MATERIALS,
    K.CONSUMABLE: FeeCategory.MATERIALS,
    K.CUSTOMER_PART: FeeCategory.MATERIALS,
    K.SUBLET: FeeCategory.PROCESSING,
    K.FEE: FeeCategory.OTHER,
}


def _category(line: Line) -> str:
    if line.kind == K.FEE and line.source == Line.Source.DIAGNOSIS_FEE:
        return FeeCategory.DIAGNOSIS.value
    return CATEGORY[K(line.kind)].value


def _charge_in(line: Line, approval: LineApproval | None, brand: str) -> ChargeIn:
    """What settlement reads of a line: its frozen amount and rate; the insurer, its assessment and the line's
    share of the deductible from the 定损 approval; the provider from its authorisation; the brand for the
    manufacturer."""
    payer = PAY_TYPES[line.pay_type].payer
    name = ""
    if payer == Payer.INSURER and approval is not None:
        name = approval.insurer
    elif payer == Payer.WARRANTY_PROVIDER and approval is not None:
        name = approval.provider
    elif payer == Payer.MANUFACTURER:
        name = brand
    insured = payer == Payer.INSURER and approval is not None
    return ChargeIn(
        line_id=line.pk,
        category=_category(line),
        pay_type=line.pay_type,
        gross=line.amount,
        tax_rate=line.tax_rate,
        payer_name=name,
        cost=line.cost or Decimal(0),
        assessed=approval.assessed_amount if insured and approval is not None else None,
        deductible=(approval.deductible or Decimal(0)) if insured and approval is not None else Decimal(0),
    )


def _approvals(order: RepairOrder) -> dict[int, LineApproval]:
    """The latest approval of each approved line of the order (one query)."""
    rows = LineApproval.objects.filter(line__order=order, approved=True).order_by("at", "pk")
    return {approval.line_id: approval for approval in rows}


def _in_window(at: time, starts: time, ends: time) -> bool:
    """Whether ``at`` falls in the window [starts, ends), which may cross midnight (22:00-06:00)."""
    return starts <= at < ends if starts <= ends else at >= starts or at < ends


def surcharges_of(order: RepairOrder) -> list[Surcharge]:
    """The store's surcharges that apply to the order's visit: night when the car was received inside the
    night window, holiday when on a public holiday (both by the store's calendar, in its time zone)."""
    calendar = store_calendar(order.store)
    arrived = calendar.local(order.visit.arrived_at)
    found = []
    for row in Surcharge.all_objects.filter(store=order.store, is_active=True).order_by("kind"):
        if row.kind == Surcharge.Kind.NIGHT and row.starts is not None and row.ends is not None:
            if _in_window(arrived.time(), row.starts, row.ends):
                found.append(row)
        elif row.kind == Surcharge.Kind.HOLIDAY and calendar.day_kind(arrived.date()) == DayKind.HOLIDAY:
            found.append(row)
    return found


def _surcharged(lines: list[Line], surcharges: list[Surcharge]) -> list[ChargeIn]:
    """Each surcharge on each labour line the customer pays: its percentage of the line's amount, at the line's
    rate, a charge of its own."""
    return [
        ChargeIn(
            line_id=line.pk,
            category=FeeCategory.OTHER.value,
            pay_type=line.pay_type,
            gross=money_round(line.amount * surcharge.percent / 100),
            tax_rate=line.tax_rate,
            surcharge=surcharge.kind,
        )
        for surcharge in surcharges
        for line in lines
        if line.kind == K.LABOUR and PAY_TYPES[line.pay_type].payer == Payer.CUSTOMER
    ]


def settlement_prepare(*, order_id: int, actor: User | None = None) -> SettlementList:
    """Prepare (or prepare again) the order's settlement list from its agreed lines, one settlement per payer,
    keeping the discounts and invoice type already set on it; a confirmed list is returned as it is (it changes
    only by a reversal). One audit entry. Called when the order becomes ready (``READY_LISTENERS``)."""
    with transaction.atomic():
        order = (
            RepairOrder.all_objects.select_for_update()
            .select_related("vehicle__model__brand", "store", "visit")
            .get(pk=order_id)
        )
        found = SettlementList.all_objects.filter(order=order).exclude(state=SettlementList.State.REVERSED).first()
        if found is not None and found.state == SettlementList.State.CONFIRMED:
            return found
        if order.state not in SETTLED_FROM:
            raise ConflictError(
                _("An order is settled once it is ready, not while it is “%(state)s”.")
                % {"state": order.get_state_display()},
                code="not_ready",
            )
        lines = list(
            Line.all_objects.filter(order=order, state__in=CHARGED).select_related("part").order_by("position")
        )
        approvals = _approvals(order)
        model = order.vehicle.model
        brand = model.brand.name if model is not None else ""
        found = found or SettlementList(store=order.store, order=order)
        surcharges = surcharges_of(order)
        charges = charges_split(
            [_charge_in(line, approvals.get(line.pk), brand) for line in lines] + _surcharged(lines, surcharges),
            discount=found.discount,
            rounding=found.rounding,
        )
        whole = totals(charges)
        found.amount, found.net, found.tax = whole.amount, whole.net, whole.tax
        found.prepared_at, found.prepared_by = timezone.now(), actor
        found.save(actor=actor)
        Settlement.all_objects.filter(settlement_list=found).delete()  # a prepared list is worked out again
        _write(found, order, {line.pk: line for line in lines}, charges, {row.kind: row for row in surcharges})
    return found


def _write(
    found: SettlementList,
    order: RepairOrder,
    lines: dict[int, Line],
    charges: list[Charge],
    surcharges: dict[str, Surcharge],
) -> None:
    """The list's settlements, one per payer, and their charges (bulk: the list's one audit entry covers them).
    A surcharge is described in the language active when the list is prepared, like the lines it charges."""
    groups = by_payer(charges)
    sums = {key: totals(rows) for key, rows in groups.items()}
    settlements = Settlement.all_objects.bulk_create(
        Settlement(
            store=found.store,
            settlement_list=found,
            order=order,
            payer=payer,
            payer_name=name,
            amount=sums[payer, name].amount,
            net=sums[payer, name].net,
            tax=sums[payer, name].tax,
        )
        for payer, name in groups
    )
    SettlementCharge.objects.bulk_create(
        _charge_row(found, settlement, position, charge, lines[charge.line_id], surcharges.get(charge.surcharge))
        for settlement, rows in zip(settlements, groups.values(), strict=True)
        for position, charge in enumerate(rows, start=1)
    )


def _charge_row(
    found: SettlementList,
    settlement: Settlement,
    position: int,
    charge: Charge,
    line: Line,
    surcharge: Surcharge | None,
) -> SettlementCharge:
    described = {"description": line.description, "part_number": _part_number(line)}
    counted = {"quantity": line.quantity, "unit_price": line.unit_price}
    if surcharge is not None:
        label = _("%(kind)s %(percent)s%% · %(line)s") % {
            "kind": surcharge.get_kind_display(),
            "percent": format(surcharge.percent.normalize(), "f"),
            "line": line.description,
        }
        described = {"description": label[:200], "part_number": ""}
        counted = {"quantity": Decimal(1), "unit_price": charge.gross}
    return SettlementCharge(
        store=found.store,
        settlement=settlement,
        line_id=charge.line_id,
        position=position,
        category=charge.category,
        kind=line.kind,
        gross=charge.gross,
        discount=charge.discount,
        rounding=charge.rounding,
        amount=charge.amount,
        net=charge.net,
        tax=charge.tax,
        tax_rate=charge.tax_rate,
        tax_code=line.tax_code,
        surcharge=charge.surcharge,
        **described,
        **counted,
    )


def _part_number(line: Line) -> str:
    return line.part.number_display if line.part is not None else ""


def ready_listener(order: RepairOrder, actor: User) -> None:
    """Prepare the settlement list as the order becomes ready, so that pick-up is quick."""
    settlement_prepare(order_id=order.pk, actor=actor)
