"""Approval per line, of every kind DESIGN-visit lists, and what declining leads to."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.core.errors import ApplicationError
from aftersales.parts.models import Reservation, StockBalance
from aftersales.visits.models import Line, LineApproval, RepairOrder, Visit
from aftersales.visits.services import (
    ApprovalIn,
    Decision,
    DiagnosisIn,
    LineIn,
    approvals_record,
    diagnosis_save,
    line_add,
    line_transition,
    repair_order_create,
)
from aftersales.visits.tests.conftest import Reception, signature_png
from aftersales.visits.tests.test_orders import order_in, snapshot

D = Decimal


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def lines_of(order: RepairOrder) -> dict[int, Line]:
    return {line.position: line for line in order.lines.all()}


@pytest.fixture
def mixed(reception: Reception, visit: Visit) -> RepairOrder:
    """An order with a line of each pay type that needs someone's approval."""
    r = reception
    return repair_order_create(
        actor=r.advisor,
        visit_id=visit.pk,
        data=order_in(
            r,
            LineIn(kind="labour", operation_id=r.oil.pk),  # 1 customer, approved by signing
            LineIn(kind="labour", operation_id=r.brakes.pk, pay_type="insurance"),  # 2 400.00
            LineIn(kind="part", part_id=r.pads.pk, pay_type="insurance"),  # 3 420.00
            LineIn(kind="labour", operation_id=r.brakes.pk, pay_type="oem_warranty"),  # 4 300.00
            LineIn(kind="labour", operation_id=r.oil.pk, pay_type="extended_warranty"),  # 5 180.00
            LineIn(kind="labour", operation_id=r.oil.pk, pay_type="goodwill"),  # 6 120.00
            LineIn(kind="labour", operation_id=r.oil.pk, pay_type="oem_free_service"),  # 7 automatic
            LineIn(kind="labour", operation_id=r.brakes.pk, pay_type="comeback"),  # 8 240.00
            LineIn(kind="part", part_id=r.filter.pk, source="walk_around"),  # 9 customer, proposed
        ),
    )


def test_what_signing_approves_and_what_waits(mixed: RepairOrder) -> None:
    assert {p: (ln.pay_type, ln.state, ln.amount) for p, ln in lines_of(mixed).items()} == {
        1: ("customer", "approved", D("200.00")),
        2: ("insurance", "proposed", D("400.00")),
        3: ("insurance", "proposed", D("420.00")),
        4: ("oem_warranty", "proposed", D("300.00")),
        5: ("extended_warranty", "proposed", D("180.00")),
        6: ("goodwill", "proposed", D("120.00")),
        7: ("oem_free_service", "approved", D("150.00")),
        8: ("comeback", "proposed", D("240.00")),
        9: ("customer", "proposed", D("88.00")),
    }
    assert list(LineApproval.objects.order_by("line__position").values_list("line__position", "kind")) == [
        (1, "customer_in_person"),
        (7, "policy"),
    ]


def test_an_insurance_line_is_not_the_customers_to_approve(reception: Reception, mixed: RepairOrder) -> None:
    lines = lines_of(mixed)
    before = snapshot(mixed)
    with pytest.raises(ApplicationError) as refused:
        approvals_record(
            actor=reception.advisor,
            order_id=mixed.pk,
            data=ApprovalIn(
                kind="customer_phone",
                person="张伟",
                decisions=[Decision(lines[9].pk, True), Decision(lines[2].pk, True)],
            ),
        )
    assert refused.value.fields == {
        "decisions.1.line": [
            "Line 2 (Insurance) is approved by Insurer loss assessment (定损), not by Customer by phone."
        ]
    }
    assert snapshot(mixed) == before


def test_the_insurers_assessment_spreads_the_deductible(reception: Reception, mixed: RepairOrder) -> None:
    lines = lines_of(mixed)
    data = ApprovalIn(
        kind="insurer_assessment",
        person="定损员 李",
        insurer="中国人保",
        claim_number="RDAA2026310000012345",
        deductible=D("100.00"),
        decisions=[
            Decision(lines[2].pk, True, assessed_amount=D("350.00")),
            Decision(lines[3].pk, True, assessed_amount=D("400.00")),
        ],
    )
    with pytest.raises(ApplicationError) as advisor:
        approvals_record(actor=reception.advisor, order_id=mixed.pk, data=data)
    assert (advisor.value.status, advisor.value.fields) == (
        403,
        {"kind": ["You may not record this kind of approval."]},
    )
    approvals_record(actor=reception.world.user("insurance"), order_id=mixed.pk, data=data)
    rows = LineApproval.objects.filter(kind="insurer_assessment").order_by("line__position")
    assert list(
        rows.values_list("line__position", "amount", "assessed_amount", "deductible", "insurer", "claim_number")
    ) == [
        (2, D("400.00"), D("350.00"), D("46.67"), "中国人保", "RDAA2026310000012345"),
        (3, D("420.00"), D("400.00"), D("53.33"), "中国人保", "RDAA2026310000012345"),
    ]
    assert {p: ln.state for p, ln in lines_of(mixed).items() if p in (2, 3)} == {2: "approved", 3: "approved"}


