"""Every write of settlement: the settlement list of a repair order prepared from its agreed lines (the lines'
frozen prices and their approvals, ``billing.charges``), one settlement per payer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import time
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.billing.charges import Charge, ChargeIn, FeeCategory, by_payer, charges_split, totals
from aftersales.billing.models import (
    DiscountLimit,
    Payment,
    Settlement,
    SettlementCharge,
    SettlementList,
    Surcharge,
)
from aftersales.catalogue.paytypes import PAY_TYPES, Payer
from aftersales.core.access import store_record_access
from aftersales.core.calendar import DayKind, store_calendar
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.core.models import Role, StaffMembership, User
from aftersales.core.money import from_fen, money_round
from aftersales.core.numbering import number_next
from aftersales.parts.models import Reservation
from aftersales.parts.selectors.stock import issued_value_fen
from aftersales.visits.models import Line, LineApproval, RepairOrder

K = Line.Kind
LIST_DOC = "JS"  # the settlement list's number (registered gap-free by the app)
ZERO = Decimal("0.00")
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


# A fee's category by what it is for (JT/T 1133: 检测费, 救援费, 拖车费, 其他费用).
FEE_CATEGORY = {
    Line.FeeKind.TESTING: FeeCategory.TESTING,
    Line.FeeKind.RESCUE: FeeCategory.RESCUE,
    Line.FeeKind.TOWING: FeeCategory.TOWING,
    Line.FeeKind.OTHER: FeeCategory.OTHER,
}


def _category(line: Line) -> str:
    if line.kind == K.FEE and line.source == Line.Source.DIAGNOSIS_FEE:
        return FeeCategory.DIAGNOSIS.value
    if line.kind == K.FEE and line.fee_kind:
        return FEE_CATEGORY[Line.FeeKind(line.fee_kind)].value
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


def _order_for_update(order_id: int) -> RepairOrder:
    return (
        RepairOrder.all_objects.select_for_update(of=("self",))  # the car's model may be empty: an outer join
        .select_related("vehicle__model__brand", "store", "visit")
        .get(pk=order_id)
    )


def settlement_prepare(*, order_id: int, actor: User | None = None) -> SettlementList:
    """Prepare (or prepare again) the order's settlement list from its agreed lines, one settlement per payer,
    keeping the discounts and invoice type already set on it; a confirmed list is returned as it is (it changes
    only by a reversal). One audit entry. An actor needs ``billing.settle`` on the order; without one (the
    order becoming ready, ``ready_listener``) it is the product's own step."""
    with transaction.atomic():
        if actor is not None:
            store_record_access(
                actor=actor, permission=SETTLE, records=RepairOrder.all_objects.all(), record_id=order_id
            )
        return settlement_prepare_again(order_id=order_id, actor=actor)


def settlement_prepare_again(
    *, order_id: int, actor: User | None, corrects: SettlementList | None = None
) -> SettlementList:
    """``settlement_prepare`` inside the caller's transaction; ``corrects``: the reversed list the new one
    replaces (its discounts and invoice type are kept)."""
    order = _order_for_update(order_id)
    found = SettlementList.all_objects.filter(order=order).exclude(state=SettlementList.State.REVERSED).first()
    if found is not None and found.state == SettlementList.State.CONFIRMED:
        return found
    if order.state not in SETTLED_FROM:
        raise ConflictError(
            _("An order is settled once it is ready, not while it is “%(state)s”.")
            % {"state": order.get_state_display()},
            code="not_ready",
        )
    if found is None:
        found = SettlementList(store=order.store, order=order, corrects=corrects)
        if corrects is not None:
            found.invoice_type, found.discount, found.rounding = (
                corrects.invoice_type,
                corrects.discount,
                corrects.rounding,
            )
            found.line_discounts = dict(corrects.line_discounts)
            found.complimentary = list(corrects.complimentary)
    charges = _work_out(order, found, actor)
    found.save(actor=actor)
    _write(found, order, charges)
    return found


def _work_out(order: RepairOrder, found: SettlementList, actor: User | None) -> Charges:
    """The list's charges from the order's agreed lines and the discounts set on it, its totals set (not saved)."""
    lines = list(Line.all_objects.filter(order=order, state__in=CHARGED).select_related("part").order_by("position"))
    approvals = _approvals(order)
    model = order.vehicle.model
    brand = model.brand.name if model is not None else ""
    surcharges = surcharges_of(order)
    given = {int(key): Decimal(value) for key, value in (found.line_discounts or {}).items()}
    free = {int(line_id) for line_id in found.complimentary or []}
    costs = _costs([line for line in lines if line.pk in free])
    charged = [
        replace(
            _charge_in(line, approvals.get(line.pk), brand),
            discount=given.get(line.pk, ZERO),
            complimentary=line.pk in free,
            cost=costs.get(line.pk, line.cost or ZERO),
        )
        for line in lines
    ]
    surcharged = _surcharged([line for line in lines if line.pk not in free], surcharges)  # none on a free line
    charges = charges_split(charged + surcharged, discount=found.discount, rounding=found.rounding)
    whole = totals(charges)
    found.amount, found.net, found.tax = whole.amount, whole.net, whole.tax
    found.prepared_at, found.prepared_by = timezone.now(), actor
    return Charges(charges, {line.pk: line for line in lines}, {row.kind: row for row in surcharges})


