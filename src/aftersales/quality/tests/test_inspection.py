"""The final inspection (总检): the checklist, a pass and its release certificate, a fail and the rework it
sends back, and every refusal with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from aftersales.core.errors import ApplicationError, ConflictError
from aftersales.messaging.models import Message, Signature
from aftersales.quality.models import FinalInspection, QualitySettings, ReleaseCertificate, Rework
from aftersales.quality.services import checklist, final_inspection_record
from aftersales.visits.models import Line, RepairOrder, RepairOrderEvent
from aftersales.visits.services import LineIn
from aftersales.workshop.models import Job, JobEvent
from aftersales.workshop.services import ClockIn, clock
from aftersales.workshop.tests.conftest import _technician

from .conftest import Yard


def written() -> tuple[Any, ...]:
    """What an inspection writes, to assert that a refusal wrote nothing."""
    return (
        FinalInspection.objects.count(),
        ReleaseCertificate.objects.count(),
        Rework.objects.count(),
        Signature.objects.count(),
        list(RepairOrder.all_objects.order_by("pk").values_list("pk", "state")),
        list(Line.all_objects.order_by("pk").values_list("pk", "state")),
        list(Job.all_objects.order_by("pk").values_list("pk", "state")),
        RepairOrderEvent.objects.count(),
        JobEvent.objects.count(),
    )


def refused(yard: Yard, order: RepairOrder, **changes: object) -> ApplicationError:
    before = written()
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        final_inspection_record(actor=yard.qc, order_id=order.pk, data=yard.passing(order, **changes))
    assert written() == before
    return error.value


def test_the_checklist_is_the_done_labour_then_the_stores_standard_checks(yard: Yard) -> None:
    order = yard.completed()
    checks = [(check.text, check.line_id) for check in checklist(order)]
    oil, brakes = yard.shop.line(order, 1), yard.shop.line(order, 3)
    assert checks[:2] == [("1. 更换机油", oil.pk), ("3. 更换前制动片", brakes.pk)]
    assert [text for text, line in checks[2:]] == [
        "灯光、仪表及警告灯正常",
        "油液液位正常，无渗漏",
        "轮胎气压及车轮螺栓力矩符合要求",
        "车身漆面及内饰无新增损伤",
        "座椅、后视镜、音响及时钟已复位",
        "车内无遗留工具，防护套已取下",
        "旧件已按客户选择处理",
    ]
    QualitySettings.objects.create(store=yard.store, final_checks=["四轮定位复核"], wash_checks=["车身"])
    assert [check.text for check in checklist(order)][2:] == ["四轮定位复核"]


def test_a_pass_issues_the_certificate_signed_by_the_inspector_with_the_stores_gap_free_number(yard: Yard) -> None:
    first = yard.completed()
    yard.inspected(first)
    certificate = ReleaseCertificate.objects.get(order=first)
    year = timezone.now().astimezone(yard.store.zone).year
    signature = Signature.objects.get(pk=certificate.signature_id)
    assert (certificate.number, certificate.source, certificate.signed_by, signature.signer_type, signature.what) == (
        f"QC-{yard.store.code}-{year}-000001",
        "store",
        yard.qc,
        "staff",
        "release_certificate",
    )
    inspection = FinalInspection.objects.get(order=first)
    assert (inspection.passed, inspection.road_test, inspection.fault_verified, len(inspection.items)) == (
        True,
        "not_needed",
        True,
        9,
    )
    assert RepairOrderEvent.objects.filter(order=first, action="inspect").values_list("note", flat=True).get() == (
        certificate.number
    )
    # A first-level maintenance alone needs no certificate (机动车维修管理规定 第三十四、三十五条).
    yard.delivered(yard.ready(first))
    second = yard.work(yard.order(LineIn(kind="labour", operation_id=yard.shop.reception.oil.pk)))
    final_inspection_record(actor=yard.qc, order_id=second.pk, data=yard.passing(second, signature=""))
    assert not ReleaseCertificate.objects.filter(order=second).exists()
    assert RepairOrder.all_objects.get(pk=second.pk).state == "completed"


def test_the_provinces_number_is_typed_in_and_stored_never_generated(yard: Yard) -> None:
    QualitySettings.objects.create(
        store=yard.store,
        final_checks=["灯光正常"],
        wash_checks=["车身"],
        certificate_from_platform=True,
    )
    order = yard.completed()
    error = refused(yard, order)
    assert error.fields == {"certificate_number": ["Enter the number the provincial platform issued."]}
    final_inspection_record(
        actor=yard.qc, order_id=order.pk, data=yard.passing(order, certificate_number="沪维合 2026-0012345")
    )
    certificate = ReleaseCertificate.objects.get(order=order)
    assert (certificate.number, certificate.source) == ("沪维合 2026-0012345", "platform")


def test_whoever_worked_on_the_order_may_not_inspect_it(yard: Yard) -> None:
    manager = yard.shop.reception.world.user("service_manager")
    _technician(yard.store, manager, "senior", "1.10")
    order = yard.work(yard.order(), technician=manager)
    before = written()
    with pytest.raises(ApplicationError) as error, translation.override("en"):
        final_inspection_record(actor=manager, order_id=order.pk, data=yard.passing(order))
    assert (error.value.code, error.value.fields) == (
        "own_work",
        {"inspector": ["You worked on this order: another inspector inspects it and signs its certificate."]},
    )
    assert written() == before
    yard.inspected(order)  # qc_sh did not work on it
    assert ReleaseCertificate.objects.get(order=order).signed_by == yard.qc


def test_a_pass_needs_every_check_in_order_the_fault_verified_and_the_signature(yard: Yard) -> None:
    order = yard.completed()
    checks = yard.passing(order).checks
    checks[3].ok = False
    error = refused(yard, order, checks=checks, fault_verified=False, signature="")
    assert error.fields == {
        "checks.3.ok": [
            "This check is not in order: fail the inspection and send the work back, or put it right first."
        ],
        "fault_verified": ["Verify that the fault the customer reported is gone."],
        "signature": ["Sign the release certificate: this repair category needs one."],
    }
    assert refused(yard, order, checks=yard.passing(order).checks[:5]).fields == {
        "checks": ["Give a result for each of the 9 checks."]
    }
    assert refused(yard, order, road_test="passed").fields == {
        "road_test": ["The customer did not agree to a road test on this order."]
    }
    assert refused(yard, order, road_test="flown").fields == {"road_test": ["Choose one of the listed values."]}
    assert refused(yard, order, repair_advice="x" * 501).fields == {"repair_advice": ["At most 500 characters."]}


def test_an_order_not_completed_or_passed_already_is_not_inspected(yard: Yard) -> None:
    order = yard.order()
    error = refused(yard, order)
    assert (type(error), error.code, error.detail) == (
        ConflictError,
        "not_allowed",
        "The final inspection is of a completed order: this one is “Open”.",
    )
    order = yard.inspected(yard.work(order))
    error = refused(yard, order)
    assert (error.code, error.detail) == ("passed", "This order passed its final inspection already.")


def test_a_fail_sends_the_lines_back_to_their_technician_and_counts_the_rework(
    yard: Yard, django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]]
) -> None:
    order = yard.completed()
    brakes = yard.shop.line(order, 3)
    assert refused(yard, order, passed=False, signature="").fields == {
        "reason": ["Say why the inspection failed."],
        "rework_lines": ["Choose the work to send back."],
    }
    assert refused(yard, order, passed=False, reason="异响", rework_lines=[yard.shop.line(order, 2).pk]).fields == {
        "rework_lines": ["Choose done labour lines of this order, once each."]
    }
    with django_capture_on_commit_callbacks(execute=True):
        inspection = final_inspection_record(
            actor=yard.qc,
            order_id=order.pk,
            data=yard.passing(order, passed=False, reason="路试制动异响未消除", rework_lines=[brakes.pk], signature=""),
        )
    job = Job.all_objects.get(line=brakes)
    assert (inspection.passed, inspection.reason) == (False, "路试制动异响未消除")
    assert (RepairOrder.all_objects.get(pk=order.pk).state, Line.all_objects.get(pk=brakes.pk).state) == (
        "in_work",
        "in_progress",
    )
    assert (job.state, job.finished_at, job.fault_verified) == ("paused", None, False)
    rework = Rework.objects.get()
    assert (rework.line, rework.technician, rework.operation, rework.reason) == (
        brakes,
        yard.shop.middle,
        yard.shop.reception.brakes,
        "路试制动异响未消除",
    )
    assert not ReleaseCertificate.objects.exists()
    [message] = Message.objects.filter(event="quality_rework")
    assert (message.user, message.subject) == (yard.shop.middle, "总检退回：沪A12345 更换前制动片")
    # The technician clocks on again and off: the order is completed again and passes.
    now = timezone.now()
    clock(actor=yard.shop.middle, job_id=job.pk, data=ClockIn("on"), now=now - timedelta(minutes=30))
    clock(
        actor=yard.shop.middle,
        job_id=job.pk,
        data=ClockIn("off", fault_verified=True, report="重新调整卡钳，异响消除"),
        now=now,
    )
    assert RepairOrder.all_objects.get(pk=order.pk).state == "completed"
    yard.inspected(RepairOrder.all_objects.get(pk=order.pk))
    assert list(FinalInspection.objects.filter(order=order).order_by("pk").values_list("passed", flat=True)) == [
        False,
        True,
    ]
    assert ReleaseCertificate.objects.get(order=order).inspection.passed is True
