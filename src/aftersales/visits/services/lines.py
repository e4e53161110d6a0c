"""Lines of a repair order as the advisor writes them: checked, priced by the one pricing service, and
their parts reserved (an appointment's pre-pick handed over, never released and taken again)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.campaigns.models import Campaign
from aftersales.campaigns.selectors import vehicle_open_campaigns
from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.paytypes import PAY_TYPES, PayType, PriceBasis
from aftersales.catalogue.pricing import PriceBook, Quote
from aftersales.core.access import can
from aftersales.core.calendar import store_calendar
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store, User
from aftersales.core.money import money_round, net_and_tax
from aftersales.customers.models import Vehicle
from aftersales.parts.models import Part, Reservation, StockBalance
from aftersales.parts.selectors.parts import parts_substitutes
from aftersales.parts.services import Demand, reservation_repoint, stock_reserve
from aftersales.parts.services.ledger import quantity_problem
from aftersales.purchasing.models import Supplier
from aftersales.visits.faultcodes import fault_code_parse
from aftersales.visits.models import Line, ReceptionSettings, RepairOrderEvent

K = Line.Kind
MAX_LINES = 200
PRICED = (K.LABOUR, K.PART)  # priced by the pricing service; the rest are priced as typed


@dataclass
class LineIn:
    kind: str
    pay_type: str = PayType.CUSTOMER
    source: str = Line.Source.REQUESTED
    operation_id: int | None = None
    part_id: int | None = None
    quantity: Decimal | None = None  # units of a part; hours of labour (default: the standard hours)
    description: str = ""
    unit_price: Decimal | None = None  # set by hand (labour and parts: ``prices.deviate``)
    cost: Decimal | None = None  # what sublet work costs the store
    supplier_id: int | None = None
    campaign_id: int | None = None
    fault_code: str = ""
    symptom: str = ""
    causal_part_id: int | None = None
    tax_rate: Decimal | None = None  # of a line priced as typed; default 13 %, fees the store's rate
    declined_line_id: int | None = None  # declined on an earlier visit, taken up now
    recommendation_id: int | None = None
    fee_kind: str = ""  # of a fee: testing, rescue, towing (at what it cost), other


@dataclass
class Priced:
    line: Line
    recommendation_id: int | None = None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _series(vehicle: Vehicle) -> str:
    return vehicle.model.series if vehicle.model_id and vehicle.model else ""


class LineContext:
    """What checking and pricing lines of one order reads once: the store, the vehicle, its open campaigns."""

    def __init__(self, *, store: Store, vehicle: Vehicle, actor: User) -> None:
        self.store, self.vehicle, self.actor = store, vehicle, actor
        self.today = store_calendar(store).local_date(timezone.now())
        self.book = PriceBook(store, self.today)
        self._campaigns: dict[int, Campaign] | None = None
        self._settings: ReceptionSettings | None = None
        self._operations: dict[int, LabourOperation] = {}
        self._parts: dict[int, Part] = {}

    def preload(self, rows: list[LineIn]) -> None:
        """Read the operations and parts of ``rows``, their standard times and prices, in a few queries."""
        operation_ids = {row.operation_id for row in rows if row.operation_id}
        part_ids = {row.part_id for row in rows if row.part_id} | {
            row.causal_part_id for row in rows if row.causal_part_id
        }
        group_id = self.store.group_id
        self._operations = LabourOperation.objects.filter(group_id=group_id, is_active=True).in_bulk(operation_ids)
        self._parts = Part.objects.filter(group_id=group_id).in_bulk(part_ids)
        self.book.preload(
            operations=list(self._operations.values()), series=_series(self.vehicle), parts=list(self._parts.values())
        )

    def operation(self, operation_id: int | None) -> LabourOperation | None:
        if not operation_id:
            return None
        if operation_id not in self._operations:
            found = LabourOperation.objects.filter(
                pk=operation_id, group_id=self.store.group_id, is_active=True
            ).first()
            if found is None:
                return None
            self._operations[operation_id] = found
        return self._operations[operation_id]

    def part(self, part_id: int | None) -> Part | None:
        if not part_id:
            return None
        if part_id not in self._parts:
            found = Part.objects.filter(pk=part_id, group_id=self.store.group_id).first()
            if found is None:
                return None
            self._parts[part_id] = found
        return self._parts[part_id]

    @property
    def campaigns(self) -> dict[int, Campaign]:
        if self._campaigns is None:
            found = vehicle_open_campaigns(group_id=self.store.group_id, vehicle=self.vehicle, day=self.today)
            self._campaigns = {campaign.pk: campaign for campaign in found}
        return self._campaigns

    @property
    def settings(self) -> ReceptionSettings:
        if self._settings is None:
            self._settings = ReceptionSettings.objects.filter(store=self.store).first() or ReceptionSettings(
                store=self.store
            )
        return self._settings


def _quote_typed(price: Decimal, quantity: Decimal, rate: Decimal) -> dict[str, Any]:
    amount = money_round(price * quantity)
    net, tax = net_and_tax(amount, rate)
    return {"unit_price": price, "amount": amount, "net": net, "tax": tax, "tax_rate": rate}


def _quote_fields(quote: Quote) -> dict[str, Any]:
    return {
        "unit_price": quote.unit_price,
        "amount": quote.amount,
        "net": quote.net,
        "tax": quote.tax,
        "tax_code": quote.tax_code,
        "tax_rate": quote.tax_rate,
        "price_basis": quote.price_basis,
        "guide_price": quote.guide_price,
        "price_source": quote.source,
    }


def line_build(context: LineContext, data: LineIn, prefix: str, errors: dict[str, list[str]]) -> Line | None:
    """Check one line and price it; its problems go to ``errors`` under ``prefix`` (e.g. ``lines.2.``)."""
    store, before = context.store, len(errors)

    def problem(name: str, message: str) -> None:
        errors.setdefault(f"{prefix}{name}", []).append(message)

    if data.kind not in K.values:
        problem("kind", _("Choose one of the listed values."))
        return None
    if data.pay_type not in PAY_TYPES:
        problem("pay_type", _("Choose one of the listed values."))
    if data.source not in Line.Source.values or data.source == Line.Source.DIAGNOSIS_FEE:
        problem("source", _("Choose one of the listed values."))
    operation = part = causal = supplier = campaign = None
    if data.kind == K.LABOUR:
        operation = context.operation(data.operation_id)
        if operation is None:
            problem("operation", _("Choose a labour operation of the catalogue."))
    if data.kind == K.PART or (data.kind == K.CONSUMABLE and data.part_id):
        part = context.part(data.part_id)
        if part is None:
            problem("part", _("Choose a part of the catalogue."))
    quantity = data.quantity if data.quantity is not None else (Decimal(1) if data.kind != K.LABOUR else None)
    if quantity is not None and (not quantity.is_finite() or quantity <= 0 or quantity > 100_000):
        problem("quantity", _("Enter a quantity greater than zero."))
    elif part is not None and quantity is not None and (bad := quantity_problem(part, quantity)):
        problem("quantity", bad)
    typed = data.kind in (K.SUBLET, K.FEE) or (data.kind == K.CONSUMABLE and part is None)
    if (typed or data.kind == K.CUSTOMER_PART) and not data.description.strip():
        problem("description", _("Describe the line."))
    if typed and data.unit_price is None:
        problem("unit_price", _("Enter the price."))
    if data.unit_price is not None and (
        not data.unit_price.is_finite() or data.unit_price < 0 or data.unit_price >= 10**9
    ):
        problem("unit_price", _("Enter a price of 0 or more."))
    elif (
        data.unit_price is not None
        and data.kind in PRICED
        and not can(context.actor, "prices.deviate", store_id=store.pk)
    ):
        problem("unit_price", _("You may not set the price of labour or parts by hand."))
    if data.kind == K.CUSTOMER_PART and data.unit_price:
        problem("unit_price", _("A part the customer brings is recorded, not sold: it has no price."))
    if data.cost is not None and (data.kind != K.SUBLET or data.cost < 0):
        problem("cost", _("Only sublet work has a cost, of 0 or more."))
    if data.fee_kind and (data.kind != K.FEE or data.fee_kind not in Line.FeeKind.values):
        problem("fee_kind", _("Only a fee has a kind of fee: testing, rescue, towing or other."))
    if data.supplier_id is not None:
        supplier = Supplier.objects.filter(pk=data.supplier_id, group_id=store.group_id).first()
        if supplier is None or data.kind != K.SUBLET:
            problem("supplier", _("Choose a supplier for sublet work."))
    rate = data.tax_rate
    if rate is not None and (not rate.is_finite() or rate < 0 or rate >= 1 or rate != rate.quantize(Decimal("0.01"))):
        problem("tax_rate", _("Enter a VAT rate such as 0.13."))
    if data.pay_type == PayType.OEM_CAMPAIGN or data.campaign_id is not None:
        campaign = context.campaigns.get(data.campaign_id or 0)
        if campaign is None:
            problem("campaign", _("Choose a recall or campaign open for this vehicle."))
        elif data.pay_type != PayType.OEM_CAMPAIGN:
            problem("pay_type", _("Campaign work is paid by the manufacturer's campaign."))
    fault = ""
    if data.fault_code.strip():
        try:
            fault = fault_code_parse(data.fault_code).text
        except ValueError as error:
            problem("fault_code", str(error))
    if data.causal_part_id is not None:
        causal = context.part(data.causal_part_id)
        if causal is None:
            problem("causal_part", _("Unknown part."))
    if len(errors) > before:
        return None
    line = Line(
        store=store,
        vehicle=context.vehicle,
        kind=data.kind,
        source=Line.Source.CAMPAIGN if campaign is not None else data.source,
        pay_type=data.pay_type,
        operation=operation,
        part=part,
        campaign=campaign,
        supplier=supplier,
        fault_code=fault,
        fault_symptom=data.symptom.strip()[:200],
        causal_part=causal,
        cost=money_round(data.cost) if data.cost is not None else None,
        fee_kind=data.fee_kind if data.kind == K.FEE else "",
        created_by=context.actor,
    )
    try:
        if operation is not None:
            quote = context.book.labour(
                pay_type=data.pay_type, operation=operation, series=_series(context.vehicle), hours=quantity
            )
            fields = _quote_fields(quote)
            line.quantity, line.repair_category = quote.quantity, operation.repair_category
            line.description = data.description.strip()[:200] or operation.name
        elif part is not None and quantity is not None:
            quote = context.book.part(pay_type=data.pay_type, part=part, quantity=quantity)
            fields, line.quantity = _quote_fields(quote), quantity
            line.description = data.description.strip()[:200] or part.name
        else:
            quantity = quantity or Decimal(1)
            default = context.settings.diagnosis_fee_tax_rate if data.kind == K.FEE else Decimal("0.13")
            price = data.unit_price or Decimal(0)
            fields = {
                **_quote_typed(
                    money_round(price), quantity, Decimal(0) if data.kind == K.CUSTOMER_PART else rate or default
                )
            }
            line.quantity, line.description = quantity, data.description.strip()[:200]
            line.price_source = "typed"
    except ApplicationError as error:
        problem(next(iter(error.fields), "pay_type"), str(error))
        return None
    for name, value in fields.items():
        setattr(line, name, value)
    if data.unit_price is not None and data.kind in PRICED:
        line_price(line, money_round(data.unit_price))
        line.price_overridden = True
    return line


def line_requote(line: Line, *, pay_type: str, store: Store, vehicle: Vehicle, actor: User) -> None:
    """Price a line again for another pay type (e.g. a confirmed comeback: at the store's cost): labour,
    parts and consumables from the pricing service's quote for it, sublet work at its cost where the pay
    type is priced at cost; a fee or a line priced as typed keeps its price.
    Raises the pricing service's error (on ``pay_type``) when the store has no price for it."""
    line.pay_type = pay_type
    book = PriceBook(store, store_calendar(store).local_date(timezone.now()))
    if line.kind == K.LABOUR and line.operation is not None:
        quote = book.labour(pay_type=pay_type, operation=line.operation, series=_series(vehicle), hours=line.quantity)
    elif line.kind in (K.PART, K.CONSUMABLE) and line.part is not None:
        quote = book.part(pay_type=pay_type, part=line.part, quantity=line.quantity)
    elif line.kind == K.SUBLET and line.cost is not None and PAY_TYPES[pay_type].price_basis == PriceBasis.COST:
        line_price(line, line.cost)  # sublet work at what it costs the store
        line.price_overridden = False
        return
    else:
        return
    for name, value in _quote_fields(quote).items():
        setattr(line, name, value)
    line.price_overridden = False


def line_price(line: Line, unit_price: Decimal) -> None:
    """Set a line's unit price and work out its amount, net and tax again."""
    line.unit_price = unit_price
    line.amount = money_round(unit_price * line.quantity)
    line.net, line.tax = net_and_tax(line.amount, line.tax_rate)


def campaign_lines(campaign: Campaign) -> list[LineIn]:
    """The lines of a campaign's work: its labour operation and its parts, paid by the manufacturer."""
    lines = [
        LineIn(
            kind=K.LABOUR, pay_type=PayType.OEM_CAMPAIGN, operation_id=campaign.operation_id, campaign_id=campaign.pk
        )
    ]
    lines += [
        LineIn(
            kind=K.PART,
            pay_type=PayType.OEM_CAMPAIGN,
            part_id=row.part_id,
            quantity=row.quantity,
            campaign_id=campaign.pk,
        )
        for row in campaign.parts.all()
    ]
    return lines


def stock_lock(store: Store, lines: list[Line]) -> None:
    """Lock the stocked balances the lines' parts may be reserved from (their interchangeable numbers too),
    in primary-key order, before anything audited is written: the lock order of DESIGN-visit (business
    rows first, the audit chain's head last), which the stock services keep too."""
    wanted = {line.part_id for line in lines if line.part_id is not None and line.kind in (K.PART, K.CONSUMABLE)}
    if not wanted:
        return
    candidates = sorted({part for chain in parts_substitutes(wanted).values() for part in chain})
    list(
        StockBalance.all_objects.select_for_update()
        .filter(store_id=store.pk, part_id__in=candidates, on_hand__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lines_reserve(
    *, actor: User, store: Store, order_id: int, lines: list[Line], appointment_id: int | None
) -> dict[int, Decimal]:
    """Reserve the parts of new lines: first what the appointment's pre-pick holds of the same part
    (handed over to the line), then from free stock what is there; the rest shows as to be ordered.
    Returns what is now reserved for each line."""
    wanted = [line for line in lines if line.part_id is not None and line.kind in (K.PART, K.CONSUMABLE)]
    if not wanted:
        return {}
    left: dict[int, Decimal] = {line.pk: line.quantity for line in wanted}
    if appointment_id is not None:
        held: dict[int, list[Reservation]] = defaultdict(list)
        for row in Reservation.all_objects.filter(
            demand_type=Reservation.DemandType.APPOINTMENT, demand_id=appointment_id
        ).order_by("pk"):
            held[row.part_id].append(row)
        for line in wanted:
            for row in held.get(line.part_id or 0, []):
                if left[line.pk] <= 0 or row.quantity <= 0:
                    continue
                take = min(left[line.pk], row.quantity)
                reservation_repoint(
                    actor=None,  # the order's writer may lack stock.reserve: the order's action is theirs
                    reservation_id=row.pk,
                    demand_type=Reservation.DemandType.REPAIR_ORDER,
                    demand_id=order_id,
                    demand_line_id=line.pk,
                    quantity=take,
                )
                row.quantity -= take
                left[line.pk] -= take
    demands = [
        Demand(
            part_id=line.part_id or 0,
            quantity=left[line.pk],
            demand_type=Reservation.DemandType.REPAIR_ORDER,
            demand_id=order_id,
            demand_line_id=line.pk,
        )
        for line in wanted
        if left[line.pk] > 0
    ]
    if demands:
        result = stock_reserve(actor=None, store_id=store.pk, demands=demands, allow_partial=True)
        for row in result.reservations:
            left[row.demand_line_id or 0] -= row.quantity
    return {line.pk: line.quantity - left[line.pk] for line in wanted}


def line_events(
    order_id: int, lines: list[Line], *, actor: User | None, action: str, source: str, note: str = ""
) -> list[RepairOrderEvent]:
    return RepairOrderEvent.objects.bulk_create(
        RepairOrderEvent(
            order_id=order_id, line=line, actor=actor, action=action, from_state=source, to_state=line.state, note=note
        )
        for line in lines
    )
