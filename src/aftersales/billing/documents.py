"""The billing area's printed documents (SPEC BIL-4, BIL-5): the settlement list of a repair order
(机动车维修费用结算清单) in the layout of JT/T 1133—2017《机动车维修费用结算清单》, and the receipt of a payment
(收款收据) or of a refund (退款凭证) on an 80 mm thermal roll.

The settlement list names the repair business (承修方) and the customer (托修方) with the car, then the fees by
the standard's categories, each itemised with its subtotal: labour (operation, hours charged, rate), materials
(name, part code, quantity, unit price; a part the customer brought marked 托修方自备), diagnosis, testing,
processing (外加工), rescue, towing and other fees; then the discounts and the rounding off (抹零), the total in
figures and in Chinese capitals (大写金额), its net and tax, the share of each payer, the invoice type, what
became of the old parts, the repair guarantee (质量保证期) and the boxes the customer, the cashier and the
quality inspector sign and the repair business stamps.

Each is a Typst template under ``templates/billing/print/`` filled with JSON by ``core.pdf``, made the way the
visits and quality areas make theirs (and with their helpers): labels are translated here, values are printed
as recorded, times are on the store's calendar and the customer's mobile number is masked.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from aftersales.billing.charges import FeeCategory
from aftersales.billing.models import Method, Payment, Refund, Settlement, SettlementCharge, SettlementList
from aftersales.catalogue.paytypes import Payer
from aftersales.core.calendar import store_calendar
from aftersales.core.money import money_round
from aftersales.core.pdf import pdf_render
from aftersales.parts.services import qty_text
from aftersales.quality.documents import _day, _km, _local_day, _old_parts, _term
from aftersales.quality.models import FinalInspection, Guarantee, OldPartsOutcome
from aftersales.visits.documents import NONE, _customer_facts, _load_visit, _person, _vehicle_facts, _when, _yuan
from aftersales.visits.models import Line, RepairOrder

PRINT_TEMPLATES = Path(__file__).parent / "templates" / "billing" / "print"
SETTLEMENT_LIST_PDF = PRINT_TEMPLATES / "settlement_list.typ"
RECEIPT_PDF = PRINT_TEMPLATES / "receipt.typ"

ZERO = Decimal("0.00")
# The fee categories in the order the list itemises them: labour and materials first, as most of the bill.
SECTIONS = (
    FeeCategory.LABOUR,
    FeeCategory.MATERIALS,
    FeeCategory.DIAGNOSIS,
    FeeCategory.TESTING,
    FeeCategory.PROCESSING,
    FeeCategory.RESCUE,
    FeeCategory.TOWING,
    FeeCategory.OTHER,
)
# How a payer is named on a printed row (the routing table's labels say more than a row has room for).
PAYER_PRINTED = {
    Payer.CUSTOMER.value: gettext_lazy("Customer"),
    Payer.INSURER.value: gettext_lazy("Insurer"),
    Payer.MANUFACTURER.value: gettext_lazy("Manufacturer"),
    Payer.WARRANTY_PROVIDER.value: gettext_lazy("Warranty provider"),
    Payer.STORE.value: gettext_lazy("Store"),
}

# --- amounts in Chinese capitals ------------------------------------------------------------------------

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("仟", "佰", "拾", "")
GROUPS = ("", "万", "亿", "万亿")


def _group_capitals(value: int) -> str:
    """A number below 10,000 in capitals: 1001 is 壹仟零壹, one 零 for a run of zeros, none at the end."""
    written, zero = "", False
    for digit, place in zip(f"{value:04d}", PLACES, strict=True):
        if digit == "0":
            zero = bool(written)
            continue
        written += ("零" if zero else "") + DIGITS[int(digit)] + place
        zero = False
    return written


def _yuan_capitals(value: int) -> str:
    """Whole yuan in capitals by groups of four digits (万, 亿): 100000001 is 壹亿零壹."""
    groups = []
    while value:
        value, group = divmod(value, 10_000)
        groups.append(group)
    written, zero = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero = bool(written)
            continue
        if written and (zero or group < 1000):
            written += "零"
        written += _group_capitals(group) + GROUPS[index]
        zero = False
    return written


def rmb_capitals(amount: Decimal) -> str:
    """An amount in yuan in Chinese capitals (大写金额) as bills and vouchers write it: 壹拾 for ten, 整 after
    元 or 角 when no fen follow, 零 before the fen when the jiao is zero (1001.01 is 壹仟零壹元零壹分), no 元
    below one yuan (0.05 is 伍分), 零元整 for nothing, 负 before a negative amount."""
    value = money_round(amount)
    if value < 0:
        return "负" + rmb_capitals(-value)
    fen = int(value * 100)
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    if fen == 0:
        return "零元整"
    written = _yuan_capitals(yuan) + "元" if yuan else ""
    if jiao:
        written += DIGITS[jiao] + "角"
    elif yuan and cents:
        written += "零"
    return written + (DIGITS[cents] + "分" if cents else "整")


# --- the settlement list --------------------------------------------------------------------------------


def _payer(payer: str) -> str:
    return str(PAYER_PRINTED.get(payer, payer))


def _payer_named(payer: str, name: str) -> str:
    return f"{_payer(payer)} {name}" if name else _payer(payer)


def _number_head(found: SettlementList) -> dict[str, Any]:
    """The list's number (or that it has none yet) and, for a reversed list, the watermark and why."""
    calendar = store_calendar(found.store)
    reversed_ = found.state == SettlementList.State.REVERSED
    notes = []
    if reversed_:
        notes.append(
            _("Reversed on %(date)s: %(reason)s")
            % {"date": _when(calendar, found.reversed_at), "reason": found.reversal_reason or NONE}
        )
    if found.corrects is not None:
        notes.append(_("Replaces list %(number)s") % {"number": found.corrects.number or NONE})
    return {
        "label": _("Settlement list number"),
        "value": found.number or _("Prepared, not yet confirmed"),
        "confirmed": bool(found.number),
        "watermark": pgettext("settlement list", "Reversed") if reversed_ else "",
        "notes": notes,
    }


