"""Bookings show on the archive's timelines of the customer and the vehicle."""

from __future__ import annotations

from aftersales.appointments import services
from aftersales.appointments.services import BookingIn
from aftersales.appointments.tests.conftest import Booking
from aftersales.customers import selectors


def test_a_booking_shows_on_the_vehicle_and_customer_timelines(booking: Booking) -> None:
    b = booking
    appointment = services.appointment_book(
        actor=b.agent,
        store_id=b.store.pk,
        data=BookingIn(
            starts_at=b.at("10:00"),
            services=[f"package:{b.package.pk}"],
            channel="phone",
            customer_id=b.customer.pk,
            vehicle_id=b.vehicle.pk,
        ),
    )

    vehicle_items = selectors.vehicle_timeline(b.vehicle, kinds={"appointment"})
    customer_items = selectors.customer_timeline(b.customer, kinds={"appointment"})

    assert [(item.kind, item.at, item.title, item.note) for item in vehicle_items] == [
        ("appointment", b.at("10:00"), f"预约 {appointment.number}，上海店：已预约", "更换机油")
    ]
    assert [item.title for item in customer_items] == [f"预约 {appointment.number}，上海店：已预约"]