def test_warranty_provider_manager_and_qc_approvals(reception: Reception, mixed: RepairOrder) -> None:
    lines = lines_of(mixed)
    warranty = reception.world.user("warranty")
    with pytest.raises(ApplicationError) as no_number:
        approvals_record(
            actor=warranty,
            order_id=mixed.pk,
            data=ApprovalIn(kind="oem_preauthorisation", decisions=[Decision(lines[4].pk, True)]),
        )
    assert no_number.value.fields == {
        "authorisation_number": ["Enter the manufacturer's authorisation number, or record that none is required."]
    }
    approvals_record(
        actor=warranty,
        order_id=mixed.pk,
        data=ApprovalIn(
            kind="oem_preauthorisation", authorisation_number="PA-88231", decisions=[Decision(lines[4].pk, True)]
        ),
    )
    approvals_record(
        actor=warranty,
        order_id=mixed.pk,
        data=ApprovalIn(
            kind="provider_authorisation",
            provider="安盛延保",
            contract_number="EW-2025-0091",
            decisions=[Decision(lines[5].pk, True)],
        ),
    )
    approvals_record(
        actor=reception.world.user("manager"),
        order_id=mixed.pk,
        data=ApprovalIn(kind="manager", note="老客户关怀", decisions=[Decision(lines[6].pk, True)]),
    )
    approvals_record(
        actor=reception.world.user("qc"),
        order_id=mixed.pk,
        data=ApprovalIn(kind="qc_confirmation", note="上次制动片装配不当", decisions=[Decision(lines[8].pk, True)]),
    )
    rows = LineApproval.objects.order_by("line__position").values_list(
        "line__position", "kind", "authorisation_number", "provider", "contract_number", "note", "by__username"
    )
    assert list(rows) == [
        (1, "customer_in_person", "", "", "", "", "advisor_sh"),
        (4, "oem_preauthorisation", "PA-88231", "", "", "", "warranty_sh"),
        (5, "provider_authorisation", "", "安盛延保", "EW-2025-0091", "", "warranty_sh"),
        (6, "manager", "", "", "", "老客户关怀", "manager_sh"),
        (7, "policy", "", "", "", "The brand's free first service", "advisor_sh"),
        (8, "qc_confirmation", "", "", "", "上次制动片装配不当", "qc_sh"),
    ]


def test_the_customer_in_person_signs_and_a_declined_part_gives_its_stock_back(
    reception: Reception, mixed: RepairOrder
) -> None:
    lines = lines_of(mixed)
    assert StockBalance.all_objects.get(part=reception.filter).reserved == D("1.000")
    with pytest.raises(ApplicationError) as unsigned:
        approvals_record(
            actor=reception.advisor,
            order_id=mixed.pk,
            data=ApprovalIn(
                kind="customer_in_person", person="张伟", decisions=[Decision(lines[9].pk, False, "下次再换")]
            ),
        )
    assert unsigned.value.fields == {"signature": ["Sign in the box."]}
    approvals_record(
        actor=reception.advisor,
        order_id=mixed.pk,
        data=ApprovalIn(
            kind="customer_in_person",
            person="张伟",
            signature=signature_png(),
            decisions=[Decision(lines[9].pk, False, "下次再换")],
        ),
    )
    line = Line.all_objects.get(pk=lines[9].pk)
    assert (line.state, line.decline_reason, line.vehicle_id) == ("declined", "下次再换", reception.vehicle.pk)
    assert StockBalance.all_objects.get(part=reception.filter).reserved == D("0.000")
    assert not Reservation.all_objects.exists()
    approval = LineApproval.objects.get(line=line)
    assert (approval.approved, approval.signature.signer_name, approval.signature.what) == (
        False,
        "张伟",
        "line_approval",
    )


def test_declining_every_repair_after_diagnosis_charges_the_diagnosis_fee(reception: Reception, visit: Visit) -> None:
    r = reception
    diagnosis_save(actor=r.advisor, visit_id=visit.pk, data=DiagnosisIn(symptoms="制动异响", codes=["C1234"]))
    order = repair_order_create(
        actor=r.advisor,
        visit_id=visit.pk,
        data=order_in(
            r,
            LineIn(kind="labour", operation_id=r.brakes.pk, source="diagnosis"),
            LineIn(kind="part", part_id=r.pads.pk, source="diagnosis"),
        ),
    )
    lines = lines_of(order)
    approvals_record(
        actor=r.advisor,
        order_id=order.pk,
        data=ApprovalIn(
            kind="customer_phone",
            person="张伟",
            decisions=[Decision(lines[1].pk, False, "太贵"), Decision(lines[2].pk, False, "太贵")],
        ),
    )
    order.refresh_from_db()
    assert order.state == "open"
    fee = order.lines.get(position=3)
    assert (fee.kind, fee.source, fee.state, fee.amount, fee.tax_rate, fee.net, fee.tax) == (
        "fee",
        "diagnosis_fee",
        "done",
        D("150.00"),
        D("0.06"),
        D("141.51"),
        D("8.49"),
    )
    assert [(e.action, e.from_state, e.to_state) for e in fee.events.order_by("pk")] == [
        ("add", "proposed", "proposed"),
        ("approve", "proposed", "approved"),
        ("finish", "approved", "done"),
    ]
    # Approved once more (a second decline on another order line would not charge twice).
    assert order.lines.filter(source="diagnosis_fee").count() == 1


def test_additional_work_needs_its_own_approval_before_work(reception: Reception, mixed: RepairOrder) -> None:
    foreman = reception.world.user("foreman")
    found = line_add(
        actor=reception.world.user("technician"),
        order_id=mixed.pk,
        data=LineIn(kind="labour", operation_id=reception.brakes.pk, fault_code="C1234", symptom="制动盘磨损"),
    )
    assert (found.position, found.state, found.source) == (10, "proposed", "requested")
    with pytest.raises(ApplicationError) as refused:
        line_transition(actor=foreman, order_id=mixed.pk, line_id=found.pk, action="dispatch")
    assert refused.value.status == 409