def _business_facts(found: SettlementList) -> list[list[str]]:
    store = found.store
    entity = store.legal_entity
    facts = [[_("Name"), entity.name if entity is not None else store.name]]
    if entity is not None:
        facts.append([_("Unified social credit code"), entity.uscc or NONE])
        facts.append([_("Store"), store.name])
    facts.append([_("Address"), store.address or NONE])
    facts.append([_("Phone"), store.phone or NONE])
    return facts


def _charge_rows(charges: list[SettlementCharge], category: str, payers: bool) -> list[list[str]]:
    """One category's items as printed: its own columns, the payer last when the list has several. A line split
    between payers (an insurer's assessment and the deductible) is one item: its first charge shows the
    quantity and unit price, the next only its amount."""
    rows: list[list[str]] = []
    number, item = 0, None
    for charge in charges:
        split = (charge.line_id, charge.surcharge) == item
        item = (charge.line_id, charge.surcharge)
        number += 0 if split else 1
        counted = ["", ""] if split else [qty_text(charge.quantity), _yuan(charge.unit_price)]
        head = ["" if split else str(number), charge.description]
        if category == FeeCategory.MATERIALS:
            supplied = _("Supplied by the customer") if charge.kind == Line.Kind.CUSTOMER_PART else ""
            row = [*head, charge.part_number or NONE, *counted, _yuan(charge.gross), supplied]
        else:
            row = [*head, *counted, _yuan(charge.gross)]
        rows.append(row + ([_payer(charge.settlement.payer)] if payers else []))
    return rows


def _columns(category: str, payers: bool) -> tuple[list[str], int]:
    """A category's column headings and the position of its amount (the quantity and unit price before it)."""
    if category == FeeCategory.LABOUR:
        heads = [_("No."), _("Item"), _("Hours charged"), _("Labour rate (yuan/h)"), _("Amount (yuan)")]
    elif category == FeeCategory.MATERIALS:
        heads = [
            _("No."), _("Name"), pgettext("settlement list", "Part number"), _("Quantity"), _("Unit price (yuan)"),
            _("Amount (yuan)"), _("Remarks"),
        ]  # fmt: skip
    else:
        heads = [_("No."), _("Item"), _("Quantity"), _("Unit price (yuan)"), _("Amount (yuan)")]
    amount_at = heads.index(_("Amount (yuan)"))
    return heads + ([_("Payer")] if payers else []), amount_at


