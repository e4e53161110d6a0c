"""The parts desk's day before (APT-6): the package parts reserved with the booking as the demand until
the end of its day, nothing more on a second run, a shortfall flagged back to customer care once,
staging only what is reserved in full, an urgent order for what is short (not twice), and the
booking's advisor as the one who waits for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils.translation import gettext

from aftersales.appointments.models import Appointment, AppointmentEvent
from aftersales.appointments.services import (
    appointment_cancel,
    appointment_parts_order,
    appointment_prepick,
    appointment_reschedule,
    appointment_stage,
    parts_needed,
)
from aftersales.appointments.services.prepick import PartNeed
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book, counts
from aftersales.core.errors import ApplicationError
from aftersales.messaging.models import Task
from aftersales.parts.models import Reservation, StockBalance
from aftersales.purchasing.models import PurchaseOrder, PurchaseOrderLine
from aftersales.purchasing.services.notices import DEMAND_OWNERS, DemandOwner
from aftersales.purchasing.tests.factories import SupplierFactory

D = Decimal
END_OF_TOMORROW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # midnight after Friday 27 November in Shanghai


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def reserved(b: Booking) -> dict[str, Decimal]:
    return {
        row.part.number_display: row.reserved
        for row in StockBalance.all_objects.filter(store=b.store).select_related("part").order_by("part__number")
    }


def actions(appointment: Appointment) -> list[tuple[str, str]]:
    return list(AppointmentEvent.objects.filter(appointment=appointment).order_by("pk").values_list("action", "note"))


def test_the_package_parts_are_reserved_for_the_booking_until_the_end_of_its_day(booking: Booking) -> None:
    b = booking
    appointment = book(b, "09:00", b.package)
    filter_item, oil_item = b.package.items.exclude(kind="labour").order_by("pk")
    assert parts_needed([appointment]) == {
        appointment.pk: [
            PartNeed(filter_item.pk, b.filter.pk, "06L-115-562", "机油滤清器", D(1), D(0)),
            PartNeed(oil_item.pk, b.oil_part.pk, "G055-167", "机油", D("4.5"), D(0)),
        ]
    }
    parts = b.world.user("parts")
    done = appointment_prepick(actor=parts, appointment_id=appointment.pk)
    assert done.parts_status == "reserved"
    assert [
        (r.part_id, r.bin_id, r.quantity, r.demand_type, r.demand_id, r.demand_line_id, r.expires_at)
        for r in Reservation.all_objects.order_by("demand_line_id")
    ] == [
        (b.filter.pk, b.bin.pk, D(1), "appointment", appointment.pk, filter_item.pk, END_OF_TOMORROW),
        (b.oil_part.pk, b.bin.pk, D("4.5"), "appointment", appointment.pk, oil_item.pk, END_OF_TOMORROW),
    ]
    assert reserved(b) == {"06L-115-562": D(1), "G055-167": D("4.5")}
    assert actions(appointment) == [("book", ""), ("prepick", "")]
    assert [need.short for need in parts_needed([appointment])[appointment.pk]] == [D(0), D(0)]

    # Run again: nothing more reserved, nothing more written.
    before = counts()
    assert appointment_prepick(actor=parts, appointment_id=appointment.pk).parts_status == "reserved"
    assert counts() == before
    assert reserved(b) == {"06L-115-562": D(1), "G055-167": D("4.5")}

    staged = appointment_stage(actor=parts, appointment_id=appointment.pk)
    assert (staged.parts_status, staged.staged_at, staged.staged_by_id) == ("staged", NOW, parts.pk)
    assert actions(appointment)[-1] == ("staged", "")
    before = counts()
    assert appointment_prepick(actor=parts, appointment_id=appointment.pk).parts_status == "staged"
    assert counts() == before


def test_a_shortfall_flags_the_booking_back_to_customer_care_once(booking: Booking) -> None:
    b = booking
    parts = b.world.user("parts")
    first = book(b, "09:00", b.package)
    second = book(b, "10:00", b.package)
    appointment_prepick(actor=parts, appointment_id=first.pk)
    short = appointment_prepick(actor=parts, appointment_id=second.pk)
    # 8 litres on the shelf: 4.5 for the first, 3.5 of 4.5 for the second.
    assert short.parts_status == "short"
    assert reserved(b) == {"06L-115-562": D(2), "G055-167": D(8)}
    assert actions(second) == [("book", ""), ("short", "G055-167 缺 1")]
    task = Task.objects.get()
    assert (task.subject, task.assignee_role, task.assignee_id, task.about_type, task.about_id, task.due_at) == (
        "预约 AP-SH01-2026-000002（张伟，11-27 10:00）配件无法备齐：G055-167 缺 1",
        "crm",
        None,
        "appointments.appointment",
        second.pk,
        datetime(2026, 11, 26, 10, 0, tzinfo=UTC),  # today's closing, 18:00 in Shanghai
    )
    # Run again while still short: the task stands; only the stock ledger's audit notes the attempt.
    before = counts()
    assert appointment_prepick(actor=parts, appointment_id=second.pk).parts_status == "short"
    assert counts() == {**before, "audit": before["audit"] + 1}
    before = counts()

    # Only what is reserved in full is staged.
    with pytest.raises(ApplicationError) as error:
        appointment_stage(actor=parts, appointment_id=second.pk)
    assert (error.value.status, error.value.code, error.value.detail) == (
        409,
        "not_reserved",
        "配件全部预留后才能标记为已备好。",
    )
    assert counts() == before

    # The first booking is cancelled: its parts go back and the second's can be completed.
    appointment_cancel(actor=b.agent, appointment_id=first.pk, reason="客户取消")
    done = appointment_prepick(actor=parts, appointment_id=second.pk)
    assert done.parts_status == "reserved"
    assert reserved(b) == {"06L-115-562": D(1), "G055-167": D("4.5")}
    assert actions(second)[-1] == ("prepick", "")
    assert Task.objects.count() == 1


def test_an_urgent_order_to_the_brands_parts_centre_for_what_is_short(booking: Booking) -> None:
    b = booking
    parts = b.world.user("parts")
    first = book(b, "09:00", b.package)
    second = book(b, "10:00", b.package)
    appointment_prepick(actor=parts, appointment_id=first.pk)
    appointment_prepick(actor=parts, appointment_id=second.pk)

    before = counts()
    orders_before = PurchaseOrder.all_objects.count()
    with pytest.raises(ApplicationError) as error:
        appointment_parts_order(actor=parts, appointment_id=second.pk)
    assert (error.value.code, error.value.fields) == (
        "no_supplier",
        {"supplier": [gettext("No parts centre of the brand is recorded: add the manufacturer as a supplier first.")]},
    )
    assert (counts(), PurchaseOrder.all_objects.count()) == (before, orders_before)

    centre = SupplierFactory.create(
        group=b.store.group, kind="manufacturer", brand=b.oil_part.brand, code="PC", name="一汽大众配件中心"
    )
    [order] = appointment_parts_order(actor=parts, appointment_id=second.pk)
    oil_item = b.package.items.get(part=b.oil_part)
    assert (order.supplier_id, order.order_type, order.status, order.note, order.created_by_id) == (
        centre.pk,
        "urgent",
        "draft",
        "用于预约 AP-SH01-2026-000002",
        parts.pk,
    )
    assert [
        (line.part_id, line.quantity, line.unit_price, line.demand_type, line.demand_id, line.demand_line_id)
        for line in PurchaseOrderLine.objects.filter(order=order)
    ] == [
        (
            b.oil_part.pk,
            D(1),
            (b.oil_part.standard_cost * (1 + b.oil_part.tax_rate)).quantize(D("0.01")),
            "appointment",
            second.pk,
            oil_item.pk,
        )
    ]
    assert actions(second)[-1] == ("order", f"{order.number}: G055-167 × 1")
    # Asked again: what is short is on order already.
    before = counts()
    with pytest.raises(ApplicationError) as error:
        appointment_parts_order(actor=parts, appointment_id=second.pk)
    assert (error.value.code, error.value.fields) == (
        "on_order",
        {"lines": [gettext("What is short is on order already.")]},
    )
    assert (counts(), PurchaseOrder.all_objects.count()) == (before, orders_before + 1)
    # Nothing short on the first.
    with pytest.raises(ApplicationError) as error:
        appointment_parts_order(actor=parts, appointment_id=first.pk)
    assert (error.value.code, error.value.detail) == ("nothing", "没有缺件。")

    # Whoever waits for the parts is the booking's advisor; without one, whoever booked it.
    # They know it by the booking's number.
    assert DEMAND_OWNERS["appointment"](second.pk) == DemandOwner(b.world.user("advisor"), second.number)
    Appointment.objects.filter(pk=second.pk).update(advisor=None)
    assert DEMAND_OWNERS["appointment"](second.pk) == DemandOwner(b.agent, second.number)
    assert DEMAND_OWNERS["appointment"](second.pk + 1000) is None
    assert DEMAND_OWNERS["appointment"](second.pk + 1000) is None


def test_only_the_parts_desk_pre_picks_and_only_live_bookings(booking: Booking) -> None:
    b = booking
    oil_only = book(b, "09:00")
    package = book(b, "10:00", b.package)
    before = counts()
    with pytest.raises(ApplicationError) as error:
        appointment_prepick(actor=b.agent, appointment_id=package.pk)  # customer care may not
    assert (error.value.status, error.value.code) == (404, "not_found")
    with pytest.raises(ApplicationError) as error:
        appointment_prepick(actor=b.world.user("parts", "sz"), appointment_id=package.pk)
    assert (error.value.status, error.value.code) == (404, "not_found")
    with pytest.raises(ApplicationError) as error:
        appointment_prepick(actor=b.world.user("parts"), appointment_id=oil_only.pk)
    assert (error.value.code, error.value.detail) == ("nothing", "该预约的服务项目无需配件。")
    assert counts() == before
    appointment_cancel(actor=b.agent, appointment_id=package.pk, reason="改天")
    before = counts()
    with pytest.raises(ApplicationError) as error:
        appointment_prepick(actor=b.world.user("parts"), appointment_id=package.pk)
    assert (error.value.status, error.value.detail) == (409, "当前状态为“已取消”，不能进行此操作。")
    assert counts() == before


def test_a_booking_moved_to_another_day_gives_its_pre_pick_back(booking: Booking) -> None:
    b = booking
    parts = b.world.user("parts")
    appointment = book(b, "09:00", b.package)
    appointment_prepick(actor=parts, appointment_id=appointment.pk)
    appointment_stage(actor=parts, appointment_id=appointment.pk)
    # The same day: the parts stay staged.
    moved = appointment_reschedule(
        actor=b.agent, appointment_id=appointment.pk, starts_at=b.at("14:00"), reason="下午来"
    )
    assert (moved.parts_status, reserved(b)) == ("staged", {"06L-115-562": D(1), "G055-167": D("4.5")})
    # Another day: they would expire at the end of tomorrow; given back, to be picked again.
    moved = appointment_reschedule(
        actor=b.agent, appointment_id=appointment.pk, starts_at=b.at("09:00", 4), reason="出差"
    )
    moved.refresh_from_db()
    assert (moved.parts_status, moved.staged_at, moved.staged_by_id) == ("to_pick", None, None)
    assert reserved(b) == {"06L-115-562": D(0), "G055-167": D(0)}
    assert Reservation.all_objects.count() == 0
    appointment_prepick(actor=parts, appointment_id=appointment.pk)
    assert set(Reservation.all_objects.values_list("expires_at", flat=True)) == {END_OF_TOMORROW + timedelta(days=3)}
