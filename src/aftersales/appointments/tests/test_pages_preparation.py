"""The day-before pages: the welcome board (masked, refreshed by HTMX), the advisor's daily list with each
car's earlier visits, the parts desk's pre-pick list with its reserve, staged and urgent-order buttons
and the staging label; and the customer search and the move of a booking on the booking pages."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.translation import gettext
from pypdf import PdfReader

from aftersales.appointments.models import Appointment, AppointmentEvent
from aftersales.appointments.services import appointment_check_in
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts
from aftersales.core.models import StaffMembership, User
from aftersales.parts.models import Reservation
from aftersales.purchasing.models import PurchaseOrder, Supplier


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def test_the_welcome_board_shows_today_and_tomorrow_masked_and_refreshes_its_rows(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    b = booking
    today = book(b, "15:00", days=0, contact_name="欧阳娜娜")
    book(b, "09:00", days=1, vehicle_id=None, plate_text="沪B77889", contact_name="Wang Lei")
    cancelled = book(b, "11:00", days=1)
    cancelled.state = "cancelled"
    cancelled.save(update_fields=["state"])
    appointment_check_in(actor=b.agent, appointment_id=today.pk)
    desk = client_for(b.world.user("frontdesk"))
    page = desk.get("/appointments/board/")
    assert page.status_code == 200
    html = text(page)
    assert 'hx-get="/appointments/board/rows/" hx-trigger="every 60s"' in html
    assert "张伟" not in html and "沪A12345" not in html and "欧阳娜娜" not in html
    rows = desk.get("/appointments/board/rows/")
    assert rows.status_code == 200
    sections = {
        key: [(row.time, row.name, row.plate, row.arrived) for row in found]
        for key, _t, _d, found in rows.context["sections"]
    }
    assert sections == {
        "today": [("15:00", "欧**", "沪A***45", True)],
        "tomorrow": [("09:00", "W*****", "沪B***89", False)],
    }
    assert "<html" not in text(rows)  # the rows alone, swapped into the board


def test_the_advisors_day_lists_their_bookings_with_each_cars_earlier_visits(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    b = booking
    advisor = b.world.user("advisor")
    other = User.objects.create(username="advisor_two", full_name="周顾问")
    StaffMembership.objects.create(
        store=b.store,
        user=other,
        role_id=StaffMembership.objects.filter(user=advisor).values_list("role_id", flat=True).get(),
    )
    earlier = book(b, "15:00", days=0, advisor_id=advisor.pk)
    Appointment.objects.filter(pk=earlier.pk).update(starts_at=b.at("10:00", -30), state="arrived")
    mine = book(b, "09:00", advisor_id=advisor.pk, description="异响")
    theirs = book(
        b,
        "11:00",
        b.alignment,
        advisor_id=other.pk,
        vehicle_id=None,
        customer_id=None,
        contact_name="李雷",
        contact_mobile="13700001111",
    )
    day = b.day(1).isoformat()
    page = client_for(advisor).get("/appointments/day/", {"day": day})
    assert page.status_code == 200
    assert [(row.pk, at, [old.pk for old, _at in history]) for row, at, history in page.context["rows"]] == [
        (mine.pk, datetime(2026, 11, 27, 9, 0), [earlier.pk])
    ]
    assert "2026-10-27 · 上海店 · 更换机油" in text(page)
    everyone = client_for(advisor).get("/appointments/day/", {"day": day, "advisor": "all"})
    assert [row.pk for row, _at, _history in everyone.context["rows"]] == [mine.pk, theirs.pk]
    # Someone who is not an advisor sees every advisor's day.
    crm = client_for(b.agent).get("/appointments/day/", {"day": day})
    assert [row.pk for row, _at, _history in crm.context["rows"]] == [mine.pk, theirs.pk]
    wrong = client_for(advisor).get("/appointments/day/", {"day": day, "advisor": "999"})
    assert wrong.status_code == 400 and "advisor" in wrong.context["form"].errors


def test_the_parts_desk_reserves_stages_and_prints_the_label(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    b = booking
    oil_only = book(b, "09:00")
    package = book(b, "10:00", b.package)
    clerk = client_for(b.world.user("parts"))
    page = clerk.get("/appointments/prepick/")  # tomorrow by default
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [row.pk for row, _at, _parts, _style in rows] == [package.pk]  # only what brings parts
    assert [(need.number, needed, reserved, short) for need, needed, reserved, short in rows[0][2]] == [
        ("06L-115-562", "1", "0", "1"),
        ("G055-167", "4.5", "0", "4.5"),
    ]
    html = text(page)
    assert f'action="/appointments/{package.pk}/prepick/?day=2026-11-27"' in html
    assert f"/appointments/{oil_only.pk}/" not in html

    reserved = clerk.post(f"/appointments/{package.pk}/prepick/?day=2026-11-27")
    assert reserved.status_code == 302 and reserved["Location"] == "/appointments/prepick/?day=2026-11-27"
    package.refresh_from_db()
    assert package.parts_status == "reserved"
    assert sorted(
        Reservation.all_objects.filter(demand_type="appointment", demand_id=package.pk).values_list(
            "quantity", flat=True
        )
    ) == [Decimal(1), Decimal("4.5")]
    page = clerk.get(reserved["Location"])
    assert f"{package.number} 的配件：已预留。" in text(page)
    label = clerk.get(f"/appointments/{package.pk}/label.pdf")
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"
    printed = "".join(p.extract_text() for p in PdfReader(io.BytesIO(label.content)).pages)
    for expected in ("张伟", "2026-11-27 10:00", package.number, "A12345", "06L-115-562", "4.5"):
        assert expected in printed

    staged = clerk.post(f"/appointments/{package.pk}/stage/")
    assert staged.status_code == 302 and staged["Location"] == "/appointments/prepick/"
    package.refresh_from_db()
    assert (package.parts_status, package.staged_at, package.staged_by) == ("staged", NOW, b.world.user("parts"))
    again = clerk.post(f"/appointments/{package.pk}/stage/", follow=True)
    assert f"{package.number}: " in text(again)  # refused (staged already) and said so on the list
    assert AppointmentEvent.objects.filter(appointment=package, action="staged").count() == 1


def test_what_the_shelves_lack_can_be_ordered_urgently_only_by_who_may_order(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    b = booking
    first = book(b, "09:00", b.package)
    second = book(b, "10:00", b.package)
    clerk, manager = client_for(b.world.user("parts")), client_for(b.world.user("service_manager"))
    clerk.post(f"/appointments/{first.pk}/prepick/")
    clerk.post(f"/appointments/{second.pk}/prepick/")  # 8 litres on the shelf: 3.5 short
    second.refresh_from_db()
    assert second.parts_status == "short"
    page = clerk.get("/appointments/prepick/")
    assert f'action="/appointments/{second.pk}/parts-order/?day=2026-11-27"' in text(page)
    assert 'data-testid="order"' not in text(manager.get("/appointments/prepick/"))  # no purchasing.order
    before = counts()
    refused = manager.post(f"/appointments/{second.pk}/parts-order/")
    assert refused.status_code == 403 and counts() == {**before, "audit": before["audit"] + 1}
    no_centre = clerk.post(f"/appointments/{second.pk}/parts-order/", follow=True)
    message = gettext("No parts centre of the brand is recorded: add the manufacturer as a supplier first.")
    assert f"{second.number}: {message}" in text(no_centre)
    assert PurchaseOrder.all_objects.count() == 0
    Supplier.objects.create(
        group=b.store.group, kind="manufacturer", brand=b.oil_part.brand, code="VW-PC", name="大众配件中心"
    )
    ordered = clerk.post(f"/appointments/{second.pk}/parts-order/", follow=True)
    order = PurchaseOrder.all_objects.get()
    assert (order.order_type, [(line.part, line.quantity) for line in order.lines.all()]) == (
        "urgent",
        [(b.oil_part, Decimal("1.0"))],
    )
    assert f"{second.number} 的紧急订单：已生成草稿。" in text(ordered)


def test_the_booking_forms_search_finds_the_customer_and_their_cars(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    b = booking
    agent = client_for(b.agent)
    by_plate = agent.get("/appointments/find/", {"find": "A12345"})
    assert by_plate.status_code == 200
    assert [(p.customer_id, p.vehicle_id, p.name, p.mobile, p.plate) for p in by_plate.context["parties"]] == [
        (b.customer.pk, b.vehicle.pk, "张伟", "13912345678", "沪A12345")
    ]
    html = text(by_plate)
    assert (
        f'data-customer="{b.customer.pk}" data-vehicle="{b.vehicle.pk}" data-name="张伟" data-plate="沪A12345"' in html
    )
    by_mobile = client_for(b.world.user("frontdesk")).get("/appointments/find/", {"find": "13912345678"})
    assert [(p.vehicle_id, p.mobile) for p in by_mobile.context["parties"]] == [
        (b.vehicle.pk, "139****5678"),  # their car
        (None, "139****5678"),  # or without it
    ]
    nobody = agent.get("/appointments/find/", {"find": "沪Z99999"})
    assert nobody.context["parties"] == [] and "档案中没有匹配的顾客" in text(nobody)
    wrong = agent.get("/appointments/find/", {"find": "ab\ncd"})
    assert wrong.status_code == 400 and list(wrong.context["form"].errors) == ["find"]


def test_a_booking_is_moved_on_its_page_with_the_free_times_of_its_services(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    b = booking
    appointment = book(b, "10:00", b.ev)
    agent = client_for(b.agent)
    page = agent.get(f"/appointments/{appointment.pk}/reschedule/")
    assert page.status_code == 200
    assert page.context["form"]["day"].value() == b.day(1) and page.context["form"]["time"].value().hour == 10
    slots = agent.get(
        "/appointments/slots/", {"appointment": appointment.pk, "day": b.day(1).isoformat(), "time": "10:00"}
    )
    # Moved, it frees its own hours: 10:00 is offered again (the wish), then the nearest.
    assert slots.context["times"].offered == ["10:00", "09:45"]
    before = counts()
    refused = agent.post(f"/appointments/{appointment.pk}/reschedule/", {"day": b.day(1).isoformat(), "time": "14:00"})
    assert refused.status_code == 400 and refused.context["form"].errors == {"reason": ["此字段为必填项。"]}
    assert counts() == before
    moved = agent.post(
        f"/appointments/{appointment.pk}/reschedule/",
        {"day": b.day(2).isoformat(), "time": "14:00", "reason": "客户改期"},
    )
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.reason) == (b.at("14:00", 2), "客户改期")
    event = AppointmentEvent.objects.filter(appointment=appointment).latest("pk")
    assert (event.action, event.note) == ("reschedule", "2026-11-27 10:00 → 2026-11-28 14:00: 客户改期")
    page = agent.get(f"/appointments/{appointment.pk}/")
    assert f"预约 {appointment.number} 已改约。" in text(page)
    appointment_check_in(actor=b.agent, appointment_id=appointment.pk)
    arrived = agent.get(f"/appointments/{appointment.pk}/reschedule/")
    assert 'data-testid="not-movable"' in text(arrived) and 'data-testid="move-form"' not in text(arrived)
