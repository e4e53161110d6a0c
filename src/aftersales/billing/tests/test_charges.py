"""The charges of an order and who pays each: hand-computed on one order with every kind of payer, refused
input, and as properties over any order: the payers' shares add up to the order's total to the fen, every
charge is its net plus its tax, no charge is negative."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from aftersales.billing.charges import ChargeIn, FeeCategory, by_payer, charges_split, totals
from aftersales.catalogue.paytypes import PAY_TYPES, Payer, PayType
from aftersales.core.errors import ApplicationError

D = Decimal
C = FeeCategory


def _order() -> list[ChargeIn]:
    return [
        ChargeIn(1, C.LABOUR, PayType.CUSTOMER, D("226.00"), D("0.13")),
        ChargeIn(2, C.MATERIALS, PayType.CUSTOMER, D("113.00"), D("0.13"), discount=D("13.00")),
        # Body work assessed at 900.00 of 1,000.00, deductible 100.00: the insurer pays 800.00.
        ChargeIn(
            3,
            C.LABOUR,
            PayType.INSURANCE,
            D("1000.00"),
            D("0.13"),
            payer_name="平安财险",
            assessed=D("900.00"),
            deductible=D("100.00"),
        ),
        ChargeIn(4, C.MATERIALS, PayType.OEM_WARRANTY, D("500.00"), D("0.13"), payer_name="BYD"),
        ChargeIn(5, C.OTHER, PayType.CUSTOMER, D("30.00"), D("0.06"), complimentary=True, cost=D("8.00")),
        ChargeIn(6, C.LABOUR, PayType.INTERNAL, D("50.00"), D("0.00")),
    ]


def test_an_order_with_every_payer_is_charged_to_the_fen() -> None:
    charges = charges_split(_order(), discount=D("20.00"), rounding=D("0.50"))
    rows = [
        (
            c.line_id,
            c.payer,
            c.payer_name,
            str(c.gross),
            str(c.discount),
            str(c.rounding),
            str(c.amount),
            str(c.net),
            str(c.tax),
        )
        for c in charges
    ]
    # The customer owes 226.00 + 100.00 (113.00 less its 13.00) + 200.00 (the deductible and the 100.00 not
    # assessed) = 526.00: the 20.00 spread 8.59 / 3.80 / 7.61 (the fen left over to the largest remainder,
    # .456 of line 3), then the 0.50 rounding off over what is left, 0.21 / 0.10 / 0.19.
    assert rows == [
        (1, "customer", "", "226.00", "8.80", "0.21", "217.20", "192.21", "24.99"),
        (2, "customer", "", "113.00", "16.90", "0.10", "96.10", "85.04", "11.06"),
        (3, "insurer", "平安财险", "800.00", "0.00", "0.00", "800.00", "707.96", "92.04"),
        (3, "customer", "", "200.00", "7.80", "0.19", "192.20", "170.09", "22.11"),
        (4, "manufacturer", "BYD", "500.00", "0.00", "0.00", "500.00", "442.48", "57.52"),
        (5, "customer", "", "30.00", "30.00", "0.00", "0.00", "0.00", "0.00"),
        (5, "store", "", "8.00", "0.00", "0.00", "8.00", "8.00", "0.00"),
        (6, "store", "", "50.00", "0.00", "0.00", "50.00", "50.00", "0.00"),
    ]
    payers = {key: totals(rows) for key, rows in by_payer(charges).items()}
    assert {key: (str(t.amount), str(t.net), str(t.tax)) for key, t in payers.items()} == {
        ("customer", ""): ("505.50", "447.34", "58.16"),
        ("insurer", "平安财险"): ("800.00", "707.96", "92.04"),
        ("manufacturer", "BYD"): ("500.00", "442.48", "57.52"),
        ("store", ""): ("58.00", "58.00", "0.00"),
    }
    # The order's total: the lines (1,919.00) and the complimentary item's cost (8.00), less the discounts
    # (13.00 on line 2, 20.00 and 0.50 on the order, 30.00 given free).
    assert totals(charges).amount == D("1863.50") == D("1919.00") + D("8.00") - D("63.50")


def test_an_insurance_line_without_deductible_or_assessment_is_the_insurers() -> None:
    line = ChargeIn(1, C.LABOUR, PayType.INSURANCE, D("300.00"), D("0.13"), payer_name="人保")
    assert [(c.payer, str(c.amount)) for c in charges_split([line])] == [("insurer", "300.00")]
    over = ChargeIn(1, C.LABOUR, PayType.INSURANCE, D("300.00"), D("0.13"), assessed=D("350.00"), deductible=D("50.00"))
    assert [(c.payer, str(c.amount)) for c in charges_split([over])] == [("insurer", "250.00"), ("customer", "50.00")]


@pytest.mark.parametrize(
    ("lines", "discount", "rounding", "fields"),
    [
        (
            [ChargeIn(4, C.MATERIALS, PayType.OEM_WARRANTY, D("500.00"), D("0.13"), discount=D("1.00"))],
            D(0),
            D(0),
            {"lines.4.discount": ["A line's discount is at most what the customer pays for it (0.00)."]},
        ),
        (
            [ChargeIn(1, C.LABOUR, PayType.CUSTOMER, D("100.00"), D("0.13"), discount=D("100.01"))],
            D(0),
            D(0),
            {"lines.1.discount": ["A line's discount is at most what the customer pays for it (100.00)."]},
        ),
        (
            [ChargeIn(1, C.LABOUR, PayType.CUSTOMER, D("100.00"), D("0.13"))],
            D("99.60"),
            D("0.41"),
            {"discount": ["The order's discount and rounding off are at most what the customer pays (100.00)."]},
        ),
        (
            [ChargeIn(3, C.LABOUR, PayType.INSURANCE, D("100.00"), D("0.13"), complimentary=True)],
            D(0),
            D(0),
            {"lines.3.complimentary": ["Only what the customer pays can be given free."]},
        ),
        (
            [ChargeIn(7, C.LABOUR, "cash", D("100.00"), D("0.13"))],
            D(0),
            D("-1"),
            {"lines.7.pay_type": ["Unknown pay type."]},
        ),
    ],
)
def test_a_discount_beyond_what_the_customer_pays_is_refused(
    lines: list[ChargeIn], discount: Decimal, rounding: Decimal, fields: dict[str, list[str]]
) -> None:
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        charges_split(lines, discount=discount, rounding=rounding)
    assert refused.value.fields == fields


def test_a_refusal_speaks_the_users_language() -> None:
    line = ChargeIn(1, C.LABOUR, PayType.CUSTOMER, D("100.00"), D("0.13"), discount=D("100.01"))
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as refused:
        charges_split([line])
    assert refused.value.fields == {"lines.1.discount": ["单行折扣不能超过客户为该行支付的金额（100.00）。"]}


money = st.integers(min_value=0, max_value=5_000_000).map(lambda fen: D(fen) / 100)
rates = st.sampled_from([D("0.13"), D("0.06"), D("0.03"), D("0.01"), D("0.00")])


@st.composite
def lines_in(draw: st.DrawFn) -> list[ChargeIn]:
    lines = []
    for line_id in range(1, draw(st.integers(min_value=1, max_value=30)) + 1):
        pay_type = draw(st.sampled_from(sorted(PAY_TYPES)))
        gross = draw(money)
        customer = PAY_TYPES[pay_type].payer == Payer.CUSTOMER
        complimentary = customer and draw(st.booleans()) and draw(st.booleans())
        assessed = draw(st.none() | money) if pay_type == PayType.INSURANCE else None
        deductible = draw(money) if pay_type == PayType.INSURANCE else D(0)
        discount = D(0)
        if customer and not complimentary:
            discount = D(draw(st.integers(min_value=0, max_value=int(gross * 100)))) / 100
        lines.append(
            ChargeIn(
                line_id,
                draw(st.sampled_from(C.values)),
                pay_type,
                gross,
                draw(rates),
                payer_name=draw(st.sampled_from(["", "A", "B"])),
                discount=discount,
                complimentary=complimentary,
                cost=draw(money) if complimentary else D(0),
                assessed=assessed,
                deductible=deductible,
            )
        )
    return lines


@given(lines=lines_in(), discount_share=st.fractions(0, 1), rounding_fen=st.integers(0, 99))
def test_the_payers_shares_add_up_to_the_order_total_exactly(
    lines: list[ChargeIn], discount_share: object, rounding_fen: int
) -> None:
    plain = [line for line in lines if line.pay_type != PayType.INSURANCE]
    customer_fen = sum(
        int((line.gross - line.discount) * 100)
        for line in plain
        if PAY_TYPES[line.pay_type].payer == Payer.CUSTOMER and not line.complimentary
    )
    rounding = D(min(rounding_fen, customer_fen)) / 100
    discount = (D(int((customer_fen - rounding * 100) * D(str(float(discount_share))))) / 100).quantize(D("0.01"))
    charges = charges_split(plain, discount=discount, rounding=rounding)
    expected = sum((line.gross + line.cost for line in plain), D(0))
    expected -= sum((line.discount + (line.gross if line.complimentary else 0) for line in plain), D(0))
    expected -= discount + rounding
    assert sum((c.amount for c in charges), D(0)) == expected
    assert sum((totals(rows).amount for rows in by_payer(charges).values()), D(0)) == expected
    assert sum((c.rounding for c in charges), D(0)) == rounding
    for charge in charges:
        assert charge.amount >= 0 and charge.net + charge.tax == charge.amount
        assert charge.amount == charge.gross - charge.discount


@given(lines=lines_in())
def test_an_insurance_line_is_split_between_insurer_and_customer_to_the_fen(lines: list[ChargeIn]) -> None:
    insured = [line for line in lines if line.pay_type == PayType.INSURANCE]
    charges = charges_split(insured)
    for line in insured:
        pieces = {c.payer: c.amount for c in charges if c.line_id == line.line_id}
        assert sum(pieces.values(), D(0)) == line.gross
        covered = min(line.gross, line.assessed if line.assessed is not None else line.gross)
        assert pieces[Payer.INSURER] == max(covered - line.deductible, D(0))
