"""Comebacks: a new order on a car inside an open repair guarantee or the store's window, matching earlier
work by operation category, part (or its supersession chain) or fault code, is flagged and linked; the QC
inspector confirms (free to the customer, at the store's cost) or rejects; the rates count it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation

from aftersales.catalogue.models import LabourOperation
from aftersales.catalogue.tests.factories import LabourOperationFactory
from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.customers.tests.factories import VehicleFactory
from aftersales.parts.models import Supersession
from aftersales.parts.tests.factories import PartFactory
from aftersales.quality.models import Comeback, ComebackLine, Guarantee, QualitySettings
from aftersales.quality.selectors import comeback_rates
from aftersales.quality.services import FlagIn, comeback_decide, comeback_flag
from aftersales.quality.services.comebacks import watched
from aftersales.visits.models import Line, LineApproval, RepairOrder, RepairOrderEvent
from aftersales.visits.services import LineIn, line_add, visit_open

from .conftest import Yard


def brakes_again(yard: Yard, **changes: Any) -> RepairOrder:
    """A new order on the delivered car: the front brakes again, with the same fault and causal part."""
    r = yard.shop.reception
    line = LineIn(
        kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动异响", causal_part_id=r.pads.pk
    )
    for name, value in changes.items():
        setattr(line, name, value)
    return yard.order(line)


def electrical(yard: Yard) -> LabourOperation:
    """An operation of a category the first order did not have: a check of the instrument cluster."""
    return LabourOperationFactory.create(
        group=yard.store.group, code="EL05", name="仪表故障检查", default_hours=Decimal("0.50"), category="electrical"
    )


def written() -> tuple[Any, ...]:
    return (
        list(Comeback.all_objects.order_by("pk").values_list("pk", "state", "note")),
        ComebackLine.objects.count(),
        list(Line.all_objects.order_by("pk").values_list("pk", "pay_type", "state", "amount")),
        LineApproval.objects.count(),
        RepairOrderEvent.objects.count(),
    )


def test_work_on_the_same_fault_inside_the_guarantee_is_flagged_and_linked(yard: Yard) -> None:
    delivery = yard.delivered()
    original = RepairOrder.all_objects.get(visit=delivery.visit)
    order = brakes_again(yard)
    comeback = Comeback.all_objects.get(order=order)
    assert (comeback.original, comeback.vehicle_id, comeback.state, comeback.in_guarantee) == (
        original,
        original.vehicle_id,
        "flagged",
        True,
    )
    [line] = ComebackLine.objects.filter(comeback=comeback)
    assert (line.line.position, line.original_line.position, line.matched_by, line.technician) == (
        1,
        3,
        ["category", "part", "fault"],
        yard.shop.middle,
    )
    # The oil change of the first order is not the same work: only the brakes are linked.
    assert ComebackLine.objects.count() == 1


def test_a_part_of_the_same_supersession_chain_is_the_same_part(yard: Yard) -> None:
    r = yard.shop.reception
    yard.delivered()
    newer = PartFactory.create(
        group=yard.store.group, number="5Q0698151A", number_display="5Q0-698-151-A", name="前制动片"
    )
    Supersession.objects.create(
        old_part=r.pads, new_part=newer, interchangeability="two_way", effective_on=date(2026, 1, 1)
    )
    # An electrical job whose causal part is the newer pads number: no category or fault in common.
    order = yard.order(
        LineIn(kind="labour", operation_id=electrical(yard).pk, causal_part_id=newer.pk, symptom="仪表报警")
    )
    [line] = ComebackLine.objects.filter(comeback__order=order)
    assert (line.original_line.position, line.matched_by) == (3, ["part"])


def test_nothing_is_flagged_outside_the_guarantee_and_the_window(yard: Yard) -> None:
    yard.delivered()
    long_ago = timezone.now().astimezone(yard.store.zone).date() - timedelta(days=120)
    Guarantee.objects.update(
        delivered_on=long_ago, valid_to=long_ago + timedelta(days=100), watch_to=long_ago + timedelta(days=100)
    )
    brakes_again(yard)
    assert not Comeback.all_objects.exists()


def test_inside_the_stores_window_after_the_guarantee_ended_it_is_flagged_as_such(yard: Yard) -> None:
    QualitySettings.objects.create(
        store=yard.store,
        final_checks=["灯光正常"],
        wash_checks=["车身"],
        comeback_days=60,
        delivery_checks=[str(n) for n in range(24)],
    )
    yard.delivered()
    today = timezone.now().astimezone(yard.store.zone).date()
    # The brake guarantee ended by km (the car did 20,001 km since); the window of 60 days still runs.
    Guarantee.objects.filter(repair_category="assembly").update(km_to=52_305 - 1)
    order = brakes_again(yard)
    comeback = Comeback.all_objects.get(order=order)
    assert (comeback.in_guarantee, watched(order.vehicle_id, day=today + timedelta(days=101))) == (False, [])


def test_confirming_makes_the_work_free_to_the_customer_at_the_stores_cost(yard: Yard) -> None:
    yard.delivered()
    order = brakes_again(yard)
    comeback = Comeback.all_objects.get(order=order)
    line = Line.all_objects.get(order=order, position=1)
    assert (line.state, line.pay_type, line.amount) == ("approved", "customer", Decimal("400.00"))  # signed for
    decided = comeback_decide(actor=yard.qc, comeback_id=comeback.pk, confirm=True, note="上次制动片安装不当")
    line = Line.all_objects.get(pk=line.pk)
    assert (decided.state, decided.decided_by, line.state, line.pay_type, line.unit_price, line.amount) == (
        "confirmed",
        yard.qc,
        "approved",
        "comeback",
        Decimal("120.00"),
        Decimal("240.00"),
    )
    approval = LineApproval.objects.filter(line=line).latest("pk")
    assert (approval.kind, approval.approved, approval.by, approval.amount) == (
        "qc_confirmation",
        True,
        yard.qc,
        Decimal("240.00"),
    )
    before = written()
    with pytest.raises(ConflictError) as twice, translation.override("en"):
        comeback_decide(actor=yard.qc, comeback_id=comeback.pk, confirm=False, note="x")
    assert (twice.value.code, twice.value.detail) == ("decided", "This comeback was decided already: Confirmed.")
    assert written() == before


def test_a_proposed_line_is_approved_by_the_confirmation(yard: Yard) -> None:
    yard.delivered()
    r = yard.shop.reception
    order = yard.order(LineIn(kind="labour", operation_id=r.oil.pk))
    line = line_add(
        actor=yard.advisor,
        order_id=order.pk,
        data=LineIn(
            kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动异响", source="diagnosis"
        ),
    )
    assert Line.all_objects.get(pk=line.pk).state == "proposed"
    comeback = Comeback.all_objects.get(order=order)
    comeback_decide(actor=yard.qc, comeback_id=comeback.pk, confirm=True)
    line = Line.all_objects.get(pk=line.pk)
    assert (line.state, line.pay_type, line.amount) == ("approved", "comeback", Decimal("240.00"))


def test_rejecting_needs_the_reason_and_changes_no_price(yard: Yard) -> None:
    yard.delivered()
    order = brakes_again(yard)
    comeback = Comeback.all_objects.get(order=order)
    before = written()
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        comeback_decide(actor=yard.qc, comeback_id=comeback.pk, confirm=False)
    assert error.value.fields == {"note": ["Say why this is not a comeback."]}
    assert written() == before
    with pytest.raises(ApplicationError) as error:
        comeback_decide(actor=yard.advisor, comeback_id=comeback.pk, confirm=False, note="客户新的碰撞")
    assert error.value.status == 404  # the advisor may not decide
    comeback_decide(actor=yard.qc, comeback_id=comeback.pk, confirm=False, note="新的碰撞损伤，非返修")
    assert Line.all_objects.get(order=order, position=1).pay_type == "customer"


def test_a_comeback_is_linked_by_hand_only_to_the_same_cars_delivered_work(yard: Yard) -> None:
    delivery = yard.delivered()
    original = RepairOrder.all_objects.get(visit=delivery.visit)
    r = yard.shop.reception
    order = yard.order(LineIn(kind="labour", operation_id=electrical(yard).pk))
    assert not Comeback.all_objects.exists()
    other_car = VehicleFactory.create(owner=r.customer, plate="沪B54321")
    other_order = RepairOrder.all_objects.create(
        store=yard.store,
        number="RO-OTHER",
        state="delivered",
        visit=original.visit,
        customer=r.customer,
        vehicle=other_car,
        advisor=yard.advisor,
        customer_statement="x",
        mileage_in=1000,
        signed_name="x",
        signature=original.signature,
        signed_at=timezone.now(),
        signed_hash="0" * 64,
    )
    new_line = Line.all_objects.get(order=order, position=1)
    old_line = Line.all_objects.get(order=original, position=1)
    before = written()
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        comeback_flag(actor=yard.qc, data=FlagIn(order.pk, other_order.pk, [(new_line.pk, old_line.pk)]))
    assert error.value.fields == {
        "original_order": ["Repair order RO-OTHER is of another car: a comeback is work on the same car again."]
    }
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        comeback_flag(actor=yard.qc, data=FlagIn(order.pk, original.pk, [(new_line.pk, new_line.pk)]))
    assert error.value.fields == {
        "lines.0": ["Choose a line of this order and a done labour line of the earlier order."]
    }
    assert written() == before
    comeback = comeback_flag(
        actor=yard.qc, data=FlagIn(order.pk, original.pk, [(new_line.pk, old_line.pk)], note="换油后渗漏")
    )
    assert (comeback.state, comeback.in_guarantee, comeback.flagged_by) == ("flagged", True, yard.qc)
    assert list(ComebackLine.objects.values_list("matched_by", "technician_id")) == [([], yard.shop.middle.pk)]
    with pytest.raises(ConflictError):
        comeback_flag(actor=yard.qc, data=FlagIn(order.pk, original.pk, [(new_line.pk, old_line.pk)]))


def test_the_rates_count_comebacks_and_reworks_per_technician_operation_and_store(yard: Yard) -> None:
    yard.delivered()
    order = brakes_again(yard)
    comeback_decide(actor=yard.qc, comeback_id=Comeback.all_objects.get(order=order).pk, confirm=True)
    today = timezone.now().astimezone(yard.store.zone).date()
    rates = comeback_rates([yard.store.pk], since=today - timedelta(days=1), until=today)
    assert [(r.name, r.delivered, r.comebacks, r.comeback_rate, r.reworks) for r in rates.technicians] == [
        ("维修技师", 2, 1, Decimal("50.0"), 0)
    ]
    assert [(r.name, r.delivered, r.comebacks, r.comeback_rate) for r in rates.operations] == [
        ("BR02 更换前制动片", 1, 1, Decimal("100.0")),
        ("MT01 更换机油", 1, 0, Decimal("0.0")),
    ]
    assert [(r.delivered, r.comebacks) for r in rates.stores] == [(2, 1)]


def _brakes_at(yard: Yard, km: int) -> RepairOrder:
    """The brakes again, on a new visit at ``km``."""
    r = yard.shop.reception
    visit_open(actor=r.advisor, data=r.visit_in(promised_at=r.later(4), mileage_in=km))
    return yard.shop.order(LineIn(kind="labour", operation_id=r.brakes.pk, fault_code="c1234", symptom="制动异响"))


@pytest.mark.parametrize(
    ("days_ago", "km", "flagged", "in_guarantee"),
    [
        (100, 60_000, True, True),  # day 100 of the assembly repair's 100 days: still covered
        (101, 60_000, False, False),  # day 101: over, and past the 30-day window
        (20, 72_305, True, True),  # 20,000 km since delivery: still covered
        (20, 72_306, True, False),  # 20,001 km: over; inside the window, flagged as such
    ],
)
def test_the_guarantee_ends_at_its_first_limit_when_the_car_comes_back(
    yard: Yard, days_ago: int, km: int, flagged: bool, in_guarantee: bool
) -> None:
    delivery = yard.delivered()
    assert delivery.mileage_out == 52_305
    today = timezone.now().astimezone(yard.store.zone).date()
    delivered = today - timedelta(days=days_ago)
    for guarantee in Guarantee.objects.all():
        guarantee.delivered_on = delivered
        guarantee.valid_to = delivered + timedelta(days=guarantee.days)
        guarantee.watch_to = max(guarantee.valid_to, delivered + timedelta(days=30))
        guarantee.save()
    order = _brakes_at(yard, km)
    comebacks = list(Comeback.all_objects.filter(order=order).values_list("in_guarantee", flat=True))
    assert comebacks == ([in_guarantee] if flagged else [])


def test_a_part_points_only_at_the_work_that_fitted_it(yard: Yard) -> None:
    # The first order had the oil change and the brakes: its oil filter is no sign of which came back.
    yard.delivered()
    r = yard.shop.reception
    order = yard.order(LineIn(kind="part", part_id=r.filter.pk, quantity=Decimal(1)))
    assert not Comeback.all_objects.filter(order=order).exists()
    assert list(Guarantee.objects.order_by("line__position").values_list("part_ids", flat=True)) == [[], [r.pads.pk]]


def test_work_added_to_a_confirmed_comeback_is_at_the_stores_cost_too(yard: Yard) -> None:
    yard.delivered()
    order = brakes_again(yard)
    comeback_decide(actor=yard.qc, comeback_id=Comeback.all_objects.get(order=order).pk, confirm=True, note="返修")
    r = yard.shop.reception
    line = line_add(
        actor=yard.advisor,
        order_id=order.pk,
        data=LineIn(kind="part", part_id=r.pads.pk, quantity=Decimal(1), source="diagnosis"),
    )
    line = Line.all_objects.get(pk=line.pk)
    assert (line.state, line.pay_type) == ("approved", "comeback")
    approval = LineApproval.objects.filter(line=line).latest("pk")
    assert (approval.kind, approval.by, approval.note) == ("qc_confirmation", yard.qc, "返修")