def _sections(charges: list[SettlementCharge], payers: bool) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """Each fee category with items, itemised with its subtotal; and every category's total (JT/T 1133's
    summary), zero where it has none."""
    by_category: dict[str, list[SettlementCharge]] = defaultdict(list)
    for charge in charges:
        by_category[charge.category].append(charge)
    sections, summary = [], []
    for category in SECTIONS:
        rows = by_category.get(category.value, [])
        subtotal = sum((charge.gross for charge in rows), ZERO)
        summary.append([str(category.label), _yuan(subtotal)])
        if not rows:
            continue
        columns, amount_at = _columns(category.value, payers)
        total_row = [""] * len(columns)
        total_row[1], total_row[amount_at] = pgettext("settlement list", "Subtotal"), _yuan(subtotal)
        sections.append(
            {
                "title": str(category.label),
                "columns": columns,
                "figures": [0, amount_at - 2, amount_at - 1, amount_at],
                "rows": [*_charge_rows(rows, category.value, payers), total_row],
            }
        )
    return sections, summary


def _discounts(found: SettlementList, charges: list[SettlementCharge]) -> list[list[str]]:
    """What was given off, as lines: each line's own discount, the order's discount (the rest of the charges'
    discounts, so that the lines add up to them) and the rounding off; negative, as they are taken off."""
    rows: list[list[str]] = []
    given = {int(key): Decimal(value) for key, value in (found.line_discounts or {}).items()}
    described = {charge.line_id: charge.description for charge in charges if not charge.surcharge}
    for line_id, amount in sorted(given.items()):
        if amount:
            rows.append([_("Discount on %(item)s") % {"item": described.get(line_id, NONE)}, _yuan(-amount)])
    off = sum((charge.discount - charge.rounding for charge in charges), ZERO)
    order = off - sum(given.values(), ZERO)
    if order:
        rows.append([_("Order discount"), _yuan(-order)])
    rounding = sum((charge.rounding for charge in charges), ZERO)
    if rounding:
        rows.append([_("Rounding off (抹零)"), _yuan(-rounding)])
    return rows


def _guarantee_terms(order: RepairOrder) -> list[str]:
    """The order's repair guarantees as the quality area recorded them at delivery (none before)."""
    rows = Guarantee.objects.filter(order_id=order.pk).select_related("line").order_by("line__position")
    return [
        f"{row.line.description}：{_term(row.days, row.km)}（{_day(row.valid_to)} / {_km(row.km_to)}）" for row in rows
    ]


def _inspector(order: RepairOrder) -> str:
    """Who passed the order's final inspection (the latest pass), or "" when none is recorded."""
    passed = (
        FinalInspection.objects.filter(order_id=order.pk, passed=True)
        .select_related("inspector")
        .order_by("-at", "-pk")
    ).first()
    return _person(passed.inspector) if passed is not None else ""


