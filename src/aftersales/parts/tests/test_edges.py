"""Edge cases: a number two brands share, a store price dated before the guide price, times without a
zone, fractions of pieces, receivers from elsewhere, several old numbers replaced by one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand
from aftersales.parts import services
from aftersales.parts.models import Reservation
from aftersales.parts.services import Demand, ReceiptLine
from aftersales.parts.tests.conftest import Stock
from aftersales.parts.tests.factories import PartFactory

D = Decimal


def test_a_number_of_two_brands_is_the_one_of_the_stores_brand_else_refused(stock: Stock) -> None:
    other = Brand.objects.create(code="AUDI", name="奥迪")
    audi = PartFactory.create(group=stock.part.group, brand=other, number="5Q0115561A", number_display="5Q0 115 561 A")
    # SH01 sells the part's brand only: the number means its part there.
    assert services.part_for_store(stock.world.sh, "5Q0-115-561-A") == stock.part
    stock.world.sh.brands.add(other)
    with pytest.raises(ApplicationError) as refused:
        services.parts_for_store(stock.world.sh, ["G052195", "5Q0115561A"])
    assert refused.value.code == "ambiguous_part"
    assert list(refused.value.fields) == ["lines.1.part"]
    assert audi.pk != stock.part.pk


def test_a_store_price_before_the_guide_price_still_needs_the_right_to_deviate(stock: Stock) -> None:
    services.part_price_set(
        actor=None, part_id=stock.part.pk, store_id=None, kind="retail", price=D("100.00"), valid_from=date(2026, 1, 1)
    )
    with pytest.raises(ApplicationError) as refused:
        services.part_price_set(
            actor=stock.world.user("parts"),
            part_id=stock.part.pk,
            store_id=stock.world.sh.pk,
            kind="retail",
            price=D("50.00"),
            valid_from=date(2025, 12, 31),
        )
    assert refused.value.code == "deviation_not_allowed"


def test_reservations_refuse_times_without_a_zone_and_fractions_of_pieces(stock: Stock) -> None:
    services.stock_receive(
        actor=None, store_id=stock.world.sh.pk, lines=[ReceiptLine(stock.part.pk, stock.a1.pk, D(3), D(10))]
    )
    naive = datetime(2030, 1, 1, 10, 0)  # what an API caller may send
    with pytest.raises(ApplicationError) as refused:
        services.stock_reserve(
            actor=None,
            store_id=stock.world.sh.pk,
            demands=[Demand(stock.part.pk, D(1), "appointment", 1, None, expires_at=naive)],
        )
    assert refused.value.fields == {"demands.0.expires_at": ["请给出带时区的时间,例如 2026-12-01T10:00+08:00。"]}
    result = services.stock_reserve(
        actor=None,
        store_id=stock.world.sh.pk,
        demands=[Demand(stock.part.pk, D(2), "appointment", 1, None, expires_at=timezone.now() + timedelta(hours=1))],
    )
    with pytest.raises(ApplicationError) as refused:
        services.reservation_repoint(
            actor=None,
            reservation_id=result.reservations[0].pk,
            demand_type="repair_order",
            demand_id=5,
            quantity=D("0.5"),
        )
    assert refused.value.fields == {"quantity": ["5Q0-115-561-A 以整数件计：请输入整数。"]}
    assert list(Reservation.all_objects.values_list("quantity", "demand_type")) == [(D(2), "appointment")]


def test_the_receiver_must_be_on_the_stores_staff(stock: Stock) -> None:
    services.stock_receive(
        actor=None, store_id=stock.world.sh.pk, lines=[ReceiptLine(stock.part.pk, stock.a1.pk, D(3), D(10))]
    )
    with pytest.raises(ApplicationError) as refused:
        services.stock_issue(
            actor=stock.world.user("parts"),
            store_id=stock.world.sh.pk,
            demand_type="repair_order",
            demand_id=1,
            demand_line_id=None,
            part_number="5Q0115561A",
            quantity=D(1),
            received_by_id=stock.world.user("technician", "sz").pk,
        )
    assert refused.value.fields == {"received_by": ["领料人不是本门店的员工。"]}


def test_several_old_numbers_replaced_by_one_all_serve_it_oldest_stock_first(stock: Stock) -> None:
    brand, group = stock.part.brand, stock.part.group
    older = PartFactory.create(group=group, brand=brand, number="OLD1", number_display="OLD-1")
    new = PartFactory.create(group=group, brand=brand, number="NEW1", number_display="NEW-1")
    for old in (older, stock.part):
        services.supersession_save(
            actor=None,
            old_part_id=old.pk,
            new_part_id=new.pk,
            interchangeability="two_way",
            effective_on=date(2026, 1, 1),
        )
    services.stock_receive(
        actor=None,
        store_id=stock.world.sh.pk,
        lines=[
            ReceiptLine(older.pk, stock.a1.pk, D(1), D(1)),
            ReceiptLine(stock.part.pk, stock.a1.pk, D(1), D(1)),
            ReceiptLine(new.pk, stock.a1.pk, D(5), D(1)),
        ],
    )
    result = services.stock_reserve(
        actor=None, store_id=stock.world.sh.pk, demands=[Demand(new.pk, D(3), "repair_order", 1, 1)]
    )
    assert sorted((r.part_id, r.quantity) for r in result.reservations) == sorted(
        [(older.pk, D(1)), (stock.part.pk, D(1)), (new.pk, D(1))]
    )
