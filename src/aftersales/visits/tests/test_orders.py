"""Writing and signing the repair order, adding lines, prices, and the order's and lines' moves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.core.errors import ApplicationError
from aftersales.parts.models import Reservation, StockBalance
from aftersales.visits.models import Line, LineApproval, RepairOrder, RepairOrderEvent, Visit
from aftersales.visits.services import (
    ApprovalIn,
    Decision,
    LineIn,
    OrderIn,
    approvals_record,
    line_add,
    line_price_set,
    line_transition,
    repair_order_create,
    repair_order_transition,
)
from aftersales.visits.tests.conftest import Reception, signature_png

D = Decimal


@pytest.fixture(autouse=True)
def english() -> object:
    with translation.override("en"):
        yield


def order_in(reception: Reception, *lines: LineIn) -> OrderIn:
    return OrderIn(
        statement="保养，刹车有异响",
        signature=signature_png(),
        signed_name="张伟",
        lines=list(lines)
        or [
            LineIn(kind="labour", operation_id=reception.oil.pk),
            LineIn(kind="part", part_id=reception.filter.pk, quantity=D(1)),
            LineIn(
                kind="labour",
                operation_id=reception.brakes.pk,
                source="diagnosis",
                fault_code="c1234",
                symptom="制动异响",
                causal_part_id=reception.pads.pk,
            ),
            LineIn(kind="part", part_id=reception.pads.pk, quantity=D(1), source="diagnosis"),
        ],
        road_test_consent=True,
    )


def snapshot(order: RepairOrder) -> tuple:
    return (
        RepairOrder.all_objects.values_list("pk", "state").order_by("pk").first() if order else None,
        list(Line.all_objects.order_by("pk").values_list("pk", "state", "unit_price", "amount")),
        list(
            Reservation.all_objects.order_by("pk").values_list(
                "part_id", "quantity", "demand_type", "demand_id", "demand_line_id"
            )
        ),
        list(StockBalance.all_objects.order_by("pk").values_list("on_hand", "reserved")),
        RepairOrderEvent.objects.count(),
        LineApproval.objects.count(),
    )


def test_signing_writes_the_order_approves_the_customers_requests_and_reserves_parts(
    reception: Reception, visit: Visit
) -> None:
    order = repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))
    assert order.number == f"RO-SH01-{reception.today().year}-000001"
    assert order.state == "open"
    lines = list(order.lines.order_by("position"))
    assert [
        (ln.position, ln.kind, ln.state, ln.source, ln.quantity, ln.unit_price, ln.amount, ln.net, ln.tax)
        for ln in lines
    ] == [
        (1, "labour", "approved", "requested", D("1.000"), D("200.00"), D("200.00"), D("176.99"), D("23.01")),
        (2, "part", "approved", "requested", D("1.000"), D("88.00"), D("88.00"), D("77.88"), D("10.12")),
        (3, "labour", "proposed", "diagnosis", D("2.000"), D("200.00"), D("400.00"), D("353.98"), D("46.02")),
        (4, "part", "proposed", "diagnosis", D("1.000"), D("420.00"), D("420.00"), D("371.68"), D("48.32")),
    ]
    assert (lines[2].fault_code, lines[2].fault_symptom, lines[2].causal_part_id, lines[2].repair_category) == (
        "C1234",
        "制动异响",
        reception.pads.pk,
        "assembly",
    )
    assert [ln.priced_at is not None for ln in lines] == [True, True, False, False]
    approvals = list(
        LineApproval.objects.order_by("line__position").values_list(
            "line__position", "kind", "approved", "amount", "person"
        )
    )
    assert approvals == [
        (1, "customer_in_person", True, D("200.00"), "张伟"),
        (2, "customer_in_person", True, D("88.00"), "张伟"),
    ]
    # The filter is on the shelf and reserved; the pads are not: nothing reserved, shown as to order.
    assert list(
        Reservation.all_objects.values_list("part_id", "quantity", "demand_type", "demand_id", "demand_line_id")
    ) == [(reception.filter.pk, D("1.000"), "repair_order", order.pk, lines[1].pk)]
    assert [
        (e.line_id and e.line.position, e.action, e.from_state, e.to_state) for e in order.events.order_by("pk")
    ] == [
        (None, "sign", "", "open"),
        (1, "approve", "proposed", "approved"),
        (2, "approve", "proposed", "approved"),
    ]


def test_a_refused_order_changes_nothing(reception: Reception, visit: Visit) -> None:
    before = snapshot(None)  # type: ignore[arg-type]
    data = order_in(
        reception,
        LineIn(kind="labour", operation_id=reception.oil.pk),
        LineIn(kind="part", part_id=reception.filter.pk, quantity=D("1.5")),
        LineIn(kind="labour", operation_id=reception.brakes.pk, fault_code="P03O1"),
        LineIn(kind="sublet", description=""),
        LineIn(kind="labour", operation_id=reception.oil.pk, fee_kind="towing"),
        LineIn(kind="fee", description="拖车", unit_price=D("300"), fee_kind="tow"),
    )
    data.statement = " "
    with pytest.raises(ApplicationError) as refused:
        repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=data)
    assert refused.value.fields == {
        "statement": ["Write down what the customer says."],
        "lines.1.quantity": ["06L-115-562 is counted in whole piece: enter a whole number."],
        "lines.2.fault_code": ["“P03O1” is not a fault code: it has the letter O where a zero belongs."],
        "lines.3.description": ["Describe the line."],
        "lines.3.unit_price": ["Enter the price."],
        "lines.4.fee_kind": ["Only a fee has a kind of fee: testing, rescue, towing or other."],
        "lines.5.fee_kind": ["Only a fee has a kind of fee: testing, rescue, towing or other."],
    }
    assert snapshot(None) == before  # type: ignore[arg-type]


@pytest.fixture
def order(reception: Reception, visit: Visit) -> RepairOrder:
    return repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))


def test_work_on_a_proposed_line_is_refused_and_changes_nothing(reception: Reception, order: RepairOrder) -> None:
    line = order.lines.get(position=3)
    before = snapshot(order)
    foreman = reception.world.user("foreman")
    with pytest.raises(ApplicationError) as refused:
        line_transition(actor=foreman, order_id=order.pk, line_id=line.pk, action="start")
    assert (refused.value.status, str(refused.value)) == (
        409,
        "Labour is dispatched and clocked in the workshop, not here.",
    )
    with pytest.raises(ApplicationError) as skipped:
        line_transition(actor=foreman, order_id=order.pk, line_id=order.lines.get(position=2).pk, action="finish")
    assert (skipped.value.status, str(skipped.value)) == (
        409,
        "A part line is done when its part is issued at the parts desk.",
    )
    with pytest.raises(ApplicationError) as ready:
        repair_order_transition(actor=reception.world.user("service_manager"), order_id=order.pk, action="ready")
    assert (ready.value.status, str(ready.value)) == (
        409,
        "“ready” is done by final inspection and delivery, not here.",
    )
    with pytest.raises(ApplicationError) as complete:
        repair_order_transition(actor=foreman, order_id=order.pk, action="complete")
    assert (complete.value.status, str(complete.value)) == (409, "This cannot be done while it is “Open”.")
    assert snapshot(order) == before


def test_labour_moves_only_through_the_workshop_and_sublet_work_here(reception: Reception, order: RepairOrder) -> None:
    foreman = reception.world.user("foreman")
    oil = order.lines.get(position=1)
    before = snapshot(order)
    for action in ("dispatch", "start", "finish", "rework"):
        with pytest.raises(ApplicationError) as refused:
            line_transition(actor=foreman, order_id=order.pk, line_id=oil.pk, action=action)
        assert (refused.value.status, refused.value.code) == (409, "not_allowed")
    assert snapshot(order) == before
    sublet = line_add(
        actor=reception.advisor,
        order_id=order.pk,
        data=LineIn(kind="sublet", description="四轮定位（外协）", unit_price=D("180"), cost=D("100")),
    )
    approvals_record(
        actor=reception.advisor,
        order_id=order.pk,
        data=ApprovalIn(kind="customer_phone", person="张伟", decisions=[Decision(sublet.pk, True)]),
    )
    repair_order_transition(actor=foreman, order_id=order.pk, action="start_work")
    sublet = line_transition(actor=foreman, order_id=order.pk, line_id=sublet.pk, action="finish")
    assert sublet.state == "done"
    events = [(e.line_id and e.line.position, e.action, e.from_state, e.to_state) for e in order.events.order_by("pk")]
    assert events[-2:] == [(None, "start_work", "open", "in_work"), (5, "finish", "approved", "done")]


def test_replaying_the_events_gives_the_current_states(reception: Reception, order: RepairOrder) -> None:
    foreman = reception.world.user("foreman")
    repair_order_transition(actor=foreman, order_id=order.pk, action="start_work")
    line_transition(actor=reception.advisor, order_id=order.pk, line_id=order.lines.get(position=4).pk, action="cancel")
    # Every line starts proposed (the signing is its first event); the order starts from nothing.
    states: dict[object, str] = {line.pk: "proposed" for line in order.lines.all()}
    for event in order.events.order_by("pk"):
        key = event.line_id or "order"
        assert states.get(key, "") == event.from_state
        states[key] = event.to_state
    assert states == {"order": "in_work", **{ln.pk: ln.state for ln in order.lines.all()}}
    assert {ln.position: ln.state for ln in order.lines.all()} == {
        1: "approved",
        2: "approved",
        3: "proposed",
        4: "cancelled",
    }


def test_the_price_of_an_approved_line_changes_only_with_the_permission(
    reception: Reception, order: RepairOrder
) -> None:
    sublet = line_add(
        actor=reception.advisor,
        order_id=order.pk,
        data=LineIn(kind="sublet", description="四轮定位（外协）", unit_price=D("180"), cost=D("100")),
    )
    assert (sublet.position, sublet.state, sublet.amount, sublet.tax_rate, sublet.net) == (
        5,
        "proposed",
        D("180.00"),
        D("0.13"),
        D("159.29"),
    )
    changed = line_price_set(
        actor=reception.advisor, order_id=order.pk, line_id=sublet.pk, unit_price=D("160"), reason="老客户"
    )
    assert (changed.unit_price, changed.amount, changed.price_overridden) == (D("160.00"), D("160.00"), True)
    approved = order.lines.get(position=1)
    before = snapshot(order)
    with pytest.raises(ApplicationError) as refused:
        line_price_set(
            actor=reception.advisor, order_id=order.pk, line_id=approved.pk, unit_price=D("150"), reason="优惠"
        )
    assert (refused.value.status, refused.value.fields) == (
        403,
        {"unit_price": ["This line is approved: changing its price needs the permission to change approved prices."]},
    )
    assert snapshot(order) == before
    manager = reception.world.user("service_manager")
    line = line_price_set(actor=manager, order_id=order.pk, line_id=approved.pk, unit_price=D("150"), reason="活动价")
    assert (line.unit_price, line.amount, line.net, line.tax) == (D("150.00"), D("150.00"), D("132.74"), D("17.26"))
    assert order.events.filter(action="price").values_list("note", flat=True).last() == "200.00 → 150.00: 活动价"
