"""The charges of a repair order and who pays each (SPEC BIL-1..3; DESIGN-visit "Pay types" and "Prices, tax
and money"): worked out from the lines' frozen prices alone, never from master data, with no database.

- Each approved line is charged at its snapshot (``Line.amount``, tax-inclusive) to the payer its pay type
  routes it to (``catalogue.paytypes.PAY_TYPES``): the customer, the insurer, the manufacturer (per brand),
  the extended-warranty provider or the store.
- An insurance line is the insurer's up to the amount its 定损 approval assessed, less the line's share of the
  claim's deductible (免赔, spread over the claim's lines when it was approved); the deductible and whatever
  the insurer did not assess go to the customer: the line is then charged in two pieces, one per payer.
- A complimentary line (赠送) is zero to its payer and charged at cost to the store (internal), shown on the
  settlement list with its price and a discount of the whole.
- A line's own discount, and the order's discount spread over the customer's pieces by the largest remainder
  (``core.money.fen_spread``), reduce only what the customer pays; rounding off the total (抹零) is such an
  order discount, kept apart so the list shows it.
- Tax per piece (DESIGN-visit): ``net = round(gross / (1 + rate), 2)``, ``tax = gross − net``
  (``core.money.net_and_tax``); a document's totals are the sums of its pieces.

What every payer is charged adds up to the order's total (the lines' amounts, plus the store's cost of the
complimentary items, less the discounts) exactly, to the fen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from aftersales.catalogue.paytypes import PAY_TYPES, Payer
from aftersales.core.errors import ApplicationError
from aftersales.core.money import fen_spread, from_fen, money_round, net_and_tax, to_fen

ZERO = Decimal("0.00")
STORE_RATE = Decimal("0.00")  # a complimentary item's cost, charged to the store internally: no output VAT


class FeeCategory(models.TextChoices):
    """The fee categories of the settlement list (JT/T 1133 机动车维修结算清单: 诊断费, 检测费, 材料费, 工时费, 加工费,
    救援费, 拖车费, 其他费用)."""

    DIAGNOSIS = "diagnosis", pgettext_lazy("fee category", "Diagnosis")
    TESTING = "testing", pgettext_lazy("fee category", "Testing")
    MATERIALS = "materials", pgettext_lazy("fee category", "Materials")
    LABOUR = "labour", pgettext_lazy("fee category", "Labour")
    PROCESSING = "processing", pgettext_lazy("fee category", "Processing (sublet)")
    RESCUE = "rescue", pgettext_lazy("fee category", "Rescue")
    TOWING = "towing", pgettext_lazy("fee category", "Towing")
    OTHER = "other", pgettext_lazy("fee category", "Other")


@dataclass(frozen=True)
class ChargeIn:
    """What settlement reads of one approved line: its frozen price, pay type and approvals."""

    line_id: int
    category: str  # a FeeCategory
    pay_type: str
    gross: Decimal  # the line's amount (tax-inclusive) as frozen at approval
    tax_rate: Decimal
    payer_name: str = ""  # the insurer, the brand or the provider its approval names; "" for the others
    discount: Decimal = ZERO  # the line's own discount to the customer
    complimentary: bool = False  # given free: zero to its payer, at cost to the store
    cost: Decimal = ZERO  # what the line costs the store (a complimentary line's internal charge)
    assessed: Decimal | None = None  # an insurance line: what the insurer's loss assessment covers
    deductible: Decimal = ZERO  # an insurance line: its share of the claim's deductible
    surcharge: str = ""  # a surcharge on the line (``Surcharge.Kind``), charged as a piece of its own


@dataclass(frozen=True)
class Charge:
    """One line's charge to one payer: ``gross`` before discounts, ``amount`` after, its net and tax."""

    line_id: int
    surcharge: str  # "" or the surcharge on the line this piece is
    payer: str  # a catalogue.paytypes.Payer
    payer_name: str
    category: str
    gross: Decimal
    discount: Decimal  # the line's own and its share of the order's (including the rounding off)
    rounding: Decimal  # the part of ``discount`` that is the order's rounding off (抹零)
    amount: Decimal
    net: Decimal
    tax: Decimal
    tax_rate: Decimal


