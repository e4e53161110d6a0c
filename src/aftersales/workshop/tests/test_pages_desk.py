"""The workshop's desk pages: the parts desk issuing a requested part, an order waiting for parts (buying it
urgently, the car leaving and coming back, a new promised time told to the customer), the service levels
and settings with the on-time rate, and the customer's progress page."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.core.models import AuditEntry, User
from aftersales.messaging.models import Message
from aftersales.parts.models import StockMove
from aftersales.purchasing.models import PurchaseOrder, Supplier
from aftersales.visits.models import Line, Visit
from aftersales.workshop.models import OffSite, PartsRequest, ServiceLevel, WorkshopSettings
from aftersales.workshop.services import DispatchIn, dispatch, parts_request
from aftersales.workshop.services.notices import progress_url
from aftersales.workshop.tests.conftest import Shop

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def _requested(shop: Shop, minutes_ago: int = 25) -> PartsRequest:
    """The technician asked for the oil filter (line 2) ``minutes_ago``."""
    order = shop.order()
    dispatch(
        actor=shop.foreman, order_id=order.pk, data=DispatchIn(shop.line(order, 1).pk, technician_id=shop.middle.pk)
    )
    request = parts_request(actor=shop.middle, order_id=order.pk, line_id=shop.line(order, 2).pk, note="左侧")
    PartsRequest.all_objects.filter(pk=request.pk).update(requested_at=timezone.now() - timedelta(minutes=minutes_ago))
    return PartsRequest.all_objects.get(pk=request.pk)


# --- the parts desk ---------------------------------------------------------------------------------------


def test_the_parts_desk_lists_the_open_requests(
    shop: Shop, english: Callable[[User], Client], django_assert_num_queries: Callable[..., AbstractContextManager[Any]]
) -> None:
    request = _requested(shop)
    client = english(shop.reception.world.user("parts"))
    client.get("/workshop/parts-requests/")  # the session's store is set on the first page
    with django_assert_num_queries(9):  # session, user, store, access; one for the rows
        page = client.get("/workshop/parts-requests/")
    assert page.status_code == 200
    [row] = page.context["rows"]
    assert (
        row["request"].order.number,
        row["plate"],
        row["part_number"],
        row["part_name"],
        row["quantity"],
        row["technician"],
        row["waiting"],
        row["requested"],
    ) == (
        request.order.number,
        "沪A12345",
        "06L-115-562",
        "机油滤清器",
        Decimal(1),
        "维修技师",
        25,
        request.requested_at.astimezone(SHANGHAI).replace(tzinfo=None),
    )
    html = page.content.decode()
    assert 'data-testid="waiting-count">1 request to issue</p>' in html
    assert f'action="/workshop/parts-requests/{request.pk}/issue/"' in html
    assert f'id="id_issue_{request.pk}_part_number"' in html and 'maxlength="60"' in html


def test_the_parts_desk_issues_the_scanned_part(shop: Shop, english: Callable[[User], Client]) -> None:
    request = _requested(shop)
    clerk = shop.reception.world.user("parts")
    response = english(clerk).post(f"/workshop/parts-requests/{request.pk}/issue/", {"part_number": "06l115562"})
    assert (response.status_code, response["Location"]) == (302, "/workshop/parts-requests/")
    request.refresh_from_db()
    assert (request.state, request.issued_by_id) == ("issued", clerk.pk)
    assert Line.all_objects.get(pk=request.line_id).state == "done"
    page = english(clerk).get("/workshop/parts-requests/")
    assert [(row["request"].pk, row["form"]) for row in page.context["rows"]] == [(request.pk, None)]
    assert 'data-testid="waiting-count">0 requests to issue</p>' in page.content.decode()


def test_a_wrong_part_is_refused_on_the_field_and_nothing_is_issued(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    request = _requested(shop)
    moves = StockMove.objects.count()
    response = english(shop.reception.world.user("parts")).post(
        f"/workshop/parts-requests/{request.pk}/issue/", {"part_number": "5Q0-698-151"}
    )
    assert response.status_code == 400
    assert response.context["bound_form"].errors == {
        "part_number": ["5Q0-698-151 is not the reserved part: issue 06L-115-562."]
    }
    assert (
        'data-testid="error-part_number">5Q0-698-151 is not the reserved part: issue 06L-115-562.</div>'
        in response.content.decode()
    )
    request.refresh_from_db()
    assert (request.state, request.issued_by_id, request.issued_at) == ("requested", None, None)
    assert StockMove.objects.count() == moves
    assert Line.all_objects.get(pk=request.line_id).state == "approved"


def test_a_request_of_another_store_is_not_found(shop: Shop, english: Callable[[User], Client]) -> None:
    request = _requested(shop)
    other = english(User.objects.get(username="parts_sz"))
    assert other.post(f"/workshop/parts-requests/{request.pk}/issue/", {"part_number": "06L115562"}).status_code == 404
    request.refresh_from_db()
    assert request.state == "requested"


def test_only_the_parts_desk_opens_it(shop: Shop, english: Callable[[User], Client]) -> None:
    request = _requested(shop)
    technician = english(shop.middle)
    assert technician.get("/workshop/parts-requests/").status_code == 403
    assert (
        technician.post(f"/workshop/parts-requests/{request.pk}/issue/", {"part_number": "06L115562"}).status_code
        == 403
    )
    request.refresh_from_db()
    assert request.state == "requested"


# --- an order waiting for parts ------------------------------------------------------------------------------


def test_the_order_shows_the_missing_part_and_buys_it_urgently(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    pads = shop.line(order, 4)
    supplier = Supplier.objects.create(group=shop.store.group, kind="local", code="S01", name="申城汽配")
    Supplier.objects.create(group=shop.store.group, kind="local", code="S02", name="停用汽配", is_active=False)
    clerk = english(shop.reception.world.user("parts"))
    page = clerk.get(f"/workshop/orders/{order.pk}/parts/")
    assert page.status_code == 200
    [row] = page.context["rows"]
    assert (row["line"].pk, row["part_number"], row["missing"], row["shortage"].purchase_order) == (
        pads.pk,
        "5Q0-698-151",
        Decimal(1),
        "",
    )
    assert list(row["form"].fields["supplier"].choices) == [("", "—"), (str(supplier.pk), "S01 申城汽配")]

    expected = timezone.localdate() + timedelta(days=2)
    response = clerk.post(
        f"/workshop/orders/{order.pk}/parts/order/",
        {
            "line": str(pads.pk),
            "supplier": str(supplier.pk),
            "order_type": "vor",
            "unit_price": "300.00",
            "expected_on": expected.isoformat(),
        },
    )
    assert (response.status_code, response["Location"]) == (302, f"/workshop/orders/{order.pk}/parts/")
    purchase = PurchaseOrder.objects.get()
    line = purchase.lines.get()
    assert (purchase.order_type, purchase.status, purchase.supplier_id) == ("vor", "draft", supplier.pk)
    assert (line.part_id, line.quantity, line.unit_price, line.expected_on, line.demand_line_id) == (
        shop.reception.pads.pk,
        Decimal(1),
        Decimal("300.00"),
        expected,
        pads.pk,
    )
    page = clerk.get(f"/workshop/orders/{order.pk}/parts/")
    [row] = page.context["rows"]
    assert (row["shortage"].purchase_order, row["order_type"], row["form"]) == (
        purchase.number,
        "Vehicle off road (VOR)",
        None,
    )
    assert (
        f'<a href="/purchasing/orders/{purchase.pk}/">{purchase.number}</a> · Vehicle off road (VOR) · '
        f"expected {expected:%Y-%m-%d}" in page.content.decode()
    )


def test_buying_without_a_supplier_is_refused_on_the_field(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    pads = shop.line(order, 4)
    response = english(shop.reception.world.user("parts")).post(
        f"/workshop/orders/{order.pk}/parts/order/",
        {"line": str(pads.pk), "supplier": "", "order_type": "stock", "unit_price": "-1"},
    )
    assert response.status_code == 400
    assert response.context["bound_form"].errors == {
        "supplier": ["This field is required."],
        "order_type": ["Select a valid choice. stock is not one of the available choices."],
        "unit_price": ["Ensure this value is greater than or equal to 0."],
    }
    assert PurchaseOrder.objects.count() == 0


def test_the_car_leaves_and_comes_back(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    advisor = english(shop.advisor)
    response = advisor.post(
        f"/workshop/visits/{order.visit_id}/off-site/",
        {"reason": "客户先开走，配件到了再回来", "owner_agreed_pause": "on"},
    )
    assert (response.status_code, response["Location"]) == (302, f"/workshop/orders/{order.pk}/parts/")
    interval = OffSite.objects.get()
    assert (interval.visit_id, interval.reason, interval.owner_agreed_pause, interval.back_at) == (
        order.visit_id,
        "客户先开走，配件到了再回来",
        True,
        None,
    )
    page = advisor.get(f"/workshop/orders/{order.pk}/parts/")
    assert page.context["away"] == interval
    html = page.content.decode()
    assert f'action="/workshop/visits/{order.visit_id}/back/"' in html
    assert f'action="/workshop/visits/{order.visit_id}/off-site/"' not in html

    again = advisor.post(f"/workshop/visits/{order.visit_id}/off-site/", {"reason": "再次离店"})
    assert again.status_code == 409
    assert again.context["bound_form"].errors == {"reason": ["The car is off site already."]}
    assert OffSite.objects.count() == 1

    response = advisor.post(f"/workshop/visits/{order.visit_id}/back/")
    assert (response.status_code, response["Location"]) == (302, f"/workshop/orders/{order.pk}/parts/")
    interval.refresh_from_db()
    assert interval.back_at is not None and interval.back_at > interval.left_at
    page = advisor.get(f"/workshop/orders/{order.pk}/parts/")
    assert page.context["away"] is None
    assert [(row[0].pk, row[2]) for row in page.context["intervals"]] == [
        (interval.pk, interval.back_at.astimezone(SHANGHAI).replace(tzinfo=None))
    ]


def test_a_car_leaving_without_a_reason_is_refused(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    response = english(shop.advisor).post(f"/workshop/visits/{order.visit_id}/off-site/", {"reason": ""})
    assert response.status_code == 400
    assert response.context["bound_form"].errors == {"reason": ["This field is required."]}
    assert OffSite.objects.count() == 0


def test_back_when_the_car_is_here_is_refused(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    response = english(shop.advisor).post(f"/workshop/visits/{order.visit_id}/back/")
    assert response.status_code == 409
    assert response.context["bound_form"].errors == {"__all__": ["The car is not off site."]}


def test_a_new_promised_time_moves_the_deadlines_and_tells_the_customer(
    shop: Shop,
    english: Callable[[User], Client],
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> None:
    customer = shop.reception.customer
    customer.email = "zhangwei@example.com"
    customer.save()
    order = shop.order()
    job = dispatch(
        actor=shop.foreman,
        order_id=order.pk,
        data=DispatchIn(line_id=shop.line(order, 1).pk, technician_id=shop.senior.pk),
    )
    wall = (timezone.now() + timedelta(days=2)).astimezone(SHANGHAI).replace(second=0, microsecond=0, tzinfo=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = english(shop.advisor).post(
            f"/workshop/visits/{order.visit_id}/eta/",
            {"promised_at": wall.strftime("%Y-%m-%dT%H:%M"), "reason": "配件延误", "waiting_for_parts": "on"},
        )
    assert (response.status_code, response["Location"]) == (302, f"/workshop/orders/{order.pk}/parts/")
    promised = wall.replace(tzinfo=SHANGHAI)
    assert Visit.all_objects.get(pk=order.visit_id).promised_at == promised
    job.refresh_from_db()
    assert job.deadline == promised - timedelta(minutes=30)
    [message] = Message.objects.filter(event="repair_progress")
    assert (message.channel, message.address, message.variables["status"], message.variables["eta"]) == (
        "email",
        "zhangwei@example.com",
        "您的车辆正在等待配件",
        wall.strftime("%m-%d %H:%M"),
    )


def test_a_promised_time_in_the_past_is_refused_on_the_field(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    before = Visit.all_objects.get(pk=order.visit_id).promised_at
    past = (timezone.now() - timedelta(hours=1)).astimezone(SHANGHAI)
    response = english(shop.advisor).post(
        f"/workshop/visits/{order.visit_id}/eta/", {"promised_at": past.strftime("%Y-%m-%dT%H:%M"), "reason": "x"}
    )
    assert response.status_code == 400
    assert response.context["bound_form"].errors == {"promised_at": ["The new time must be in the future."]}
    assert Visit.all_objects.get(pk=order.visit_id).promised_at == before
    assert Message.objects.filter(event="repair_progress").count() == 0


# --- service levels and settings -----------------------------------------------------------------------------


def test_the_service_levels_page_shows_the_defaults_and_the_on_time_rate(
    shop: Shop, english: Callable[[User], Client]
) -> None:
    shop.order()  # a major repair approved now: due for dispatch within 24 hours of open time
    page = english(shop.advisor).get("/workshop/service-levels/")
    assert page.status_code == 200
    assert [(row["kind"], row["dispatch"], row["complete"], row["kept"]) for row in page.context["rows"]] == [
        ("quick", 15, 120, False),
        ("repair", 60, None, False),
        ("major", 1440, None, False),
    ]
    rate = page.context["rate"]
    assert (rate.orders, rate.dispatch_rate, rate.complete_rate) == (1, Decimal("100.0"), None)
    html = page.content.decode()
    assert 'data-testid="rate-dispatch">100.0%</div>' in html
    assert 'action="/workshop/settings/"' not in html  # the advisor may not change them


def test_a_month_without_orders_and_a_bad_month(shop: Shop, english: Callable[[User], Client]) -> None:
    shop.order()
    client = english(shop.advisor)
    page = client.get("/workshop/service-levels/", {"month": "2020-02"})
    rate = page.context["rate"]
    assert (page.status_code, rate.orders, rate.dispatch_rate) == (200, 0, None)
    bad = client.get("/workshop/service-levels/", {"month": "2020-13"})
    assert bad.status_code == 400
    assert bad.context["month_form"].errors == {"month": ["Enter a valid date."]}
    assert bad.context["rate"] is None


def test_the_manager_keeps_service_levels(shop: Shop, english: Callable[[User], Client]) -> None:
    manager = english(shop.reception.world.user("manager"))
    data = {
        "quick_dispatch": "20",
        "quick_complete": "90",
        "repair_dispatch": "45",
        "repair_complete": "",
        "major_dispatch": "",
        "major_complete": "",
    }
    response = manager.post("/workshop/service-levels/", data)
    assert (response.status_code, response["Location"]) == (302, "/workshop/service-levels/")
    assert sorted(ServiceLevel.objects.values_list("service_type", "dispatch_minutes", "complete_minutes")) == [
        ("quick", 20, 90),
        ("repair", 45, None),
    ]
    entry = AuditEntry.objects.get(object_type="workshop.servicelevel")
    assert (entry.action, entry.actor_id, entry.changes) == (
        "update",
        shop.reception.world.user("manager").pk,
        {"quick": [[15, 120], [20, 90]], "repair": [[60, None], [45, None]]},
    )


def test_service_levels_out_of_range_are_refused_on_their_fields(shop: Shop, english: Callable[[User], Client]) -> None:
    ServiceLevel.objects.create(store=shop.store, service_type="quick", dispatch_minutes=20, complete_minutes=90)
    response = english(shop.reception.world.user("manager")).post(
        "/workshop/service-levels/",
        {"quick_dispatch": "0", "quick_complete": "43201", "repair_dispatch": "", "repair_complete": "30"},
    )
    assert response.status_code == 400
    assert response.context["levels_form"].errors == {
        "quick_dispatch": ["Ensure this value is greater than or equal to 1."],
        "quick_complete": ["Ensure this value is less than or equal to 43200."],
    }
    response = english(shop.reception.world.user("manager")).post(
        "/workshop/service-levels/", {"repair_dispatch": "", "repair_complete": "30"}
    )
    assert response.status_code == 400
    assert response.context["levels_form"].errors == {
        "repair_complete": ["Give the dispatch time too, or leave both blank for the defaults."]
    }
    assert list(ServiceLevel.objects.values_list("service_type", "dispatch_minutes", "complete_minutes")) == [
        ("quick", 20, 90)
    ]
    assert AuditEntry.objects.filter(object_type="workshop.servicelevel").count() == 0


def test_the_advisor_may_not_change_service_levels(shop: Shop, english: Callable[[User], Client]) -> None:
    client = english(shop.advisor)
    assert client.post("/workshop/service-levels/", {"quick_dispatch": "5"}).status_code == 403
    assert client.post("/workshop/settings/", {"reminder_minutes": "10", "handover_minutes": "10"}).status_code == 403
    assert (ServiceLevel.objects.count(), WorkshopSettings.all_objects.count()) == (0, 0)


def test_the_manager_keeps_the_workshop_settings(shop: Shop, english: Callable[[User], Client]) -> None:
    manager = shop.reception.world.user("manager")
    response = english(manager).post(
        "/workshop/settings/",
        {"clock_overlap": "on", "reminder_minutes": "20", "handover_minutes": "45", "notify_waiting": "on"},
    )
    assert (response.status_code, response["Location"]) == (302, "/workshop/service-levels/")
    rules = WorkshopSettings.all_objects.get(store=shop.store)
    assert (
        rules.clock_overlap,
        rules.reminder_minutes,
        rules.handover_minutes,
        rules.notify_approved,
        rules.notify_started,
        rules.notify_waiting,
    ) == (True, 20, 45, False, False, True)
    entry = AuditEntry.objects.get(object_type="workshop.workshopsettings")
    assert (entry.action, entry.actor_id) == ("create", manager.pk)


def test_settings_out_of_range_are_refused_on_their_fields(shop: Shop, english: Callable[[User], Client]) -> None:
    response = english(shop.reception.world.user("manager")).post(
        "/workshop/settings/", {"reminder_minutes": "4", "handover_minutes": "481"}
    )
    assert response.status_code == 400
    assert response.context["settings_form"].errors == {
        "reminder_minutes": ["Ensure this value is greater than or equal to 5."],
        "handover_minutes": ["Ensure this value is less than or equal to 480."],
    }
    assert WorkshopSettings.all_objects.count() == 0


# --- the customer's progress page ----------------------------------------------------------------------------


def test_the_customer_follows_the_progress_behind_the_link(shop: Shop, english: Callable[[User], Client]) -> None:
    order = shop.order()
    dispatch(
        actor=shop.foreman,
        order_id=order.pk,
        data=DispatchIn(line_id=shop.line(order, 1).pk, technician_id=shop.senior.pk),
    )
    visit = Visit.all_objects.select_related("store").get(pk=order.visit_id)
    url = progress_url(visit, actor=shop.advisor)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(urlsplit(url).path)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="plate">沪A·**345</span>' in html
    assert 'data-testid="stage">Waiting for parts</div>' in html  # the pads are not in stock
    assert 'style="width: 50%"' in html
    promised = visit.promised_at
    assert promised is not None
    assert f'data-testid="promised">{promised.astimezone(SHANGHAI):%Y-%m-%d %H:%M}</div>' in html
    assert [(line["description"], line["state_label"]) for line in page.context["lines"]] == [
        ("更换机油", "Dispatched"),
        ("更换前制动片", "Approved"),
    ]
    assert "沪A12345" not in html
    assert Client().post(urlsplit(url).path).status_code == 405
