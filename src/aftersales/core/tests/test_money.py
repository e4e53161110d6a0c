"""Money helpers: rounding half up to the fen, a tax-inclusive amount split into net and tax, and an amount
spread over weights by the largest remainder."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aftersales.core.money import fen_spread, money_round, net_and_tax


def test_money_rounds_half_up_to_the_fen() -> None:
    assert [money_round(v) for v in ("2.345", "2.344", "-2.345", "0.005")] == [
        Decimal("2.35"),
        Decimal("2.34"),
        Decimal("-2.35"),
        Decimal("0.01"),
    ]


def test_net_and_tax_of_a_tax_inclusive_amount() -> None:
    # 113.00 at 13 %: 100.00 + 13.00; 10.00 at 6 %: 9.43 + 0.57 (net rounded, the tax what is left).
    assert net_and_tax(Decimal("113.00"), Decimal("0.13")) == (Decimal("100.00"), Decimal("13.00"))
    assert net_and_tax(Decimal("10.00"), Decimal("0.06")) == (Decimal("9.43"), Decimal("0.57"))


def test_a_spread_gives_the_left_over_fen_to_the_largest_remainders() -> None:
    # 100 fen over 1:1:1 is 33.33 each: the one fen left goes to the first (a tie).
    assert fen_spread(100, [1, 1, 1]) == [34, 33, 33]
    # 1,000 fen over 3.10 / 2.25 / 0 / 4.65: exact 310 / 225 / 0 / 465.
    assert fen_spread(1000, [Decimal("3.10"), Decimal("2.25"), 0, Decimal("4.65")]) == [310, 225, 0, 465]
    # 10 fen over 2 / 3 / 6 (exact 1.82 / 2.73 / 5.45): floors 1 / 2 / 5, two left for .82 and .73.
    assert fen_spread(10, [2, 3, 6]) == [2, 3, 5]
    assert fen_spread(-10, [2, 3, 6]) == [-2, -3, -5]
    assert (fen_spread(50, [0, 0]), fen_spread(0, [1, 2]), fen_spread(7, [])) == ([0, 0], [0, 0], [])


@given(
    total=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=40),
)
def test_a_spread_adds_up_to_its_total_and_no_share_is_a_fen_off_its_exact_part(total: int, weights: list[int]) -> None:
    shares = fen_spread(total, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        exact = Decimal(total) * weight / sum(weights)
        assert abs(share - exact) < 1
        assert weight or share == 0
