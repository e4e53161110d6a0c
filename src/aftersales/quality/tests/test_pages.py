"""The quality pages from the desk to the advisor's check: the desk by next step, the final inspection on a
tablet (pass with the certificate signed, fail sending work back, every refusal on its field and nothing
written), the wash, the handover and the check before delivery."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from aftersales.core.models import Role, StaffMembership, User
from aftersales.messaging.models import Message
from aftersales.quality.models import FinalInspection, Handover, ReleaseCertificate, Rework, Wash
from aftersales.quality.services import checklist
from aftersales.quality.services.common import DELIVERY_CHECKS_DEFAULT, FINAL_CHECKS_DEFAULT, WASH_CHECKS_DEFAULT
from aftersales.quality.services.delivery import agreed_lines
from aftersales.quality.services.settings import SettingsIn, quality_settings_save
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.tests.conftest import signature_png
from aftersales.workshop.models import Job

from .conftest import Yard

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def _local(yard: Yard, moment: Any) -> str:
    return moment.astimezone(yard.store.zone).strftime("%m-%d %H:%M")


# --- the desk ---------------------------------------------------------------------------------------------


def _columns(page: Any) -> list[tuple[str, list[int]]]:
    return [(column["step"].key, [row["visit"].pk for row in column["rows"]]) for column in page.context["columns"]]


def test_the_desk_shows_a_finished_car_at_its_next_step_with_the_way_to_it(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.completed()
    visit = Visit.all_objects.get(pk=order.visit_id)
    qc, washer = english(yard.qc), english(yard.washer)

    page = qc.get("/quality/")
    assert page.status_code == 200
    assert _columns(page) == [("inspect", [visit.pk]), ("wash", []), ("handover", []), ("check", []), ("deliver", [])]
    html = page.content.decode()
    assert '<span class="font-monospace fw-semibold fs-5" data-testid="plate">沪A12345</span>' in html
    assert '<div class="small" data-testid="who">张伟 · Advisor 服务顾问</div>' in html
    assert f"Promised <span>{_local(yard, visit.promised_at)}</span>" in html
    assert (
        f'<a href="/quality/orders/{order.pk}/inspect/" class="btn btn-primary" data-testid="inspect-{order.pk}">'
        in html
    )
    # The washer sees the car waiting for its inspection, and no way to inspect it.
    html = washer.get("/quality/").content.decode()
    assert f"/quality/orders/{order.pk}/inspect/" not in html
    assert '<span class="badge text-bg-warning">Not inspected yet.</span>' in html

    yard.inspected(order)
    page = washer.get("/quality/")
    assert _columns(page) == [("inspect", []), ("wash", [visit.pk]), ("handover", []), ("check", []), ("deliver", [])]
    assert f'href="/quality/visits/{visit.pk}/wash/" data-testid="go-wash-{visit.pk}">Wash</a>' in page.content.decode()

    yard.washed(order)
    page = english(yard.shop.foreman).get("/quality/")
    assert _columns(page)[2] == ("handover", [visit.pk])
    assert '<div class="small text-secondary" data-testid="wash">Washed by 洗车工 · Finished-area spot F-03</div>' in (
        page.content.decode()
    )
    # The advisor may not hand over: the car shows, without the button.
    assert f"/quality/visits/{visit.pk}/handover/" not in english(yard.advisor).get("/quality/").content.decode()


def test_the_desk_reads_a_fixed_number_of_queries(
    yard: Yard,
    english: Callable[[User], Client],
    django_assert_num_queries: Callable[..., AbstractContextManager[Any]],
) -> None:
    client = english(yard.shop.reception.world.user("service_manager"))
    client.get("/quality/")  # the session's store is set on the first page
    # The session and the user, the access and the store, the menu, the session saved; the selector's orders.
    with django_assert_num_queries(9):
        assert client.get("/quality/").status_code == 200
    order = yard.completed()
    # And the selector's inspections, washes and handovers; the orders passed of those to inspect.
    with django_assert_num_queries(13):
        assert client.get("/quality/").status_code == 200
    yard.ready(yard.inspected(order))
    with django_assert_num_queries(12):
        page = client.get("/quality/")
    assert _columns(page)[4] == ("deliver", [order.visit_id])


def test_the_desk_is_for_those_who_see_quality(yard: Yard, english: Callable[[User], Client]) -> None:
    assert english(yard.shop.reception.world.user("parts")).get("/quality/").status_code == 403


# --- the final inspection ------------------------------------------------------------------------------------


def _passing(order: RepairOrder, **changes: str | list[str] | None) -> dict[str, Any]:
    data: dict[str, Any] = {f"ok_{index}": "yes" for index in range(len(checklist(order)))}
    data |= {
        "road_test": "not_needed",
        "fault_verified": "on",
        "repair_advice": "建议 5000 公里后检查制动片",
        "driving_advice": "新制动片磨合期 200 公里内避免急刹",
        "outcome": "pass",
        "signature": signature_png(),
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _inspection_rows(order: RepairOrder) -> tuple[int, int, int, str]:
    fresh = RepairOrder.all_objects.get(pk=order.pk)
    return (
        FinalInspection.objects.filter(order=order).count(),
        ReleaseCertificate.objects.filter(order=order).count(),
        Rework.objects.filter(order=order).count(),
        fresh.state,
    )


def test_the_inspection_page_shows_the_checklist_the_fault_and_the_certificate_pad(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.completed()
    page = english(yard.qc).get(f"/quality/orders/{order.pk}/inspect/")
    assert page.status_code == 200
    form = page.context["form"]
    assert [check.text for check, _ok, _note in form.table()] == [
        "1. 更换机油",
        "3. 更换前制动片",
        *FINAL_CHECKS_DEFAULT,
    ]
    assert [label for _value, label in form.fields["rework_lines"].choices] == ["1. 更换机油", "3. 更换前制动片"]
    assert ("signature" in form.fields, "certificate_number" in form.fields) == (True, False)
    html = page.content.decode()
    assert '<div class="col-12 col-md-6 fs-5 fw-semibold">3. 更换前制动片</div>' in html
    assert '<div class="col-12 col-md-6 fs-5">车内无遗留工具，防护套已取下</div>' in html
    assert '<input type="radio" name="ok_1" value="yes" class="btn-check" id="id_ok_1_0" required>' in html
    assert (
        '<input type="text" name="note_1" maxlength="200" class="form-control" placeholder="Note" id="id_note_1">'
        in html
    )
    assert '<i class="bi bi-exclamation-triangle"></i> 3. C1234 制动异响</div>' in html
    assert 'data-signature-for="signature" data-testid="pad"' in html
    assert (
        '<textarea name="repair_advice" cols="40" rows="2" maxlength="500" class="form-control" id="id_repair_advice">'
        in html
    )
    assert '<input type="text" name="reason" maxlength="300" class="form-control" id="id_reason">' in html
    assert "Inspector: 质检员" in html
    assert '<li class="text-secondary">Not inspected yet.</li>' in html


def test_a_pass_issues_the_release_certificate_and_goes_to_the_order(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.completed()
    client = english(yard.qc)
    response = client.post(f"/quality/orders/{order.pk}/inspect/", _passing(order, note_1="制动片已更换"))
    assert (response.status_code, response["Location"]) == (302, f"/repair-orders/{order.pk}/")
    inspection = FinalInspection.objects.get(order=order)
    assert (inspection.passed, inspection.road_test, inspection.fault_verified, inspection.inspector) == (
        True,
        "not_needed",
        True,
        yard.qc,
    )
    assert inspection.items[1] == {
        "check": "3. 更换前制动片",
        "line": Line.all_objects.get(order=order, position=3).pk,
        "ok": True,
        "note": "制动片已更换",
    }
    certificate = ReleaseCertificate.objects.get(order=order)
    assert (certificate.source, certificate.signed_by, certificate.inspection) == ("store", yard.qc, inspection)
    assert _inspection_rows(order) == (1, 1, 0, "completed")
    page = client.get(f"/repair-orders/{order.pk}/")
    assert f"The final inspection passed; release certificate {certificate.number} is issued." in page.content.decode()
    # Inspected already: the page says so, with the certificate, and offers no form.
    again = english(yard.qc).get(f"/quality/orders/{order.pk}/inspect/")
    assert again.context["open"] is False
    assert (
        '<div class="alert alert-success fs-5" data-testid="passed"><i class="bi bi-patch-check"></i> '
        f"This order passed its final inspection already. Release certificate <strong>{certificate.number}</strong></div>"
    ) in again.content.decode()


def test_a_fail_sends_the_chosen_work_back_with_the_reason(yard: Yard, english: Callable[[User], Client]) -> None:
    order = yard.completed()
    brakes = Line.all_objects.get(order=order, position=3)
    data = _passing(order, ok_1="no", outcome="fail", reason="制动仍有异响", rework_lines=[str(brakes.pk)])
    response = english(yard.qc).post(f"/quality/orders/{order.pk}/inspect/", data)
    assert (response.status_code, response["Location"]) == (302, f"/repair-orders/{order.pk}/")
    assert _inspection_rows(order) == (1, 0, 1, "in_work")
    rework = Rework.objects.get(order=order)
    assert (rework.line, rework.technician, rework.reason) == (brakes, yard.shop.middle, "制动仍有异响")
    brakes.refresh_from_db()
    assert (brakes.state, Job.all_objects.get(line=brakes).state) == ("in_progress", "paused")
    # The order is in work again: the page says so and shows the failed inspection and its reason.
    page = english(yard.qc).get(f"/quality/orders/{order.pk}/inspect/")
    html = page.content.decode()
    assert "The final inspection is of a completed order: this one is “In work”." in html
    assert '<span class="badge text-bg-danger">Sent back</span>' in html
    assert '<span data-testid="reason">制动仍有异响</span>' in html
    assert '<div class="small text-secondary">3. 更换前制动片</div>' in html


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"ok_4": "no"},
            {
                "ok_4": [
                    "This check is not in order: fail the inspection and send the work back, or put it right first."
                ]
            },
        ),
        ({"signature": None}, {"signature": ["Sign the release certificate: this repair category needs one."]}),
        ({"fault_verified": None}, {"fault_verified": ["Verify that the fault the customer reported is gone."]}),
        ({"road_test": "passed"}, {"road_test": ["The customer did not agree to a road test on this order."]}),
        ({"ok_2": None, "outcome": None}, {"ok_2": ["Tick ✓ or ✗."], "outcome": ["Choose pass or fail."]}),
        (
            {"outcome": "fail"},
            {"reason": ["Say why the inspection failed."], "rework_lines": ["Choose the work to send back."]},
        ),
        ({"note_3": "x" * 201}, {"note_3": ["Ensure this value has at most 200 characters (it has 201)."]}),
    ],
)
def test_a_wrong_inspection_is_refused_on_its_field_and_writes_nothing(
    yard: Yard, english: Callable[[User], Client], changes: dict[str, str | None], errors: dict[str, list[str]]
) -> None:
    order = yard.completed()
    response = english(yard.qc).post(f"/quality/orders/{order.pk}/inspect/", _passing(order, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    for name, messages in errors.items():
        assert f'data-testid="error-{name}">{escape(messages[0])}</div>' in response.content.decode()
    assert _inspection_rows(order) == (0, 0, 0, "completed")


def test_a_technician_of_the_order_may_not_inspect_it_nor_sign_its_certificate(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.completed()
    technician = yard.shop.middle  # worked both jobs; now also the store's QC inspector
    StaffMembership.objects.filter(user=technician, store=yard.store).update(role=Role.objects.get(code="qc"))
    response = english(technician).post(f"/quality/orders/{order.pk}/inspect/", _passing(order))
    assert response.status_code == 400
    message = "You worked on this order: another inspector inspects it and signs its certificate."
    assert response.context["form"].errors == {"inspector": [message]}
    assert f"<strong>Inspector: 维修技师</strong><br>{message}</div></div>" in response.content.decode()
    assert _inspection_rows(order) == (0, 0, 0, "completed")


def test_where_the_province_issues_certificates_the_inspector_types_its_number(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    quality_settings_save(
        actor=yard.shop.reception.world.user("service_manager"),
        store_id=yard.store.pk,
        data=SettingsIn(
            final_checks=FINAL_CHECKS_DEFAULT,
            wash_checks=WASH_CHECKS_DEFAULT,
            delivery_checks=DELIVERY_CHECKS_DEFAULT,
            certificate_from_platform=True,
        ),
    )
    order = yard.completed()
    client = english(yard.qc)
    url = f"/quality/orders/{order.pk}/inspect/"
    html = client.get(url).content.decode()
    assert (
        '<input type="text" name="certificate_number" maxlength="40" class="form-control" id="id_certificate_number">'
        in html
    )
    refused = client.post(url, _passing(order))
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "certificate_number": ["Enter the number the provincial platform issued."]
    }
    assert _inspection_rows(order) == (0, 0, 0, "completed")
    assert client.post(url, _passing(order, certificate_number="沪310000202600123")).status_code == 302
    certificate = ReleaseCertificate.objects.get(order=order)
    assert (certificate.number, certificate.source) == ("沪310000202600123", "platform")


def test_inspecting_an_order_not_completed_or_passed_already_is_a_conflict(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.inspected()
    client = english(yard.qc)
    response = client.post(f"/quality/orders/{order.pk}/inspect/", _passing(order))
    assert response.status_code == 409
    assert response.context["form"].errors == {"__all__": ["This order passed its final inspection already."]}
    assert (
        '<div class="alert alert-danger fs-5" role="alert" data-testid="error-top"><i class="bi bi-exclamation-octagon">'
        "</i> This order passed its final inspection already.</div>"
    ) in response.content.decode()
    assert _inspection_rows(order) == (1, 1, 0, "completed")
    opened = yard.order()  # a second order of the visit, signed and not worked yet
    response = client.post(f"/quality/orders/{opened.pk}/inspect/", _passing(opened))
    assert response.status_code == 409
    assert response.context["form"].errors == {
        "__all__": ["The final inspection is of a completed order: this one is “Open”."]
    }
    assert _inspection_rows(opened) == (0, 0, 0, "open")


def test_the_inspection_is_of_the_page_store_and_for_inspectors(yard: Yard, english: Callable[[User], Client]) -> None:
    order = yard.completed()
    world = yard.shop.reception.world
    assert english(yard.advisor).get(f"/quality/orders/{order.pk}/inspect/").status_code == 403
    assert english(world.user("qc", "sz")).get(f"/quality/orders/{order.pk}/inspect/").status_code == 404


# --- the wash ---------------------------------------------------------------------------------------------


def _wash_post(yard: Yard, **changes: str | None) -> dict[str, str]:
    data: dict[str, str | None] = {f"check_{index}": "on" for index in range(len(WASH_CHECKS_DEFAULT))}
    data |= {"washer": str(yard.washer.pk), "spot": "F-03", "nose_out": "on"}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_the_wash_page_names_the_washer_and_the_washing_standard(yard: Yard, english: Callable[[User], Client]) -> None:
    order = yard.inspected()
    page = english(yard.washer).get(f"/quality/visits/{order.visit_id}/wash/")
    assert page.status_code == 200
    form = page.context["form"]
    assert [field.label for field in form.table()] == WASH_CHECKS_DEFAULT
    assert (form["washer"].value(), page.context["may_skip"]) == (yard.washer.pk, False)
    html = page.content.decode()
    assert f'<option value="{yard.washer.pk}" selected>洗车工</option>' in html
    assert (
        '<input type="text" name="spot" maxlength="20" class="form-control form-control-lg" autocapitalize="characters" id="id_spot">'
        in html
    )
    assert 'data-testid="check_0"><i class="bi bi-check2-square"></i> 车身外表清洗干净</label>' in html
    assert 'name="skip"' not in html


def test_the_wash_is_recorded_and_the_advisor_told(
    yard: Yard,
    english: Callable[[User], Client],
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> None:
    order = yard.inspected()
    with django_capture_on_commit_callbacks(execute=True):
        response = english(yard.washer).post(f"/quality/visits/{order.visit_id}/wash/", _wash_post(yard))
    assert (response.status_code, response["Location"]) == (302, "/quality/")
    wash = Wash.objects.get(visit_id=order.visit_id)
    assert (wash.skipped, wash.washer, wash.spot, wash.nose_out, wash.recorded_by) == (
        False,
        yard.washer,
        "F-03",
        True,
        yard.washer,
    )
    assert [row["check"] for row in wash.checks] == WASH_CHECKS_DEFAULT
    assert Visit.all_objects.get(pk=order.visit_id).parking_spot == "F-03"
    assert Message.objects.filter(event="quality_car_washed", user=yard.advisor).count() == 1
    page = english(yard.washer).get(f"/quality/visits/{order.visit_id}/wash/")
    assert page.context["open"] is False
    assert "Washed by 洗车工" in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"check_2": None}, {"check_2": ["Wash to the standard: this point is not done."]}),
        (
            {"washer": None, "spot": None},
            {"washer": ["Choose who washed the car."], "spot": ["Say where in the finished area the car stands."]},
        ),
        ({"nose_out": None}, {"nose_out": ["Park the car nose out, ready to drive away."]}),
        ({"skip": "on"}, {"skip": ["This store washes Major repair orders."]}),
        ({"spot": "F" * 21}, {"spot": ["Ensure this value has at most 20 characters (it has 21)."]}),
    ],
)
def test_a_wrong_wash_is_refused_on_its_field_and_writes_nothing(
    yard: Yard, english: Callable[[User], Client], changes: dict[str, str | None], errors: dict[str, list[str]]
) -> None:
    order = yard.inspected()
    spot = Visit.all_objects.get(pk=order.visit_id).parking_spot
    response = english(yard.washer).post(f"/quality/visits/{order.visit_id}/wash/", _wash_post(yard, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert Wash.objects.filter(visit_id=order.visit_id).count() == 0
    assert Visit.all_objects.get(pk=order.visit_id).parking_spot == spot == "B-12"


def test_a_wash_before_the_final_inspection_passed_is_a_conflict(yard: Yard, english: Callable[[User], Client]) -> None:
    order = yard.completed()
    client = english(yard.washer)
    page = client.get(f"/quality/visits/{order.visit_id}/wash/")
    assert (page.context["open"], page.context["waiting"]) == (
        False,
        f"The final inspection of {order.number} has not passed yet.",
    )
    response = client.post(f"/quality/visits/{order.visit_id}/wash/", _wash_post(yard))
    assert response.status_code == 409
    assert response.context["form"].errors == {
        "__all__": [f"The final inspection of {order.number} has not passed yet."]
    }
    assert Wash.objects.count() == 0


def test_a_store_that_does_not_wash_the_order_type_records_not_washed(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    quality_settings_save(
        actor=yard.shop.reception.world.user("service_manager"),
        store_id=yard.store.pk,
        data=SettingsIn(
            final_checks=FINAL_CHECKS_DEFAULT,
            wash_checks=WASH_CHECKS_DEFAULT,
            wash_skip=["major"],
            delivery_checks=DELIVERY_CHECKS_DEFAULT,
        ),
    )
    order = yard.inspected()
    client = english(yard.washer)
    page = client.get(f"/quality/visits/{order.visit_id}/wash/")
    assert page.context["may_skip"] is True
    assert '<input type="checkbox" name="skip" class="form-check-input" id="id_skip">' in page.content.decode()
    response = client.post(f"/quality/visits/{order.visit_id}/wash/", {"skip": "on", "spot": "F-05", "nose_out": "on"})
    assert response.status_code == 302
    wash = Wash.objects.get(visit_id=order.visit_id)
    assert (wash.skipped, wash.washer, wash.checks, wash.spot) == (True, None, [], "F-05")


# --- the handover -----------------------------------------------------------------------------------------


def test_the_handover_page_prefills_the_inspections_advice_and_records_the_handover(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.inspected()
    yard.washed(order)
    Visit.all_objects.filter(pk=order.visit_id).update(key_tag="K-07")
    client = english(yard.shop.foreman)
    page = client.get(f"/quality/visits/{order.visit_id}/handover/")
    assert page.status_code == 200
    form = page.context["form"]
    assert (form["keys"].value(), form["explanation"].value()) == ("K-07", "建议 5000 公里后检查制动片")
    html = page.content.decode()
    assert '<input type="text" name="keys" value="K-07" maxlength="60" class="form-control" id="id_keys">' in html
    assert (
        '<textarea name="explanation" cols="40" rows="5" maxlength="1000" class="form-control" id="id_explanation">'
        in html
    )
    assert "<li>1. 更换机油</li>" in html and "<li>2. 机油滤清器 × 1</li>" in html
    assert "To the visit's advisor, 服务顾问." in html

    response = client.post(
        f"/quality/visits/{order.visit_id}/handover/", {"keys": "K-07 两把", "explanation": "更换机油和前制动片"}
    )
    assert (response.status_code, response["Location"]) == (302, "/quality/")
    handover = Handover.objects.get(visit_id=order.visit_id)
    assert (handover.keys, handover.explanation, handover.handed_by, handover.advisor) == (
        "K-07 两把",
        "更换机油和前制动片",
        yard.shop.foreman,
        yard.advisor,
    )


def test_a_handover_before_the_wash_or_without_keys_writes_nothing(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.inspected()
    client = english(yard.shop.foreman)
    url = f"/quality/visits/{order.visit_id}/handover/"
    assert client.get(url).context["waiting"] == "Wash the car first, or record that it is not washed."
    response = client.post(url, {"keys": "K-07", "explanation": "更换机油"})
    assert response.status_code == 409
    assert response.context["form"].errors == {"__all__": ["Wash the car first, or record that it is not washed."]}
    yard.washed(order)
    response = client.post(url, {"keys": " ", "explanation": ""})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "keys": ["Say which keys are handed over."],
        "explanation": ["Explain the work and the recommendations."],
    }
    assert Handover.objects.count() == 0


# --- the advisor's check before delivery ---------------------------------------------------------------------


def _check_post(order: RepairOrder, **changes: str | None) -> dict[str, str]:
    lines = agreed_lines([order])
    data: dict[str, str | None] = {f"ok_{line.pk}": "yes" for line in lines}
    data |= {"car_checked": "on", "pickup_spot": "P-01"}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_the_check_goes_through_every_line_and_the_customer_is_told(
    yard: Yard,
    english: Callable[[User], Client],
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> None:
    customer = yard.shop.reception.customer
    customer.email = "zhangwei@example.com"
    customer.save()
    order = yard.inspected()
    yard.handed_over(order)
    client = english(yard.advisor)
    url = f"/quality/visits/{order.visit_id}/check/"
    page = client.get(url)
    assert page.status_code == 200
    assert [(line.position, line.description) for line, _ok, _note in page.context["form"].table()] == [
        (1, "更换机油"),
        (2, "机油滤清器"),
        (3, "更换前制动片"),
    ]
    html = page.content.decode()
    assert "Handed over by 车间主管 · Keys handed over: K-07 两把" in html
    assert '<input type="text" name="pickup_spot" maxlength="20" class="form-control" id="id_pickup_spot">' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _check_post(order))
    assert (response.status_code, response["Location"]) == (302, f"/quality/visits/{order.visit_id}/delivery/")
    handover = Handover.objects.get(visit_id=order.visit_id)
    assert (handover.car_checked, handover.pickup_spot, handover.checked_by) == (True, "P-01", yard.advisor)
    assert handover.notified_at == handover.checked_at
    assert RepairOrder.all_objects.get(pk=order.pk).state == "ready"
    assert Message.objects.filter(event="pickup_notice").count() == 1
    assert "the car stands at P-01 in the pick-up area and the customer is told." in client.get(url).content.decode()


def test_a_line_not_as_agreed_keeps_the_car_from_being_ready(yard: Yard, english: Callable[[User], Client]) -> None:
    order = yard.inspected()
    yard.handed_over(order)
    filter_line = Line.all_objects.get(order=order, position=2)
    response = english(yard.advisor).post(
        f"/quality/visits/{order.visit_id}/check/",
        _check_post(order, **{f"ok_{filter_line.pk}": "no", "car_checked": None}),
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        f"ok_{filter_line.pk}": ["Not as agreed: have the workshop put it right before the car is ready."],
        "car_checked": ["Check the car itself: the work areas, the body and the interior."],
    }
    handover = Handover.objects.get(visit_id=order.visit_id)
    assert (handover.checked_at, RepairOrder.all_objects.get(pk=order.pk).state) == (None, "completed")
    assert Message.objects.filter(event="pickup_notice").count() == 0
