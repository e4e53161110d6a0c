"""Reception against bookings and the archive: the pre-pick handed to the order's lines, the visit and its
order on the vehicle's and customer's timelines, the contact checked, one car on site once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales.appointments.models import Appointment
from aftersales.core.errors import ApplicationError
from aftersales.core.models import AuditEntry
from aftersales.customers.models import MileageReading
from aftersales.customers.selectors import customer_timeline, vehicle_timeline
from aftersales.parts.models import Reservation, StockBalance
from aftersales.parts.services import Demand, stock_reserve
from aftersales.visits.models import Visit
from aftersales.visits.services import LineIn, repair_order_create, visit_open, visit_update
from aftersales.visits.tests.conftest import Reception
from aftersales.visits.tests.test_orders import order_in

D = Decimal


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _booking(reception: Reception) -> Appointment:
    starts = timezone.now().replace(microsecond=0) + timedelta(minutes=10)
    return Appointment.all_objects.create(
        store=reception.store,
        number="AP-SH01-2026-000009",
        channel="phone",
        customer=reception.customer,
        vehicle=reception.vehicle,
        contact_name="张伟",
        contact_mobile="13912345678",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        hours=D("1.00"),
        parts_status="reserved",
    )


def test_the_pre_pick_is_handed_to_the_orders_line_never_released(reception: Reception) -> None:
    appointment = _booking(reception)
    parts = reception.world.user("parts")
    held = stock_reserve(
        actor=parts,
        store_id=reception.store.pk,
        demands=[Demand(reception.filter.pk, D(2), "appointment", appointment.pk, None, appointment.ends_at)],
    ).reservations[0]
    visit = visit_open(actor=reception.advisor, data=reception.visit_in(appointment_id=appointment.pk))
    appointment.refresh_from_db()
    assert (appointment.state, visit.appointment_id) == ("arrived", appointment.pk)
    order = repair_order_create(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=order_in(reception, LineIn(kind="part", part_id=reception.filter.pk, quantity=D(1))),
    )
    line = order.lines.get()
    # The line's unit was handed over from the booking's two (never free in between); the other went back.
    assert list(
        Reservation.all_objects.values_list("quantity", "demand_type", "demand_id", "demand_line_id", "expires_at")
    ) == [(D("1.000"), "repair_order", order.pk, line.pk, None)]
    handed = AuditEntry.objects.filter(action="stock_reserved", changes__repointed_from__isnull=False).get()
    assert handed.changes == {"repointed_from": f"appointment:{appointment.pk}:", "quantity": "1"}
    assert held.pk not in Reservation.all_objects.values_list("pk", flat=True)
    assert StockBalance.all_objects.get(part=reception.filter).reserved == D("1.000")


def test_the_visit_and_its_order_are_on_the_timelines(reception: Reception) -> None:
    visit = visit_open(actor=reception.advisor, data=reception.visit_in())
    order = repair_order_create(actor=reception.advisor, visit_id=visit.pk, data=order_in(reception))
    vehicle_items = [
        (item.kind, item.title, item.note)
        for item in vehicle_timeline(reception.vehicle, kinds={"visit", "repair_order"})
    ]
    assert vehicle_items == [
        (
            "repair_order",
            f"Repair order {order.number} at 上海店: Open",
            "2 lines agreed, 288.00 yuan: 保养，刹车有异响",
        ),
        ("visit", f"Visit {visit.number} at 上海店: On site", "52,300 km in, 沪A12345"),
    ]
    assert [item.kind for item in customer_timeline(reception.customer, kinds={"visit", "repair_order"})] == [
        "repair_order",
        "visit",
    ]
    assert MileageReading.objects.filter(vehicle=reception.vehicle).order_by("-pk").values_list(
        "km", "source"
    ).first() == (
        52_300,
        "reception",
    )


def test_one_visit_on_site_per_car_and_a_contact_mobile_that_is_one(reception: Reception) -> None:
    visit = visit_open(actor=reception.advisor, data=reception.visit_in())
    with pytest.raises(ApplicationError) as twice:
        visit_open(actor=reception.advisor, data=reception.visit_in(mileage_in=52_400))
    assert twice.value.fields == {"vehicle": ["This vehicle is on site already: open its visit."]}
    with pytest.raises(ApplicationError) as wrong:
        visit_update(actor=reception.advisor, visit_id=visit.pk, changes={"contact_mobile": "9223372036854775808"})
    assert wrong.value.fields == {"contact_mobile": ["A mobile number must have 11 digits; this one has 19."]}
    assert Visit.all_objects.get().contact_mobile == "13912345678"
    changed = visit_update(
        actor=reception.advisor, visit_id=visit.pk, changes={"key_tag": "K-22", "contact_mobile": "139 1234 5679"}
    )
    assert (changed.key_tag, changed.contact_mobile) == ("K-22", "13912345679")