def settlement_list_data(found: SettlementList) -> dict[str, Any]:
    """What the settlement list prints."""
    found = SettlementList.all_objects.select_related("store__legal_entity", "order", "corrects").get(pk=found.pk)
    order = found.order
    visit = _load_visit(order.visit_id)
    calendar = store_calendar(found.store)
    settlements = list(Settlement.all_objects.filter(settlement_list=found).order_by("pk"))
    charges = list(
        SettlementCharge.objects.filter(settlement__settlement_list=found)
        .select_related("settlement")
        .order_by("line__position", "surcharge", "settlement_id", "position")
    )
    payers = len(settlements) > 1
    sections, summary = _sections(charges, payers)
    vehicle = visit.vehicle
    outcome = OldPartsOutcome.objects.filter(order_id=order.pk).values_list("outcome", flat=True).first()
    gross = sum((charge.gross for charge in charges), ZERO)
    return {
        "number": _number_head(found),
        "facts": [
            [_("Repair order number"), order.number],
            [_("Settlement date"), _local_day(calendar, found.confirmed_at)],
            *_customer_facts(visit),
            *_vehicle_facts(visit, visit.mileage_in),
            *([[_("Engine number"), vehicle.engine_no]] if vehicle.engine_no else []),
            [pgettext("settlement list", "Date in"), _local_day(calendar, visit.arrived_at)],
        ],
        "business": _business_facts(found),
        "headings": {
            "business": pgettext("settlement list", "Repair business"),
            "summary": _("Fees by category"),
            "settlement": _("Total payable"),
            "payers": _("Share of each payer"),
            "terms": _("Invoice, old parts and guarantee"),
            "signatures": _("Signatures"),
        },
        "summary": summary,
        "sections": sections,
        "charged": [_("Fees before discounts (yuan)"), _yuan(gross)],
        "discounts": _discounts(found, charges),
        "total": [pgettext("settlement list", "Total (yuan)"), _yuan(found.amount)],
        "capitals": [_("Total in capitals"), rmb_capitals(found.amount)],
        "tax": [[_("Net (yuan)"), _yuan(found.net)], [_("Tax (yuan)"), _yuan(found.tax)]],
        "payer_columns": [_("Payer"), _("Name"), _("Amount (yuan)"), _("Net (yuan)"), _("Tax (yuan)")],
        "payers": [
            [_payer(row.payer), row.payer_name or NONE, _yuan(row.amount), _yuan(row.net), _yuan(row.tax)]
            for row in settlements
        ],
        "terms": [
            [_("Invoice type"), found.get_invoice_type_display()],
            [_("Old parts"), _old_parts(outcome) if outcome else ""],
        ],
        "guarantee": [_("Repair guarantee"), _guarantee_terms(order)],
        "statement": _(
            "The items and amounts above have been checked by both parties; the list takes effect when the customer "
            "signs it."
        ),
        "signatures": [
            [pgettext("settlement list", "Customer"), ""],
            [_("Cashier"), ""],
            [_("Quality inspector"), _inspector(order)],
            [_("Repair business (seal)"), ""],
        ],
        "date_label": _("Date"),
    }


def settlement_list_pdf(*, settlement_list: SettlementList, printed_by: str = "") -> bytes:
    """The settlement list (机动车维修费用结算清单, JT/T 1133—2017) of a repair order, as an A4 PDF."""
    data = settlement_list_data(settlement_list)
    return pdf_render(
        SETTLEMENT_LIST_PDF,
        data,
        title=_("Motor vehicle repair cost settlement list"),
        store=settlement_list.store,
        printed_by=printed_by,
        qr=settlement_list.number or None,
    )


# --- receipts -------------------------------------------------------------------------------------------


def _reference(payment: Payment) -> list[list[str]]:
    """The card slip's or the bank's reference, or the provider's transaction of a scanned code."""
    if payment.method == Method.CODE and payment.transaction_id:
        return [[_("Transaction number"), payment.transaction_id]]
    if payment.reference:
        label = _("Bank reference") if payment.method == Method.TRANSFER else _("POS reference")
        return [[label, payment.reference]]
    return []


def _open_after(payment: Payment, settlement: Settlement) -> Decimal:
    """What the settlement still had open once ``payment`` was taken: its amount less the paid payments up to
    and including this one, plus the refunds paid out of them by then."""
    paid = Payment.all_objects.filter(settlement_id=settlement.pk, state=Payment.State.PAID).filter(
        Q(taken_at__lt=payment.taken_at) | Q(taken_at=payment.taken_at, pk__lte=payment.pk)
    )
    refunds = Refund.all_objects.filter(
        payment__settlement_id=settlement.pk, state=Refund.State.REFUNDED, refunded_at__lte=payment.taken_at
    )
    received = sum((row.amount for row in paid), ZERO) - sum((row.amount for row in refunds), ZERO)
    return settlement.amount - received