def _costs(lines: list[Line]) -> dict[int, Decimal]:
    """What each line given free costs the store: the sublet's cost, the parts issued to it at their stock value
    (less what came back), else nothing (the store's own labour has no cost price here)."""
    fitted = [line.pk for line in lines if line.kind in (K.PART, K.CONSUMABLE) and not line.cost]
    issued = issued_value_fen(demand_type=Reservation.DemandType.REPAIR_ORDER, line_ids=fitted) if fitted else {}
    return {line.pk: line.cost or from_fen(issued.get(line.pk, 0)) for line in lines}


@dataclass(frozen=True)
class Charges:
    """A list's charges worked out, with the lines and surcharges they were worked out from."""

    rows: list[Charge]
    lines: dict[int, Line]
    surcharges: dict[str, Surcharge]


def _write(found: SettlementList, order: RepairOrder, charges: Charges) -> None:
    """The list's settlements, one per payer, and their charges, in place of those it had (bulk: the list's one
    audit entry covers them). A surcharge is described in the language active when the list is prepared."""
    Settlement.all_objects.filter(settlement_list=found).delete()
    groups = by_payer(charges.rows)
    lines, surcharges = charges.lines, charges.surcharges
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
        complimentary=line.pk in (found.complimentary or []),
        surcharge=charge.surcharge,
        **described,
        **counted,
    )


def _part_number(line: Line) -> str:
    return line.part.number_display if line.part is not None else ""


def ready_listener(order: RepairOrder, actor: User) -> None:
    """Prepare the settlement list as the order becomes ready, so that pick-up is quick (whoever made it ready:
    the list is the product's step, audited as theirs)."""
    with transaction.atomic():
        settlement_prepare_again(order_id=order.pk, actor=actor)


# --- confirming --------------------------------------------------------------------------------------------

# What a role may give off the customer's share when it has no row of its own in ``DiscountLimit``: the line
# and order discounts together as a percentage of the customer's share before discounts, and the rounding off
# in yuan. A role not listed may give nothing off.
DISCOUNT_DEFAULTS: dict[str, tuple[Decimal, Decimal]] = {
    "advisor": (Decimal(5), Decimal(10)),
    "service_manager": (Decimal(15), Decimal(50)),
    "manager": (Decimal(30), Decimal(100)),
    "admin": (Decimal(100), Decimal(100)),
}
SETTLE = "billing.settle"


@dataclass(frozen=True)
class ConfirmIn:
    """What the advisor or manager sets when confirming a list: discounts within their limits, the invoice."""

    discount: Decimal = ZERO  # off the order, spread over the customer's items
    rounding: Decimal = ZERO  # rounding off the total (抹零)
    line_discounts: dict[int, Decimal] = field(default_factory=dict)  # line id -> off what the customer pays
    complimentary: frozenset[int] = frozenset()  # line ids given free (赠送): counted within the discount limit
    invoice_type: str = SettlementList.InvoiceType.GENERAL


def discount_limit(actor: User, store_id: int) -> tuple[Decimal, Decimal]:
    """The most the actor may give off in the store: the largest percentage and rounding off of their roles
    there (the store's ``DiscountLimit`` rows, else the defaults); a superuser any."""
    if actor.is_superuser:
        return Decimal(100), Decimal(10**6)
    roles = set(
        StaffMembership.all_objects.filter(user=actor, is_active=True, store__is_active=True)
        .filter(Q(store_id=store_id) | Q(role__scope=Role.Scope.GROUP))
        .values_list("role_id", "role__code")
    )
    kept = {
        row.role_id: row
        for row in DiscountLimit.all_objects.filter(store_id=store_id, role_id__in={r for r, _c in roles})
    }
    limits = [
        (kept[role_id].percent, kept[role_id].rounding)
        if role_id in kept
        else DISCOUNT_DEFAULTS.get(code, (ZERO, ZERO))
        for role_id, code in roles
    ]
    return max((p for p, _r in limits), default=ZERO), max((r for _p, r in limits), default=ZERO)


def _amounts(data: ConfirmIn) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    wrong = _("Enter an amount of at least 0 with at most two decimals.")
    for name, value in (("discount", data.discount), ("rounding", data.rounding)):
        if not value.is_finite() or value < 0 or value != money_round(value) or value >= 10**9:
            errors[name] = [wrong]
    for line_id, value in data.line_discounts.items():
        if not value.is_finite() or value < 0 or value != money_round(value) or value >= 10**9:
            errors[f"line_discounts.{line_id}"] = [wrong]
    if data.invoice_type not in SettlementList.InvoiceType.values:
        errors["invoice_type"] = [_("Choose one of the listed values.")]
    return errors


