"""The delivery at the advisor's desk: the customer's arrival, the delivery sheet (work and parts, old parts,
the 24-point free check, advice, the next service, who collects and their signature, the satisfaction
card, the keys), what it writes, and every refusal on its field with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from aftersales.core.models import User
from aftersales.messaging.models import Signature
from aftersales.quality.models import Delivery, Guarantee, Handover, OldPartsOutcome
from aftersales.quality.services import final_inspection_record, pickup_arrived
from aftersales.quality.services.common import DELIVERY_CHECKS_DEFAULT
from aftersales.visits.models import Line, RepairOrder, Visit
from aftersales.visits.services import LineIn
from aftersales.visits.tests.conftest import signature_png
from aftersales.workshop.services import DispatchIn, dispatch

from .conftest import Yard

pytestmark = pytest.mark.django_db

NEXT_SERVICE = date.today() + timedelta(days=180)


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def _sheet(**changes: str | None) -> dict[str, str]:
    data: dict[str, str | None] = {f"free_{index}": "green" for index in range(len(DELIVERY_CHECKS_DEFAULT))}
    data |= {
        "free_16": "amber",
        "free_note_16": "左后胎气压偏低，已补气",
        "driving_advice": "新制动片磨合期 200 公里内避免急刹",
        "next_service_on": NEXT_SERVICE.isoformat(),
        "next_service_km": "62300",
        "mileage_out": "52305",
        "collector": "customer",
        "collector_name": "张伟",
        "signature": signature_png(),
        "rating": "5",
        "comment": "服务很好",
        "keys_handed": "on",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _rows(order: RepairOrder) -> tuple[int, int, int, int, str, str]:
    return (
        Delivery.objects.count(),
        Guarantee.objects.count(),
        OldPartsOutcome.objects.count(),
        Signature.objects.filter(what="delivery").count(),
        RepairOrder.all_objects.get(pk=order.pk).state,
        Visit.all_objects.get(pk=order.visit_id).state,
    )


def test_the_customer_arrives_and_the_delivery_sheet_is_prefilled(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.ready()
    client = english(yard.advisor)
    url = f"/quality/visits/{order.visit_id}/delivery/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<form method="post" action="/quality/visits/{order.visit_id}/arrived/" data-testid="arrived-form">' in html
    form = page.context["form"]
    assert {name: form[name].value() for name in ("mileage_out", "collector", "collector_name", "driving_advice")} == {
        "mileage_out": 52_300,
        "collector": "customer",
        "collector_name": "张伟",
        "driving_advice": "新制动片磨合期 200 公里内避免急刹",
    }
    assert form[f"old_parts_{order.pk}"].value() == "return"
    assert [check for check, _result, _note in form.free_table()] == DELIVERY_CHECKS_DEFAULT
    assert '<input type="radio" name="free_0" value="green" class="btn-check" id="id_free_0_0" required>' in html
    assert (
        '<input type="text" name="collector_id_number" maxlength="30" class="form-control" id="id_collector_id_number">'
        in html
    )
    assert "<li>3. 更换前制动片</li>" in html and "<li>2. 机油滤清器 × 1</li>" in html
    assert 'data-signature-for="signature" data-testid="pad"' in html

    response = client.post(f"/quality/visits/{order.visit_id}/arrived/")
    assert (response.status_code, response["Location"]) == (302, url)
    arrived = Handover.objects.get(visit_id=order.visit_id).customer_arrived_at
    assert arrived is not None
    shown = arrived.astimezone(yard.store.zone).strftime("%H:%M")
    assert f'<i class="bi bi-person-check"></i> Customer arrived {shown}</div>' in client.get(url).content.decode()
    # Pressing again changes nothing: the first arrival counts.
    client.post(f"/quality/visits/{order.visit_id}/arrived/")
    assert Handover.objects.get(visit_id=order.visit_id).customer_arrived_at == arrived


def test_the_delivery_delivers_every_order_starts_the_guarantees_and_shows_the_documents(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.ready()
    yard.paid(order)
    client = english(yard.advisor)
    client.post(f"/quality/visits/{order.visit_id}/arrived/")
    url = f"/quality/visits/{order.visit_id}/delivery/"
    response = client.post(url, _sheet(**{f"old_parts_{order.pk}": "leave"}))
    assert (response.status_code, response["Location"]) == (302, url)
    assert _rows(order) == (1, 2, 1, 1, "delivered", "delivered")
    delivery = Delivery.objects.get()
    assert (
        delivery.collector,
        delivery.collector_name,
        delivery.mileage_out,
        delivery.next_service_on,
        delivery.next_service_km,
        delivery.rating,
        delivery.comment,
        delivery.keys_handed,
        delivery.delivered_by,
    ) == ("customer", "张伟", 52_305, NEXT_SERVICE, 62_300, 5, "服务很好", True, yard.advisor)
    assert delivery.free_checks[16] == {"check": "轮胎气压", "result": "amber", "note": "左后胎气压偏低，已补气"}
    assert OldPartsOutcome.objects.get().outcome == "leave"

    page = client.get(url)
    assert page.context["open"] is False
    html = page.content.decode()
    assert "The car is delivered; its repair guarantees run from today." in html
    assert f'href="/quality/visits/{order.visit_id}/delivery.pdf" data-testid="delivery-pdf"' in html
    assert f'href="/quality/visits/{order.visit_id}/guarantee.pdf" data-testid="guarantee-pdf"' in html
    assert '<dd class="col-7" data-testid="rating">5 / 5 · 服务很好</dd>' in html
    assert f'<dd class="col-7" data-testid="waiting-minutes">{delivery.waiting_minutes} minutes</dd>' in html
    assert "<li>Old parts of " + order.number + ": Leave with the store</li>" in html
    shown = [
        (row.line.position, row.get_repair_category_display(), row.valid_to, row.km_to)
        for row in page.context["guarantees"]
    ]
    today = timezone.now().astimezone(yard.store.zone).date()
    assert shown == [
        (1, "First-level maintenance", today + timedelta(days=10), 54_305),
        (3, "Assembly repair", today + timedelta(days=100), 72_305),
    ]
    assert f'<td class="text-end">{(today + timedelta(days=100)):%Y-%m-%d}</td><td class="text-end">72305</td>' in html


def test_an_agent_collects_with_the_id_checked_and_kept_masked(yard: Yard, english: Callable[[User], Client]) -> None:
    order = yard.ready()
    yard.paid(order)
    client = english(yard.advisor)
    client.post(f"/quality/visits/{order.visit_id}/arrived/")
    url = f"/quality/visits/{order.visit_id}/delivery/"
    sheet = _sheet(collector="agent", collector_name="李娜", collector_id_number="11010519491231002X")
    refused = client.post(url, sheet)
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "id_checked": ["Check the agent's ID card against the name before the car is handed over."]
    }
    assert _rows(order) == (0, 0, 0, 0, "ready", "on_site")
    assert client.post(url, {**sheet, "id_checked": "on"}).status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.collector, delivery.collector_name, delivery.id_checked) == ("agent", "李娜", True)
    assert delivery.collector_id_number != "11010519491231002X"
    assert "(agent " + delivery.collector_id_number + ", ID checked)" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"signature": None}, {"signature": ["Whoever collects the car signs the delivery sheet."]}),
        ({"keys_handed": None}, {"keys_handed": ["Hand over the keys: the delivery ends with them."]}),
        ({"mileage_out": "52000"}, {"mileage_out": ["Between the 52,300 km the car came in with and 53,300 km."]}),
        ({"next_service_on": None}, {"next_service_on": ["Enter the date of the next service."]}),
        ({"free_3": None}, {"free_3": ["Choose green, amber or red."]}),
        (
            {"collector_id_number": "11010519491231002X"},
            {"collector_id_number": ["The ID number is recorded for an agent collecting the car."]},
        ),
        (
            {"collector": "agent", "collector_id_number": "123", "id_checked": "on"},
            {"collector_id_number": ["A resident ID number must have 18 characters; this one has 3."]},
        ),
        ({"rating": "6"}, {"rating": ["Select a valid choice. 6 is not one of the available choices."]}),
        ({"comment": "好" * 501}, {"comment": ["Ensure this value has at most 500 characters (it has 501)."]}),
    ],
)
def test_a_wrong_delivery_sheet_is_refused_on_its_field_and_writes_nothing(
    yard: Yard, english: Callable[[User], Client], changes: dict[str, str | None], errors: dict[str, list[str]]
) -> None:
    order = yard.ready()
    pickup_arrived(actor=yard.advisor, visit_id=order.visit_id)
    response = english(yard.advisor).post(f"/quality/visits/{order.visit_id}/delivery/", _sheet(**changes))
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    for name, messages in errors.items():
        assert f'data-testid="error-{name}">{escape(messages[0])}</div>' in response.content.decode()
    assert _rows(order) == (0, 0, 0, 0, "ready", "on_site")


def test_delivering_before_the_customer_arrived_says_so_next_to_the_arrival(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.ready()
    response = english(yard.advisor).post(f"/quality/visits/{order.visit_id}/delivery/", _sheet())
    assert response.status_code == 400
    assert response.context["form"].errors == {"arrived_at": ["Record when the customer arrived for pick-up."]}
    assert 'data-testid="error-arrived_at">Record when the customer arrived for pick-up.</div>' in (
        response.content.decode()
    )
    assert _rows(order) == (0, 0, 0, 0, "ready", "on_site")


def test_delivering_before_the_final_inspection_passed_is_a_conflict(
    yard: Yard, english: Callable[[User], Client]
) -> None:
    order = yard.completed()
    client = english(yard.advisor)
    url = f"/quality/visits/{order.visit_id}/delivery/"
    page = client.get(url)
    assert (page.context["open"], page.context["waiting"]) == (
        False,
        f"The final inspection of {order.number} has not passed yet.",
    )
    response = client.post(url, _sheet())
    assert response.status_code == 409
    assert response.context["form"].errors == {
        "__all__": [f"The final inspection of {order.number} has not passed yet."]
    }
    assert _rows(order) == (0, 0, 0, 0, "completed", "on_site")


def test_delivering_with_a_line_not_done_is_a_conflict(yard: Yard, english: Callable[[User], Client]) -> None:
    r = yard.shop.reception
    # The oil change is done; the pads the diagnosis proposed wait for the customer's decision.
    order = yard.order(
        LineIn(kind="labour", operation_id=r.oil.pk), LineIn(kind="part", part_id=r.pads.pk, source="diagnosis")
    )
    oil = Line.all_objects.get(order=order, position=1)
    job = dispatch(
        actor=yard.shop.foreman, order_id=order.pk, data=DispatchIn(oil.pk, technician_id=yard.shop.middle.pk)
    )
    yard.clock_through(job.pk, oil, yard.shop.middle, timezone.now() - timedelta(hours=2))
    order = RepairOrder.all_objects.get(pk=order.pk)
    final_inspection_record(actor=yard.qc, order_id=order.pk, data=yard.passing(order, signature=""))
    response = english(yard.advisor).post(f"/quality/visits/{order.visit_id}/delivery/", _sheet())
    assert response.status_code == 409
    assert response.context["form"].errors == {"__all__": [f"Not done yet: {order.number} line 2."]}
    assert _rows(order) == (0, 0, 0, 0, "completed", "on_site")


def test_the_customer_cannot_arrive_before_the_car_is_ready(yard: Yard, english: Callable[[User], Client]) -> None:
    order = yard.inspected()
    yard.handed_over(order)
    response = english(yard.advisor).post(f"/quality/visits/{order.visit_id}/arrived/")
    assert response.status_code == 409
    assert response.context["arrived_form"].errors == {"__all__": ["The car is not ready for pick-up yet."]}
    assert Handover.objects.get(visit_id=order.visit_id).customer_arrived_at is None


def test_delivery_is_for_those_who_deliver(yard: Yard, english: Callable[[User], Client]) -> None:
    order = yard.ready()
    assert english(yard.washer).get(f"/quality/visits/{order.visit_id}/delivery/").status_code == 403
    assert english(yard.washer).post(f"/quality/visits/{order.visit_id}/arrived/").status_code == 403
    assert Handover.objects.get(visit_id=order.visit_id).customer_arrived_at is None
