"""The stock ledger: every movement's quantity and value, the balance written with it, refusals that
change nothing, and the verification that recomputes balances from moves."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.core.audit import AuditEntry
from aftersales.core.errors import ApplicationError
from aftersales.parts import services
from aftersales.parts.models import Reservation, StockBalance, StockMove
from aftersales.parts.selectors.stock import stock_as_of, stock_verify
from aftersales.parts.services import Demand, MoveLine, ReceiptLine
from aftersales.parts.tests.conftest import Stock

D = Decimal


def balance(stock_part_id: int, bin_id: int) -> tuple[Decimal, Decimal, int]:
    row = StockBalance.all_objects.get(part_id=stock_part_id, bin_id=bin_id)
    return row.on_hand, row.reserved, row.value_fen


def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]], int]:
    """Everything a refused action must leave as it was."""
    return (
        list(StockMove.all_objects.order_by("pk").values_list("pk", "quantity", "value_fen")),
        list(StockBalance.all_objects.order_by("pk").values_list("pk", "on_hand", "reserved", "value_fen")),
        list(Reservation.all_objects.order_by("pk").values_list("pk", "quantity", "demand_id")),
        AuditEntry.objects.count(),
    )


def receive(stock: Stock, quantity: str, cost: str, *, bin_id: int | None = None, part_id: int | None = None) -> None:
    services.stock_receive(
        actor=stock.world.user("parts"),
        store_id=stock.world.sh.pk,
        lines=[ReceiptLine(part_id or stock.part.pk, bin_id or stock.a1.pk, D(quantity), D(cost))],
    )


def test_receipts_and_issues_follow_the_moving_average_and_the_last_unit_takes_the_rest(stock: Stock) -> None:
    clerk = stock.world.user("parts")
    receive(stock, "10", "12.3456")
    receive(stock, "5", "10")
    assert balance(stock.part.pk, stock.a1.pk) == (D(15), D(0), 12346 + 5000)
    entries = AuditEntry.objects.count()

    posting = services.stock_issue(
        actor=clerk,
        store_id=stock.world.sh.pk,
        demand_type="repair_order",
        demand_id=41,
        demand_line_id=7,
        part_number="5q0 115 561a",
        quantity=D(4),
        received_by_id=stock.world.user("technician").pk,
    )
    # round(17346 × 4 / 15) = round(4625.6) = 4626 fen leave with the four.
    assert [(m.kind, m.quantity, m.value_fen) for m in posting.moves] == [("issue", D(-4), -4626)]
    assert balance(stock.part.pk, stock.a1.pk) == (D(11), D(0), 12720)
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry is not None and entry.action == "stock_posted"
    assert entry.changes["lines"] == 1 and entry.changes["value_fen"] == -4626

    services.stock_issue(
        actor=clerk,
        store_id=stock.world.sh.pk,
        demand_type="repair_order",
        demand_id=41,
        demand_line_id=7,
        part_number="5Q0-115-561-A",
        quantity=D(11),
        received_by_id=stock.world.user("technician").pk,
    )
    assert balance(stock.part.pk, stock.a1.pk) == (D(0), D(0), 0)
    # What the order holds goes back at the value it left with: 15 units worth 17346 fen; 5 of them 5782.
    services.stock_return(
        actor=clerk,
        store_id=stock.world.sh.pk,
        demand_type="repair_order",
        demand_id=41,
        demand_line_id=7,
        part_id=stock.part.pk,
        bin_id=stock.a1.pk,
        quantity=D(5),
    )
    assert balance(stock.part.pk, stock.a1.pk) == (D(5), D(0), 5782)
    with pytest.raises(ApplicationError) as refused:
        services.stock_return(
            actor=clerk,
            store_id=stock.world.sh.pk,
            demand_type="repair_order",
            demand_id=41,
            demand_line_id=7,
            part_id=stock.part.pk,
            bin_id=stock.a1.pk,
            quantity=D(11),
        )
    assert refused.value.code == "more_than_issued"
    assert refused.value.fields == {"quantity": ["该单据只持有该配件 10。"]}
    result = stock_verify()
    assert (result.balances, result.differences) == (1, [])


def test_a_transfer_carries_the_value_and_scrap_and_supplier_returns_leave_at_the_average(stock: Stock) -> None:
    clerk, manager = stock.world.user("parts"), stock.world.user("service_manager")
    receive(stock, "3", "33.3333")  # 99.9999 → 10000 fen
    posting = services.stock_transfer(
        actor=clerk,
        store_id=stock.world.sh.pk,
        lines=[MoveLine(stock.part.pk, stock.a1.pk, D(1))],
        to_bin_id=stock.a2.pk,
    )
    assert [(m.kind, m.bin_id, m.quantity, m.value_fen) for m in posting.moves] == [
        ("transfer_out", stock.a1.pk, D(-1), -3333),
        ("transfer_in", stock.a2.pk, D(1), 3333),
    ]
    assert posting.moves[0].document_no.startswith("TR-SH01-")
    services.stock_scrap(
        actor=manager, store_id=stock.world.sh.pk, lines=[MoveLine(stock.part.pk, stock.a1.pk, D(1))], reason="摔坏"
    )
    services.stock_supplier_return(
        actor=clerk, store_id=stock.world.sh.pk, lines=[MoveLine(stock.part.pk, stock.a1.pk, D(1))], reason="错发"
    )
    assert balance(stock.part.pk, stock.a1.pk) == (D(0), D(0), 0)
    assert balance(stock.part.pk, stock.a2.pk) == (D(1), D(0), 3333)
    kinds = list(StockMove.all_objects.order_by("pk").values_list("kind", "value_fen"))
    assert kinds == [
        ("receipt", 10000),
        ("transfer_out", -3333),
        ("transfer_in", 3333),
        ("scrap", -3334),  # round(6667 / 2) = 3334 (half up)
        ("supplier_return", -3333),
    ]
    # Scrap needs stock.adjust, which a parts clerk does not hold.
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        services.stock_scrap(
            actor=clerk, store_id=stock.world.sh.pk, lines=[MoveLine(stock.part.pk, stock.a2.pk, D(1))], reason="x"
        )
    assert refused.value.code == "store_not_allowed"
    assert snapshot() == before
    assert stock_verify().differences == []


def test_adjustments_count_found_stock_at_the_average_and_lost_stock_out(stock: Stock) -> None:
    manager = stock.world.user("service_manager")
    receive(stock, "4", "25")
    services.stock_adjust(
        actor=manager,
        store_id=stock.world.sh.pk,
        part_id=stock.part.pk,
        bin_id=stock.a1.pk,
        quantity=D(1),
        reason="盘盈",
    )
    assert balance(stock.part.pk, stock.a1.pk) == (D(5), D(0), 12500)
    services.stock_adjust(
        actor=manager,
        store_id=stock.world.sh.pk,
        part_id=stock.part.pk,
        bin_id=stock.a1.pk,
        quantity=D(-2),
        reason="盘亏",
    )
    assert balance(stock.part.pk, stock.a1.pk) == (D(3), D(0), 7500)
    # An empty bin's found stock comes in at the part's standard cost (10.0000).
    services.stock_adjust(
        actor=manager,
        store_id=stock.world.sh.pk,
        part_id=stock.part.pk,
        bin_id=stock.a2.pk,
        quantity=D(2),
        reason="盘盈",
    )
    assert balance(stock.part.pk, stock.a2.pk) == (D(2), D(0), 2000)
    assert stock_verify().differences == []


def test_bad_input_is_refused_on_its_field_and_nothing_is_written(stock: Stock) -> None:
    clerk = stock.world.user("parts")
    receive(stock, "2", "10")
    before = snapshot()
    cases = [
        ([ReceiptLine(stock.part.pk, stock.a1.pk, D(0), D(1))], {"lines.0.quantity": ["请输入大于零的数量。"]}),
        ([ReceiptLine(stock.part.pk, stock.a1.pk, D(-3), D(1))], {"lines.0.quantity": ["请输入大于零的数量。"]}),
        (
            [ReceiptLine(stock.part.pk, stock.a1.pk, D("1.5"), D(1))],
            {"lines.0.quantity": ["5Q0-115-561-A 以整数件计：请输入整数。"]},
        ),
        (
            [ReceiptLine(stock.litre.pk, stock.a1.pk, D("1.25"), D(1))],
            {"lines.0.quantity": ["G052-195 最多允许 1 位小数。"]},
        ),
        ([ReceiptLine(stock.part.pk, stock.a1.pk, D(1), D("1.23456"))], {"lines.0.unit_cost": ["成本最多 4 位小数。"]}),
        ([ReceiptLine(stock.part.pk, stock.other.pk, D(1), D(1))], {"lines.0.bin": ["请选择本门店的货位。"]}),
    ]
    for lines, fields in cases:
        with pytest.raises(ApplicationError) as refused:
            services.stock_receive(actor=clerk, store_id=stock.world.sh.pk, lines=lines)
        assert refused.value.fields == fields
    # Issuing in a store where the clerk is not a member.
    with pytest.raises(ApplicationError) as refused:
        services.stock_receive(
            actor=clerk, store_id=stock.world.sz.pk, lines=[ReceiptLine(stock.part.pk, stock.other.pk, D(1), D(1))]
        )
    assert refused.value.fields == {"store": ["您不能在该门店执行此操作。"]}
    # An unknown number gets the close matches.
    with pytest.raises(ApplicationError) as refused:
        services.stock_issue(
            actor=clerk,
            store_id=stock.world.sh.pk,
            demand_type="repair_order",
            demand_id=1,
            demand_line_id=1,
            part_number="5Q0-115-561-B",
            quantity=D(1),
            received_by_id=stock.world.user("technician").pk,
        )
    assert refused.value.code == "unknown_part"
    assert refused.value.extra == {"suggestions": ["5Q0-115-561-A"]}
    # More than there is: insufficient stock, naming the part and bin.
    with pytest.raises(ApplicationError) as refused:
        services.stock_issue(
            actor=clerk,
            store_id=stock.world.sh.pk,
            demand_type="repair_order",
            demand_id=1,
            demand_line_id=1,
            part_number="5Q0115561A",
            quantity=D(3),
            received_by_id=stock.world.user("technician").pk,
        )
    assert refused.value.code == "insufficient_stock"
    assert refused.value.extra["shortfalls"] == [{"part": "5Q0-115-561-A", "bin": "MAIN/A-01", "short": "1"}]
    assert snapshot() == before


def test_a_move_in_a_closed_month_is_refused_and_reports_start_from_the_snapshot(stock: Stock) -> None:
    clerk, finance = stock.world.user("parts"), stock.world.user("finance")
    today = timezone.localdate()
    first_this_month = today.replace(day=1)
    last_month = (first_this_month - timedelta(days=1)).replace(day=1)
    services.stock_receive(
        actor=clerk,
        store_id=stock.world.sh.pk,
        lines=[ReceiptLine(stock.part.pk, stock.a1.pk, D(6), D(5))],
        moved_on=last_month,
    )
    services.stock_receive(
        actor=clerk,
        store_id=stock.world.sh.pk,
        lines=[ReceiptLine(stock.part.pk, stock.a1.pk, D(2), D(5))],
        moved_on=last_month + timedelta(days=20),
    )
    with pytest.raises(ApplicationError) as refused:
        services.stock_month_close(actor=finance, store_id=stock.world.sh.pk, month=first_this_month)
    assert refused.value.code == "month_open"
    closing = services.stock_month_close(actor=finance, store_id=stock.world.sh.pk, month=last_month)
    assert (closing.balances, closing.value_fen) == (1, 4000)
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        services.stock_receive(
            actor=clerk,
            store_id=stock.world.sh.pk,
            lines=[ReceiptLine(stock.part.pk, stock.a1.pk, D(1), D(5))],
            moved_on=last_month + timedelta(days=3),
        )
    assert refused.value.fields == {"moved_on": [f"{last_month:%Y-%m} 已结账:请在未结账的月份记账。"]}
    assert snapshot() == before
    with pytest.raises(ApplicationError) as refused:
        services.stock_month_close(actor=finance, store_id=stock.world.sh.pk, month=last_month)
    assert refused.value.code == "closed_month"
    services.stock_receive(
        actor=clerk, store_id=stock.world.sh.pk, lines=[ReceiptLine(stock.part.pk, stock.a1.pk, D(1), D(5))]
    )
    assert stock_as_of(store_id=stock.world.sh.pk, on=last_month + timedelta(days=14)) == {
        (stock.part.pk, stock.a1.pk): (D(6), 3000)
    }
    assert stock_as_of(store_id=stock.world.sh.pk, on=today) == {(stock.part.pk, stock.a1.pk): (D(9), 4500)}
    assert stock_verify().differences == []


def test_verify_reports_a_balance_that_does_not_match_its_moves(stock: Stock) -> None:
    receive(stock, "2", "10")
    StockBalance.all_objects.filter(part=stock.part).update(on_hand=D(3), value_fen=3000)
    result = stock_verify()
    assert result.balances == 1
    assert [(d.what, d.recorded, d.computed) for d in result.differences] == [
        ("on_hand", "3", "2"),
        ("value_fen", "3000", "2000"),
    ]


def test_moves_are_append_only(stock: Stock) -> None:
    receive(stock, "1", "1")
    move = StockMove.all_objects.get()
    with pytest.raises(PermissionError):
        move.save()
    with pytest.raises(PermissionError):
        StockMove.all_objects.all().update(quantity=D(2))
    with pytest.raises(PermissionError):
        StockMove.all_objects.all().delete()


def test_dates_in_the_future_are_refused(stock: Stock) -> None:
    with pytest.raises(ApplicationError) as refused:
        services.stock_receive(
            actor=stock.world.user("parts"),
            store_id=stock.world.sh.pk,
            lines=[ReceiptLine(stock.part.pk, stock.a1.pk, D(1), D(1))],
            moved_on=timezone.localdate() + timedelta(days=2),
        )
    assert refused.value.fields == {"moved_on": ["库存变动不能记在未来日期。"]}


def test_reserved_stock_is_issued_only_to_its_demand_and_only_as_the_reserved_part(stock: Stock) -> None:
    clerk, advisor, tech = stock.world.user("parts"), stock.world.user("advisor"), stock.world.user("technician")
    receive(stock, "5", "10")
    result = services.stock_reserve(
        actor=advisor,
        store_id=stock.world.sh.pk,
        demands=[Demand(stock.part.pk, D(3), "repair_order", 9, 90)],
    )
    assert [(r.quantity, r.bin_id) for r in result.reservations] == [(D(3), stock.a1.pk)]
    assert balance(stock.part.pk, stock.a1.pk) == (D(5), D(3), 5000)
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:  # another order cannot take the reserved three
        services.stock_issue(
            actor=clerk,
            store_id=stock.world.sh.pk,
            demand_type="repair_order",
            demand_id=10,
            demand_line_id=100,
            part_number="5Q0115561A",
            quantity=D(3),
            received_by_id=tech.pk,
        )
    assert refused.value.code == "insufficient_stock"
    with pytest.raises(ApplicationError) as refused:  # the line's reserved part only
        services.stock_issue(
            actor=clerk,
            store_id=stock.world.sh.pk,
            demand_type="repair_order",
            demand_id=9,
            demand_line_id=90,
            part_number="G052195",
            quantity=D(1),
            received_by_id=tech.pk,
        )
    assert refused.value.code == "wrong_part"
    assert refused.value.fields == {"part_number": ["G052195 不是预留的配件:请发 5Q0-115-561-A。"]}
    with pytest.raises(ApplicationError) as refused:  # the receiver confirms
        services.stock_issue(
            actor=clerk,
            store_id=stock.world.sh.pk,
            demand_type="repair_order",
            demand_id=9,
            demand_line_id=90,
            part_number="5Q0115561A",
            quantity=D(1),
            received_by_id=None,
        )
    assert refused.value.fields == {"received_by": ["领料人须确认领料。"]}
    assert snapshot() == before
    services.stock_issue(
        actor=clerk,
        store_id=stock.world.sh.pk,
        demand_type="repair_order",
        demand_id=9,
        demand_line_id=90,
        part_number="5Q0115561A",
        quantity=D(2),
        received_by_id=tech.pk,
    )
    assert balance(stock.part.pk, stock.a1.pk) == (D(3), D(1), 3000)
    assert list(Reservation.all_objects.values_list("quantity", flat=True)) == [D(1)]
    assert stock_verify().differences == []


def test_reserving_lists_every_shortfall_at_once_and_reserves_nothing(stock: Stock) -> None:
    advisor = stock.world.user("advisor")
    receive(stock, "2", "10")
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        services.stock_reserve(
            actor=advisor,
            store_id=stock.world.sh.pk,
            demands=[
                Demand(stock.part.pk, D(1), "repair_order", 1, 1),
                Demand(stock.part.pk, D(2), "repair_order", 1, 2),
                Demand(stock.litre.pk, D("0.5"), "repair_order", 1, 3),
            ],
        )
    assert refused.value.code == "insufficient_stock"
    assert refused.value.extra["shortfalls"] == [
        {"part": "5Q0-115-561-A", "short": "1"},
        {"part": "G052-195", "short": "0.5"},
    ]
    assert snapshot() == before
    partial = services.stock_reserve(
        actor=advisor,
        store_id=stock.world.sh.pk,
        demands=[Demand(stock.part.pk, D(3), "repair_order", 1, 1)],
        allow_partial=True,
    )
    assert [r.quantity for r in partial.reservations] == [D(2)]
    assert partial.shortfalls == [{"part": "5Q0-115-561-A", "short": "1"}]


def test_an_appointments_prepick_is_repointed_to_the_order_and_only_appointments_expire(stock: Stock) -> None:
    advisor = stock.world.user("advisor")
    receive(stock, "4", "10")
    soon = timezone.now() + timedelta(hours=2)
    with pytest.raises(ApplicationError) as refused:
        services.stock_reserve(
            actor=advisor,
            store_id=stock.world.sh.pk,
            demands=[Demand(stock.part.pk, D(1), "repair_order", 1, 1, expires_at=soon)],
        )
    assert refused.value.fields == {"demands.0.expires_at": ["只有预约的预留会过期。"]}
    result = services.stock_reserve(
        actor=advisor,
        store_id=stock.world.sh.pk,
        demands=[
            Demand(stock.part.pk, D(2), "appointment", 5, None, expires_at=soon),
            Demand(stock.part.pk, D(1), "appointment", 6, None, expires_at=soon),
        ],
    )
    first = result.reservations[0]
    moved = services.reservation_repoint(
        actor=advisor, reservation_id=first.pk, demand_type="repair_order", demand_id=77, demand_line_id=770
    )
    assert (moved.pk, moved.demand_type, moved.expires_at, moved.quantity) == (first.pk, "repair_order", None, D(2))
    assert balance(stock.part.pk, stock.a1.pk) == (D(4), D(3), 4000)
    assert services.reservations_expire(now=soon - timedelta(minutes=1)) == 0
    assert services.reservations_expire(now=soon + timedelta(minutes=1)) == 1
    assert balance(stock.part.pk, stock.a1.pk) == (D(4), D(2), 4000)
    assert services.reservations_release(
        actor=advisor, store_id=stock.world.sh.pk, demand_type="repair_order", demand_id=77
    ) == D(2)
    assert balance(stock.part.pk, stock.a1.pk) == (D(4), D(0), 4000)
    assert stock_verify().differences == []


def test_a_demand_takes_old_interchangeable_stock_first_and_never_a_non_interchangeable_one(stock: Stock) -> None:
    from aftersales.parts.tests.factories import PartFactory

    manager = stock.world.user("admin")
    new = PartFactory.create(
        group=stock.part.group, brand=stock.part.brand, number_display="5Q0-115-561-B", number="5Q0115561B"
    )
    services.supersession_save(
        actor=manager,
        old_part_id=stock.part.pk,
        new_part_id=new.pk,
        interchangeability="two_way",
        effective_on=date(2026, 1, 1),
    )
    receive(stock, "1", "10")  # the old number
    receive(stock, "5", "12", part_id=new.pk)
    result = services.stock_reserve(
        actor=stock.world.user("advisor"),
        store_id=stock.world.sh.pk,
        demands=[Demand(new.pk, D(3), "repair_order", 1, 1)],
    )
    assert [(r.part_id, r.quantity) for r in result.reservations] == [(stock.part.pk, D(1)), (new.pk, D(2))]
    services.supersession_save(
        actor=manager,
        old_part_id=stock.part.pk,
        new_part_id=new.pk,
        interchangeability="none",
        effective_on=date(2026, 1, 1),
    )
    with pytest.raises(ApplicationError) as refused:
        services.stock_reserve(
            actor=stock.world.user("advisor"),
            store_id=stock.world.sh.pk,
            demands=[Demand(stock.part.pk, D(1), "repair_order", 2, 1)],
        )
    assert refused.value.code == "insufficient_stock"