def _pieces(line: ChargeIn) -> list[tuple[str, str, int, int]]:
    """The line in pieces (payer, payer name, gross fen, own discount fen) before the order's discount."""
    route = PAY_TYPES[line.pay_type]
    gross, discount = to_fen(line.gross), to_fen(line.discount)
    if line.complimentary:
        # Zero to the payer: the whole price shown and given back; the store carries the cost (internally,
        # without output VAT: ``STORE_RATE``).
        return [(route.payer, line.payer_name, gross, gross), (Payer.STORE.value, "", to_fen(line.cost), 0)]
    if route.payer == Payer.INSURER:
        covered = min(gross, to_fen(line.assessed if line.assessed is not None else line.gross))
        insurer = max(covered - to_fen(line.deductible), 0)
        pieces = [(Payer.INSURER.value, line.payer_name, insurer, 0)]
        if gross - insurer:
            pieces.append((Payer.CUSTOMER.value, "", gross - insurer, discount))
        return pieces
    return [(route.payer, line.payer_name, gross, discount if route.payer == Payer.CUSTOMER else 0)]


def charges_split(lines: Sequence[ChargeIn], *, discount: Decimal = ZERO, rounding: Decimal = ZERO) -> list[Charge]:
    """Every line's charge to each of its payers, the order's ``discount`` and ``rounding`` off spread over the
    customer's pieces by the largest remainder. Refused (nothing to charge) when a line's own discount is
    above what the customer pays for it, or the order's discounts above what the customer pays in all."""
    errors: dict[str, list[str]] = {}
    pieces: list[tuple[ChargeIn, str, str, int, int]] = []
    for line in lines:
        if line.pay_type not in PAY_TYPES:
            errors[f"lines.{line.line_id}.pay_type"] = [_("Unknown pay type.")]
            continue
        split = _pieces(line)
        pieces += [(line, *piece) for piece in split]
        customer = sum(gross for payer, _name, gross, _own in split if payer == Payer.CUSTOMER)
        if line.complimentary and PAY_TYPES[line.pay_type].payer != Payer.CUSTOMER:
            errors[f"lines.{line.line_id}.complimentary"] = [_("Only what the customer pays can be given free.")]
        elif not line.complimentary and not 0 <= to_fen(line.discount) <= customer:
            errors[f"lines.{line.line_id}.discount"] = [
                _("A line's discount is at most what the customer pays for it (%(amount)s).")
                % {"amount": from_fen(customer)}
            ]
    owed = [gross - own if payer == Payer.CUSTOMER else 0 for _l, payer, _n, gross, own in pieces]
    order_fen, rounding_fen = to_fen(discount), to_fen(rounding)
    if not errors and (order_fen < 0 or rounding_fen < 0 or order_fen + rounding_fen > sum(owed)):
        errors["discount"] = [
            _("The order's discount and rounding off are at most what the customer pays (%(amount)s).")
            % {"amount": from_fen(sum(owed))}
        ]
    if errors:
        raise ApplicationError(_("Some fields need attention."), fields=errors, status=422)
    spread = fen_spread(order_fen, owed)
    # The rounding off comes out of what is left after the discount, so no piece goes below zero.
    rounded = fen_spread(rounding_fen, [left - share for left, share in zip(owed, spread, strict=True)])
    charges = []
    for (line, payer, name, gross, own), share, off in zip(pieces, spread, rounded, strict=True):
        amount = from_fen(gross - own - share - off)
        rate = STORE_RATE if line.complimentary and payer == Payer.STORE else line.tax_rate
        net, tax = net_and_tax(amount, rate)
        charges.append(
            Charge(
                line_id=line.line_id,
                surcharge=line.surcharge,
                payer=payer,
                payer_name=name,
                category=line.category,
                gross=from_fen(gross),
                discount=from_fen(own + share + off),
                rounding=from_fen(off),
                amount=amount,
                net=net,
                tax=tax,
                tax_rate=rate,
            )
        )
    return charges


@dataclass(frozen=True)
class Totals:
    gross: Decimal
    discount: Decimal
    amount: Decimal
    net: Decimal
    tax: Decimal


def totals(charges: Iterable[Charge]) -> Totals:
    """A document's totals: the sums of its charges."""
    rows = list(charges)
    return Totals(
        gross=money_round(sum((c.gross for c in rows), ZERO)),
        discount=money_round(sum((c.discount for c in rows), ZERO)),
        amount=money_round(sum((c.amount for c in rows), ZERO)),
        net=money_round(sum((c.net for c in rows), ZERO)),
        tax=money_round(sum((c.tax for c in rows), ZERO)),
    )


def by_payer(charges: Iterable[Charge]) -> dict[tuple[str, str], list[Charge]]:
    """The charges per payer (payer, name): one settlement each, in the order the payers first appear."""
    grouped: dict[tuple[str, str], list[Charge]] = {}
    for charge in charges:
        grouped.setdefault((charge.payer, charge.payer_name), []).append(charge)
    return grouped
