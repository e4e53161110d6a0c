"""Rules around the order's lines: what signing approves, who may reserve, what a line may do in which
order state, a link checked again under the order's lock, whose decline charges the diagnosis fee."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.core.errors import ApplicationError
from aftersales.messaging.models import CustomerLink
from aftersales.parts.models import Reservation
from aftersales.visits.models import Line, LineApproval, RepairOrder, Visit
from aftersales.visits.services import (
    ApprovalIn,
    Decision,
    DiagnosisIn,
    LineIn,
    RecommendationIn,
    approvals_record,
    diagnosis_save,
    line_price_set,
    line_transition,
    recommendation_add,
    repair_order_create,
)
from aftersales.visits.services.links import approval_link_decide, approval_link_send
from aftersales.visits.tests.conftest import Reception
from aftersales.visits.tests.test_orders import order_in, snapshot

D = Decimal


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_a_recommendation_on_the_order_waits_for_its_own_approval(reception: Reception, visit: Visit) -> None:
    rec = recommendation_add(
        actor=reception.world.user("technician"),
        visit_id=visit.pk,
        data=RecommendationIn(operation_id=reception.brakes.pk, fault_code="C1234", symptom="制动异响"),
    )
    order = repair_order_create(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=order_in(
            reception,
            LineIn(kind="labour", operation_id=reception.oil.pk),
            LineIn(kind="labour", operation_id=reception.brakes.pk, recommendation_id=rec.pk),
        ),
    )
    assert list(order.lines.order_by("position").values_list("source", "state")) == [
        ("requested", "approved"),
        ("diagnosis", "proposed"),
    ]
    assert LineApproval.objects.count() == 1


def test_the_insurance_clerk_signs_an_order_with_parts_without_the_stock_permission(
    reception: Reception, visit: Visit
) -> None:
    clerk = reception.world.user("insurance")
    order = repair_order_create(
        actor=clerk,
        visit_id=visit.pk,
        data=order_in(reception, LineIn(kind="part", part_id=reception.filter.pk, quantity=D(1), pay_type="insurance")),
    )
    assert list(Reservation.all_objects.values_list("demand_id", "quantity")) == [(order.pk, D("1.000"))]


def test_a_line_moves_only_while_the_order_is_open_or_in_work(reception: Reception, visit: Visit) -> None:
    order = repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))
    foreman = reception.world.user("foreman")
    part = order.lines.get(position=2)
    with pytest.raises(ApplicationError) as issued:
        line_transition(actor=foreman, order_id=order.pk, line_id=part.pk, action="finish")
    assert (issued.value.status, str(issued.value)) == (
        409,
        "A part line is done when its part is issued at the parts desk.",
    )
    RepairOrder.all_objects.filter(pk=order.pk).update(state="delivered")
    before = snapshot(order)
    with pytest.raises(ApplicationError) as delivered:
        line_transition(actor=reception.advisor, order_id=order.pk, line_id=part.pk, action="cancel")
    assert str(delivered.value) == "This cannot be done while the order is “Delivered”."
    assert snapshot(order) == before


def test_a_link_is_checked_again_under_the_orders_lock(reception: Reception, visit: Visit) -> None:
    order = repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))
    link, _url = approval_link_send(actor=reception.advisor, order_id=order.pk, base_url="http://testserver/")
    proposed = list(order.lines.filter(state="proposed").order_by("position"))
    line_price_set(
        actor=reception.world.user("service_manager"),
        order_id=order.pk,
        line_id=proposed[1].pk,
        unit_price=D("380"),
        reason="促销",
    )
    link = CustomerLink.objects.get(pk=link.pk)
    with pytest.raises(ApplicationError) as changed:
        approval_link_decide(
            link=link, shown_hash=link.snapshot_hash, decisions={line.pk: True for line in proposed}, reasons={}
        )
    assert changed.value.status == 410
    assert (LineApproval.objects.filter(kind="customer_link").count(), CustomerLink.objects.get(pk=link.pk).uses) == (
        0,
        0,
    )


def test_the_insurer_declining_charges_the_customer_no_diagnosis_fee(reception: Reception, visit: Visit) -> None:
    diagnosis_save(actor=reception.advisor, visit_id=visit.pk, data=DiagnosisIn(symptoms="前保险杠刮擦"))
    order = repair_order_create(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=order_in(reception, LineIn(kind="labour", operation_id=reception.brakes.pk, pay_type="insurance")),
    )
    line = order.lines.get()
    approvals_record(
        actor=reception.world.user("insurance"),
        order_id=order.pk,
        data=ApprovalIn(
            kind="insurer_assessment",
            insurer="中国人保",
            claim_number="RDAA01",
            decisions=[Decision(line.pk, False, "不在保险责任范围")],
        ),
    )
    assert list(Line.all_objects.filter(order=order).values_list("kind", "state")) == [("labour", "declined")]
