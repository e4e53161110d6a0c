"""From the wash to the car leaving: each step in its turn, each refusal with nothing written, the
delivery's sheet, the repair guarantees it starts and their ends at the boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation

from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.customers.models import MileageReading, Vehicle
from aftersales.messaging.models import Signature
from aftersales.quality.models import (
    Delivery,
    Guarantee,
    GuaranteeTerm,
    Handover,
    OldPartsOutcome,
    QualitySettings,
    Wash,
)
from aftersales.quality.services import (
    HandoverIn,
    delivery_record,
    final_inspection_record,
    guarantee_terms,
    guarantee_terms_save,
    handover_record,
    pickup_arrived,
    ready_check,
    wash_record,
)
from aftersales.quality.services.guarantees import guarantee_end
from aftersales.visits.models import Line, RepairOrder, RepairOrderEvent, Visit, VisitEvent
from aftersales.visits.services import ApprovalIn, Decision, LineIn, approvals_record, line_transition
from aftersales.visits.services.orders import repair_order_transition

from .conftest import Yard


def written() -> tuple[Any, ...]:
    return (
        list(Wash.objects.values_list("pk", "skipped")),
        list(Handover.objects.values_list("pk", "checked_at", "customer_arrived_at")),
        Delivery.objects.count(),
        OldPartsOutcome.objects.count(),
        Guarantee.objects.count(),
        Signature.objects.count(),
        MileageReading.objects.count(),
        list(Visit.all_objects.order_by("pk").values_list("pk", "state", "parking_spot", "left_at")),
        list(RepairOrder.all_objects.order_by("pk").values_list("pk", "state")),
        RepairOrderEvent.objects.count(),
        VisitEvent.objects.count(),
        list(Vehicle.objects.values_list("pk", "next_service_on", "next_service_km")),
    )


def refused(call: Any) -> ApplicationError:
    before = written()
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        call()
    assert written() == before
    return error.value


def test_the_car_is_washed_after_its_final_inspection_only_and_to_the_standard(yard: Yard) -> None:
    order = yard.completed()
    visit = order.visit
    error = refused(lambda: wash_record(actor=yard.washer, visit_id=visit.pk, data=yard.wash_in(visit)))
    assert (type(error), error.detail) == (
        ConflictError,
        f"The final inspection of {order.number} has not passed yet.",
    )
    order = yard.inspected(order)
    error = refused(
        lambda: wash_record(
            actor=yard.washer,
            visit_id=visit.pk,
            data=yard.wash_in(visit, checks=[True, False, True, True, True, True], spot="", nose_out=False),
        )
    )
    assert error.fields == {
        "checks.1": ["Wash to the standard: this point is not done."],
        "spot": ["Say where in the finished area the car stands."],
        "nose_out": ["Park the car nose out, ready to drive away."],
    }
    assert refused(
        lambda: wash_record(actor=yard.washer, visit_id=visit.pk, data=yard.wash_in(visit, washer_id=None))
    ).fields == {"washer": ["Choose who washed the car."]}
    assert refused(
        lambda: wash_record(actor=yard.washer, visit_id=visit.pk, data=yard.wash_in(visit, skip=True))
    ).fields == {"skip": ["This store washes Major repair orders."]}
    wash = wash_record(actor=yard.washer, visit_id=visit.pk, data=yard.wash_in(visit))
    assert (
        wash.washer,
        wash.spot,
        wash.nose_out,
        len(wash.checks),
        Visit.all_objects.get(pk=visit.pk).parking_spot,
    ) == (
        yard.washer,
        "F-03",
        True,
        6,
        "F-03",
    )
    error = refused(lambda: wash_record(actor=yard.washer, visit_id=visit.pk, data=yard.wash_in(visit)))
    assert error.code == "washed"


def test_a_store_skips_the_wash_for_the_order_types_it_chose(yard: Yard) -> None:
    QualitySettings.objects.create(
        store=yard.store, final_checks=["灯光正常"], wash_checks=["车身"], wash_skip=["quick"]
    )
    order = yard.inspected(yard.work(yard.order(LineIn(kind="labour", operation_id=yard.shop.reception.oil.pk))))
    wash = wash_record(
        actor=yard.shop.foreman, visit_id=order.visit_id, data=yard.wash_in(order.visit, skip=True, washer_id=None)
    )
    assert (wash.skipped, wash.washer, wash.checks) == (True, None, [])
    assert VisitEvent.objects.filter(visit_id=order.visit_id).latest("pk").action == "not_washed"


def test_the_handover_follows_the_wash_and_the_check_follows_the_handover(yard: Yard) -> None:
    order = yard.inspected()
    visit_id = order.visit_id
    handover_in = HandoverIn(keys="K-07 两把", explanation="更换前制动片")
    error = refused(lambda: handover_record(actor=yard.shop.foreman, visit_id=visit_id, data=handover_in))
    assert (error.code, error.detail) == ("not_washed", "Wash the car first, or record that it is not washed.")
    error = refused(lambda: ready_check(actor=yard.advisor, visit_id=visit_id, data=yard.ready_in(order.visit)))
    assert (error.code, error.detail) == ("not_handed_over", "The workshop has not handed this car over yet.")
    yard.washed(order)
    assert refused(
        lambda: handover_record(actor=yard.shop.foreman, visit_id=visit_id, data=HandoverIn(keys="", explanation=""))
    ).fields == {
        "keys": ["Say which keys are handed over."],
        "explanation": ["Explain the work and the recommendations."],
    }
    handover = handover_record(actor=yard.shop.foreman, visit_id=visit_id, data=handover_in)
    assert (handover.handed_by, handover.advisor, handover.keys) == (yard.shop.foreman, yard.advisor, "K-07 两把")
    data = yard.ready_in(order.visit)
    data.lines[1].ok = False
    error = refused(lambda: ready_check(actor=yard.advisor, visit_id=visit_id, data=data))
    assert error.fields == {"lines.1.ok": ["Not as agreed: have the workshop put it right before the car is ready."]}
    error = refused(
        lambda: ready_check(
            actor=yard.advisor,
            visit_id=visit_id,
            data=yard.ready_in(
                order.visit, lines=yard.ready_in(order.visit).lines[:2], car_checked=False, pickup_spot=""
            ),
        )
    )
    assert error.fields == {
        "lines": ["Go through each of the 3 lines once."],
        "car_checked": ["Check the car itself: the work areas, the body and the interior."],
        "pickup_spot": ["Say where in the pick-up area the car stands."],
    }
    ready_check(actor=yard.advisor, visit_id=visit_id, data=yard.ready_in(order.visit))
    handover = Handover.objects.get(pk=handover.pk)
    assert (RepairOrder.all_objects.get(pk=order.pk).state, handover.pickup_spot, handover.checked_by) == (
        "ready",
        "P-01",
        yard.advisor,
    )
    assert handover.notified_at == handover.checked_at


def test_a_line_not_done_keeps_the_car_from_being_ready(yard: Yard) -> None:
    r = yard.shop.reception
    order = yard.order(
        LineIn(kind="labour", operation_id=r.oil.pk),
        LineIn(kind="part", part_id=r.filter.pk, quantity=Decimal(1), source="diagnosis"),  # proposed, undecided
    )
    order = yard.work(order)
    order = yard.inspected(order)
    yard.handed_over(order)
    error = refused(lambda: ready_check(actor=yard.advisor, visit_id=order.visit_id, data=yard.ready_in(order.visit)))
    assert (error.code, error.detail) == ("unfinished", f"Not done yet: {order.number} line 2.")
    error = refused(
        lambda: delivery_record(actor=yard.advisor, visit_id=order.visit_id, data=yard.delivery_in(order.visit))
    )
    assert (error.code, error.detail) == ("unfinished", f"Not done yet: {order.number} line 2.")


def test_delivery_before_the_check_or_without_a_signature_writes_nothing(yard: Yard) -> None:
    order = yard.completed()
    visit = order.visit
    error = refused(lambda: delivery_record(actor=yard.advisor, visit_id=visit.pk, data=yard.delivery_in(visit)))
    assert (error.code, error.detail) == (
        "not_inspected",
        f"The final inspection of {order.number} has not passed yet.",
    )
    order = yard.inspected(order)
    error = refused(lambda: delivery_record(actor=yard.advisor, visit_id=visit.pk, data=yard.delivery_in(visit)))
    assert (error.code, error.detail) == (
        "not_ready",
        f"Check the car before delivery first: {order.number} not ready.",
    )
    yard.ready(order)
    error = refused(
        lambda: delivery_record(
            actor=yard.advisor,
            visit_id=visit.pk,
            data=yard.delivery_in(
                visit,
                signature="",
                keys_handed=False,
                mileage_out=52_299,
                next_service_on=None,
                next_service_km=52_000,
                rating=6,
                free_checks=yard.delivery_in(visit).free_checks[:23],
            ),
        )
    )
    assert error.fields == {
        "signature": ["Whoever collects the car signs the delivery sheet."],
        "free_checks": ["Give a result for each of the 24 checks."],
        "mileage_out": ["Between the 52,300 km the car came in with and 53,300 km."],
        "keys_handed": ["Hand over the keys: the delivery ends with them."],
        "next_service_on": ["Enter the date of the next service."],
        "next_service_km": ["More than the mileage out, by at most 100,000 km."],
        "rating": ["Rate from 1 to 5."],
        "arrived_at": ["Record when the customer arrived for pick-up."],
    }
    pickup_arrived(actor=yard.advisor, visit_id=visit.pk)
    error = refused(
        lambda: delivery_record(
            actor=yard.advisor,
            visit_id=visit.pk,
            data=yard.delivery_in(
                visit, collector="agent", collector_name="李四", collector_id_number="110101199003071234"
            ),
        )
    )
    assert error.fields == {
        "collector_id_number": ["The check digit of this resident ID number is wrong."],
        "id_checked": ["Check the agent's ID card against the name before the car is handed over."],
    }


def test_an_agent_collects_with_the_id_checked_and_kept_masked(yard: Yard) -> None:
    order = yard.ready()
    yard.paid(order)
    visit = order.visit
    pickup_arrived(actor=yard.advisor, visit_id=visit.pk)
    arrived = Handover.objects.get(visit=visit).customer_arrived_at
    Visit.all_objects.filter(pk=visit.pk).update(arrived_at=arrived - timedelta(hours=3))
    Handover.objects.filter(visit=visit).update(customer_arrived_at=arrived - timedelta(minutes=12))
    delivery = delivery_record(
        actor=yard.advisor,
        visit_id=visit.pk,
        data=yard.delivery_in(
            visit,
            collector="agent",
            collector_name="李四",
            collector_id_number="11010519491231002X",
            id_checked=True,
            old_parts={order.pk: "claim"},
            rating=4,
            comment="服务周到",
        ),
    )
    assert (delivery.collector, delivery.collector_name, delivery.collector_id_number, delivery.id_checked) == (
        "agent",
        "李四",
        "1101**********002X",
        True,
    )
    assert delivery.waiting_minutes == 12
    assert OldPartsOutcome.objects.get(delivery=delivery).outcome == "claim"
    assert delivery.driving_advice == "新制动片磨合期 200 公里内避免急刹"
    assert len(delivery.free_checks) == 24 and delivery.free_checks[0] == {
        "check": "发动机机油",
        "result": "green",
        "note": "",
    }
    assert Visit.all_objects.get(pk=visit.pk).state == "delivered"
    error = refused(lambda: delivery_record(actor=yard.advisor, visit_id=visit.pk, data=yard.delivery_in(visit)))
    assert (error.code, error.detail) == ("not_allowed", "This car has left: its visit is closed.")


def test_a_guarantee_runs_to_its_first_limit_at_the_boundaries() -> None:
    # An assembly repair: 100 days or 20,000 km (机动车维修管理规定), delivered on 1 March at 52,305 km.
    delivered = date(2026, 3, 1)
    valid_to, km_to = guarantee_end(delivered, 52_305, 100, 20_000)
    assert (valid_to, km_to) == (date(2026, 6, 9), 72_305)
    guarantee = Guarantee(valid_to=valid_to, km_to=km_to)
    day_100, day_101 = delivered + timedelta(days=100), delivered + timedelta(days=101)
    assert [guarantee.open_on(day_100), guarantee.open_on(day_101)] == [True, False]
    assert [guarantee.open_on(delivered, 72_305), guarantee.open_on(delivered, 72_306)] == [True, False]
    # 20,000 km after delivery reached on day 40: ended, though the days run on; on day 100 at 60,000 km it runs.
    assert [guarantee.open_on(delivered + timedelta(days=40), 72_306), guarantee.open_on(day_100, 60_000)] == [
        False,
        True,
    ]
    assert [guarantee.open_on(day_101, 60_000)] == [False]


def test_the_delivery_starts_each_lines_guarantee_at_the_stores_longer_term(yard: Yard) -> None:
    manager = yard.shop.reception.world.user("service_manager")
    guarantee_terms_save(actor=manager, store_id=yard.store.pk, terms={"first_level": (15, 3000)})
    yard.delivered()
    today = timezone.now().astimezone(yard.store.zone).date()
    rows = {
        row.line.position: (row.repair_category, row.days, row.km, row.valid_to, row.km_to, row.technician_id)
        for row in Guarantee.objects.select_related("line")
    }
    assert rows == {
        1: ("first_level", 15, 3000, today + timedelta(days=15), 55_305, yard.shop.middle.pk),
        3: ("assembly", 100, 20_000, today + timedelta(days=100), 72_305, yard.shop.middle.pk),
    }


def test_a_store_guarantee_below_the_legal_minimum_is_refused(yard: Yard) -> None:
    manager = yard.shop.reception.world.user("service_manager")
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        guarantee_terms_save(
            actor=manager,
            store_id=yard.store.pk,
            terms={"assembly": (99, 20_000), "second_level": (30, 4_999), "minor": (None, 3000)},
        )
    assert error.value.fields == {
        "assembly_days": ["At least the law's 100 days (机动车维修管理规定), at most 3650."],
        "second_level_km": ["At least the law's 5,000 km (机动车维修管理规定), at most 1,000,000."],
        "minor_days": ["Give both the days and the km, or neither."],
    }
    assert GuaranteeTerm.objects.count() == 0
    assert guarantee_terms(yard.store.pk)["assembly"] == (100, 20_000)


def test_the_delivery_updates_the_cars_mileage_next_service_and_timeline(yard: Yard) -> None:
    delivery = yard.delivered()
    vehicle = Vehicle.objects.get(pk=yard.shop.reception.vehicle.pk)
    assert (vehicle.next_service_on, vehicle.next_service_km) == (delivery.next_service_on, 62_300)
    reading = MileageReading.objects.filter(vehicle=vehicle).latest("pk")
    assert (reading.km, reading.source) == (52_305, "repair_order")
    assert Line.all_objects.filter(order__visit=delivery.visit, state="done").count() == 3


def test_a_customer_who_declined_the_repair_collects_the_car_after_the_check(yard: Yard) -> None:
    r = yard.shop.reception
    order = yard.order(LineIn(kind="labour", operation_id=r.brakes.pk, source="diagnosis", symptom="制动异响"))
    line = yard.shop.line(order, 1)
    approvals_record(
        actor=yard.advisor,
        order_id=order.pk,
        data=ApprovalIn(
            kind="customer_phone", person="张伟", decisions=[Decision(line_id=line.pk, approve=False, reason="太贵")]
        ),
    )
    fee = Line.all_objects.get(order=order, kind="fee")
    assert (RepairOrder.all_objects.get(pk=order.pk).state, fee.state, fee.amount) == (
        "open",
        "done",
        Decimal("150.00"),
    )
    # Nothing to inspect: not washed (no labour), handed over, checked; the order is done without labour.
    wash_record(actor=yard.washer, visit_id=order.visit_id, data=yard.wash_in(order.visit, skip=True, washer_id=None))
    yard_handover = handover_record(
        actor=yard.shop.foreman,
        visit_id=order.visit_id,
        data=HandoverIn(keys="K-07", explanation="客户不修，已告知风险"),
    )
    assert yard_handover.keys == "K-07"
    ready_check(actor=yard.advisor, visit_id=order.visit_id, data=yard.ready_in(order.visit))
    actions = list(
        RepairOrderEvent.objects.filter(order=order, line=None).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["sign", "close_out", "ready"]
    pickup_arrived(actor=yard.advisor, visit_id=order.visit_id)
    yard.paid(order)  # the diagnosis fee
    delivery_record(actor=yard.advisor, visit_id=order.visit_id, data=yard.delivery_in(order.visit))
    assert (RepairOrder.all_objects.get(pk=order.pk).state, Guarantee.objects.count()) == ("delivered", 0)


def test_an_order_added_after_the_check_is_checked_in_its_turn(yard: Yard) -> None:
    first = yard.ready()
    r = yard.shop.reception
    second = yard.inspected(yard.work(yard.order(LineIn(kind="labour", operation_id=r.oil.pk))))
    assert second.visit_id == first.visit_id
    error = refused(
        lambda: delivery_record(actor=yard.advisor, visit_id=first.visit_id, data=yard.delivery_in(first.visit))
    )
    assert (error.code, error.detail) == (
        "not_ready",
        f"Check the car before delivery first: {second.number} not ready.",
    )
    ready_check(actor=yard.advisor, visit_id=first.visit_id, data=yard.ready_in(first.visit))
    assert list(RepairOrder.all_objects.filter(visit_id=first.visit_id).values_list("state", flat=True)) == [
        "ready",
        "ready",
    ]
    error = refused(lambda: ready_check(actor=yard.advisor, visit_id=first.visit_id, data=yard.ready_in(first.visit)))
    assert error.code == "checked"


def test_a_part_left_approved_on_a_completed_order_is_cancelled_and_the_car_goes(yard: Yard) -> None:
    r = yard.shop.reception
    order = yard.work(
        yard.order(
            LineIn(kind="labour", operation_id=r.oil.pk), LineIn(kind="part", part_id=r.pads.pk, quantity=Decimal(1))
        ),
        issue=False,
    )
    with pytest.raises(ConflictError) as early, translation.override("en"):
        final_inspection_record(actor=yard.qc, order_id=order.pk, data=yard.passing(order))
    assert (early.value.code, early.value.detail) == (
        "parts_not_issued",
        f"Issue the parts first: {order.number} line 2.",
    )
    line_transition(actor=yard.advisor, order_id=order.pk, line_id=yard.shop.line(order, 2).pk, action="cancel")
    yard.delivered(yard.ready(yard.inspected(order)))
    assert RepairOrder.all_objects.get(pk=order.pk).state == "delivered"


def test_the_recorded_arrival_is_not_overwritten(yard: Yard) -> None:
    order = yard.ready()
    yard.paid(order)
    visit = order.visit
    pickup_arrived(actor=yard.advisor, visit_id=visit.pk)
    recorded = Handover.objects.get(visit=visit).customer_arrived_at
    delivery = delivery_record(
        actor=yard.advisor, visit_id=visit.pk, data=yard.delivery_in(visit, arrived_at=visit.arrived_at)
    )
    assert delivery.arrived_at == recorded


def test_work_is_sent_back_only_by_the_final_inspection(yard: Yard) -> None:
    order = yard.completed()
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        repair_order_transition(actor=yard.shop.foreman, order_id=order.pk, action="rework")
    assert (error.value.status, error.value.code) == (409, "not_allowed")
    assert RepairOrder.all_objects.get(pk=order.pk).state == "completed"
