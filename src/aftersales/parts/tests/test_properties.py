"""Property: any sequence of valid moves keeps every balance equal to the sum of its moves, never
negative, its value never negative and zero whenever its quantity is zero."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.core.errors import ApplicationError
from aftersales.parts import services
from aftersales.parts.models import StockBalance
from aftersales.parts.selectors.stock import stock_verify
from aftersales.parts.services import Demand, MoveLine, ReceiptLine
from aftersales.parts.tests.conftest import Stock

quantities = st.integers(min_value=1, max_value=40).map(Decimal)
costs = st.decimals(min_value=0, max_value=500, places=4, allow_nan=False, allow_infinity=False)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), st.booleans(), quantities, costs),
        st.tuples(st.just("issue"), st.booleans(), quantities),
        st.tuples(st.just("transfer"), st.booleans(), quantities),
        st.tuples(st.just("adjust"), st.booleans(), st.integers(min_value=-20, max_value=20).filter(bool).map(Decimal)),
        st.tuples(st.just("reserve"), st.booleans(), quantities),
        st.tuples(st.just("release"), st.integers(min_value=1, max_value=30)),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_any_sequence_of_moves_keeps_the_balances_exact(stock: Stock, steps: list[tuple[object, ...]]) -> None:
    clerk, manager = stock.world.user("parts"), stock.world.user("admin")
    store = stock.world.sh.pk
    demand = 0
    StockBalance.all_objects.none()
    for step in steps:
        kind = step[0]
        bin_id = stock.a1.pk if step[1] else stock.a2.pk
        other = stock.a2.pk if step[1] else stock.a1.pk
        try:
            if kind == "receive":
                services.stock_receive(
                    actor=clerk, store_id=store, lines=[ReceiptLine(stock.part.pk, bin_id, step[2], step[3])]
                )
            elif kind == "issue":
                demand += 1
                services.stock_issue(
                    actor=clerk,
                    store_id=store,
                    demand_type="repair_order",
                    demand_id=demand,
                    demand_line_id=None,
                    part_number=stock.part.number,
                    quantity=step[2],
                    received_by_id=clerk.pk,
                )
            elif kind == "transfer":
                services.stock_transfer(
                    actor=clerk, store_id=store, lines=[MoveLine(stock.part.pk, bin_id, step[2])], to_bin_id=other
                )
            elif kind == "adjust":
                services.stock_adjust(
                    actor=manager, store_id=store, part_id=stock.part.pk, bin_id=bin_id, quantity=step[2], reason="盘点"
                )
            elif kind == "reserve":
                demand += 1
                services.stock_reserve(
                    actor=clerk,
                    store_id=store,
                    demands=[Demand(stock.part.pk, step[2], "repair_order", demand, None, bin_id=bin_id)],
                )
            elif kind == "release":
                services.reservations_release(
                    actor=clerk, store_id=store, demand_type="repair_order", demand_id=int(step[1])
                )
        except ApplicationError as error:
            assert error.code in {"insufficient_stock", "not_found"}, error.fields
        for row in StockBalance.all_objects.all():
            assert row.on_hand >= 0 and row.reserved >= 0 and row.value_fen >= 0
            assert row.reserved <= row.on_hand
            assert row.on_hand != 0 or row.value_fen == 0
    assert stock_verify().differences == []
