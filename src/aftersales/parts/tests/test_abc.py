"""ABC classes from 12 months' usage value, and the periodic jobs of the parts area."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from aftersales import schedule
from aftersales.parts import services
from aftersales.parts.models import Part, Reservation, StockBalance
from aftersales.parts.services import Demand, ReceiptLine
from aftersales.parts.tests.conftest import Stock
from aftersales.parts.tests.factories import PartFactory

D = Decimal


def _issue(stock: Stock, part: Part, quantity: int, demand: int) -> None:
    services.stock_issue(
        actor=None,
        store_id=stock.world.sh.pk,
        demand_type="repair_order",
        demand_id=demand,
        demand_line_id=None,
        part_number=part.number,
        quantity=D(quantity),
        received_by_id=stock.world.user("technician").pk,
    )


def test_parts_are_classed_by_their_share_of_the_usage_value(stock: Stock) -> None:
    third = PartFactory.create(group=stock.part.group, brand=stock.part.brand, number="ABC3", number_display="ABC-3")
    unused = PartFactory.create(group=stock.part.group, brand=stock.part.brand, number="ABC4", number_display="ABC-4")
    services.stock_receive(
        actor=None,
        store_id=stock.world.sh.pk,
        lines=[
            ReceiptLine(stock.part.pk, stock.a1.pk, D(10), D(10)),  # 8 issued: 80.00 of 100.00
            ReceiptLine(stock.litre.pk, stock.a2.pk, D(10), D("7.5")),  # 2 issued: 15.00
            ReceiptLine(third.pk, stock.a1.pk, D(10), D("2.5")),  # 2 issued: 5.00
            ReceiptLine(unused.pk, stock.a1.pk, D(1), D(1)),
        ],
    )
    _issue(stock, stock.part, 8, 1)
    _issue(stock, stock.litre, 2, 2)
    _issue(stock, third, 2, 3)
    counts = schedule.parts_abc_classify.call_local()
    assert counts == {stock.world.sh.group.code: {"A": 1, "B": 1, "C": 2}}
    classes = dict(Part.objects.values_list("number", "abc_class"))
    assert (classes["5Q0115561A"], classes["G052195"], classes["ABC3"], classes["ABC4"]) == ("A", "B", "C", "C")


def test_the_expiry_job_gives_back_what_appointments_held(stock: Stock) -> None:
    services.stock_receive(
        actor=None, store_id=stock.world.sh.pk, lines=[ReceiptLine(stock.part.pk, stock.a1.pk, D(3), D(10))]
    )
    soon = timezone.now() + timedelta(seconds=1)
    services.stock_reserve(
        actor=None,
        store_id=stock.world.sh.pk,
        demands=[Demand(stock.part.pk, D(2), "appointment", 7, None, expires_at=soon + timedelta(hours=1))],
    )
    assert schedule.reservations_expire.call_local() == 0
    Reservation.all_objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert schedule.reservations_expire.call_local() == 1
    assert StockBalance.all_objects.get(part=stock.part).reserved == 0
