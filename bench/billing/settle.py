"""Billing's scenario ``settle``: settling a ready order of 60 lines with three payers, the customer, the insurer
(its loss assessment, 定损, with the assessed amounts and a deductible) and the manufacturer (warranty), as the
store's service advisor: ``billing.services.settlement_prepare`` (the charges of every line split between the
payers, one settlement each) followed by ``settlement_confirm`` with a line discount and the rounding off to the
ten yuan (抹零, within the advisor's limits), its gap-free number taken last; in a transaction rolled back after
each call, so that every call settles the same order from scratch and nothing stays.

The set-up (untimed, once per database, found again by its statement ``基准：结算 60 项``) signs the order through
the visits' service on a car of the archive new to the workshop: 40 labour lines of the catalogue and 20 part
lines of two bench parts (none on the shelf: nothing is reserved), 38 of them the customer's (approved at
signing), 14 on the insurance pay type and 8 labour lines on the manufacturer's warranty. The insurer's assessor
approves its 14 lines (four of them assessed 20.35 below their price, the rest in full) with a deductible of
500.00; the manufacturer's 8 need no pre-authorisation. The order is then set ready directly: the workshop's
and quality's steps on the way do not change what is charged.

Before timing, one call is checked: it fails the run unless each payer's settlement is exactly what the lines
and the assessment give (worked out here, not read from the settlement): the insurer the assessed amounts less
the deductible, the manufacturer its lines, the customer the rest (the deductible and what the insurer did not
assess included) less the discount and the rounding off. Every call then checks the list's total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.http import HttpResponse

from aftersales.billing.models import Settlement, SettlementList
from aftersales.billing.services import CHARGED, ConfirmIn, settlement_confirm, settlement_prepare
from aftersales.catalogue.models import LabourRate
from aftersales.catalogue.paytypes import PAY_TYPES, Payer, PayType
from aftersales.core.models import Store, User
from aftersales.parts.models import Part, PartPrice
from aftersales.visits import services
from aftersales.visits.models import Line, LineApproval, RepairOrder
from aftersales.visits.services.approvals import ApprovalIn, Decision, approvals_record
from bench.appointments.store_day import store_day
from bench.registry import BenchContext, BenchFailure, Call, scenario
from bench.visits import _advisor, _catalogue, _signature, _staff, _visits

MARK = "基准：结算 60 项"
# Pay type: labour lines, part lines.
MIX = {PayType.CUSTOMER: (24, 14), PayType.INSURANCE: (8, 6), PayType.OEM_WARRANTY: (8, 0)}
PARTS = (
    ("BENCH-JS-1", "基准刹车盘", "Bench brake disc", "560.00"),
    ("BENCH-JS-2", "基准空调滤芯", "Bench cabin filter", "128.00"),
)
INSURER, CLAIM = "中国人保", "RDAA2026BENCH000001"
DEDUCTIBLE = Decimal("500.00")
BELOW = Decimal("20.35")  # what the assessor takes off every third insured line
LINE_DISCOUNT = Decimal("30.00")  # off the customer's first labour line
RATES = {PayType.INSURANCE: Decimal(1), PayType.OEM_WARRANTY: Decimal("0.8")}  # of the customer's rate


def _rates(store: Store) -> None:
    """Labour rates of the insurer's and the manufacturer's pay types, where the group has none (from the
    customer's, which ``_catalogue`` makes sure of)."""
    customer = LabourRate.objects.filter(group_id=store.group_id, store=None, pay_type=PayType.CUSTOMER).first()
    if customer is None:
        raise BenchFailure("settle: the group has no customer labour rate.")
    for pay_type, share in RATES.items():
        if not LabourRate.objects.filter(group_id=store.group_id, store=None, pay_type=pay_type).exists():
            LabourRate.objects.create(
                group_id=store.group_id, pay_type=pay_type, rate=customer.rate * share, valid_from=customer.valid_from
            )


def _parts(store: Store) -> list[Part]:
    """The two bench parts of the store's first brand, with a guide price (made once)."""
    brand = store.brands.order_by("code").first()
    if brand is None:
        raise BenchFailure("settle: the first store serves no brand: run bench generate first.")
    found = []
    for number, name, name_en, price in PARTS:
        part = Part.objects.filter(group_id=store.group_id, brand=brand, number=number.replace("-", "")).first()
        if part is None:
            part = Part.objects.create(
                group_id=store.group_id,
                brand=brand,
                number=number.replace("-", ""),
                number_display=number,
                name=name,
                name_en=name_en,
                standard_cost=Decimal(price) / 2,
            )
            PartPrice.objects.create(
                part=part, kind=PartPrice.Kind.RETAIL, price=Decimal(price), valid_from=date(2020, 1, 1)
            )
        found.append(part)
    return found


def _write(store: Store, advisor: User) -> RepairOrder:
    """Sign the order, record the insurer's and the manufacturer's approvals and set it ready (see the module)."""
    operations = _catalogue(store)
    _rates(store)
    parts = _parts(store)
    rows: list[services.LineIn] = []
    for pay_type, (labour, part_lines) in MIX.items():
        first = len(rows)
        rows += [
            services.LineIn(kind="labour", pay_type=pay_type, operation_id=operations[(first + i) % len(operations)].pk)
            for i in range(labour)
        ]
        rows += [
            services.LineIn(kind="part", pay_type=pay_type, part_id=parts[i % 2].pk, quantity=Decimal(1 + i % 2))
            for i in range(part_lines)
        ]
    (visit_id,) = _visits(store, advisor, 1)
    order = services.repair_order_create(
        actor=advisor,
        visit_id=visit_id,
        data=services.OrderIn(statement=MARK, signature=_signature(), signed_name="基准客户", lines=rows),
    )
    lines = list(Line.all_objects.filter(order=order).order_by("position"))
    insured = [line for line in lines if line.pay_type == PayType.INSURANCE]
    approvals_record(
        actor=_staff(store, "bench_insurance", "insurance", "基准保险专员"),
        order_id=order.pk,
        data=ApprovalIn(
            kind="insurer_assessment",
            person="定损员 基准",
            insurer=INSURER,
            claim_number=CLAIM,
            deductible=DEDUCTIBLE,
            decisions=[
                Decision(line.pk, True, assessed_amount=line.amount - (BELOW if n % 3 == 0 else 0))
                for n, line in enumerate(insured)
            ],
        ),
    )
    approvals_record(
        actor=_staff(store, "bench_warranty", "warranty", "基准索赔员"),
        order_id=order.pk,
        data=ApprovalIn(
            kind="oem_preauthorisation",
            not_required=True,
            decisions=[Decision(line.pk, True) for line in lines if line.pay_type == PayType.OEM_WARRANTY],
        ),
    )
    RepairOrder.all_objects.filter(pk=order.pk).update(state=RepairOrder.State.READY)
    return RepairOrder.all_objects.get(pk=order.pk)


@dataclass(frozen=True)
class Expected:
    """What the order's settlement must come to, worked out from its lines and the insurer's assessment."""

    payers: dict[tuple[str, str], Decimal]
    confirm: ConfirmIn

    @property
    def total(self) -> Decimal:
        return sum(self.payers.values(), Decimal(0))


def expected(order: RepairOrder) -> Expected:
    """Each payer's share of the order once confirmed with the line discount and the rounding off to the ten yuan."""
    lines = list(Line.all_objects.filter(order=order, state__in=CHARGED).order_by("position"))
    counts = {pay_type: sum(1 for line in lines if line.pay_type == pay_type) for pay_type in MIX}
    if len(lines) != 60 or counts != {pay_type: sum(mix) for pay_type, mix in MIX.items()}:
        raise BenchFailure(f"settle: order {order.number} has {len(lines)} charged lines ({counts}), not 60 of {MIX}.")
    assessed = {
        row.line_id: row
        for row in LineApproval.objects.filter(line__order=order, approved=True, kind="insurer_assessment")
    }
    customer = insurer = maker = Decimal(0)
    for line in lines:
        payer = PAY_TYPES[line.pay_type].payer
        if payer == Payer.INSURER:
            row = assessed[line.pk]
            share = (row.assessed_amount or Decimal(0)) - (row.deductible or Decimal(0))
            insurer += share
            customer += line.amount - share
        elif payer == Payer.MANUFACTURER:
            maker += line.amount
        else:
            customer += line.amount
    first = next(line for line in lines if line.pay_type == PayType.CUSTOMER and line.kind == Line.Kind.LABOUR)
    rounding = (customer - LINE_DISCOUNT) % 10
    model = order.vehicle.model
    brand = model.brand.name if model is not None else ""
    return Expected(
        payers={
            (Payer.CUSTOMER.value, ""): customer - LINE_DISCOUNT - rounding,
            (Payer.INSURER.value, INSURER): insurer,
            (Payer.MANUFACTURER.value, brand): maker,
        },
        confirm=ConfirmIn(rounding=rounding, line_discounts={first.pk: LINE_DISCOUNT}),
    )


def settle(order: RepairOrder, advisor: User, data: ConfirmIn) -> tuple[SettlementList, dict[tuple[str, str], Decimal]]:
    """Prepare and confirm the order's list, read its settlements, roll everything back."""
    with transaction.atomic():
        prepared = settlement_prepare(order_id=order.pk, actor=advisor)
        confirmed = settlement_confirm(actor=advisor, list_id=prepared.pk, data=data)
        payers = {
            (row.payer, row.payer_name): row.amount for row in Settlement.all_objects.filter(settlement_list=confirmed)
        }
        transaction.set_rollback(True)
    return confirmed, payers


@scenario(
    "settle",
    "billing.services.settlement_prepare + settlement_confirm: an order of 60 lines settled between the customer, "
    "the insurer (assessment and deductible) and the manufacturer, with a line discount and the rounding off, "
    "rolled back",
)
def _settle(bench: BenchContext) -> Call:
    store = store_day().store
    advisor = _advisor(store)
    order = RepairOrder.all_objects.filter(store=store, customer_statement=MARK).select_related("vehicle__model__brand")
    found = order.first()
    note = "there already"
    if found is None:
        _write(store, advisor)
        found, note = order.get(), "written"
    want = expected(found)
    confirmed, payers = settle(found, advisor, want.confirm)
    if payers != want.payers or confirmed.amount != want.total or not confirmed.number:
        raise BenchFailure(
            f"settle: {found.number} settled as {payers} (total {confirmed.amount}, number {confirmed.number!r}); "
            f"its lines and assessment give {want.payers} (total {want.total})."
        )
    shares = ", ".join(f"{payer} {amount}" for (payer, _name), amount in want.payers.items())
    print(
        f"  settle: {found.number} ({note}): 60 lines, {shares}; rounding off {want.confirm.rounding}, "
        f"line discount {LINE_DISCOUNT}; checked"
    )

    def call() -> HttpResponse:
        with transaction.atomic():
            prepared = settlement_prepare(order_id=found.pk, actor=advisor)
            settled = settlement_confirm(actor=advisor, list_id=prepared.pk, data=want.confirm)
            transaction.set_rollback(True)
        if settled.amount != want.total:
            raise BenchFailure(f"settle: the list came to {settled.amount}, not {want.total}.")
        return HttpResponse(str(settled.amount))

    return call
