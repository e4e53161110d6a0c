"""What the billing pages share: the order, settlement list, payment or refund a page shows (of the page's store,
else 404), a settlement list as the pages show it (each payer's settlement with its charges, what it has
received and what is open), the confirming form of a prepared list, and a service's refusal put on a form (the
workshop's: 400, 403, 409)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from aftersales.billing.forms import COUNTER, ConfirmForm
from aftersales.billing.models import Payment, Refund, Settlement, SettlementCharge, SettlementList
from aftersales.billing.services import discount_limit
from aftersales.catalogue.paytypes import Payer
from aftersales.core.models import User
from aftersales.core.money import money_round
from aftersales.core.routing import can_here, page_store
from aftersales.parts.services import qty_text
from aftersales.visits.views.base import order_of
from aftersales.workshop.views.base import WallClock, is_htmx, refusal_status

__all__ = [
    "COLLECT",
    "FINANCE",
    "SETTLE",
    "VIEW",
    "Limits",
    "PayerSheet",
    "Sheet",
    "WallClock",
    "confirm_form",
    "is_htmx",
    "limits_of",
    "list_of",
    "nav_of",
    "order_of",
    "payer_label",
    "payment_of",
    "refund_of",
    "refusal_status",
    "sheet_of",
]

VIEW, SETTLE, COLLECT, FINANCE = "billing.view", "billing.settle", "billing.collect", "billing.finance"
ZERO = Decimal("0.00")


def nav_of(request: HttpRequest) -> dict[str, bool]:
    """Which of the area's pages the reader's menu of the area links besides the counter, lists and refunds."""
    finance = can_here(request, FINANCE)
    return {"cash": finance or can_here(request, COLLECT), "flow": finance}


def list_of(request: HttpRequest, list_id: int) -> SettlementList:
    """A settlement list of the page's store, with its order, car, customer and who prepared and confirmed it;
    404 for any other."""
    found = (
        SettlementList.all_objects.select_related(
            "store", "order__vehicle", "order__customer", "confirmed_by", "corrects"
        )
        .filter(pk=list_id, store=page_store(request))
        .first()
    )
    if found is None:
        raise Http404
    return found


def payment_of(request: HttpRequest, payment_id: int) -> Payment:
    """A payment of the page's store; 404 for any other."""
    payment = Payment.all_objects.select_related("order").filter(pk=payment_id, store=page_store(request)).first()
    if payment is None:
        raise Http404
    return payment


def refund_of(request: HttpRequest, refund_id: int) -> Refund:
    """A refund of the page's store; 404 for any other."""
    refund = Refund.all_objects.select_related("payment").filter(pk=refund_id, store=page_store(request)).first()
    if refund is None:
        raise Http404
    return refund


# --- a settlement list as the pages show it ------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeRow:
    charge: SettlementCharge
    quantity: str  # as people write it (2.5, not 2.500)


@dataclass
class PayerSheet:
    """One payer's settlement: its charges, what they came to before and after discounts."""

    settlement: Settlement
    charges: list[SettlementCharge]
    label: str

    @property
    def rows(self) -> list[ChargeRow]:
        return [ChargeRow(charge, qty_text(charge.quantity)) for charge in self.charges]

    @property
    def gross(self) -> Decimal:
        return sum((charge.gross for charge in self.charges), ZERO)

    @property
    def given(self) -> Decimal:
        """Discounts and rounding off given on its charges."""
        return sum((charge.discount for charge in self.charges), ZERO)

    @property
    def is_customer(self) -> bool:
        return self.settlement.payer == Payer.CUSTOMER


@dataclass
class Sheet:
    """A settlement list with each payer's settlement, the customer's first."""

    found: SettlementList
    payers: list[PayerSheet] = field(default_factory=list)

    @property
    def customer(self) -> PayerSheet | None:
        return next((payer for payer in self.payers if payer.is_customer), None)

    @property
    def gross(self) -> Decimal:
        return sum((payer.gross for payer in self.payers), ZERO)

    @property
    def given(self) -> Decimal:
        return sum((payer.given for payer in self.payers), ZERO)


def payer_label(settlement: Settlement) -> str:
    """The payer as a page names it: the kind of payer and, for an insurer, a brand or a provider, its name."""
    label = str(Payer(settlement.payer).label) if settlement.payer in Payer.values else settlement.payer
    if settlement.payer == Payer.INSURER:
        label = _("Insurer")
    return f"{label} · {settlement.payer_name}" if settlement.payer_name else label


def sheet_of(found: SettlementList) -> Sheet:
    """The list's settlements, the customer's first, each with its charges in order (two queries)."""
    rows = Settlement.all_objects.filter(settlement_list=found).prefetch_related(
        Prefetch("charges", queryset=SettlementCharge.objects.order_by("position"))
    )
    ordered = sorted(rows, key=lambda row: (row.payer != Payer.CUSTOMER, row.pk))
    return Sheet(found, [PayerSheet(row, list(row.charges.all()), payer_label(row)) for row in ordered])


# --- confirming a prepared list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What the reader may give off the customer's share: a percentage of it (so much in yuan) and the rounding
    off."""

    percent: Decimal
    allowed: Decimal
    rounding: Decimal
    whole: Decimal


def confirm_form(sheet: Sheet, data: Any = None, *, back: str = COUNTER) -> ConfirmForm:
    """The form confirming a prepared list: a discount field for each of the customer's lines, prefilled with
    what the list was prepared with."""
    found = sheet.found
    customer = sheet.customer
    lines: list[tuple[int, str]] = []
    for charge in customer.charges if customer is not None else []:
        if not charge.surcharge and charge.line_id not in {line_id for line_id, _label in lines}:
            lines.append((charge.line_id, f"{charge.description} · {charge.gross}"))
    given = {int(key): value for key, value in (found.line_discounts or {}).items()}
    initial: dict[str, Any] = {
        "invoice_type": found.invoice_type,
        "discount": found.discount or "",
        "rounding": found.rounding or "",
        "back": back,
    }
    initial |= {f"line_{line_id}": given[line_id] for line_id, _label in lines if line_id in given}
    return ConfirmForm(data, lines=lines, initial=initial, auto_id="id_confirm_%s")


def limits_of(user: User, sheet: Sheet) -> Limits:
    """The reader's discount limits in the list's store, against the customer's share before discounts."""
    percent, rounding = discount_limit(user, sheet.found.store_id)
    customer = sheet.customer
    whole = customer.gross if customer is not None else ZERO
    return Limits(
        percent=percent.normalize(),
        allowed=money_round(whole * percent / 100),
        rounding=money_round(rounding),
        whole=whole,
    )
