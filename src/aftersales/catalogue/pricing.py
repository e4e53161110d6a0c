"""The one pricing service (DESIGN-visit "Prices, tax and money"): (store, pay type, item) → tax-inclusive
unit price in CNY, tax classification code and rate, the guide price, and whether the price deviates
from it. A line snapshots the quote at approval; settlement never reads master data again.

The price basis comes from the pay type's route (``paytypes.PAY_TYPES``): the guide retail price
(the store's own where it set one, flagged when off the group's guide price), the manufacturer's claim
price, an extended-warranty contract price, or cost (the moving average of the store's stock, else the
part's standard cost; charged internally, so without output VAT). Labour is hours × the hourly rate of
the pay type (the store's own, else the group's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.catalogue.models import LabourOperation, LabourRate, LabourTime
from aftersales.catalogue.paytypes import PAY_TYPES, PriceBasis
from aftersales.core.errors import ApplicationError
from aftersales.core.models import Store
from aftersales.core.money import money_round, net_and_tax
from aftersales.parts.models import Part, PartPrice, StockBalance
from aftersales.parts.selectors.parts import price_on


@dataclass(frozen=True)
class Quote:
    item_type: str  # "labour" or "part"
    item_id: int
    pay_type: str
    price_basis: str
    quantity: Decimal  # hours of labour, units of a part
    unit_price: Decimal  # tax-inclusive CNY per hour or unit
    amount: Decimal  # unit price × quantity, rounded to the fen
    net: Decimal
    tax: Decimal
    tax_code: str
    tax_rate: Decimal
    guide_price: Decimal | None  # the group's guide unit price, where there is one
    deviates: bool
    source: str  # "store", "group", "stock_cost" or "standard_cost"


def _route(pay_type: str) -> str:
    route = PAY_TYPES.get(pay_type)
    if route is None:
        raise ApplicationError(_("Unknown pay type."), code="invalid", field="pay_type")
    return route.price_basis


def labour_hours(operation: LabourOperation, series: str) -> Decimal:
    """Standard hours of an operation on a model series (the operation's default where none are given)."""
    hours = LabourTime.objects.filter(operation=operation, series=series).values_list("hours", flat=True).first()
    return hours if hours is not None else operation.default_hours


def labour_rate_on(store: Store, pay_type: str, on: date) -> tuple[LabourRate | None, LabourRate | None]:
    """The store's own rate and the group's rate of a pay type valid on a date."""
    rates = LabourRate.objects.filter(group_id=store.group_id, pay_type=pay_type, valid_from__lte=on).filter(
        Q(store=store) | Q(store__isnull=True)
    )
    own = group = None
    for rate in rates.order_by("-valid_from", "-pk"):  # both in one query: the newest of each
        if rate.store_id is None:
            group = group or rate
        else:
            own = own or rate
    return own, group


def _quote(
    *,
    item_type: str,
    item_id: int,
    pay_type: str,
    basis: str,
    quantity: Decimal,
    unit_price: Decimal,
    tax_code: str,
    tax_rate: Decimal,
    guide: Decimal | None,
    source: str,
) -> Quote:
    if basis == PriceBasis.COST:
        tax_rate = Decimal(0)  # charged internally at cost: no output VAT
    amount = money_round(unit_price * quantity)
    net, tax = net_and_tax(amount, tax_rate)
    return Quote(
        item_type=item_type,
        item_id=item_id,
        pay_type=pay_type,
        price_basis=basis,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        net=net,
        tax=tax,
        tax_code=tax_code,
        tax_rate=tax_rate,
        guide_price=guide,
        deviates=guide is not None and unit_price != guide,
        source=source,
    )


def labour_quote(
    *,
    store: Store,
    pay_type: str,
    operation: LabourOperation,
    series: str = "",
    hours: Decimal | None = None,
    on: date | None = None,
) -> Quote:
    """Price a labour operation: its standard hours on the series (or ``hours``) × the pay type's rate."""
    return PriceBook(store, on).labour(pay_type=pay_type, operation=operation, series=series, hours=hours)


def stock_cost(store: Store, part: Part) -> Decimal | None:
    """The moving average cost (net, per unit) of a part's stock in a store, or None without stock."""
    totals = StockBalance.all_objects.filter(store=store, part=part).aggregate(q=Sum("on_hand"), v=Sum("value_fen"))
    if not totals["q"]:
        return None
    return (Decimal(totals["v"]) / 100 / totals["q"]).quantize(Decimal("0.0001"))


def part_quote(
    *, store: Store, pay_type: str, part: Part, quantity: Decimal = Decimal(1), on: date | None = None
) -> Quote:
    """Price a part on the pay type's basis."""
    return PriceBook(store, on).part(pay_type=pay_type, part=part, quantity=quantity)


_KINDS = {"retail": "retail", "claim": "claim", "contract": "contract"}


class PriceBook:
    """The quotes of one store on one day, each labour rate, standard time and part price read once: the
    lines of a repair order are priced with one book (``preload`` reads their times and prices in two
    queries). The rules are ``labour_quote``'s and ``part_quote``'s, which use a book of their own."""

    def __init__(self, store: Store, on: date | None = None) -> None:
        self.store, self.on = store, on or timezone.localdate()
        self._rates: dict[str, tuple[LabourRate | None, LabourRate | None]] = {}
        self._hours: dict[tuple[int, str], Decimal | None] = {}
        self._prices: dict[tuple[int, str], tuple[PartPrice | None, PartPrice | None]] = {}

    def preload(self, *, operations: list[LabourOperation], series: str, parts: list[Part]) -> None:
        """Read the standard times of ``operations`` on ``series`` and every price of ``parts`` at once."""
        if operations:
            ids = [op.pk for op in operations]
            found = dict(
                LabourTime.objects.filter(operation_id__in=ids, series=series).values_list("operation_id", "hours")
            )
            self._hours.update({(pk, series): found.get(pk) for pk in ids})
        if parts:
            ids = [part.pk for part in parts]
            rows = PartPrice.objects.filter(part_id__in=ids, valid_from__lte=self.on).filter(
                Q(store=self.store) | Q(store__isnull=True)
            )
            best: dict[tuple[int, str, bool], PartPrice] = {}
            for row in rows.order_by("-valid_from", "-pk"):
                best.setdefault((row.part_id, row.kind, row.store_id is None), row)
            for pk in ids:
                for kind in _KINDS.values():
                    self._prices[(pk, kind)] = (best.get((pk, kind, False)), best.get((pk, kind, True)))

    def rates(self, pay_type: str) -> tuple[LabourRate | None, LabourRate | None]:
        if pay_type not in self._rates:
            self._rates[pay_type] = labour_rate_on(self.store, pay_type, self.on)
        return self._rates[pay_type]

    def standard_hours(self, operation: LabourOperation, series: str) -> Decimal:
        key = (operation.pk, series)
        if key not in self._hours:
            self._hours[key] = (
                LabourTime.objects.filter(operation=operation, series=series).values_list("hours", flat=True).first()
            )
        hours = self._hours[key]
        return hours if hours is not None else operation.default_hours

    def prices(self, part: Part, kind: str) -> tuple[PartPrice | None, PartPrice | None]:
        """The store's own price of a kind valid on the day (retail only) and the group's."""
        key = (part.pk, kind)
        if key not in self._prices:
            own = price_on(part.pk, kind=kind, store_id=self.store.pk, on=self.on) if kind == "retail" else None
            self._prices[key] = (
                own if own is not None and own.store_id is not None else None,
                price_on(part.pk, kind=kind, store_id=None, on=self.on),
            )
        own, group = self._prices[key]
        return (own if kind == "retail" else None), group

    def labour(
        self, *, pay_type: str, operation: LabourOperation, series: str = "", hours: Decimal | None = None
    ) -> Quote:
        basis = _route(pay_type)
        own, group = self.rates(pay_type)
        chosen = own or group
        if chosen is None:
            raise ApplicationError(
                _("No labour rate is set for %(pay_type)s.") % {"pay_type": PAY_TYPES[pay_type].label},
                code="no_price",
                field="pay_type",
            )
        return _quote(
            item_type="labour",
            item_id=operation.pk,
            pay_type=pay_type,
            basis=basis,
            quantity=hours if hours is not None else self.standard_hours(operation, series),
            unit_price=chosen.rate,
            tax_code=operation.tax_code,
            tax_rate=operation.tax_rate,
            guide=group.rate if group is not None else None,
            source="store" if own is not None else "group",
        )

    def part(self, *, pay_type: str, part: Part, quantity: Decimal = Decimal(1)) -> Quote:
        basis = _route(pay_type)
        if basis == PriceBasis.COST:
            cost = stock_cost(self.store, part)
            source = "stock_cost" if cost is not None else "standard_cost"
            unit = money_round(cost if cost is not None else part.standard_cost)
            guide = None
        else:
            own, group = self.prices(part, _KINDS[basis])
            chosen = own or group
            if chosen is None:
                raise ApplicationError(
                    _("%(part)s has no price (%(basis)s) valid on %(date)s.")
                    % {"part": part.number_display, "basis": PriceBasis(basis).label, "date": self.on.isoformat()},
                    code="no_price",
                    field="part",
                )
            unit, guide = chosen.price, group.price if group is not None else None
            source = "store" if own is not None else "group"
        return _quote(
            item_type="part",
            item_id=part.pk,
            pay_type=pay_type,
            basis=basis,
            quantity=quantity,
            unit_price=unit,
            tax_code=part.tax_code,
            tax_rate=part.tax_rate,
            guide=guide,
            source=source,
        )