def settlement_confirm(*, actor: User, list_id: int, data: ConfirmIn) -> SettlementList:
    """Confirm a prepared list (``billing.settle``) with the discounts given within the actor's limits and its
    invoice type: worked out again, it takes its gap-free number (taken last, in its transaction). Refused,
    nothing changes. One audit entry."""
    errors = _amounts(data)
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    with transaction.atomic():
        found = store_record_access(
            actor=actor, permission=SETTLE, records=SettlementList.all_objects.all(), record_id=list_id
        )
        order = _order_for_update(found.order_id)
        found = SettlementList.all_objects.select_for_update().get(pk=found.pk)
        if found.state != SettlementList.State.PREPARED:
            raise ConflictError(
                _("Only a prepared list is confirmed; this one is “%(state)s”.") % {"state": found.get_state_display()},
                code="not_prepared",
            )
        agreed = set(Line.all_objects.filter(order=order, state__in=CHARGED).values_list("pk", flat=True))
        unknown = {
            f"{name}.{line_id}": [_("Not a charged line of this order.")]
            for name, ids in (("line_discounts", data.line_discounts), ("complimentary", data.complimentary))
            for line_id in ids
            if line_id not in agreed
        }
        if unknown:
            raise ApplicationError(_("Some fields need attention."), fields=unknown, status=422)
        found.discount, found.rounding, found.invoice_type = data.discount, data.rounding, data.invoice_type
        found.line_discounts = {str(key): str(value) for key, value in sorted(data.line_discounts.items()) if value}
        found.complimentary = sorted(data.complimentary)
        charges = _work_out(order, found, actor)
        _within_limits(actor, found, charges.rows)
        found.state = SettlementList.State.CONFIRMED
        found.confirmed_at, found.confirmed_by = timezone.now(), actor
        found.number = number_next(store=found.store, doc_type=LIST_DOC)
        found.save(actor=actor)
        _write(found, order, charges)
        _attach_payments(found, order)
    return found


def _attach_payments(found: SettlementList, order: RepairOrder) -> None:
    """The money the order has received goes to the confirmed list's settlements: the customer's deposits, and
    what was paid on a list since reversed, each to the new settlement of its payer. What each has received is
    worked out again from its payments, and a settlement closes when it has received its amount (the store's
    own share at once: nobody pays it)."""
    settlements = {(row.payer, row.payer_name): row for row in Settlement.all_objects.filter(settlement_list=found)}
    moved = (
        Payment.all_objects.filter(order=order, state__in=(Payment.State.PAID, Payment.State.PENDING))
        .filter(Q(settlement__isnull=True) | Q(settlement__state=Settlement.State.REVERSED))
        .select_related("settlement")
    )
    left = set()
    for payment in moved:
        key = (payment.settlement.payer, payment.settlement.payer_name) if payment.settlement else (Payer.CUSTOMER, "")
        target = settlements.get(key)
        if target is not None:
            Payment.all_objects.filter(pk=payment.pk).update(settlement=target)
            if payment.settlement_id is not None:
                left.add(payment.settlement_id)
    for reversed_id in left:  # what a reversed settlement still holds: the payments no new payer took over
        kept = Payment.all_objects.filter(settlement_id=reversed_id, state=Payment.State.PAID).aggregate(
            total=Sum(F("amount") - F("refunded"))
        )["total"]
        Settlement.all_objects.filter(pk=reversed_id).update(received=money_round(kept or ZERO))
    paid = (
        Payment.all_objects.filter(settlement__settlement_list=found, state=Payment.State.PAID)
        .values("settlement")
        .annotate(total=Sum(F("amount") - F("refunded")))
    )
    received = {row["settlement"]: money_round(row["total"]) for row in paid}
    now = timezone.now()
    for row in settlements.values():
        row.received = received.get(row.pk, ZERO)
        full = row.received >= row.amount or row.payer == Payer.STORE
        row.state = Settlement.State.CLOSED if full else Settlement.State.OPEN
        row.closed_at = now if full else None
    Settlement.all_objects.bulk_update(settlements.values(), ["received", "state", "closed_at"])


def _within_limits(actor: User, found: SettlementList, charges: list[Charge]) -> None:
    """Refuse discounts beyond the actor's limits, naming them, before anything is written."""
    percent, rounding = discount_limit(actor, found.store_id)
    customer = [c for c in charges if c.payer == Payer.CUSTOMER]
    given = sum((c.discount - c.rounding for c in customer), ZERO)
    whole = sum((c.gross for c in customer), ZERO)
    allowed = money_round(whole * percent / 100)
    errors: dict[str, list[str]] = {}
    if given > allowed:
        errors["discount"] = [
            _(
                "Your discount limit is %(percent)s%% of the customer's %(whole)s, %(allowed)s: %(given)s is more. "
                "Ask a manager."
            )
            % {"percent": format(percent.normalize(), "f"), "whole": whole, "allowed": allowed, "given": given}
        ]
    if found.rounding > rounding:
        errors["rounding"] = [_("You may round off at most %(limit)s.") % {"limit": money_round(rounding)}]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