def _order_facts(payment: Payment) -> list[list[str]]:
    order = payment.order
    settlement = payment.settlement
    number = settlement.settlement_list.number if settlement is not None else ""
    return [
        [_("Repair order number"), order.number],
        [_("Plate"), order.vehicle.plate or NONE],
        *([[_("Settlement list number"), number]] if number else []),
        [_("Payer"), _payer_named(payment.payer, settlement.payer_name if settlement is not None else "")],
    ]


def _load_payment(payment_id: int) -> Payment:
    return Payment.all_objects.select_related("store", "order__vehicle", "settlement__settlement_list", "cashier").get(
        pk=payment_id
    )


def receipt_data(payment: Payment) -> dict[str, Any]:
    """What the receipt of a payment prints."""
    payment = _load_payment(payment.pk)
    calendar = store_calendar(payment.store)
    settlement = payment.settlement
    amounts = [[_("Amount"), _yuan(payment.amount)]]
    if payment.method == Method.CASH and payment.tendered is not None:
        amounts += [[_("Tendered"), _yuan(payment.tendered)], [_("Change given"), _yuan(payment.change)]]
    balance = []
    if settlement is not None:
        balance = [
            [_("Settlement amount"), _yuan(settlement.amount)],
            [_("Still open after this payment"), _yuan(_open_after(payment, settlement))],
        ]
    if payment.refunded:
        balance.append([_("Refunded"), _yuan(payment.refunded)])
    return {
        "mark": _("Deposit") if payment.is_deposit else "",
        "facts": [
            [_("Receipt number"), payment.number],
            [_("Time"), _when(calendar, payment.taken_at)],
            *_order_facts(payment),
            [_("Payment method"), payment.get_method_display()],
            *_reference(payment),
            *([[_("State"), payment.get_state_display()]] if payment.state != Payment.State.PAID else []),
        ],
        "amounts": amounts,
        "balance": balance,
        "people": [[_("Cashier"), _person(payment.cashier)]],
        "note": payment.note,
    }


def receipt_pdf(*, payment: Payment, printed_by: str = "") -> bytes:
    """The receipt of a payment (收款收据) on an 80 mm roll, as a PDF."""
    return pdf_render(
        RECEIPT_PDF,
        receipt_data(payment),
        title=_("Payment receipt"),
        store=payment.store,
        printed_by=printed_by,
        paper="receipt80",
        qr=payment.number,
    )


def refund_receipt_data(refund: Refund) -> dict[str, Any]:
    """What the receipt of a refund prints: the refund, and the payment it gives money back from."""
    refund = Refund.all_objects.select_related("requested_by", "decided_by").get(pk=refund.pk)
    payment = _load_payment(refund.payment_id)
    calendar = store_calendar(payment.store)
    reference = [[_("Reference"), refund.reference]] if refund.reference else []
    return {
        "mark": _("Deposit") if payment.is_deposit else "",
        "facts": [
            [_("Refund number"), refund.number],
            [_("Time"), _when(calendar, refund.refunded_at or refund.requested_at)],
            [_("Receipt number"), payment.number],
            *_order_facts(payment),
            [_("Refund method"), refund.get_method_display()],
            *reference,
            *([[_("State"), refund.get_state_display()]] if refund.state != Refund.State.REFUNDED else []),
            [_("Reason"), refund.reason],
        ],
        "amounts": [[_("Refund amount"), _yuan(refund.amount)]],
        "balance": [
            [_("Amount of the payment"), _yuan(payment.amount)],
            [_("Refunded of the payment"), _yuan(payment.refunded)],
        ],
        "people": [
            [_("Cashier"), _person(refund.requested_by)],
            *(
                [[pgettext("refund", "Approved by"), _person(refund.decided_by)]]
                if refund.decided_by is not None
                else []
            ),
        ],
        "note": refund.note,
    }


def refund_receipt_pdf(*, refund: Refund, printed_by: str = "") -> bytes:
    """The receipt of a refund (退款凭证) on an 80 mm roll, as a PDF."""
    return pdf_render(
        RECEIPT_PDF,
        refund_receipt_data(refund),
        title=_("Refund receipt"),
        store=refund.store,
        printed_by=printed_by,
        paper="receipt80",
        qr=refund.number,
    )
