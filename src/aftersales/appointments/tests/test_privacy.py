"""A booking's personal data, declared next to the model as the archive declares a customer's
(``Appointment.personal_fields``): its audit entries keep the contact beside the trail, masked for
readers without the right and hidden on the trail-wide page; the booking page masks each address a
message went to by its kind; anonymising the customer empties the copies the bookings hold (theirs,
and those made with their mobile without a customer record) and erases them from beside the trail; a
booking without a customer record is emptied the same way once its three years have passed (a daily job)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from aftersales import schedule
from aftersales.appointments.models import Appointment
from aftersales.appointments.services import (
    BOOKINGS_KEPT_YEARS,
    appointment_cancel,
    appointment_reschedule,
    appointments_expire_personal,
)
from aftersales.appointments.services.privacy import kept_until
from aftersales.appointments.tests.conftest import Booking
from aftersales.appointments.tests.factories import NOW, Clock, book
from aftersales.core.audit import (
    ERASED,
    PERSONAL_HIDDEN,
    audit_masked,
    audit_personal_fill,
    audit_trail_shown,
    audit_verify,
)
from aftersales.core.identifiers import mask_mobile
from aftersales.core.models import AuditEntry, AuditPersonalData, User
from aftersales.customers.services import customer_anonymise, customer_merge
from aftersales.customers.tests.factories import CustomerFactory
from aftersales.messaging.models import Message

# What the caller said: a driver booking the owner's car, with a plate as read out on the phone.
CONTACT = {
    "contact_name": "王芳",
    "contact_mobile": "13700001111",
    "plate_text": "沪B99999",
    "description": "冷启动时发动机抖动",
}
REASON = "客户书面申请删除 2026-11-20"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, NOW)


def created_entry(appointment: Appointment) -> AuditEntry:
    return AuditEntry.objects.get(
        object_type="appointments.appointment", object_id=str(appointment.pk), action=AuditEntry.Action.CREATE
    )


def trail_text() -> str:
    """Every audit entry as a reader with the right sees it (personal values restored where kept)."""
    entries = audit_personal_fill(AuditEntry.objects.order_by("id"))
    return json.dumps([(entry.object_repr, entry.changes) for entry in entries], ensure_ascii=False)


def test_the_booking_declares_its_personal_data_as_the_archive_does() -> None:
    assert Appointment.personal_fields == {
        "contact_name": None,
        "contact_mobile": mask_mobile,
        "plate_text": None,
        "vin_text": None,
        "description": None,
    }
    assert Appointment.personal_masks == {"contact_mobile": mask_mobile}
    assert Appointment.audit_personal == frozenset(
        {"contact_name", "contact_mobile", "plate_text", "vin_text", "description"}
    )
    assert Appointment(pk=7, number="AP-SH01-2026-000007").audit_subject() == "appointments.appointment:7"


def test_a_bookings_entry_keeps_the_contact_beside_the_trail_masked_for_readers_without_the_right(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    appointment = book(booking, "09:00", **CONTACT)

    entry = created_entry(appointment)
    assert not [value for value in CONTACT.values() if value in json.dumps(entry.changes, ensure_ascii=False)]
    kept = AuditPersonalData.objects.get(entry=entry)
    assert (kept.subject, kept.values) == (
        f"appointments.appointment:{appointment.pk}",
        {key: [None, value] for key, value in CONTACT.items()},
    )
    # A reader with the right sees the values; one without sees the mobile masked, as on the page.
    filled = audit_personal_fill([created_entry(appointment)])[0]
    assert {key: filled.changes[key] for key in CONTACT} == {key: [None, value] for key, value in CONTACT.items()}
    assert {key: audit_masked(filled)[key] for key in CONTACT} == {
        "contact_name": [None, "王芳"],
        "contact_mobile": [None, "137****1111"],
        "plate_text": [None, "沪B99999"],
        "description": [None, "冷启动时发动机抖动"],
    }
    # The trail-wide page and its export hide them: they belong to the person's own records.
    shown = audit_trail_shown(created_entry(appointment))
    assert {key: shown[key] for key in CONTACT} == {key: [None, str(PERSONAL_HIDDEN)] for key in CONTACT}
    assert (shown["number"], shown["customer_id"]) == ([None, appointment.number], [None, booking.customer.pk])
    page = client_for(booking.world.user("manager")).get("/audit/", {"object_type": "appointments.appointment"})
    assert page.status_code == 200
    html = page.content.decode()
    assert appointment.number in html
    assert not [value for value in CONTACT.values() if value in html]


def test_the_booking_page_masks_each_address_by_its_kind_for_roles_without_the_right(
    booking: Booking, client_for: Callable[[User], Client]
) -> None:
    appointment = book(booking, "09:00", **CONTACT)
    for channel, address in (("sms", "13700001111"), ("email", "wang.fang@example.com")):
        Message.objects.create(
            store=booking.store,
            event="appointment_booked",
            channel=channel,
            message_class="service",
            recipient_type="customer",
            recipient_id=booking.customer.pk,
            address=address,
            body="预约已登记",
            about_type="appointments.appointment",
            about_id=appointment.pk,
        )
    url = f"/appointments/{appointment.pk}/"

    desk = client_for(booking.world.user("frontdesk")).get(url)  # no customers.view_personal
    care = client_for(booking.agent).get(url)  # customer care: customers.view_personal

    assert (desk.context["mobile"], [row[2] for row in desk.context["sent"]]) == (
        "137****1111",
        ["137****1111", "****"],
    )
    assert [value for value in ("wang.fang@example.com", "13700001111") if value in desk.content.decode()] == []
    assert (care.context["mobile"], [row[2] for row in care.context["sent"]]) == (
        "13700001111",
        ["13700001111", "wang.fang@example.com"],
    )


def test_anonymising_the_customer_empties_what_their_bookings_copied_and_erases_it_from_the_trail(
    booking: Booking,
) -> None:
    b = booking
    manager = b.world.user("manager")
    moved = book(b, "09:00", **CONTACT)
    appointment_reschedule(actor=b.agent, appointment_id=moved.pk, starts_at=b.at("10:00"), reason="客户改时间")
    cancelled = book(b, "11:00", contact_name="张伟", contact_mobile="", plate_text="", description="")
    appointment_cancel(actor=b.agent, appointment_id=cancelled.pk, reason="客户有事")
    # A record merged into the customer is the same person: its booking goes too.
    duplicate = CustomerFactory.create(name="张伟", mobiles=["13912340000"])
    merged = book(b, "14:00", customer_id=duplicate.pk, vehicle_id=None, contact_mobile="13912340000")
    customer_merge(actor=b.world.user("crm"), survivor_id=b.customer.pk, merged_id=duplicate.pk, choices={})
    # Another customer's booking and a walk-in not matched to the archive stay as they are.
    other_customer = CustomerFactory.create(name="李雷", mobiles=["13600002222"])
    other = book(b, "15:00", customer_id=other_customer.pk, vehicle_id=None, description="异响")
    walk_in = book(
        b,
        "16:00",
        customer_id=None,
        vehicle_id=None,
        contact_name="赵敏",
        contact_mobile="13800004444",
        plate_text="沪C88888",
        description="空调不制冷",
    )
    untouched = {
        row.pk: {field: getattr(row, field) for field in Appointment.personal_fields} for row in (other, walk_in)
    }
    kept_elsewhere = set(
        AuditPersonalData.objects.filter(
            subject__in=[other.audit_subject(), walk_in.audit_subject(), other_customer.audit_subject()]
        ).values_list("pk", flat=True)
    )
    customer_kept = AuditPersonalData.objects.filter(subject=b.customer.audit_subject()).count()
    duplicate_kept = AuditPersonalData.objects.filter(subject=duplicate.audit_subject()).count()
    audit_before = AuditEntry.objects.count()

    customer_anonymise(actor=manager, customer_id=b.customer.pk, reason=REASON)

    b.customer.refresh_from_db()
    duplicate.refresh_from_db()
    rows = {row.pk: row for row in Appointment.all_objects.all()}
    assert {
        pk: (row.contact_name, row.contact_mobile, row.plate_text, row.description, row.state)
        for pk, row in rows.items()
        if pk in (moved.pk, cancelled.pk, merged.pk)
    } == {
        moved.pk: (f"已匿名客户 {b.customer.number}", "", "", "", "booked"),
        cancelled.pk: (f"已匿名客户 {b.customer.number}", "", "", "", "cancelled"),
        merged.pk: (f"已匿名客户 {duplicate.number}", "", "", "", "booked"),
    }
    assert rows[moved.pk].starts_at == b.at("10:00")  # the booking itself stays
    assert {pk: {field: getattr(rows[pk], field) for field in Appointment.personal_fields} for pk in untouched} == (
        untouched
    )
    # One entry per booking naming the fields cleared (not their values), then the customer's.
    new_entries = list(AuditEntry.objects.order_by("id")[audit_before:])
    assert [
        (e.action, e.object_type, e.object_id, e.changes) for e in new_entries if e.object_type != "customers.customer"
    ] == [
        (
            "anonymise",
            "appointments.appointment",
            str(moved.pk),
            {"reason": REASON, "cleared": ["contact_mobile", "contact_name", "description", "plate_text"]},
        ),
        (
            "anonymise",
            "appointments.appointment",
            str(cancelled.pk),
            {"reason": REASON, "cleared": ["contact_name", "plate_text"]},
        ),
        (
            "anonymise",
            "appointments.appointment",
            str(merged.pk),
            {"reason": REASON, "cleared": ["contact_mobile", "contact_name"]},
        ),
    ]
    anonymised = {
        e.object_id: e.changes["audit_values_erased"] for e in new_entries if e.object_type == "customers.customer"
    }
    # The customer's entries and the two bookings' creations; the merged record's and its booking's.
    assert anonymised == {str(b.customer.pk): customer_kept + 2, str(duplicate.pk): duplicate_kept + 1}
    for row in (moved, cancelled, merged):
        assert not AuditPersonalData.objects.filter(subject=row.audit_subject()).exists()
    assert kept_elsewhere <= set(AuditPersonalData.objects.values_list("pk", flat=True))
    trail = trail_text()
    assert not [
        value for value in ("王芳", "13700001111", "沪B99999", "冷启动时发动机抖动", "13912340000") if value in trail
    ]
    # The walk-in's and the other customer's values are kept.
    assert [value for value in ("赵敏", "13800004444", "沪C88888", "空调不制冷", "异响") if value not in trail] == []
    assert audit_verify() == (AuditEntry.objects.count(), None)
    # The booking's creation shows where the values were; the chain still verifies.
    filled = audit_personal_fill([created_entry(moved)])[0]
    assert {key: filled.changes[key] for key in CONTACT} == {key: [None, ERASED] for key in CONTACT}


def test_anonymising_a_customer_without_bookings_touches_no_booking(booking: Booking) -> None:
    b = booking
    walk_in = book(b, "16:00", customer_id=None, vehicle_id=None, **CONTACT)
    lone = CustomerFactory.create(name="孙丽", mobiles=["13500003333"])
    before = AuditEntry.objects.count()

    customer_anonymise(actor=b.world.user("manager"), customer_id=lone.pk, reason=REASON)

    walk_in.refresh_from_db()
    assert {field: getattr(walk_in, field) for field in CONTACT} == CONTACT
    assert [(e.action, e.object_type) for e in AuditEntry.objects.order_by("id")[before:]] == [
        ("anonymise", "customers.customer")
    ]
    assert AuditPersonalData.objects.filter(subject=walk_in.audit_subject()).count() == 1


def test_anonymising_a_customer_empties_the_bookings_made_with_their_mobile_without_a_record(
    booking: Booking,
) -> None:
    b = booking  # the customer's mobile: 13912345678
    online = book(
        b,
        "10:00",
        customer_id=None,
        vehicle_id=None,
        channel="online",
        contact_name="张先生",
        contact_mobile="13912345678",
        plate_text="沪A12345",
        vin_text="LSVAU2180N2183294",
        description="",
    )
    stranger = book(b, "14:00", customer_id=None, vehicle_id=None, **CONTACT)
    before = AuditEntry.objects.count()

    customer_anonymise(actor=b.world.user("manager"), customer_id=b.customer.pk, reason=REASON)

    online.refresh_from_db()
    stranger.refresh_from_db()
    assert {field: getattr(online, field) for field in Appointment.personal_fields} == {
        "contact_name": f"已匿名客户 {b.customer.number}",
        "contact_mobile": "",
        "plate_text": "",
        "vin_text": "",
        "description": "",
    }
    assert (online.customer_id, online.state, online.starts_at) == (None, "booked", b.at("10:00"))
    assert {field: getattr(stranger, field) for field in CONTACT} == CONTACT
    assert [
        (e.action, e.object_type, e.object_id, e.changes)
        for e in AuditEntry.objects.order_by("id")[before:]
        if e.object_type == "appointments.appointment"
    ] == [
        (
            "anonymise",
            "appointments.appointment",
            str(online.pk),
            {"reason": REASON, "cleared": ["contact_mobile", "contact_name", "plate_text", "vin_text"]},
        )
    ]
    assert not AuditPersonalData.objects.filter(subject=online.audit_subject()).exists()
    assert AuditPersonalData.objects.filter(subject=stranger.audit_subject()).count() == 1


def test_bookings_without_a_customer_are_anonymised_once_their_three_years_have_passed(
    booking: Booking,
) -> None:
    b = booking
    walk_in = book(b, "16:00", customer_id=None, vehicle_id=None, **CONTACT)
    later = book(b, "16:00", days=2, customer_id=None, vehicle_id=None, **CONTACT)
    theirs = book(b, "09:00", contact_name="张伟", contact_mobile="13912345678", plate_text="沪A12345")
    kept = {row.pk: {field: getattr(row, field) for field in CONTACT} for row in (later, theirs)}
    three_years = b.at("16:00").replace(year=2029)
    before = AuditEntry.objects.count()

    # Not yet: three years after its start is not past it.
    assert appointments_expire_personal(now=three_years) == 0
    assert AuditEntry.objects.count() == before
    assert appointments_expire_personal(now=three_years + timedelta(seconds=1)) == 1

    rows = {row.pk: row for row in Appointment.all_objects.all()}
    assert {field: getattr(rows[walk_in.pk], field) for field in Appointment.personal_fields} == {
        "contact_name": "已匿名客户",
        "contact_mobile": "",
        "plate_text": "",
        "vin_text": "",
        "description": "",
    }
    assert rows[walk_in.pk].starts_at == b.at("16:00")
    assert {pk: {field: getattr(rows[pk], field) for field in CONTACT} for pk in kept} == kept
    assert [(e.action, e.actor_id, e.object_id, e.changes) for e in AuditEntry.objects.order_by("id")[before:]] == [
        (
            "anonymise",
            None,
            str(walk_in.pk),
            {"reason": "保存期满", "cleared": ["contact_mobile", "contact_name", "description", "plate_text"]},
        )
    ]
    assert not AuditPersonalData.objects.filter(subject=walk_in.audit_subject()).exists()
    assert audit_verify() == (AuditEntry.objects.count(), None)
    # Run again: nothing left to do, nothing written.
    after = AuditEntry.objects.count()
    assert schedule.appointments_expire_personal.call_local() == 0  # now: 2026
    assert appointments_expire_personal(now=three_years + timedelta(days=1)) == 0
    assert AuditEntry.objects.count() == after


def test_the_time_kept_ends_on_the_same_day_three_years_on_checked_daily() -> None:
    def runs(moment: datetime) -> bool:
        return bool(schedule.appointments_expire_personal.task_class().validate_datetime(moment))  # type: ignore[attr-defined]

    assert [runs(datetime(2026, 11, 26, hour, minute)) for hour, minute in ((19, 40), (19, 41), (3, 40))] == [
        True,
        False,
        False,
    ]
    assert BOOKINGS_KEPT_YEARS == 3
    assert kept_until(datetime(2029, 11, 27, 8, 0, tzinfo=UTC)) == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert kept_until(datetime(2028, 2, 29, 8, 0, tzinfo=UTC)) == datetime(2025, 2, 28, 8, 0, tzinfo=UTC)
