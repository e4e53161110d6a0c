"""Many clerks at once: 20 simultaneous issues against the last 10 units. Exactly 10 succeed, the rest
are told "insufficient stock", the balance ends at 0 and the ledger verifies. Runs on both databases
(row locks in primary-key order on PostgreSQL, serialised write transactions on SQLite)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections

from aftersales.core.errors import ApplicationError
from aftersales.core.models import Brand, DealerGroup, Role, StaffMembership, Store, User
from aftersales.parts import services
from aftersales.parts.models import StockBalance, StockMove
from aftersales.parts.selectors.stock import stock_verify
from aftersales.parts.services import Demand, ReceiptLine
from aftersales.parts.tests.factories import BinFactory, PartFactory, WarehouseFactory


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_issues_of_the_last_ten_units() -> None:
    group = DealerGroup.objects.create(code="CG", name="并发集团")
    store = Store.objects.create(group=group, code="CC01", name="并发店")
    # Transactional tests flush the database: the role is made here rather than read from a migration.
    role = Role.objects.create(
        code="parts_cc", name="配件员", permissions=["parts.view", "stock.move", "stock.reserve"]
    )
    clerk = User.objects.create(username="clerk_cc")
    technician = User.objects.create(username="tech_cc")
    StaffMembership.objects.create(user=clerk, store=store, role=role)
    StaffMembership.objects.create(user=technician, store=store, role=role)
    part = PartFactory.create(group=group, brand=Brand.objects.create(code="CB", name="并发品牌"))
    bins = [BinFactory.create(store=store, warehouse=WarehouseFactory.create(store=store)) for _ in range(2)]
    services.stock_receive(
        actor=clerk,
        store_id=store.pk,
        lines=[
            ReceiptLine(part.pk, bins[0].pk, Decimal(6), Decimal("9.99")),
            ReceiptLine(part.pk, bins[1].pk, Decimal(4), Decimal("10.01")),
        ],
    )
    # Two units are reserved for order 1 line 1: they go to that line's clerk only.
    services.stock_reserve(actor=clerk, store_id=store.pk, demands=[Demand(part.pk, Decimal(2), "repair_order", 1, 1)])

    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def issue(index: int) -> None:
        try:
            barrier.wait()
            line = 1 if index < 2 else 100 + index  # two clerks issue the reserved line, the others free stock
            services.stock_issue(
                actor=clerk,
                store_id=store.pk,
                demand_type="repair_order",
                demand_id=1,
                demand_line_id=line,
                part_number=part.number_display,
                quantity=Decimal(1),
                received_by_id=technician.pk,
            )
            result = "ok"
        except ApplicationError as error:
            result = error.code
        except BaseException as error:  # noqa: BLE001 - a deadlock or a database error fails the test below
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=issue, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["insufficient_stock"] * 10 + ["ok"] * 10
    assert sum(row.on_hand for row in StockBalance.all_objects.filter(part=part)) == 0
    assert sum(row.value_fen for row in StockBalance.all_objects.filter(part=part)) == 0
    assert StockMove.all_objects.filter(part=part, kind="issue").count() >= 10
    assert stock_verify().differences == []
